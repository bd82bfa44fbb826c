// The IAM role name irsa-broker derives when the caller does not choose one.
import { createHash } from 'node:crypto';

export interface RoleNameSource {
  region: string;
  clusterName: string;
  namespace: string;
  serviceAccountName: string;
}

const PREFIX = 'irsa-';
const MAX = 64;
const HASH_LENGTH = 8;

/**
 * `irsa-<cluster>-<namespace>-<sa>` for people, cut to fit, plus a hash of the exact tuple for
 * uniqueness. The hash is always there because the readable part alone collides: `-` appears inside
 * the parts (cluster `a-b` + ns `c` vs cluster `a` + ns `b-c`), IAM role names are account-wide and
 * case-insensitive while clusters are per region and case-sensitive.
 */
export function deriveRoleName(source: RoleNameSource): string {
  const hash = createHash('sha256')
    .update([source.region, source.clusterName, source.namespace, source.serviceAccountName].join('\n'))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  const readable = `${PREFIX}${source.clusterName}-${source.namespace}-${source.serviceAccountName}`;
  const room = MAX - HASH_LENGTH - 1;
  const head = readable.length > room ? readable.slice(0, room).replace(/[-._]+$/, '') : readable;
  return `${head}-${hash}`;
}
