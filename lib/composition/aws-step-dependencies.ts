// The AWS parts of the step Lambdas' dependencies: IAM (roles, policies, OIDC providers) and EKS.
import { createEksAdapters } from '../adapters/aws/eks-adapters.js';
import { createIamAdapters, type IamAdapters } from '../adapters/aws/iam-adapters.js';
import { StsTargetAccounts } from '../adapters/aws/target-account-iam.js';
import type { EksClusters, EksPodIdentity } from '../ports/eks.js';
import type { TargetAccounts } from '../ports/iam.js';
import { coreDependencies, processShared } from './step-dependencies.js';

export function iamDependencies(): IamAdapters {
  return processShared('iam', () => createIamAdapters(coreDependencies().config.region));
}

export function eksDependencies(): { clusters: EksClusters; podIdentity: EksPodIdentity } {
  return processShared('eks', () => createEksAdapters());
}

/** IAM in Pod Identity target roles' accounts, through irsa-broker's access role in each. */
export function targetAccountDependencies(): { targetAccounts: TargetAccounts } {
  return processShared('target-accounts', () => {
    const { region, targetAccountAccessRoleName } = coreDependencies().config;
    return { targetAccounts: new StsTargetAccounts({ region, accessRoleName: targetAccountAccessRoleName }) };
  });
}
