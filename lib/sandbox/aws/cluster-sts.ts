// The account's STS as the clusters use it: EKS's bearer-token check (a presigned GetCallerIdentity),
// pods' AssumeRoleWithWebIdentity, and the node instance role. Counted and fault-injected like wire calls.
import { createHash } from 'node:crypto';
import type {
  AwsErrorShape,
  CallCounter,
  CallerIdentity,
  FaultInjector,
  SandboxSts,
  StsOutcome,
} from '../contracts.js';
import { authenticationError } from './aws-endpoint.js';
import { AwsServiceError } from './aws-service-error.js';
import type { CredentialStore } from './credential-store.js';
import { faultError } from './injected-faults.js';
import { type SigningKeys, verifyPresignedUrl } from './sigv4-verifier.js';
import { assumeRoleWithWebIdentity, type WebIdentityDeps } from './web-identity.js';

/** aws-iam-authenticator honours a token for 15 minutes after X-Amz-Date, whatever X-Amz-Expires says. */
const EKS_TOKEN_MAX_AGE_MS = 15 * 60 * 1000;

export interface ClusterStsDeps extends WebIdentityDeps {
  credentials: CredentialStore;
  /**
   * The keys a bearer token may be signed with. STS is global, so a token made with a linked
   * account's keys verifies as that account's principal (access entries then decide what it may do).
   */
  tokenSigningKeys: SigningKeys;
  faults?: FaultInjector;
  counter?: CallCounter;
  sleep(ms: number): Promise<void>;
}

function shape(error: unknown): AwsErrorShape {
  if (error instanceof AwsServiceError)
    return { code: error.code, message: error.message, httpStatus: error.httpStatus };
  return { code: 'InternalFailure', message: (error as Error).message ?? String(error), httpStatus: 500 };
}

export function createClusterSts(deps: ClusterStsDeps): SandboxSts {
  let serverErrors = 0;

  const call = async (operation: string, body: () => Promise<CallerIdentity>): Promise<StsOutcome> => {
    try {
      deps.counter?.count('sts', operation);
      const decision = deps.faults?.decide('sts', operation);
      if (decision?.latencyMs) await deps.sleep(decision.latencyMs);
      const injected = faultError(decision, 'query', 'sts', operation, serverErrors);
      if (decision?.kind === 'server-error') serverErrors++;
      if (injected) throw injected;
      return { ok: true, identity: await body() };
    } catch (error) {
      return { ok: false, error: shape(error) };
    }
  };

  return {
    verifyPresignedGetCallerIdentity: (request) =>
      call('GetCallerIdentity', async () => {
        const url = new URL(request.url);
        if (url.searchParams.get('Action') !== 'GetCallerIdentity') {
          throw new AwsServiceError(
            'InvalidAction',
            'The presigned request is not a GetCallerIdentity call.',
            400,
          );
        }
        const auth = await verifyPresignedUrl(
          deps.tokenSigningKeys,
          { method: 'GET', url, headers: request.headers },
          deps.now(),
          EKS_TOKEN_MAX_AGE_MS,
        );
        if (!auth.ok) throw authenticationError('query', auth.reason, auth.message);
        if (auth.scope.service !== 'sts') {
          throw new AwsServiceError(
            'SignatureDoesNotMatch',
            `Credential should be scoped to sts, not ${auth.scope.service}.`,
            403,
          );
        }
        return { ...auth.record.identity };
      }),
    assumeRoleWithWebIdentity: (input) =>
      call('AssumeRoleWithWebIdentity', async () => {
        const result = await assumeRoleWithWebIdentity(deps, {
          roleArn: input.roleArn,
          webIdentityToken: input.webIdentityToken,
          roleSessionName: input.roleSessionName,
        });
        return result.identity;
      }),
    instanceRoleIdentity(clusterName) {
      // Stable per cluster, so logs of the same pod read alike across runs.
      const digest = createHash('sha256').update(`${deps.accountId}/${clusterName}`).digest('hex');
      const instanceId = `i-${digest.slice(0, 17)}`;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
      const roleId = `AROA${[...Buffer.from(digest, 'hex').subarray(10, 27)].map((b) => alphabet[b % 32]).join('')}`;
      return {
        arn: `arn:aws:sts::${deps.accountId}:assumed-role/${clusterName}-node-role/${instanceId}`,
        account: deps.accountId,
        userId: `${roleId}:${instanceId}`,
      };
    },
  };
}
