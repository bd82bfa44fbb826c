// All AWS adapters at once (tools and tests). Lambdas build only the ones they call, from
// iam-adapters.ts and eks-adapters.ts, so a function's bundle carries only its own SDK clients.
import { STSClient } from '@aws-sdk/client-sts';
import type { EksClusters, EksPodIdentity } from '../../ports/eks.js';
import type { AccountIdentity } from '../../ports/iam.js';
import { createEksAdapters } from './eks-adapters.js';
import { createIamAdapters, type IamAdapters } from './iam-adapters.js';
import { StsAccountIdentity } from './sts-account-identity.js';

export interface AwsAdapters extends IamAdapters {
  clusters: EksClusters;
  podIdentity: EksPodIdentity;
  account: AccountIdentity;
}

/** `region` is where the broker runs; EKS clients follow each cluster's region. */
export function createAwsAdapters(region: string): AwsAdapters {
  return {
    ...createIamAdapters(region),
    ...createEksAdapters(),
    account: new StsAccountIdentity(new STSClient({ region })),
  };
}
