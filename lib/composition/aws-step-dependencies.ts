// The AWS parts of the step Lambdas' dependencies: IAM (roles, policies, OIDC providers) and EKS.
import { createEksAdapters } from '../adapters/aws/eks-adapters.js';
import { createIamAdapters, type IamAdapters } from '../adapters/aws/iam-adapters.js';
import type { EksClusters, EksPodIdentity } from '../ports/eks.js';
import { coreDependencies, processShared } from './step-dependencies.js';

export function iamDependencies(): IamAdapters {
  return processShared('iam', () => createIamAdapters(coreDependencies().config.region));
}

export function eksDependencies(): { clusters: EksClusters; podIdentity: EksPodIdentity } {
  return processShared('eks', () => createEksAdapters());
}
