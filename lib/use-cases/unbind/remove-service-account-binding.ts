// RemoveServiceAccountBinding / RollbackServiceAccount: takes back what this binding put on the
// ServiceAccount. A ServiceAccount the binding created and nobody else has fields in is deleted; otherwise
// irsa-broker gives up its fields by server-side apply (the role-arn annotation and the webhook settings
// go, whatever other managers own stays). An annotation naming another role, or owned by another field
// manager, is left alone.
import type { Binding } from '../../domain/binding.js';
import { FIELD_MANAGER } from '../../domain/manifests/labels.js';
import { ROLE_ARN_ANNOTATION } from '../../domain/manifests/service-account.js';
import { ownerOf } from '../../domain/ownership.js';
import type { IamRoles } from '../../ports/iam.js';
import type { ClusterConnection, KubernetesClusters } from '../../ports/kubernetes.js';
import { managersOwning, otherManagers } from './managed-fields.js';
import type { UnbindOutcome } from './unbind-state.js';

export interface ServiceAccountBindingFacts {
  /** The role ARN this binding annotated the ServiceAccount with; undefined when it never got that far. */
  roleArn: string | undefined;
  /** Whether this binding created the ServiceAccount. */
  created: boolean;
}

function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}

export async function removeServiceAccountBinding(
  binding: Binding,
  connection: ClusterConnection,
  facts: ServiceAccountBindingFacts,
  deps: { kubernetes: KubernetesClusters; roles: Pick<IamRoles, 'get'> },
): Promise<UnbindOutcome> {
  const { namespace, serviceAccountName: name } = binding;
  const where = `ServiceAccount ${namespace}/${name}`;
  if (!facts.roleArn) {
    return { status: 'SKIPPED', detail: `the binding never had a role, so it never annotated ${where}` };
  }
  const k8s = deps.kubernetes.connect(connection);
  const ref = { apiVersion: 'v1', kind: 'ServiceAccount', namespace, name };
  const account = await k8s.get(ref);
  if (!account) return { status: 'SKIPPED', detail: `${where} does not exist` };

  const annotation = account.metadata.annotations?.[ROLE_ARN_ANNOTATION];
  if (annotation !== undefined && annotation !== facts.roleArn) {
    return {
      status: 'SKIPPED',
      detail: `${where} is annotated with ${annotation}, not this binding's role ${facts.roleArn}; left unchanged`,
    };
  }
  if (annotation !== undefined) {
    // A newer binding for the same service account may have taken the role over (same derived name):
    // the annotation is then its, not ours.
    const role = await deps.roles.get(roleNameOf(annotation));
    const owner = role ? ownerOf(role.tags, binding.id) : undefined;
    if (owner?.kind === 'other-binding') {
      return {
        status: 'SKIPPED',
        detail: `${where}'s role ${annotation} now belongs to binding ${owner.bindingId}; left unchanged`,
      };
    }
  }
  const others = otherManagers(account, FIELD_MANAGER);
  if (facts.created && others.length === 0) {
    await k8s.delete(ref);
    return { status: 'SUCCEEDED', detail: `deleted ${where} (this binding created it)` };
  }
  if (annotation === undefined) {
    return { status: 'SKIPPED', detail: `${where} carries no ${ROLE_ARN_ANNOTATION} annotation` };
  }
  const owners = managersOwning(account, ['metadata', 'annotations', ROLE_ARN_ANNOTATION]);
  if (!owners.includes(FIELD_MANAGER)) {
    return {
      status: 'SKIPPED',
      detail: `${where}'s ${ROLE_ARN_ANNOTATION} is managed by ${owners.join(', ') || 'an unknown manager'}, not irsa-broker; left unchanged`,
    };
  }
  // An apply that names none of our fields releases them all; fields no one else owns are removed.
  const applied = await k8s.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  });
  const left = applied.metadata.annotations?.[ROLE_ARN_ANNOTATION];
  const kept =
    left === undefined
      ? ''
      : ` (the annotation stays: ${owners.filter((o) => o !== FIELD_MANAGER).join(', ')} also set it)`;
  return {
    status: 'SUCCEEDED',
    detail: `removed irsa-broker's annotations from ${where}${kept}; ${
      facts.created
        ? `kept the ServiceAccount: ${others.join(', ')} also manage it`
        : 'it existed before the binding'
    }`,
  };
}
