// The AWS parts of the step Lambdas' dependencies: IAM (roles, policies, OIDC providers) and EKS.
import { createEksClusters } from '../adapters/aws/eks-adapters.js';
import { createIamAdapters, type IamAdapters } from '../adapters/aws/iam-adapters.js';
import type { EksClusters } from '../ports/eks.js';
import { coreDependencies, processShared } from './step-dependencies.js';

export function iamDependencies(): IamAdapters {
  return processShared('iam', () => createIamAdapters(coreDependencies().config.region));
}

export function eksDependencies(): { clusters: EksClusters } {
  return processShared('eks', () => ({ clusters: createEksClusters() }));
}
