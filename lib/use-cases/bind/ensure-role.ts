// EnsureRole: the IAM role the service account assumes, with the exact IRSA trust policy, the
// permissions boundary and the requested managed policies. Creates it, or reconciles a role this
// binding owns (or inherits from a binding that no longer holds it); never touches any other.
// Every guardrail (deny-list, no policy granting IAM, exact trust, length, path and prefix) is checked
// before the first IAM write.
import { ACTIVE_STATUSES, type Binding, type BindingMode, usesIrsa } from '../../domain/binding.js';
import { RoleConflictError } from '../../domain/errors.js';
import {
  assertExactTrustPolicy,
  assertNoDeniedPolicy,
  assertPolicyDoesNotGrantIam,
  assertRolePlacement,
} from '../../domain/guardrails.js';
import { ownerOf, ownershipTags } from '../../domain/ownership.js';
import {
  buildBindingTrustPolicy,
  samePolicy,
  TARGET_ROLE_POLICY_NAME,
  type TrustPolicy,
  targetRolePolicy,
} from '../../domain/trust-policy.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { IamManagedPolicies, IamRoles, RoleState, Tags, TargetAccounts } from '../../ports/iam.js';
import type { ClusterFacts, OidcProviderFacts, RoleFacts } from './bind-state.js';
import { ensureTargetRole } from './ensure-target-role.js';

export interface EnsureRoleDeps {
  roles: IamRoles;
  /** To read what each requested policy grants before it is attached. */
  policies: IamManagedPolicies;
  /** To tell whether the binding that owns an existing role still holds it. */
  store: Pick<BindingStore, 'get'>;
  /** IAM in a target role's account (bindings with a targetRoleArn). */
  targetAccounts: TargetAccounts;
  config: {
    rolePath: string;
    roleNamePrefix: string;
    permissionsBoundaryArn: string;
    deniedPolicyArns: readonly string[];
  };
}

function desiredTags(binding: Binding): Tags {
  // Ownership tags last: a caller's tag must not be able to claim or disown the role.
  return { ...binding.tags, ...ownershipTags(binding.id) };
}

/**
 * Whether this binding may manage `role`: its own, or one a binding that no longer holds its service
 * account made (FAILED or DELETED: a new binding for the same service account takes its role over).
 * Returns how it came to own it; throws RoleConflict otherwise.
 */
async function claimRole(role: RoleState, binding: Binding, store: EnsureRoleDeps['store']): Promise<string> {
  const owner = ownerOf(role.tags, binding.id);
  if (owner.kind === 'this-binding') return '';
  if (owner.kind === 'other-binding') {
    const previous = await store.get(owner.bindingId);
    if (!previous || !ACTIVE_STATUSES.includes(previous.status)) {
      return `taken over from binding ${owner.bindingId} (${previous?.status ?? 'gone'}), `;
    }
  }
  const whose =
    owner.kind === 'other-binding'
      ? `it belongs to irsa-broker binding ${owner.bindingId}, which is still active`
      : 'irsa-broker did not create it';
  throw new RoleConflictError(
    `IAM role ${role.name} (${role.arn}) already exists and ${whose}; it was left unchanged. ` +
      'Choose another roleName, or remove that role first',
  );
}

/**
 * The managed policies the binding's own role carries: the requested ones, unless the pods chain into a
 * target role, which then carries them (the first role only needs to assume it).
 */
export function ownPolicyArns(binding: Pick<Binding, 'policyArns' | 'targetRoleArn'>): string[] {
  return binding.targetRoleArn === undefined ? binding.policyArns : [];
}

/** Makes an owned role match the binding; returns what changed. */
async function reconcile(
  role: RoleState,
  binding: Binding,
  trustPolicy: TrustPolicy,
  deps: Pick<EnsureRoleDeps, 'roles' | 'config'>,
): Promise<string[]> {
  const { roles } = deps;
  const changes: string[] = [];
  if (role.permissionsBoundaryArn !== deps.config.permissionsBoundaryArn) {
    await roles.setPermissionsBoundary(role.name, deps.config.permissionsBoundaryArn);
    changes.push('permissions boundary');
  }
  if (!samePolicy(role.trustPolicy, trustPolicy)) {
    await roles.updateTrustPolicy(role.name, trustPolicy as unknown as Record<string, unknown>);
    changes.push('trust policy');
  }
  const tags = desiredTags(binding);
  const staleTags = Object.entries(tags).filter(([key, value]) => role.tags[key] !== value);
  if (staleTags.length > 0) {
    await roles.tag(role.name, Object.fromEntries(staleTags));
    changes.push('tags');
  }
  // Only keys an update of this binding dropped (kept on it until a run succeeds): tags others put on the
  // role are not ours to remove.
  const droppedTags = (binding.droppedTagKeys ?? []).filter((key) => !(key in tags) && key in role.tags);
  if (droppedTags.length > 0) {
    await roles.untag(role.name, droppedTags);
    changes.push(`removed tags ${droppedTags.join(', ')}`);
  }
  const change: { description?: string; maxSessionDuration?: number } = {};
  if (binding.description !== undefined && binding.description !== role.description) {
    change.description = binding.description;
  }
  if (binding.maxSessionDuration !== undefined && binding.maxSessionDuration !== role.maxSessionDuration) {
    change.maxSessionDuration = binding.maxSessionDuration;
  }
  if (Object.keys(change).length > 0) {
    await roles.update(role.name, change);
    changes.push(Object.keys(change).join(' and '));
  }
  const wanted = ownPolicyArns(binding);
  for (const arn of role.attachedPolicyArns.filter((a) => !wanted.includes(a))) {
    await roles.detachPolicy(role.name, arn);
    changes.push(`detached ${arn}`);
  }
  return changes;
}

