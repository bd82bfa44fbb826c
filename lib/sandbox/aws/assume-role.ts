// STS AssumeRole for a signed caller: the role (here or in a linked account) must trust the caller and,
// where AWS asks for it, the caller's own policies must allow sts:AssumeRole on the role; the session's
// keys are issued by the role's account, whose endpoint then serves them.
import { deflateRawSync } from 'node:zlib';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { CallerIdentity } from '../contracts.js';
import type { AccountState, RoleRecord } from './account-state.js';
import type { AssumeRoleInput } from './assume-role-input.js';
import { AwsServiceError } from './aws-service-error.js';
import type { CallerPolicies } from './caller-authorization.js';
import { type CredentialStore, issueRoleSession, type SandboxCredentials } from './credential-store.js';
import type { PeerAccount } from './peer-account.js';

export interface AssumeRoleDeps {
  accountId: string;
  state(): AccountState;
  credentials: CredentialStore;
  now(): number;
  /** The caller's own permissions (its role in this account); undefined once that role is gone. */
  callerPolicies(caller: CallerIdentity): CallerPolicies | undefined;
  /** A linked sandbox account a role ARN may name. */
  peerAccount?(accountId: string): Omit<PeerAccount, 'serve'> | undefined;
}

export interface AssumeRoleResult {
  credentials: Required<SandboxCredentials> & { expiration: Date };
  identity: CallerIdentity;
  /** Percent of the packed session-tag allowance used; only when tags were passed. */
  packedPolicySize?: number;
}

/** Using one role's session to assume another is role chaining: AWS caps the new session at an hour. */
const ROLE_CHAINING_MAX_SECONDS = 3600;
const DEFAULT_DURATION_SECONDS = 3600;
/**
 * AWS packs session tags (with session policies) into a binary form of undisclosed size and reports
 * the share used; this estimates it from the compressed tags against an allowance of that order.
 */
const PACKED_ALLOWANCE_BYTES = 2048;

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role(\/(?:[\x21-\x7e]*\/)?)([\w+=,.@-]{1,64})$/;

function packedPolicySize(input: AssumeRoleInput): number {
  const packed = deflateRawSync(
    JSON.stringify([input.tags.map((t) => [t.Key, t.Value]), input.transitiveTagKeys]),
  );
  return Math.ceil((100 * packed.length) / PACKED_ALLOWANCE_BYTES);
}

export function assumeRole(
  deps: AssumeRoleDeps,
  caller: CallerIdentity,
  input: AssumeRoleInput,
): AssumeRoleResult {
  const arn = ROLE_ARN.exec(input.roleArn);
  if (!arn) {
    throw new AwsServiceError(
      'ValidationError',
      `${input.roleArn} is invalid; pass a role ARN like arn:aws:iam::<account>:role/<name>.`,
      400,
    );
  }
  const now = deps.now();
  const [, targetAccountId, , roleName] = arn;
  const target =
    targetAccountId === deps.accountId
      ? { accountId: deps.accountId, state: deps.state, credentials: deps.credentials }
      : deps.peerAccount?.(targetAccountId!);
  const candidate = target?.state().roles[roleName!];
  // STS sees a role (and its trust) only once IAM's change has propagated.
  const role = candidate?.arn === input.roleArn && now >= candidate.trustEffectiveAt ? candidate : undefined;

  const denied = (action: string) =>
    new AwsServiceError(
      'AccessDenied',
      `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${input.roleArn}`,
      403,
    );
  // A missing role and a role that does not trust the caller read alike: existence does not leak.
  if (!role || !target) throw denied('sts:AssumeRole');

  const policies = deps.callerPolicies(caller);
  const context: Record<string, string | string[]> = {
    // The caller's role ARN (with its path); from the session ARN alone once that role is gone.
    'aws:PrincipalArn':
      policies?.role.arn ??
      caller.arn.replace(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.*$/, 'arn:aws:iam::$1:role/$2'),
    'aws:PrincipalAccount': caller.account,
    'aws:PrincipalType': 'AssumedRole',
    'aws:userid': caller.userId,
    'sts:RoleSessionName': input.roleSessionName,
    ...(input.externalId !== undefined ? { 'sts:ExternalId': input.externalId } : {}),
  };
  if (input.tags.length > 0) {
    context['aws:TagKeys'] = input.tags.map((tag) => tag.Key);
    for (const tag of input.tags) context[`aws:RequestTag/${tag.Key}`] = tag.Value;
  }
  if (input.transitiveTagKeys.length > 0) context['sts:TransitiveTagKeys'] = input.transitiveTagKeys;

  const actions = input.tags.length > 0 ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
  for (const action of actions) {
    if (!allows(role, target.accountId, caller, action, context, policies)) throw denied(action);
  }

  const durationSeconds = input.durationSeconds ?? DEFAULT_DURATION_SECONDS;
  const chaining = /^arn:aws:sts::\d{12}:assumed-role\//.test(caller.arn);
  if (chaining && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
    throw new AwsServiceError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
      400,
    );
  }
  if (durationSeconds > role.maxSessionDuration) {
    throw new AwsServiceError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      400,
    );
  }
  const packed = input.tags.length > 0 ? packedPolicySize(input) : undefined;
  if (packed !== undefined && packed > 100) {
    throw new AwsServiceError(
      'PackedPolicyTooLarge',
      `Packed size of session tags consumes ${packed}% of the allowed limit; pass fewer or shorter tags.`,
      400,
    );
  }

  const expiration = new Date(Math.floor(now / 1000) * 1000 + durationSeconds * 1000);
  const { credentials, identity } = issueRoleSession(
    target.credentials,
    target.accountId,
    role,
    input.roleSessionName,
    expiration,
    now,
  );
  return { credentials, identity, ...(packed !== undefined ? { packedPolicySize: packed } : {}) };
}

/**
 * One evaluation of the role's trust policy together with the caller's own policies and boundary,
 * so iam-simulate applies AWS's rule: in the same account a trust statement naming the caller's role
 * or session is enough on its own, one naming the account defers to the caller's policies; across
 * accounts both the trust and the caller's policies must allow.
 */
function allows(
  role: RoleRecord,
  roleAccountId: string,
  caller: CallerIdentity,
  action: string,
  context: Record<string, string | string[]>,
  policies: CallerPolicies | undefined,
): boolean {
  return (
    runUnsafeSimulation(
      {
        request: {
          principal: caller.arn,
          action,
          resource: { resource: role.arn, accountId: roleAccountId },
          contextVariables: context,
        },
        identityPolicies: policies?.identityPolicies ?? [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(policies?.permissionBoundaryPolicies
          ? { permissionBoundaryPolicies: policies.permissionBoundaryPolicies }
          : {}),
        // iam-simulate names a resource policy only when it is handed over pre-validated.
        resourcePolicy: {
          __validated: true,
          policyDocument: JSON.parse(role.assumeRolePolicyDocument),
          metadata: { name: 'AssumeRolePolicyDocument' },
          errors: [],
        },
      },
      {},
    ) === 'Allowed'
  );
}
