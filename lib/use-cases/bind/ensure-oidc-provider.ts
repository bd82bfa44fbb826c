// EnsureOidcProvider: the account's IAM OIDC identity provider for the cluster's issuer, created if
// the configuration allows it.
import type { Binding } from '../../domain/binding.js';
import { ConflictError, OidcProviderMissingError } from '../../domain/errors.js';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../domain/ownership.js';
import { DEFAULT_AUDIENCE } from '../../domain/trust-policy.js';
import type { IamOidcProviders, OidcProvider } from '../../ports/iam.js';
import type { ClusterFacts, OidcProviderFacts } from './bind-state.js';

export interface EnsureOidcProviderDeps {
  oidcProviders: IamOidcProviders;
  config: { createOidcProvider: boolean };
}

function facts(provider: OidcProvider, detail: string): OidcProviderFacts {
  return { status: 'SUCCEEDED', detail, arn: provider.arn };
}

export async function ensureOidcProvider(
  binding: Binding,
  cluster: ClusterFacts,
  deps: EnsureOidcProviderDeps,
): Promise<OidcProviderFacts> {
  const issuer = cluster.oidcIssuer;
  const audience = binding.audience ?? DEFAULT_AUDIENCE;
  let provider = await deps.oidcProviders.find(issuer);
  let created = false;
  if (!provider) {
    if (!deps.config.createOidcProvider) {
      throw new OidcProviderMissingError(
        `The account has no IAM OIDC provider for ${issuer} (cluster ${cluster.name}); create one with client id ` +
          `${audience} (e.g. "eksctl utils associate-iam-oidc-provider"), or set CREATE_OIDC_PROVIDER=true`,
      );
    }
    try {
      // Shared by every binding on the cluster, so tagged as ours but not as any one binding's.
      provider = await deps.oidcProviders.create(issuer, [audience], { [MANAGED_BY_TAG]: MANAGED_BY_VALUE });
      created = true;
    } catch (error) {
      // A concurrent binding on the same cluster created it first.
      if (!(error instanceof ConflictError)) throw error;
      provider = await deps.oidcProviders.find(issuer);
      if (!provider) throw error;
    }
  }
  if (!provider.clientIds.includes(audience)) {
    if (!deps.config.createOidcProvider) {
      throw new OidcProviderMissingError(
        `The IAM OIDC provider ${provider.arn} does not list client id ${audience}; add it ` +
          '(aws iam add-client-id-to-open-id-connect-provider), or set CREATE_OIDC_PROVIDER=true',
      );
    }
    await deps.oidcProviders.addClientId(provider.arn, audience);
    return facts(provider, `added client id ${audience} to ${provider.arn}`);
  }
  return facts(provider, `${created ? 'created' : 'found'} ${provider.arn}`);
}
