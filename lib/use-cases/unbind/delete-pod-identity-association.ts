// DeletePodIdentityAssociation (unbind) / RollbackPodIdentityAssociation (rollback): removes the EKS Pod
// Identity association this binding made, before its role goes; one it does not own (by its tags) stays.
import { type Binding, effectiveMode, usesPodIdentity } from '../../domain/binding.js';
import { NotFoundError } from '../../domain/errors.js';
import { ownerOf } from '../../domain/ownership.js';
import type { EksPodIdentity, PodIdentityAssociation } from '../../ports/eks.js';
import type { UnbindOutcome, UnbindState } from './unbind-state.js';

export interface DeleteAssociationDeps {
  podIdentity: Pick<EksPodIdentity, 'describeAssociation' | 'findAssociation' | 'deleteAssociation'>;
}

async function find(binding: Binding, state: UnbindState, deps: DeleteAssociationDeps) {
  const { region, clusterName, namespace, serviceAccountName } = binding;
  const ref = state.association?.association ?? binding.outputs?.podIdentityAssociation;
  if (ref) return deps.podIdentity.describeAssociation(region, clusterName, ref.associationId);
  // A create whose answer was lost leaves no id behind: look it up by service account.
  return deps.podIdentity.findAssociation(region, clusterName, namespace, serviceAccountName);
}

export async function deletePodIdentityAssociation(
  binding: Binding,
  state: UnbindState,
  deps: DeleteAssociationDeps,
): Promise<UnbindOutcome> {
  const mode = state.cluster?.mode ?? effectiveMode(binding);
  if (!usesPodIdentity(mode) && !binding.outputs?.podIdentityAssociation) {
    return { status: 'SKIPPED', detail: `${mode} mode: no Pod Identity association` };
  }
  let association: PodIdentityAssociation | undefined;
  try {
    association = await find(binding, state, deps);
  } catch (error) {
    // The cluster itself is gone, and its associations with it.
    if (error instanceof NotFoundError) return { status: 'SKIPPED', detail: error.message };
    throw error;
  }
  if (!association) return { status: 'SKIPPED', detail: 'no Pod Identity association left to delete' };
  const owner = ownerOf(association.tags, binding.id);
  if (owner.kind !== 'this-binding') {
    return {
      status: 'SKIPPED',
      detail: `association ${association.associationId} of ${association.namespace}/${association.serviceAccount} is not this binding's (${owner.kind === 'other-binding' ? `binding ${owner.bindingId}` : 'not made by irsa-broker'}); left unchanged`,
    };
  }
  const deleted = await deps.podIdentity.deleteAssociation(
    binding.region,
    binding.clusterName,
    association.associationId,
  );
  return deleted
    ? {
        status: 'SUCCEEDED',
        detail: `deleted association ${association.associationId} (role ${association.roleArn})`,
      }
    : { status: 'SKIPPED', detail: `association ${association.associationId} was already gone` };
}
