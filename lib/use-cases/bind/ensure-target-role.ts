// The Pod Identity target role in its own account, reached through irsa-broker's access role there:
// created with the binding's policies and a trust admitting exactly the binding's role, or reconciled when
// this binding owns it. A role irsa-broker did not create is never changed: when the binding may name one
// (allowExistingTargetRole), its trust is read and must admit the binding's role; otherwise RoleConflict.
import { ACTIVE_STATUSES, type Binding, type DriftItem } from '../../domain/binding.js';
import {
  InputError,
  RoleConflictError,
  TargetRoleUntrustedError,
  TransientError,
} from '../../domain/errors.js';
import {
  assertNoDeniedPolicy,
  assertPolicyDoesNotGrantIam,
  assertRolePlacement,
} from '../../domain/guardrails.js';
import { ownerOf, ownershipTags } from '../../domain/ownership.js';
import {
  parseTargetRoleArn,
  type TargetRoleRef,
  targetBoundaryArn,
  targetRoleTrustPolicy,
  trustAdmitsRole,
} from '../../domain/target-role.js';
import { samePolicy } from '../../domain/trust-policy.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { RoleState, TargetAccountIam, TargetAccounts } from '../../ports/iam.js';

export interface TargetRoleDeps {
  targetAccounts: TargetAccounts;
  store: Pick<BindingStore, 'get'>;
  config: {
    rolePath: string;
    roleNamePrefix: string;
    permissionsBoundaryArn: string;
    deniedPolicyArns: readonly string[];
  };
}

/** How this binding relates to an existing target role. */
type Claim = { kind: 'ours'; takenOver: string } | { kind: 'foreign'; whose: string };

async function claimOf(role: RoleState, binding: Binding, store: TargetRoleDeps['store']): Promise<Claim> {
  const owner = ownerOf(role.tags, binding.id);
  if (owner.kind === 'this-binding') return { kind: 'ours', takenOver: '' };
  if (owner.kind === 'other-binding') {
    const previous = await store.get(owner.bindingId);
    if (!previous || !ACTIVE_STATUSES.includes(previous.status)) {
      return {
        kind: 'ours',
        takenOver: `taken over from binding ${owner.bindingId} (${previous?.status ?? 'gone'}), `,
      };
    }
    return {
      kind: 'foreign',
      whose: `it belongs to irsa-broker binding ${owner.bindingId}, which is still active`,
    };
  }
  return { kind: 'foreign', whose: 'irsa-broker did not create it' };
}

/** The trust check of a role that is not ours; throws TargetRoleUntrusted with the statement to add. */
export function assertTrusted(role: RoleState, bindingRoleArn: string, bindingAccount: string): string {
  const verdict = trustAdmitsRole(role.trustPolicy, bindingRoleArn, bindingAccount);
  if (!verdict.admits) {
    const statement = JSON.stringify((targetRoleTrustPolicy(bindingRoleArn).Statement as unknown[])[0]);
    throw new TargetRoleUntrustedError(
      `Target role ${role.arn} does not trust the binding's role: ${verdict.why}. EKS Pod Identity chains ` +
        `into it with sts:AssumeRole and sts:TagSession; its owner must add to its trust policy ${statement}`,
    );
  }
  return verdict.unevaluated.length > 0 ? `; conditions left to STS: ${verdict.unevaluated.join(', ')}` : '';
}

function desiredTags(binding: Binding) {
  return { ...binding.tags, ...ownershipTags(binding.id) };
}

async function reconcile(
  iam: TargetAccountIam,
  role: RoleState,
  binding: Binding,
  bindingRoleArn: string,
  boundaryArn: string,
): Promise<string[]> {
  const changes: string[] = [];
  if (role.permissionsBoundaryArn !== boundaryArn) {
    await iam.roles.setPermissionsBoundary(role.name, boundaryArn);
    changes.push('permissions boundary');
  }
  const trust = targetRoleTrustPolicy(bindingRoleArn);
  if (!samePolicy(role.trustPolicy, trust)) {
    await iam.roles.updateTrustPolicy(role.name, trust);
    changes.push('trust policy');
  }
  const tags = desiredTags(binding);
  const stale = Object.entries(tags).filter(([key, value]) => role.tags[key] !== value);
  if (stale.length > 0) {
    await iam.roles.tag(role.name, Object.fromEntries(stale));
    changes.push('tags');
  }
  const dropped = (binding.droppedTagKeys ?? []).filter((key) => !(key in tags) && key in role.tags);
  if (dropped.length > 0) {
    await iam.roles.untag(role.name, dropped);
    changes.push(`removed tags ${dropped.join(', ')}`);
  }
  for (const arn of role.attachedPolicyArns.filter((a) => !binding.policyArns.includes(a))) {
    await iam.roles.detachPolicy(role.name, arn);
    changes.push(`detached ${arn}`);
  }
  return changes;
}

