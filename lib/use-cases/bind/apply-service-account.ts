// ApplyServiceAccount: the ServiceAccount annotated with the role, by server-side apply under irsa-broker's
// field manager; fields another manager owns are never taken.
import type { Binding } from '../../domain/binding.js';
import { NotFoundError, ServiceAccountMissingError, TransientError } from '../../domain/errors.js';
import { buildNamespace } from '../../domain/manifests/namespace.js';
import { buildServiceAccount, ROLE_ARN_ANNOTATION } from '../../domain/manifests/service-account.js';
import type { KubernetesClusters } from '../../ports/kubernetes.js';
import type { ClusterFacts, RoleFacts, ServiceAccountFacts } from './bind-state.js';

export interface ApplyServiceAccountDeps {
  kubernetes: KubernetesClusters;
  config: { createNamespace: boolean };
}

export async function applyServiceAccount(
  binding: Binding,
  cluster: ClusterFacts,
  role: RoleFacts,
  deps: ApplyServiceAccountDeps,
): Promise<ServiceAccountFacts> {
  const k8s = deps.kubernetes.connect(cluster);
  const { namespace, serviceAccountName: name } = binding;
  const notes: string[] = [];

  const existingNamespace = await k8s.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
  if (!existingNamespace) {
    if (!binding.createServiceAccount) {
      throw new ServiceAccountMissingError(
        `Namespace ${namespace} (and so ServiceAccount ${namespace}/${name}) does not exist on cluster ` +
          `${cluster.name}; create the service account, or bind with createServiceAccount: true`,
      );
    }
    if (!deps.config.createNamespace) {
      throw new NotFoundError(
        `Namespace ${namespace} does not exist on cluster ${cluster.name}; create it first, or set CREATE_NAMESPACE=true`,
      );
    }
    await k8s.apply(buildNamespace(namespace));
    notes.push(`created namespace ${namespace}`);
  }

  // Pod Identity needs no annotation: in that mode the apply carries none, and removes ours if a
  // migration's earlier step (both) set it.
  const annotate = (cluster.mode ?? 'irsa') !== 'pod-identity';
  const input = {
    namespace,
    name,
    ...(annotate ? { roleArn: role.arn } : {}),
    ...(binding.stsRegionalEndpoints === undefined
      ? {}
      : { stsRegionalEndpoints: binding.stsRegionalEndpoints }),
    ...(binding.tokenExpirationSeconds === undefined
      ? {}
      : { tokenExpirationSeconds: binding.tokenExpirationSeconds }),
    ...(binding.audience === undefined ? {} : { audience: binding.audience }),
  };
  // Whether it exists decides, at unbind, between deleting the ServiceAccount and removing our annotation.
  const existing = await k8s.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace, name });
  if (!binding.createServiceAccount) {
    if (!existing) {
      throw new ServiceAccountMissingError(
        `ServiceAccount ${namespace}/${name} does not exist on cluster ${cluster.name}; create it, ` +
          'or bind with createServiceAccount: true',
      );
    }
  }
  // No force: a FieldOwnershipConflict (another manager owns the annotation) fails the step as it should.
  const applied = await k8s.apply(
    buildServiceAccount(input, { annotateOnly: !binding.createServiceAccount }),
  );
  const annotation = applied.metadata.annotations?.[ROLE_ARN_ANNOTATION];
  if (annotate && annotation !== role.arn) {
    throw new TransientError(
      `ServiceAccount ${namespace}/${name} reads ${ROLE_ARN_ANNOTATION}=${annotation ?? '(none)'} after the apply, expected ${role.arn}`,
    );
  }
  if (annotate) {
    notes.push(
      `${binding.createServiceAccount ? 'applied' : 'annotated'} ${namespace}/${name} with ${role.arn}`,
    );
  } else {
    const foreign =
      annotation === undefined
        ? ''
        : ` (its ${ROLE_ARN_ANNOTATION}=${annotation} is someone else's and stays)`;
    notes.push(
      `${existing ? 'kept' : 'created'} ${namespace}/${name}, no role annotation: Pod Identity's association names it${foreign}`,
    );
  }
  return { status: 'SUCCEEDED', detail: notes.join('; '), namespace, name, created: existing === undefined };
}
