// Who may bind what: callers map to tenants (or to admin), tenants to clusters, namespaces and policies.
// Pure rules over an already validated policy; lib/config/access-config.ts reads and validates the document.
import type { Binding } from './binding.js';
import { InputError, NotAllowedError } from './errors.js';
import { accountOfArn } from './names.js';

export interface TenantRules {
  name: string;
  /** Callers of this tenant: by `sub` claim or by group membership. */
  subjects: readonly string[];
  groups: readonly string[];
  /** EKS cluster names the tenant may bind on. */
  clusters: readonly string[];
  /** Namespace patterns; `*` matches any run of namespace characters (`team-a-*`). */
  namespaces: readonly string[];
  policyArns: { exact: readonly string[]; prefixes: readonly string[] };
  maxPoliciesPerRole: number;
  allowInlinePolicies: boolean;
  allowWildcardSubjects: boolean;
  /** Accounts whose roles the tenant may name as a Pod Identity targetRoleArn; none by default. */
  targetAccounts: readonly string[];
  /**
   * Of those, the accounts where the tenant may name a role irsa-broker did not create (its trust is then
   * only checked, never changed); elsewhere irsa-broker creates the target role. None by default.
   */
  existingTargetRoleAccounts: readonly string[];
}

export interface TenantPolicy {
  /** Name of the claim carrying the caller's groups (e.g. `groups`, `cognito:groups`). */
  groupsClaim: string;
  admins: { subjects: readonly string[]; groups: readonly string[] };
  tenants: readonly TenantRules[];
}

/** The verified identity of a request, as the JWT authorizer (or the local one) saw it. */
export interface CallerClaims {
  subject: string;
  groups: readonly string[];
}

export interface Caller {
  subject: string;
  admin: boolean;
  /** Names of the tenants the caller acts for, in policy order. */
  tenants: readonly string[];
}

/** What the tenant rules look at in a create request. */
export interface BindRequestView {
  clusterName: string;
  namespace: string;
  serviceAccountName: string;
  policyArns: readonly string[];
  /** Whether the request carries inline policy documents. */
  hasInlinePolicies: boolean;
  /** A Pod Identity target role the request names. */
  targetRoleArn?: string;
}

/** The parts of a validated create request the rules read; inline policies count when present at all. */
export function bindRequestView(
  request: Pick<
    BindRequestView,
    'clusterName' | 'namespace' | 'serviceAccountName' | 'policyArns' | 'targetRoleArn'
  >,
): BindRequestView {
  const extra = request as unknown as Record<string, unknown>;
  const inline = extra.inlinePolicies ?? extra.inlinePolicy;
  return {
    clusterName: request.clusterName,
    namespace: request.namespace,
    serviceAccountName: request.serviceAccountName,
    policyArns: request.policyArns,
    ...(request.targetRoleArn === undefined ? {} : { targetRoleArn: request.targetRoleArn }),
    hasInlinePolicies:
      inline !== undefined &&
      inline !== null &&
      !(typeof inline === 'object' && Object.keys(inline).length === 0),
  };
}

export function resolveCaller(claims: CallerClaims, policy: TenantPolicy): Caller {
  const inGroup = (groups: readonly string[]) => claims.groups.some((group) => groups.includes(group));
  const admin = policy.admins.subjects.includes(claims.subject) || inGroup(policy.admins.groups);
  const tenants = policy.tenants
    .filter((tenant) => tenant.subjects.includes(claims.subject) || inGroup(tenant.groups))
    .map((tenant) => tenant.name);
  return { subject: claims.subject, admin, tenants };
}

/** Refuses callers the policy maps to no tenant and no admin role: they may do nothing at all. */
export function requireMapped(caller: Caller): void {
  if (caller.admin || caller.tenants.length > 0) return;
  throw new NotAllowedError(
    `Caller "${caller.subject}" belongs to no tenant of the access policy; ask the platform team to add your subject or one of your groups to a tenant.`,
    'tenants',
  );
}

function patternToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[a-z0-9-]*');
  return new RegExp(`^${body}$`);
}

export function namespaceMatches(pattern: string, namespace: string): boolean {
  return patternToRegExp(pattern).test(namespace);
}

function policyAllowed(tenant: TenantRules, arn: string): boolean {
  return (
    tenant.policyArns.exact.includes(arn) ||
    tenant.policyArns.prefixes.some((prefix) => arn.startsWith(prefix))
  );
}

interface Refusal {
  rule: string;
  reason: string;
}