/** The binding's role ARN's account. */
function accountOf(arn: string): string {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(arn)?.[1] ?? '';
}

/**
 * Makes the target role right for the binding; returns the step detail's part about it. Every check (deny
 * list, policies granting IAM, placement) runs before the first write in the target account.
 */
export async function ensureTargetRole(
  binding: Binding,
  bindingRoleArn: string,
  deps: TargetRoleDeps,
): Promise<string> {
  const target = parseTargetRoleArn(binding.targetRoleArn as string);
  const iam = await deps.targetAccounts.iam(target.account);
  const existing = await iam.roles.get(target.name);
  let takenOver = '';
  if (existing) {
    const claim = await claimOf(existing, binding, deps.store);
    if (claim.kind === 'foreign') return useExisting(existing, claim.whose, binding, bindingRoleArn);
    takenOver = claim.takenOver;
    assertRolePlacement(existing, deps.config);
  } else {
    assertCreatable(target, deps.config);
  }
  assertNoDeniedPolicy(binding.policyArns, deps.config.deniedPolicyArns);
  for (const policyArn of binding.policyArns) {
    assertPolicyDoesNotGrantIam(policyArn, await iam.policies.document(policyArn));
  }
  const boundaryArn = targetBoundaryArn(deps.config.permissionsBoundaryArn, target.account);
  let action: string;
  let role = existing;
  if (role) {
    const changes = await reconcile(iam, role, binding, bindingRoleArn, boundaryArn);
    action = `${takenOver}${changes.length > 0 ? `reconciled (${changes.join(', ')})` : 'unchanged'}`;
  } else {
    role = await createTargetRole(iam, target, binding, bindingRoleArn, boundaryArn, deps);
    action = 'created';
  }
  for (const policyArn of binding.policyArns) await iam.roles.attachPolicy(role.name, policyArn);
  const policies = binding.policyArns.length;
  return `; target role ${role.arn} ${action}${policies > 0 ? ` with ${policies} managed ${policies === 1 ? 'policy' : 'policies'}` : ''}`;
}

function useExisting(role: RoleState, whose: string, binding: Binding, bindingRoleArn: string): string {
  if (!binding.allowExistingTargetRole) {
    throw new RoleConflictError(
      `Target role ${role.arn} already exists and ${whose}; it was left unchanged. Name a role that does not ` +
        'exist yet for irsa-broker to create, or ask the platform team to let your tenant use existing roles ' +
        `in account ${accountOf(role.arn)} (existingTargetRoleAccounts)`,
    );
  }
  if (binding.policyArns.length > 0) {
    throw new RoleConflictError(
      `Target role ${role.arn} already exists and ${whose}, so irsa-broker only checks its trust and attaches ` +
        `nothing to it; it was left unchanged. Drop policyArns (its permissions are its owner's), or name a role ` +
        'that does not exist yet for irsa-broker to create',
    );
  }
  const note = assertTrusted(role, bindingRoleArn, accountOf(bindingRoleArn));
  return `; existing target role ${role.arn} trusts it (not irsa-broker's: only checked${note})`;
}

function assertCreatable(target: TargetRoleRef, config: TargetRoleDeps['config']): void {
  if (target.path !== config.rolePath || !target.name.startsWith(config.roleNamePrefix)) {
    throw new InputError(
      `Target role ${target.arn} does not exist, and irsa-broker creates roles only as ` +
        `arn:aws:iam::${target.account}:role${config.rolePath}${config.roleNamePrefix}* (ROLE_PATH, ROLE_NAME_PREFIX). ` +
        'Name the target role that way, or create it yourself first',
      [
        {
          path: 'targetRoleArn',
          message: `use the path ${config.rolePath} and the prefix ${config.roleNamePrefix}`,
        },
      ],
    );
  }
}

