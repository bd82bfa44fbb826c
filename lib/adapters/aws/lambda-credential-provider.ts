// The credential chain of the Lambda bundles. `npm run package` bundles this module in place of
// @aws-sdk/credential-provider-node (serverless.yml custom.esbuild.alias): inside Lambda the runtime hands
// the function's role credentials over in the environment, so the SSO, INI, process and web-identity
// providers of the default chain (with the STS, SSO and sign-in clients they carry, ~90 KB) are dead
// weight in every bundle. Outside Lambda (npm start, tests, tools) the SDK's own default chain runs.
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Logger } from '@smithy/types';

/** What the SDK clients pass to the default provider; only the logger is used here. */
export interface LambdaProviderInit {
  logger?: Logger;
}

const CONTAINER_URIS = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];

/** Credentials expire; refresh five minutes early, as the SDK's own chain does. */
const REFRESH_BEFORE_MS = 5 * 60_000;

/** Same name and shape as @aws-sdk/credential-provider-node's export, which it replaces in the bundles. */
export const defaultProvider = (init: LambdaProviderInit = {}): AwsCredentialIdentityProvider => {
  let current: AwsCredentialIdentity | undefined;
  const resolve = async (): Promise<AwsCredentialIdentity> => {
    if (process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY) return fromEnv(init)();
    if (CONTAINER_URIS.some((name) => process.env[name])) return fromHttp(init)();
    throw new Error(
      'no AWS credentials: this bundle reads the ones the Lambda runtime sets (AWS_ACCESS_KEY_ID, ' +
        'AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN) or a container credentials endpoint ' +
        `(${CONTAINER_URIS.join(' or ')}); neither is set`,
    );
  };
  return async () => {
    const expiresAt = current?.expiration?.getTime();
    if (!current || (expiresAt !== undefined && expiresAt - Date.now() < REFRESH_BEFORE_MS)) {
      current = await resolve();
    }
    return current;
  };
};
