// EKS DescribeCluster as the domain's ClusterInfo.
import { DescribeClusterCommand, type EKSClient } from '@aws-sdk/client-eks';
import { ClusterNotFoundError } from '../../domain/errors.js';
import type { ClusterInfo, ClusterStatus, EksClusters } from '../../ports/eks.js';
import { awsCall } from './aws-error.js';

const STATUSES: readonly ClusterStatus[] = [
  'CREATING',
  'ACTIVE',
  'DELETING',
  'FAILED',
  'UPDATING',
  'PENDING',
];

export class AwsEksClusters implements EksClusters {
  /** `clientFor` returns the (long-lived) EKS client of a region. */
  constructor(private readonly clientFor: (region: string) => EKSClient) {}

  async describe(region: string, name: string): Promise<ClusterInfo> {
    const { cluster } = await awsCall(
      `eks:DescribeCluster on ${name} in ${region}`,
      () => this.clientFor(region).send(new DescribeClusterCommand({ name })),
      {
        ResourceNotFound: (_message, cause) =>
          new ClusterNotFoundError(
            `No EKS cluster "${name}" in ${region} for this account. Check the cluster name and region.`,
            { cause },
          ),
      },
    );
    if (!cluster?.name || !cluster.arn) throw new Error(`eks:DescribeCluster on ${name} returned no cluster`);
    const status = STATUSES.find((s) => s === cluster.status);
    if (!status) throw new Error(`eks:DescribeCluster on ${name} returned unknown status ${cluster.status}`);
    return {
      name: cluster.name,
      region,
      arn: cluster.arn,
      version: cluster.version ?? '',
      platformVersion: cluster.platformVersion ?? '',
      status,
      ...(cluster.endpoint ? { endpoint: cluster.endpoint } : {}),
      ...(cluster.certificateAuthority?.data ? { caData: cluster.certificateAuthority.data } : {}),
      ...(cluster.identity?.oidc?.issuer ? { oidcIssuer: cluster.identity.oidc.issuer } : {}),
    };
  }
}