async function createTargetRole(
  iam: TargetAccountIam,
  target: TargetRoleRef,
  binding: Binding,
  bindingRoleArn: string,
  boundaryArn: string,
  deps: TargetRoleDeps,
): Promise<RoleState> {
  try {
    return await iam.roles.create({
      name: target.name,
      path: target.path,
      permissionsBoundaryArn: boundaryArn,
      trustPolicy: targetRoleTrustPolicy(bindingRoleArn),
      tags: desiredTags(binding),
      description: `irsa-broker: Pod Identity target role of binding ${binding.id}`,
    });
  } catch (error) {
    // IAM checks a role ARN principal exists, and the binding's role is seconds old in another account.
    if (error instanceof InputError && /invalid principal/i.test(error.message)) {
      throw new TransientError(`${error.message} (the binding's role is not visible to IAM there yet)`, {
        cause: error,
      });
    }
    if (!(error instanceof RoleConflictError)) throw error;
    // Created by someone since our GetRole: decide by its tags on the next run.
    const now = await iam.roles.get(target.name);
    if (!now) throw error;
    const claim = await claimOf(now, binding, deps.store);
    if (claim.kind === 'foreign') throw error;
    return now;
  }
}

/** DeleteRole / RollbackRole: the target role goes only when this binding owns it. */
export async function deleteTargetRole(
  binding: Binding,
  deps: Pick<TargetRoleDeps, 'targetAccounts' | 'config'>,
): Promise<{ detail: string; deleted: boolean }> {
  if (binding.targetRoleArn === undefined) return { detail: '', deleted: false };
  const target = parseTargetRoleArn(binding.targetRoleArn);
  const iam = await deps.targetAccounts.iam(target.account);
  const role = await iam.roles.get(target.name);
  if (!role) return { detail: `; target role ${target.arn} does not exist`, deleted: false };
  const owner = ownerOf(role.tags, binding.id);
  if (owner.kind !== 'this-binding' || role.path !== deps.config.rolePath) {
    return { detail: `; target role ${target.arn} is not this binding's (left unchanged)`, deleted: false };
  }
  await iam.roles.delete(role.name);
  return { detail: `; deleted target role ${target.arn}`, deleted: true };
}

/**
 * CheckDrift: how the target role differs from what the binding set up (empty: it does not), and whether
 * the pods can still chain into it (it exists and its trust admits the binding's role).
 */
export async function targetRoleDrift(
  binding: Binding,
  bindingRoleArn: string,
  deps: Pick<TargetRoleDeps, 'targetAccounts' | 'config'>,
): Promise<{ drift: DriftItem[]; works: boolean }> {
  if (binding.targetRoleArn === undefined) return { drift: [], works: true };
  const target = parseTargetRoleArn(binding.targetRoleArn);
  const iam = await deps.targetAccounts.iam(target.account);
  const role = await iam.roles.get(target.name);
  if (!role) return { drift: [{ what: 'targetRole', expected: target.arn, actual: null }], works: false };
  const drift: DriftItem[] = [];
  const works = trustAdmitsRole(role.trustPolicy, bindingRoleArn, accountOf(bindingRoleArn)).admits;
  if (ownerOf(role.tags, binding.id).kind !== 'this-binding') {
    // Not ours: only its trust was checked when bound, and only that is checked again.
    if (!works) {
      drift.push({
        what: 'targetRole.trustPolicy',
        expected: `admits ${bindingRoleArn}`,
        actual: role.trustPolicy,
      });
    }
    return { drift, works };
  }
  const trust = targetRoleTrustPolicy(bindingRoleArn);
  if (!samePolicy(role.trustPolicy, trust)) {
    drift.push({ what: 'targetRole.trustPolicy', expected: trust, actual: role.trustPolicy });
  }
  const boundary = targetBoundaryArn(deps.config.permissionsBoundaryArn, target.account);
  if (role.permissionsBoundaryArn !== boundary) {
    drift.push({
      what: 'targetRole.permissionsBoundary',
      expected: boundary,
      actual: role.permissionsBoundaryArn ?? null,
    });
  }
  const attached = [...role.attachedPolicyArns].sort();
  const wanted = [...binding.policyArns].sort();
  if (attached.join('\n') !== wanted.join('\n')) {
    drift.push({ what: 'targetRole.policyArns', expected: wanted, actual: attached });
  }
  return { drift, works };
}
