// The cluster an unbind step talks to: the bind execution's own facts during a rollback, else a fresh
// DescribeCluster. A cluster that no longer exists took its ServiceAccounts and pods with it.
import type { Binding } from '../../domain/binding.js';
import { ClusterNotActiveError, ClusterNotFoundError } from '../../domain/errors.js';
import type { EksClusters } from '../../ports/eks.js';
import type { ClusterConnection } from '../../ports/kubernetes.js';
import type { UnbindState } from './unbind-state.js';

export type ClusterReach =
  | { kind: 'connected'; connection: ClusterConnection }
  | { kind: 'gone'; why: string };

export async function reachCluster(
  binding: Binding,
  state: UnbindState,
  deps: { clusters: EksClusters },
): Promise<ClusterReach> {
  if (state.cluster) return { kind: 'connected', connection: state.cluster };
  if (state.phase === 'rollback') {
    // DescribeCluster did not succeed: the bind never reached the cluster, so it created nothing there.
    return { kind: 'gone', why: 'the bind never reached the cluster, so it created nothing there' };
  }
  try {
    const cluster = await deps.clusters.describe(binding.region, binding.clusterName);
    if (!cluster.endpoint || !cluster.caData) {
      throw new ClusterNotActiveError(
        `Cluster ${binding.clusterName} in ${binding.region} is ${cluster.status} and serves no API endpoint; ` +
          'delete the binding again once it is ACTIVE',
      );
    }
    return {
      kind: 'connected',
      connection: {
        name: cluster.name,
        region: cluster.region,
        endpoint: cluster.endpoint,
        caData: cluster.caData,
      },
    };
  } catch (error) {
    if (!(error instanceof ClusterNotFoundError)) throw error;
    return {
      kind: 'gone',
      why: `cluster ${binding.clusterName} in ${binding.region} no longer exists, nor do its objects`,
    };
  }
}
