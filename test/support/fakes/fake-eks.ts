// EKS clusters held in memory, keyed by region and name.
import { ClusterNotFoundError } from '../../../lib/domain/errors.js';
import type { ClusterInfo, EksClusters } from '../../../lib/ports/eks.js';

export function clusterInfo(overrides: Partial<ClusterInfo> = {}): ClusterInfo {
  const name = overrides.name ?? 'demo';
  const region = overrides.region ?? 'us-east-1';
  return {
    name,
    region,
    arn: `arn:aws:eks:${region}:111122223333:cluster/${name}`,
    version: '1.29',
    platformVersion: 'eks.7',
    status: 'ACTIVE',
    endpoint: `https://${name}.example.eks.amazonaws.com`,
    caData: Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n').toString('base64'),
    oidcIssuer: `https://oidc.eks.${region}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`,
    ...overrides,
  };
}

export class FakeEksClusters implements EksClusters {
  readonly clusters = new Map<string, ClusterInfo>();

  add(cluster: ClusterInfo): this {
    this.clusters.set(`${cluster.region}/${cluster.name}`, cluster);
    return this;
  }

  async describe(region: string, name: string): Promise<ClusterInfo> {
    const cluster = this.clusters.get(`${region}/${name}`);
    if (!cluster) throw new ClusterNotFoundError(`No cluster ${name} in ${region}`);
    return structuredClone(cluster);
  }
}
