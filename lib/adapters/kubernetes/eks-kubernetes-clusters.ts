// Connects to EKS clusters with bearer tokens signed by the broker's own AWS credentials.
import type { ClusterConnection, KubernetesCluster, KubernetesClusters } from '../../ports/kubernetes.js';
import { EksKubernetesCluster } from './eks-kubernetes-cluster.js';
import { EksTokenCache } from './eks-token.js';
import { KubernetesTransport } from './kubernetes-transport.js';

export class EksKubernetesClusters implements KubernetesClusters {
  /** One token cache per process: tokens outlive a single Lambda invocation. */
  constructor(private readonly tokens: EksTokenCache = new EksTokenCache()) {}

  connect(cluster: ClusterConnection): KubernetesCluster {
    return new EksKubernetesCluster(
      new KubernetesTransport(cluster, () => this.tokens.get(cluster.name, cluster.region)),
    );
  }
}