/** The account of a cluster, from its ARN (`arn:aws:eks:<region>:<account>:cluster/<name>`). */
export function clusterAccount(clusterArn: string): string {
  const account = /^arn:[^:]+:eks:[^:]+:(\d{12}):cluster\//.exec(clusterArn)?.[1];
  if (!account) throw new Error(`${clusterArn} is not an EKS cluster ARN`);
  return account;
}

/** The exact trust of the binding in `mode`: what EnsureRole applies and the drift check expects. */
export function bindingTrust(
  binding: Binding,
  cluster: Pick<ClusterFacts, 'arn' | 'oidcIssuer'>,
  mode: BindingMode,
  oidcProviderArn: string | undefined,
): { policy: TrustPolicy; expected: Parameters<typeof assertExactTrustPolicy>[1] } {
  const who = { namespace: binding.namespace, serviceAccountName: binding.serviceAccountName };
  const podIdentity = { accountId: clusterAccount(cluster.arn), clusterArn: cluster.arn };
  if (usesIrsa(mode) && !oidcProviderArn) {
    throw new Error(`A ${mode} binding needs the OIDC provider EnsureOidcProvider found`);
  }
  const irsa = usesIrsa(mode)
    ? {
        oidcProviderArn: oidcProviderArn as string,
        issuer: cluster.oidcIssuer,
        ...who,
        ...(binding.audience === undefined ? {} : { audience: binding.audience }),
      }
    : undefined;
  const policy = buildBindingTrustPolicy({
    mode,
    ...(irsa ? { irsa } : {}),
    podIdentity: { ...podIdentity, ...who },
  });
  return { policy, expected: { mode, ...who, ...(irsa ?? {}), podIdentity } };
}

export async function ensureRole(
  binding: Binding,
  cluster: ClusterFacts,
  oidcProvider: OidcProviderFacts | undefined,
  deps: EnsureRoleDeps,
): Promise<RoleFacts> {
  const { rolePath, permissionsBoundaryArn } = deps.config;
  assertRolePlacement({ name: binding.roleName }, deps.config);
  assertNoDeniedPolicy(binding.policyArns, deps.config.deniedPolicyArns);
  const mode = cluster.mode ?? 'irsa';
  const { policy: trustPolicy, expected } = bindingTrust(binding, cluster, mode, oidcProvider?.arn);
  assertExactTrustPolicy(trustPolicy, expected);
  // Read every policy before the first write, so a refused one leaves nothing half made.
  for (const policyArn of ownPolicyArns(binding)) {
    assertPolicyDoesNotGrantIam(policyArn, await deps.policies.document(policyArn));
  }

  let role = await deps.roles.get(binding.roleName);
  let action: string;
  if (role) {
    const claim = await claimRole(role, binding, deps.store);
    assertRolePlacement(role, deps.config);
    const changes = await reconcile(role, binding, trustPolicy, deps);
    action = claim + (changes.length > 0 ? `reconciled (${changes.join(', ')})` : 'unchanged');
  } else {
    try {
      role = await deps.roles.create({
        name: binding.roleName,
        path: rolePath,
        permissionsBoundaryArn,
        trustPolicy: trustPolicy as unknown as Record<string, unknown>,
        tags: desiredTags(binding),
        ...(binding.description === undefined ? {} : { description: binding.description }),
        ...(binding.maxSessionDuration === undefined
          ? {}
          : { maxSessionDuration: binding.maxSessionDuration }),
      });
      action = 'created';
    } catch (error) {
      // Someone created a role by that name since our GetRole: decide by its tags, as above.
      if (!(error instanceof RoleConflictError)) throw error;
      role = await deps.roles.get(binding.roleName);
      if (!role) throw error;
      const claim = await claimRole(role, binding, deps.store);
      assertRolePlacement(role, deps.config);
      const changes = await reconcile(role, binding, trustPolicy, deps);
      action = claim + (changes.length > 0 ? `reconciled (${changes.join(', ')})` : 'unchanged');
    }
  }
  // Attaching is idempotent; attach every one so a retry after a partial failure completes the set.
  for (const policyArn of ownPolicyArns(binding)) {
    await deps.roles.attachPolicy(role.name, policyArn);
  }
  let target = '';
  if (binding.targetRoleArn !== undefined) {
    // Across accounts the role needs its own permission to assume the target; the target's trust decides.
    const wanted = targetRolePolicy(binding.targetRoleArn);
    const current = await deps.roles.getInlinePolicy(role.name, TARGET_ROLE_POLICY_NAME);
    if (!current || !samePolicy(current, wanted)) {
      await deps.roles.putInlinePolicy(role.name, TARGET_ROLE_POLICY_NAME, wanted);
      target = `; may assume target role ${binding.targetRoleArn}`;
    }
    target += await ensureTargetRole(binding, role.arn, deps);
  }
  return {
    status: 'SUCCEEDED',
    detail: `${action} ${role.arn}${target}`,
    name: role.name,
    arn: role.arn,
    trustPolicy,
  };
}
