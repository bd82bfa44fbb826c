// DeleteTestPods / RollbackTestPods: removes the verification pods this binding left behind, found by the
// labels irsa-broker put on them (its binding id and managed-by irsa-broker) and nothing else.
import type { Binding } from '../../domain/binding.js';
import { NotFoundError } from '../../domain/errors.js';
import { BINDING_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../domain/manifests/labels.js';
import type { ClusterConnection, KubernetesClusters } from '../../ports/kubernetes.js';
import type { UnbindOutcome } from './unbind-state.js';

export async function deleteTestPods(
  binding: Binding,
  connection: ClusterConnection,
  deps: { kubernetes: KubernetesClusters },
): Promise<UnbindOutcome> {
  const k8s = deps.kubernetes.connect(connection);
  const selector = `${BINDING_LABEL}=${binding.id},${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;
  let pods: Awaited<ReturnType<typeof k8s.list>>;
  try {
    pods = await k8s.list(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: binding.namespace, labelSelector: selector },
    );
  } catch (error) {
    if (error instanceof NotFoundError)
      return { status: 'SKIPPED', detail: `namespace ${binding.namespace} is gone` };
    throw error;
  }
  const deleted: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name;
    if (!name) continue;
    if (await k8s.delete({ apiVersion: 'v1', kind: 'Pod', namespace: binding.namespace, name }))
      deleted.push(name);
  }
  if (deleted.length === 0) return { status: 'SKIPPED', detail: 'no test pods of this binding left' };
  return {
    status: 'SUCCEEDED',
    detail: `deleted ${deleted.length} test pod(s) in ${binding.namespace}: ${deleted.join(', ')}`,
  };
}
