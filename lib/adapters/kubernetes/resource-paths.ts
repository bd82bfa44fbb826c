// REST paths of the kinds the broker touches. A fixed table instead of discovery: one fewer
// round trip per call, and a kind we never meant to touch fails loudly.
import { InputError } from '../../domain/errors.js';
import type { KindRef } from '../../ports/kubernetes.js';

interface Resource {
  plural: string;
  namespaced: boolean;
}

const RESOURCES: Record<string, Resource> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  Secret: { plural: 'secrets', namespaced: true },
  ConfigMap: { plural: 'configmaps', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  Pod: { plural: 'pods', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  MutatingWebhookConfiguration: { plural: 'mutatingwebhookconfigurations', namespaced: false },
  CertificateSigningRequest: { plural: 'certificatesigningrequests', namespaced: false },
  // Read only: the test pod's warning events explain a failed verification.
  Event: { plural: 'events', namespaced: true },
};

/** `/api/v1` for the core group, `/apis/<group>/<version>` otherwise. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The collection path of a kind (in `namespace` when namespaced), plus `/<name>` when named. */
export function resourcePath(kind: KindRef, namespace?: string, name?: string): string {
  const resource = RESOURCES[kind.kind];
  if (!resource) {
    throw new InputError(
      `irsa-broker does not manage Kubernetes kind ${kind.kind}; supported: ${Object.keys(RESOURCES).join(', ')}.`,
    );
  }
  if (resource.namespaced && !namespace && name !== undefined) {
    throw new InputError(`${kind.kind} ${name} needs metadata.namespace: it is a namespaced kind.`, [
      { path: 'metadata.namespace', message: 'required for namespaced kinds' },
    ]);
  }
  const scope = resource.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  return `${groupVersionPath(kind.apiVersion)}${scope}/${resource.plural}${tail}`;
}
