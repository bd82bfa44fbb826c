// The EKS adapters: one EKSClient per cluster region, made on first use and kept.
import { EKSClient } from '@aws-sdk/client-eks';
import type { EksClusters, EksPodIdentity } from '../../ports/eks.js';
import { AwsEksClusters } from './eks-clusters.js';
import { AwsEksPodIdentity } from './eks-pod-identity.js';

function regionalClients(): (region: string) => EKSClient {
  const clients = new Map<string, EKSClient>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new EKSClient({ region });
      clients.set(region, client);
    }
    return client;
  };
}

export function createEksAdapters(): { clusters: EksClusters; podIdentity: EksPodIdentity } {
  const clientFor = regionalClients();
  return { clusters: new AwsEksClusters(clientFor), podIdentity: new AwsEksPodIdentity(clientFor) };
}

export function createEksClusters(): EksClusters {
  return new AwsEksClusters(regionalClients());
}
