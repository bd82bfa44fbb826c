// Builds the AWS adapters once per process; endpoints and credentials come from the SDK's own
// configuration (AWS_ENDPOINT_URL_IAM and friends, the default credential chain).
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { EksClusters } from '../../ports/eks.js';
import type { AccountIdentity, IamManagedPolicies, IamOidcProviders, IamRoles } from '../../ports/iam.js';
import { AwsEksClusters } from './eks-clusters.js';
import { AwsIamManagedPolicies } from './iam-managed-policies.js';
import { AwsIamOidcProviders } from './iam-oidc-providers.js';
import { AwsIamRoles } from './iam-roles.js';
import { StsAccountIdentity } from './sts-account-identity.js';

export interface AwsAdapters {
  clusters: EksClusters;
  roles: IamRoles;
  policies: IamManagedPolicies;
  oidcProviders: IamOidcProviders;
  account: AccountIdentity;
}

/**
 * `region` is where the broker runs (IAM is global but its client still signs for a region);
 * EKS clients are made per cluster region on first use and kept.
 */
export function createAwsAdapters(region: string): AwsAdapters {
  const iam = new IAMClient({ region });
  const sts = new STSClient({ region });
  const eksClients = new Map<string, EKSClient>();
  const eksFor = (clusterRegion: string): EKSClient => {
    let client = eksClients.get(clusterRegion);
    if (!client) {
      client = new EKSClient({ region: clusterRegion });
      eksClients.set(clusterRegion, client);
    }
    return client;
  };
  return {
    clusters: new AwsEksClusters(eksFor),
    roles: new AwsIamRoles(iam),
    policies: new AwsIamManagedPolicies(iam),
    oidcProviders: new AwsIamOidcProviders(iam),
    account: new StsAccountIdentity(sts),
  };
}
