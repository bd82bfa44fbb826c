// What a binding may have left in the sandbox: its IAM role, its ServiceAccount and its test pods, read
// from the simulated account and cluster state (what an operator would find with the AWS CLI and kubectl).
import { GetRoleCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import type { BindingView, TestSystem } from '../e2e/system.js';

export interface Leftovers {
  role: boolean;
  serviceAccount: boolean;
  pods: string[];
}

type StoredObject = { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };

function clusterObjects(system: TestSystem, clusterName: string): Record<string, StoredObject> {
  const cluster = system.cloud.clusters.get(clusterName);
  if (!cluster) throw new Error(`no sandbox cluster ${clusterName}`);
  const snapshot = cluster.snapshot() as { store?: { objects?: Record<string, StoredObject> } };
  return snapshot.store?.objects ?? {};
}

/** The binding's role (by its name), ServiceAccount and pods running as that ServiceAccount, if any remain. */
export async function leftovers(system: TestSystem, view: BindingView): Promise<Leftovers> {
  const binding = {
    clusterName: String(view.clusterName),
    namespace: String(view.namespace),
    serviceAccountName: String(view.serviceAccountName),
    roleName: typeof view.roleName === 'string' ? view.roleName : undefined,
  };
  if (!binding.roleName) throw new Error(`binding ${view.id} names no role: ${JSON.stringify(view)}`);
  let role = false;
  if (binding.roleName) {
    try {
      await system.iam.send(new GetRoleCommand({ RoleName: binding.roleName }));
      role = true;
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
  }
  const objects = clusterObjects(system, binding.clusterName);
  const serviceAccount = `/serviceaccounts/${binding.namespace}/${binding.serviceAccountName}` in objects;
  const pods = Object.entries(objects)
    .filter(([key, object]) => {
      if (!key.startsWith(`/pods/${binding.namespace}/`)) return false;
      return JSON.stringify(object).includes(`"serviceAccountName":"${binding.serviceAccountName}"`);
    })
    .map(([key]) => key);
  return { role, serviceAccount, pods };
}
