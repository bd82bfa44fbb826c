// Which account serves a request: the one whose STS issued the access key that signed it. AWS's IAM,
// STS and EKS answer every account on one global endpoint and tell them apart by the signature; the
// sandbox serves each account on its own URL, so a request signed with a linked account's keys that
// reaches this account is handed to that account, exactly as if it had been sent there.
import type { CredentialStore } from './credential-store.js';
import type { PeerAccount } from './peer-account.js';
import type { WireResponse } from './query-protocol.js';
import {
  type IncomingRequest,
  parseCredentialScope,
  type SigningKeys,
  scopeOfAuthorization,
} from './sigv4-verifier.js';

type Endpoint = (request: IncomingRequest) => Promise<WireResponse>;

/** The access key id a request is signed with (Authorization header or presigned query), unverified. */
export function signingAccessKeyId(request: IncomingRequest): string | undefined {
  const header = scopeOfAuthorization(request.headers.authorization);
  if (header) return header.accessKeyId;
  const credential = request.query['X-Amz-Credential'];
  const value = Array.isArray(credential) ? credential[0] : credential;
  return value === undefined ? undefined : parseCredentialScope(value)?.accessKeyId;
}

/**
 * `own`, except that a request signed with a key this account does not know but a linked account
 * does goes to that account's endpoint. Keys unknown everywhere stay here and are refused here.
 */
export function routeByCredentials(
  own: Endpoint,
  ownKeys: CredentialStore,
  linked: () => Iterable<PeerAccount>,
): Endpoint {
  return (request) => {
    const keyId = signingAccessKeyId(request);
    if (keyId === undefined || ownKeys.find(keyId)) return own(request);
    for (const peer of linked()) {
      // The peer's own endpoint knows the key, so it answers itself: no request bounces back.
      if (peer.credentials.find(keyId)) return peer.serve(request);
    }
    return own(request);
  };
}

/** This account's keys, then those of the accounts linked to it: what a global STS would accept. */
export function keysAcrossLinkedAccounts(
  ownKeys: CredentialStore,
  linked: () => Iterable<PeerAccount>,
): SigningKeys {
  return {
    find(accessKeyId) {
      const own = ownKeys.find(accessKeyId);
      if (own) return own;
      for (const peer of linked()) {
        const found = peer.credentials.find(accessKeyId);
        if (found) return found;
      }
      return undefined;
    },
  };
}
