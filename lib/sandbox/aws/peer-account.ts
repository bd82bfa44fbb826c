// What one sandbox account knows of an account linked to it: its roles, its STS's credentials, and
// its endpoint (AWS's IAM and STS are global, so a call signed with its keys is its call wherever it lands).
import type { AccountState } from './account-state.js';
import type { CredentialStore } from './credential-store.js';
import type { WireResponse } from './query-protocol.js';
import type { IncomingRequest } from './sigv4-verifier.js';

export interface PeerAccount {
  accountId: string;
  state(): AccountState;
  credentials: CredentialStore;
  /** The account's own endpoint, as if the request had been sent to it. */
  serve(request: IncomingRequest): Promise<WireResponse>;
}
