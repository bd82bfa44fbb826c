// IAM OpenID Connect identity providers, found by issuer URL.
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateOpenIDConnectProviderCommand,
  GetOpenIDConnectProviderCommand,
  type IAMClient,
  ListOpenIDConnectProvidersCommand,
} from '@aws-sdk/client-iam';
import { ConflictError, NotFoundError, QuotaExceededError } from '../../domain/errors.js';
import type { IamOidcProviders, OidcProvider, Tags } from '../../ports/iam.js';
import { awsCall } from './aws-error.js';

/** IAM names a provider by the issuer without scheme or trailing slash: `oidc.eks.../id/ABC`. */
export function issuerPath(issuerUrl: string): string {
  return issuerUrl
    .trim()
    .replace(/^https:\/\//i, '')
    .replace(/\/+$/, '');
}

export class AwsIamOidcProviders implements IamOidcProviders {
  constructor(private readonly iam: IAMClient) {}

  async find(issuerUrl: string): Promise<OidcProvider | undefined> {
    const wanted = `:oidc-provider/${issuerPath(issuerUrl)}`;
    // ListOpenIDConnectProviders is not paginated: it returns every provider of the account.
    const list = await awsCall('iam:ListOpenIDConnectProviders', () =>
      this.iam.send(new ListOpenIDConnectProvidersCommand({})),
    );
    const arn = list.OpenIDConnectProviderList?.map((p) => p.Arn).find((a) => a?.endsWith(wanted));
    if (!arn) return undefined;
    try {
      return await this.describe(arn);
    } catch (error) {
      // Deleted between the list and the get: it is gone.
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async create(issuerUrl: string, clientIds: string[], tags: Tags): Promise<OidcProvider> {
    const url = `https://${issuerPath(issuerUrl)}`;
    const out = await awsCall(
      `iam:CreateOpenIDConnectProvider for ${url}`,
      () =>
        this.iam.send(
          new CreateOpenIDConnectProviderCommand({
            Url: url,
            ClientIDList: clientIds,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
      {
        EntityAlreadyExists: (m, cause) =>
          new ConflictError(`${m}. A provider for this issuer exists already.`, undefined, { cause }),
        LimitExceeded: (m, cause) =>
          new QuotaExceededError(
            `${m}. The account has the maximum number of OIDC providers: delete unused ones or raise the quota.`,
            {
              cause,
            },
          ),
      },
    );
    if (!out.OpenIDConnectProviderArn)
      throw new Error(`iam:CreateOpenIDConnectProvider for ${url} returned no ARN`);
    return { arn: out.OpenIDConnectProviderArn, url, clientIds: [...clientIds], tags: { ...tags } };
  }

  async addClientId(providerArn: string, clientId: string): Promise<void> {
    await awsCall(
      `iam:AddClientIDToOpenIDConnectProvider ${clientId} on ${providerArn}`,
      () =>
        this.iam.send(
          new AddClientIDToOpenIDConnectProviderCommand({
            OpenIDConnectProviderArn: providerArn,
            ClientID: clientId,
          }),
        ),
      {
        NoSuchEntity: (_m, cause) =>
          new NotFoundError(`IAM OIDC provider ${providerArn} does not exist.`, { cause }),
      },
    );
  }

  private async describe(arn: string): Promise<OidcProvider> {
    const out = await awsCall(`iam:GetOpenIDConnectProvider on ${arn}`, () =>
      this.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
    );
    const tags: Tags = {};
    for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    const path = arn.slice(arn.indexOf(':oidc-provider/') + ':oidc-provider/'.length);
    return {
      arn,
      // IAM reports the URL without a scheme; the domain speaks of issuers with one.
      url: `https://${issuerPath(out.Url ?? path)}`,
      clientIds: out.ClientIDList ?? [],
      tags,
    };
  }
}
