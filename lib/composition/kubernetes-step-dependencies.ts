// The Kubernetes part of the step Lambdas' dependencies: kept apart so that steps that never call a
// cluster do not bundle the client.
import { EksKubernetesClusters } from '../adapters/kubernetes/eks-kubernetes-clusters.js';
import { systemClock } from '../adapters/system/system-clock.js';
import type { KubernetesClusters } from '../ports/kubernetes.js';
import { RetryingKubernetesClusters } from './retrying-kubernetes-clusters.js';
import { processShared } from './step-dependencies.js';

export function kubernetesDependencies(): { kubernetes: KubernetesClusters } {
  return processShared('kubernetes', () => ({
    kubernetes: new RetryingKubernetesClusters(new EksKubernetesClusters(), systemClock),
  }));
}
