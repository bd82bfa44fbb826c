// The account's signing keys: access key id → secret (+ session token) → the principal they act as.
import type { CallerIdentity } from '../contracts.js';
import { accessKeyId, secretAccessKey, sessionToken } from './ids.js';

export interface SandboxCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CredentialRecord extends SandboxCredentials {
  identity: CallerIdentity;
  /** Epoch ms after which the keys are rejected as expired; absent for long-term keys. */
  expiresAt?: number;
}

const FORGET_EXPIRED_AFTER_MS = 24 * 3600 * 1000;

export class CredentialStore {
  private readonly records = new Map<string, CredentialRecord>();

  add(record: CredentialRecord): void {
    this.records.set(record.accessKeyId, { ...record, identity: { ...record.identity } });
  }

  find(accessKeyId: string): CredentialRecord | undefined {
    return this.records.get(accessKeyId);
  }

  list(): CredentialRecord[] {
    return [...this.records.values()].map((record) => ({ ...record, identity: { ...record.identity } }));
  }

  /**
   * Forgets keys that expired over a day ago, so a long-running sandbox does not pile up sessions;
   * recently expired keys stay known so their use is answered ExpiredToken, as STS does.
   */
  prune(now: number): void {
    for (const [id, record] of this.records) {
      if (record.expiresAt !== undefined && record.expiresAt + FORGET_EXPIRED_AFTER_MS <= now)
        this.records.delete(id);
    }
  }

  replaceAll(records: CredentialRecord[]): void {
    this.records.clear();
    for (const record of records) this.add(record);
  }
}

/**
 * New temporary keys for a session of `role` in `accountId`, known from now on to that account's
 * STS (`store`) until `expiration`: what AssumeRole* and AssumeRoleForPodIdentity hand out.
 */
export function issueRoleSession(
  store: CredentialStore,
  accountId: string,
  role: { roleName: string; roleId: string },
  sessionName: string,
  expiration: Date,
  now: number,
): {
  credentials: SandboxCredentials & { sessionToken: string; expiration: Date };
  identity: CallerIdentity;
} {
  const identity: CallerIdentity = {
    arn: `arn:aws:sts::${accountId}:assumed-role/${role.roleName}/${sessionName}`,
    userId: `${role.roleId}:${sessionName}`,
    account: accountId,
  };
  const credentials = {
    accessKeyId: accessKeyId('temporary'),
    secretAccessKey: secretAccessKey(),
    sessionToken: sessionToken(),
    expiration,
  };
  store.prune(now);
  store.add({ ...credentials, identity, expiresAt: expiration.getTime() });
  return { credentials, identity };
}
