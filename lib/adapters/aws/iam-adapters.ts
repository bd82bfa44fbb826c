// The IAM adapters over one IAMClient. IAM is global, but the client still signs for a region: the
// broker's own. Endpoint and credentials come from the SDK's configuration (AWS_ENDPOINT_URL_IAM, …).
import { IAMClient } from '@aws-sdk/client-iam';
import type { IamManagedPolicies, IamOidcProviders, IamRoles } from '../../ports/iam.js';
import { AwsIamManagedPolicies } from './iam-managed-policies.js';
import { AwsIamOidcProviders } from './iam-oidc-providers.js';
import { AwsIamRoles } from './iam-roles.js';

export interface IamAdapters {
  roles: IamRoles;
  policies: IamManagedPolicies;
  oidcProviders: IamOidcProviders;
}

export function createIamAdapters(region: string): IamAdapters {
  const iam = new IAMClient({ region });
  return {
    roles: new AwsIamRoles(iam),
    policies: new AwsIamManagedPolicies(iam),
    oidcProviders: new AwsIamOidcProviders(iam),
  };
}
