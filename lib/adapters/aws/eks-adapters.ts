// The EKS adapter: one EKSClient per cluster region, made on first use and kept.
import { EKSClient } from '@aws-sdk/client-eks';
import type { EksClusters } from '../../ports/eks.js';
import { AwsEksClusters } from './eks-clusters.js';

export function createEksClusters(): EksClusters {
  const clients = new Map<string, EKSClient>();
  return new AwsEksClusters((region) => {
    let client = clients.get(region);
    if (!client) {
      client = new EKSClient({ region });
      clients.set(region, client);
    }
    return client;
  });
}
