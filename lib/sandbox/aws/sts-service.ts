// The account's STS over awsQuery: GetCallerIdentity (who signed the request), AssumeRole (a signed
// caller takes a role here or in a linked account) and AssumeRoleWithWebIdentity (an unsigned call
// authenticated by the token itself).
import type { CallerIdentity } from '../contracts.js';
import { type AssumeRoleDeps, assumeRole } from './assume-role.js';
import { readAssumeRoleInput } from './assume-role-input.js';
import { AwsServiceError } from './aws-service-error.js';
import type { QueryParams, XmlValue } from './query-protocol.js';
import { assumeRoleWithWebIdentity, type WebIdentityDeps } from './web-identity.js';

/** Operations STS serves without a SigV4 signature: the web identity token is the credential. */
export const UNSIGNED_STS_OPERATIONS: ReadonlySet<string> = new Set(['AssumeRoleWithWebIdentity']);

/**
 * Operations that weigh the caller's own policies themselves, together with the role's trust policy:
 * in one account either may grant AssumeRole, so a separate identity check up front would be stricter than AWS.
 */
export const SELF_AUTHORIZED_STS_OPERATIONS: ReadonlySet<string> = new Set(['AssumeRole']);

export type StsOperation = (
  params: QueryParams,
  caller: CallerIdentity | undefined,
) => Promise<Record<string, XmlValue>>;

const missingAuthentication = () =>
  new AwsServiceError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);

export function createStsService(deps: WebIdentityDeps & AssumeRoleDeps): ReadonlyMap<string, StsOperation> {
  return new Map<string, StsOperation>([
    [
      'GetCallerIdentity',
      async (_params, caller) => {
        if (!caller) throw missingAuthentication();
        return { UserId: caller.userId, Account: caller.account, Arn: caller.arn };
      },
    ],
    [
      'AssumeRole',
      async (params, caller) => {
        if (!caller) throw missingAuthentication();
        const result = assumeRole(deps, caller, readAssumeRoleInput(params));
        return {
          AssumedRoleUser: { AssumedRoleId: result.identity.userId, Arn: result.identity.arn },
          Credentials: {
            AccessKeyId: result.credentials.accessKeyId,
            SecretAccessKey: result.credentials.secretAccessKey,
            SessionToken: result.credentials.sessionToken,
            Expiration: result.credentials.expiration,
          },
          PackedPolicySize: result.packedPolicySize,
        };
      },
    ],
    [
      'AssumeRoleWithWebIdentity',
      async (params) => {
        const result = await assumeRoleWithWebIdentity(deps, {
          roleArn: params.required('RoleArn'),
          webIdentityToken: params.required('WebIdentityToken'),
          roleSessionName: params.required('RoleSessionName'),
          ...(params.integer('DurationSeconds') !== undefined
            ? { durationSeconds: params.integer('DurationSeconds')! }
            : {}),
        });
        return {
          Credentials: {
            AccessKeyId: result.credentials.accessKeyId,
            SecretAccessKey: result.credentials.secretAccessKey,
            SessionToken: result.credentials.sessionToken,
            Expiration: result.credentials.expiration,
          },
          SubjectFromWebIdentityToken: result.subject,
          AssumedRoleUser: { AssumedRoleId: result.identity.userId, Arn: result.identity.arn },
          Provider: result.provider,
          Audience: result.audience,
        };
      },
    ],
  ]);
}
