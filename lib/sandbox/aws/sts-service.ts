// The account's STS over awsQuery: GetCallerIdentity (who signed the request) and
// AssumeRoleWithWebIdentity (an unsigned call authenticated by the token itself).
import type { CallerIdentity } from '../contracts.js';
import { AwsServiceError } from './aws-service-error.js';
import type { QueryParams, XmlValue } from './query-protocol.js';
import { assumeRoleWithWebIdentity, type WebIdentityDeps } from './web-identity.js';

/** Operations STS serves without a SigV4 signature: the web identity token is the credential. */
export const UNSIGNED_STS_OPERATIONS: ReadonlySet<string> = new Set(['AssumeRoleWithWebIdentity']);

export type StsOperation = (
  params: QueryParams,
  caller: CallerIdentity | undefined,
) => Promise<Record<string, XmlValue>>;

export function createStsService(deps: WebIdentityDeps): ReadonlyMap<string, StsOperation> {
  return new Map<string, StsOperation>([
    [
      'GetCallerIdentity',
      async (_params, caller) => {
        if (!caller)
          throw new AwsServiceError(
            'MissingAuthenticationToken',
            'Request is missing Authentication Token',
            403,
          );
        return { UserId: caller.userId, Account: caller.account, Arn: caller.arn };
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