/** The first rule of `tenant` that refuses the request, or undefined when the tenant allows it. */
function refusalBy(tenant: TenantRules, request: BindRequestView): Refusal | undefined {
  const rule = (name: string) => `tenants.${tenant.name}.${name}`;
  if (!tenant.clusters.includes(request.clusterName)) {
    return {
      rule: rule('clusters'),
      reason: `cluster ${request.clusterName} is not one of ${tenant.clusters.join(', ') || '(none)'}`,
    };
  }
  const wildcard = request.namespace.includes('*') || request.serviceAccountName.includes('*');
  if (wildcard && !tenant.allowWildcardSubjects) {
    return {
      rule: rule('allowWildcardSubjects'),
      reason: 'wildcard service account subjects are not allowed',
    };
  }
  if (!tenant.namespaces.some((pattern) => namespaceMatches(pattern, request.namespace))) {
    return {
      rule: rule('namespaces'),
      reason: `namespace ${request.namespace} matches none of ${tenant.namespaces.join(', ') || '(none)'}`,
    };
  }
  if (request.policyArns.length > tenant.maxPoliciesPerRole) {
    return {
      rule: rule('maxPoliciesPerRole'),
      reason: `${request.policyArns.length} policies exceed the limit of ${tenant.maxPoliciesPerRole} per role`,
    };
  }
  const unlisted = request.policyArns.filter((arn) => !policyAllowed(tenant, arn));
  if (unlisted.length > 0) {
    return {
      rule: rule('policyArns'),
      reason: `policy ${unlisted.join(', ')} is not on the tenant's list of allowed policies`,
    };
  }
  if (request.hasInlinePolicies && !tenant.allowInlinePolicies) {
    return { rule: rule('allowInlinePolicies'), reason: 'inline policies are not allowed' };
  }
  if (request.targetRoleArn !== undefined) {
    const account = accountOfArn(request.targetRoleArn) ?? '';
    if (!tenant.targetAccounts.includes(account)) {
      return {
        rule: rule('targetAccounts'),
        reason: `target role account ${account} is not one of ${tenant.targetAccounts.join(', ') || '(none)'}`,
      };
    }
  }
  return undefined;
}

/**
 * The tenant a new binding belongs to. A tenant caller gets the first of its tenants whose rules allow
 * the request (NotAllowedError naming the refusing rule otherwise); an admin may bind anywhere, and the
 * binding belongs to the first tenant whose clusters and namespaces cover it (none when no tenant does).
 */
export function authorizeBind(
  caller: Caller,
  request: BindRequestView,
  policy: TenantPolicy,
): string | undefined {
  if (caller.admin) {
    return policy.tenants.find(
      (tenant) =>
        tenant.clusters.includes(request.clusterName) &&
        tenant.namespaces.some((pattern) => namespaceMatches(pattern, request.namespace)),
    )?.name;
  }
  requireMapped(caller);
  const refusals: Refusal[] = [];
  for (const name of caller.tenants) {
    const tenant = policy.tenants.find((candidate) => candidate.name === name);
    if (!tenant) continue;
    const refusal = refusalBy(tenant, request);
    if (!refusal) return tenant.name;
    refusals.push(refusal);
  }
  const first = refusals[0] ?? { rule: 'tenants', reason: 'no tenant rules apply' };
  throw new NotAllowedError(
    `The access policy refuses this binding: ${refusals.map((r) => `${r.rule}: ${r.reason}`).join('; ')}. Change the request to fit your tenant's rules, or ask the platform team to extend them.`,
    first.rule,
  );
}

/**
 * Whether a new binding with a target role may use one irsa-broker did not create: admins may; a tenant
 * where its rules list the role's account in existingTargetRoleAccounts.
 */
export function mayUseExistingTargetRole(
  caller: Caller,
  tenantName: string | undefined,
  targetRoleArn: string,
  policy: TenantPolicy,
): boolean {
  if (caller.admin) return true;
  const tenant = policy.tenants.find((candidate) => candidate.name === tenantName);
  const account = accountOfArn(targetRoleArn) ?? '';
  return tenant?.existingTargetRoleAccounts.includes(account) ?? false;
}

/**
 * A change of a visible binding (e.g. new policy ARNs) must still fit the rules of the binding's own
 * tenant; admins may change anything.
 */
export function authorizeChange(
  caller: Caller,
  binding: Pick<Binding, 'tenant'>,
  request: BindRequestView,
  policy: TenantPolicy,
): void {
  if (caller.admin) return;
  const tenant = policy.tenants.find((candidate) => candidate.name === binding.tenant);
  const refusal = tenant
    ? refusalBy(tenant, request)
    : { rule: 'tenants', reason: 'the binding belongs to no tenant; only admins may change it' };
  if (!refusal) return;
  throw new NotAllowedError(
    `The access policy refuses this change: ${refusal.rule}: ${refusal.reason}. Change the request to fit your tenant's rules, or ask the platform team to extend them.`,
    refusal.rule,
  );
}

/** Whether the caller may see (and act on) the binding. Others' bindings are reported as not found. */
export function canSee(caller: Caller, binding: Pick<Binding, 'tenant'>): boolean {
  if (caller.admin) return true;
  return binding.tenant !== undefined && caller.tenants.includes(binding.tenant);
}

/**
 * The tenant a list is restricted to: the one asked for (when the caller belongs to it), the caller's
 * only tenant, or none for an admin without a filter.
 */
export function listTenantFor(caller: Caller, requested: string | undefined): string | undefined {
  if (caller.admin) return requested;
  requireMapped(caller);
  if (requested !== undefined) {
    if (!caller.tenants.includes(requested)) {
      throw new NotAllowedError(
        `Caller "${caller.subject}" does not belong to tenant ${requested}; list one of ${caller.tenants.join(', ')}.`,
        'tenants',
      );
    }
    return requested;
  }
  if (caller.tenants.length === 1) return caller.tenants[0];
  throw new InputError(
    `Caller "${caller.subject}" belongs to several tenants (${caller.tenants.join(', ')}); add ?tenant=<name> to say which one to list.`,
    [{ path: 'tenant', message: `name one of your tenants: ${caller.tenants.join(', ')}` }],
  );
}
