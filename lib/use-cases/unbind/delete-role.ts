// DeleteRole / RollbackRole: deletes the IAM role only when irsa-broker created it for this binding: under
// the broker's role path and tagged with this binding's id. Ownership is read again right before the
// delete; a role tagged for another binding, or by no one, is never touched.
import type { Binding } from '../../domain/binding.js';
import { ownerOf } from '../../domain/ownership.js';
import type { IamRoles, RoleState, TargetAccounts } from '../../ports/iam.js';
import { deleteTargetRole, type TargetRoleDeps } from '../bind/ensure-target-role.js';
import type { UnbindOutcome } from './unbind-state.js';

const policiesCount = (n: number) => `${n} managed ${n === 1 ? 'policy' : 'policies'}`;

export interface DeleteRoleDeps {
  roles: IamRoles;
  /** IAM in a target role's account: a target role this binding created goes with its role. */
  targetAccounts: TargetAccounts;
  config: TargetRoleDeps['config'];
}

/** Why the role is not this binding's to delete, or undefined when it is. */
function notOurs(role: RoleState, binding: Binding, rolePath: string): string | undefined {
  if (role.path !== rolePath) {
    return `IAM role ${role.name} is on path ${role.path}, not irsa-broker's ${rolePath}; left unchanged`;
  }
  const owner = ownerOf(role.tags, binding.id);
  if (owner.kind === 'other-binding') {
    return `IAM role ${role.name} is tagged for binding ${owner.bindingId}, not this one; left unchanged`;
  }
  if (owner.kind === 'no-one') {
    return `IAM role ${role.name} carries no irsa-broker ownership tags (irsa-broker did not create it); left unchanged`;
  }
  return undefined;
}

export async function deleteRole(
  binding: Binding,
  roleName: string,
  deps: DeleteRoleDeps,
): Promise<UnbindOutcome> {
  // The target role first: it is this binding's alone, whatever became of the binding's own role.
  const target = await deleteTargetRole(binding, deps);
  const outcome = await deleteOwnRole(binding, roleName, deps);
  if (target.detail === '') return outcome;
  return {
    status: target.deleted ? 'SUCCEEDED' : outcome.status,
    detail: `${outcome.detail}${target.detail}`,
  };
}

async function deleteOwnRole(
  binding: Binding,
  roleName: string,
  deps: DeleteRoleDeps,
): Promise<UnbindOutcome> {
  const role = await deps.roles.get(roleName);
  if (!role) return { status: 'SKIPPED', detail: `IAM role ${roleName} does not exist` };
  const refused = notOurs(role, binding, deps.config.rolePath);
  if (refused) return { status: 'SKIPPED', detail: refused };

  for (const policyArn of role.attachedPolicyArns) await deps.roles.detachPolicy(role.name, policyArn);
  // Tags can change while we detach (a new binding taking the role over): decide again before deleting.
  const current = await deps.roles.get(roleName);
  if (!current)
    return {
      status: 'SUCCEEDED',
      detail: `detached ${policiesCount(role.attachedPolicyArns.length)}; the role was deleted meanwhile`,
    };
  const refusedNow = notOurs(current, binding, deps.config.rolePath);
  if (refusedNow) return { status: 'SKIPPED', detail: `${refusedNow} (it changed hands while detaching)` };
  await deps.roles.delete(current.name);
  const detached = role.attachedPolicyArns.length;
  return {
    status: 'SUCCEEDED',
    detail: `deleted IAM role ${current.arn}${detached > 0 ? ` after detaching ${policiesCount(detached)}` : ''}`,
  };
}
