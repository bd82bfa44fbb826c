// DescribeCluster: what the later steps need to know about the binding's EKS cluster.
import type { Binding } from '../../domain/binding.js';
import { ClusterNotActiveError, OidcProviderMissingError } from '../../domain/errors.js';
import type { EksClusters } from '../../ports/eks.js';
import type { ClusterFacts } from './bind-state.js';

export async function describeCluster(
  binding: Binding,
  deps: { clusters: EksClusters },
): Promise<ClusterFacts> {
  const where = `cluster ${binding.clusterName} in ${binding.region}`;
  // ClusterNotFound, Throttled and Transient come from the adapter with their ASL names.
  const cluster = await deps.clusters.describe(binding.region, binding.clusterName);
  if (cluster.status !== 'ACTIVE') {
    throw new ClusterNotActiveError(`The ${where} is ${cluster.status}; bind again once it is ACTIVE`);
  }
  if (!cluster.endpoint || !cluster.caData) {
    throw new ClusterNotActiveError(
      `The ${where} reports no API endpoint or CA yet; bind again once it is ACTIVE`,
    );
  }
  if (!cluster.oidcIssuer) {
    throw new OidcProviderMissingError(
      `The ${where} has no OIDC issuer; IRSA needs one (EKS clusters get one from version 1.13 on)`,
    );
  }
  return {
    status: 'SUCCEEDED',
    detail: `${cluster.name} Kubernetes ${cluster.version} (${cluster.platformVersion}), issuer ${cluster.oidcIssuer}`,
    name: cluster.name,
    region: cluster.region,
    arn: cluster.arn,
    version: cluster.version,
    endpoint: cluster.endpoint,
    caData: cluster.caData,
    oidcIssuer: cluster.oidcIssuer,
  };
}
