// Guardrails every role irsa-broker creates must pass, whatever a caller or tenant asks for:
// policies that are never attached, policies that would hand out IAM itself, and a trust policy that
// admits exactly one service account.
import { type BindingMode, usesIrsa, usesPodIdentity } from './binding.js';
import { NotAllowedError } from './errors.js';
import { issuerHostPath } from './oidc-issuer.js';
import {
  assertTrustPolicyFits,
  DEFAULT_AUDIENCE,
  POD_IDENTITY_ACTIONS,
  POD_IDENTITY_PRINCIPAL,
  podIdentityConditions,
} from './trust-policy.js';

/** AWS managed policies refused on every role, even when DENIED_POLICY_ARNS names others. */
export const BUILT_IN_DENIED_POLICY_ARNS = [
  'arn:aws:iam::aws:policy/AdministratorAccess',
  'arn:aws:iam::aws:policy/IAMFullAccess',
  'arn:aws:iam::aws:policy/PowerUserAccess',
] as const;

/** The rule names a refusal carries (NotAllowedError.rule): stable, documented, asserted by tests. */
export const GUARDRAIL_RULES = {
  deniedPolicy: 'denied-policy',
  iamWildcard: 'policy-grants-iam',
  trustPolicy: 'exact-trust-policy',
  rolePlacement: 'role-path-and-prefix',
  boundary: 'permissions-boundary',
} as const;

/** A policy ARN without its partition, so `arn:aws-us-gov:` and `arn:aws:` spellings of one policy match. */
function partitionless(arn: string): string {
  return arn.replace(/^arn:[^:]*:/, 'arn:*:');
}

/** Every denied ARN: the built-in ones plus the configured ones. */
export function deniedPolicyArns(configured: readonly string[] = []): string[] {
  return [...new Set([...BUILT_IN_DENIED_POLICY_ARNS, ...configured])];
}

/**
 * Throws NotAllowedError (rule `denied-policy`) for the first requested ARN on the deny-list. Pure:
 * runs at POST, before anything is stored, and again in EnsureRole, before IAM is called.
 */
export function assertNoDeniedPolicy(
  policyArns: readonly string[],
  configured: readonly string[] = [],
): void {
  const denied = new Set(deniedPolicyArns(configured).map(partitionless));
  const refused = policyArns.filter((arn) => denied.has(partitionless(arn)));
  if (refused.length > 0) {
    throw new NotAllowedError(
      `${refused.join(', ')} ${refused.length === 1 ? 'is' : 'are'} on irsa-broker's deny-list of policies ` +
        'no bound role may carry (rule denied-policy). Request narrower policies that grant only what the ' +
        'workload needs',
      GUARDRAIL_RULES.deniedPolicy,
    );
  }
}

// ---- Does a policy document grant IAM itself? ----

type PatternState = number;

/**
 * Pattern positions reachable after matching `text` against an IAM action pattern (`*` any run,
 * `?` one character, case-insensitive). A position equal to the pattern length means "all consumed".
 */
function statesAfter(pattern: string, text: string): Set<PatternState> {
  const p = pattern.toLowerCase();
  const closure = (states: Set<PatternState>) => {
    // A `*` may match nothing: reaching it also reaches the position after it.
    for (const state of [...states]) {
      let s = state;
      while (p[s] === '*') {
        s += 1;
        states.add(s);
      }
    }
    return states;
  };
  let states = closure(new Set([0]));
  for (const ch of text.toLowerCase()) {
    const next = new Set<PatternState>();
    for (const s of states) {
      if (p[s] === '*') next.add(s);
      else if (p[s] === '?' || p[s] === ch) next.add(s + 1);
    }
    states = closure(next);
    if (states.size === 0) break;
  }
  return states;
}

/** Whether the action pattern matches every IAM action (`*`, `iam:*`, `i*`, `*:*`, ...). */
export function coversAllIamActions(pattern: string): boolean {
  const p = pattern.toLowerCase();
  // After "iam:", an all-star remainder matches any action name.
  return [...statesAfter(p, 'iam:')].some((s) => s < p.length && /^\*+$/.test(p.slice(s)));
}

/** Whether the action pattern matches at least one IAM action. */
function touchesIam(pattern: string): boolean {
  const p = pattern.toLowerCase();
  // Some continuation after "iam:" can complete the pattern while pattern is left to match it.
  return [...statesAfter(p, 'iam:')].some((s) => s < p.length);
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Why a managed policy document grants IAM wholesale (`iam:*` or wider), or undefined when it does not.
 * Deny statements are ignored (they only ever narrow); an Allow with NotAction that does not exclude
 * every IAM action counts as granting IAM. Resource and Condition are not taken as a limit: a role that
 * can manage IAM on anything at all can escalate.
 */
export function iamWildcardGrant(document: unknown): string | undefined {
  if (document === null || typeof document !== 'object') return 'the policy document is not a JSON object';
  const statements = asList((document as { Statement?: unknown }).Statement);
  for (const [index, statement] of statements.entries()) {
    if (statement === null || typeof statement !== 'object') continue;
    const s = statement as { Effect?: unknown; Action?: unknown; NotAction?: unknown; Sid?: unknown };
    if (s.Effect !== 'Allow') continue;
    const label = typeof s.Sid === 'string' && s.Sid ? `statement ${s.Sid}` : `statement ${index + 1}`;
    for (const action of asList(s.Action)) {
      if (typeof action === 'string' && coversAllIamActions(action)) {
        return `${label} allows "${action}", which includes every iam: action`;
      }
    }
    if (s.NotAction !== undefined) {
      const excluded = asList(s.NotAction).filter((a): a is string => typeof a === 'string');
      if (!excluded.some(coversAllIamActions)) {
        const partly = excluded.some(touchesIam);
        return `${label} allows every action except ${excluded.join(', ') || 'none'}, which leaves ${
          partly ? 'most' : 'all'
        } iam: actions allowed`;
      }
    }
  }
  return undefined;
}

/** Throws NotAllowedError (rule `policy-grants-iam`) when the document grants IAM wholesale. */
export function assertPolicyDoesNotGrantIam(policyArn: string, document: unknown): void {
  const reason = iamWildcardGrant(document);
  if (reason !== undefined) {
    throw new NotAllowedError(
      `Managed policy ${policyArn} grants IAM itself (${reason}); a role that can manage IAM can give itself ` +
        'any permission, so irsa-broker refuses it (rule policy-grants-iam). Request a policy without iam:* ' +
        'actions',
      GUARDRAIL_RULES.iamWildcard,
    );
  }
}

// ---- The trust policy: exactly one service account, one audience ----

export interface ExpectedTrust {
  /** Absent: irsa (the only mode before Pod Identity). */
  mode?: BindingMode;
  namespace: string;
  serviceAccountName: string;
  /** IRSA's statement (irsa and both). */
  oidcProviderArn?: string;
  issuer?: string;
  audience?: string;
  /** Pod Identity's statement (pod-identity and both). */
  podIdentity?: { accountId: string; clusterArn: string };
}

const WILDCARD = /[*?]/;

function literalStringEquals(
  at: string,
  condition: unknown,
  expected: Record<string, string>,
  problems: string[],
): void {
  const keysWanted = Object.keys(expected).sort();
  if (!condition || typeof condition !== 'object') {
    problems.push(`${at}: a StringEquals condition on ${keysWanted.join(', ')} is required`);
    return;
  }
  for (const operator of Object.keys(condition)) {
    if (operator !== 'StringEquals') problems.push(`${at}: condition operator ${operator} is not allowed`);
  }
  const equals = ((condition as Record<string, unknown>).StringEquals ?? {}) as Record<string, unknown>;
  const keys = Object.keys(equals).sort();
  if (keys.join(',') !== keysWanted.join(',')) {
    problems.push(`${at}: StringEquals must hold exactly ${keysWanted.join(', ')}, found ${keys.join(', ')}`);
  }
  for (const [key, value] of Object.entries(expected)) {
    if (equals[key] !== value) problems.push(`${at}: ${key} must be exactly ${value}`);
  }
  for (const [key, value] of Object.entries(equals)) {
    if (typeof value !== 'string' || WILDCARD.test(value)) {
      problems.push(`${at}: ${key} must be one literal string without * or ?`);
    }
  }
}

function statementKeys(at: string, s: Record<string, unknown>, problems: string[]): void {
  const allowed = new Set(['Sid', 'Effect', 'Principal', 'Action', 'Condition']);
  for (const key of Object.keys(s)) if (!allowed.has(key)) problems.push(`${at}: unexpected ${key}`);
  if (s.Effect !== 'Allow') problems.push(`${at}: Effect must be Allow`);
}

function irsaViolations(at: string, s: Record<string, unknown>, expected: ExpectedTrust, problems: string[]) {
  const providerArn = expected.oidcProviderArn ?? '';
  const prefix = issuerHostPath(expected.issuer ?? '');
  statementKeys(at, s, problems);
  if (s.Action !== 'sts:AssumeRoleWithWebIdentity') {
    problems.push(`${at}: Action must be exactly sts:AssumeRoleWithWebIdentity`);
  }
  const principal = s.Principal as Record<string, unknown> | undefined;
  if (
    !principal ||
    typeof principal !== 'object' ||
    Object.keys(principal).length !== 1 ||
    principal.Federated !== providerArn
  ) {
    problems.push(`${at}: Principal must be exactly { Federated: ${providerArn} }`);
  }
  literalStringEquals(
    at,
    s.Condition,
    {
      [`${prefix}:sub`]: `system:serviceaccount:${expected.namespace}:${expected.serviceAccountName}`,
      [`${prefix}:aud`]: expected.audience ?? DEFAULT_AUDIENCE,
    },
    problems,
  );
}

function podIdentityViolations(
  at: string,
  s: Record<string, unknown>,
  expected: ExpectedTrust,
  problems: string[],
) {
  statementKeys(at, s, problems);
  const actions = asList(s.Action);
  if (
    actions.length !== POD_IDENTITY_ACTIONS.length ||
    !POD_IDENTITY_ACTIONS.every((action) => actions.includes(action))
  ) {
    problems.push(`${at}: Action must be exactly ${POD_IDENTITY_ACTIONS.join(' and ')}`);
  }
  const principal = s.Principal as Record<string, unknown> | undefined;
  if (
    !principal ||
    typeof principal !== 'object' ||
    Object.keys(principal).length !== 1 ||
    principal.Service !== POD_IDENTITY_PRINCIPAL
  ) {
    problems.push(`${at}: Principal must be exactly { Service: ${POD_IDENTITY_PRINCIPAL} }`);
  }
  const pin = expected.podIdentity ?? { accountId: '', clusterArn: '' };
  literalStringEquals(
    at,
    s.Condition,
    podIdentityConditions({
      ...pin,
      namespace: expected.namespace,
      serviceAccountName: expected.serviceAccountName,
    }),
    problems,
  );
}

/**
 * Every way `policy` departs from the trust irsa-broker grants in the binding's mode. IRSA: one Allow
 * statement for sts:AssumeRoleWithWebIdentity by the cluster's OIDC provider, with only StringEquals on
 * exactly the sub (this namespace and service account) and aud keys. Pod Identity: one Allow statement for
 * pods.eks.amazonaws.com with exactly sts:AssumeRole and sts:TagSession, pinned by StringEquals to the
 * account, the cluster and the service account. Both: the IRSA statement, then the Pod Identity one.
 * No wildcard anywhere.
 */
export function trustPolicyViolations(policy: unknown, expected: ExpectedTrust): string[] {
  const problems: string[] = [];
  const mode = expected.mode ?? 'irsa';
  const doc = policy as { Version?: unknown; Statement?: unknown } | null;
  if (doc === null || typeof doc !== 'object') return ['the trust policy is not a JSON object'];
  if (doc.Version !== '2012-10-17') problems.push('Version must be 2012-10-17');
  const statements = asList(doc.Statement);
  const kinds = [...(usesIrsa(mode) ? ['irsa'] : []), ...(usesPodIdentity(mode) ? ['pod-identity'] : [])];
  if (statements.length !== kinds.length) {
    problems.push(
      `expected exactly ${kinds.length === 1 ? 'one statement' : `${kinds.length} statements (${kinds.join(', ')})`}` +
        ` for mode ${mode}, found ${statements.length}`,
    );
  }
  for (const [index, raw] of statements.entries()) {
    const at = `statement ${index + 1}`;
    const s = (raw ?? {}) as Record<string, unknown>;
    const kind = kinds[index];
    // A statement beyond the mode's is refused by the count above, whatever it says.
    if (kind === 'pod-identity') podIdentityViolations(at, s, expected, problems);
    else if (kind === 'irsa') irsaViolations(at, s, expected, problems);
  }
  return problems;
}

/**
 * Throws NotAllowedError (rule `exact-trust-policy`) unless the trust policy is exact, and
 * QuotaExceededError when it is longer than the quota: both before IAM is called.
 */
export function assertExactTrustPolicy(policy: unknown, expected: ExpectedTrust, maxLength?: number): void {
  const problems = trustPolicyViolations(policy, expected);
  if (problems.length > 0) {
    throw new NotAllowedError(
      `The trust policy for ${expected.namespace}/${expected.serviceAccountName} is not the exact ` +
        `${expected.mode ?? 'irsa'} trust irsa-broker grants (rule exact-trust-policy): ${problems.join('; ')}`,
      GUARDRAIL_RULES.trustPolicy,
    );
  }
  assertTrustPolicyFits(policy, maxLength);
}

// ---- Where roles live ----

/** Throws NotAllowedError (rule `role-path-and-prefix`) for a role outside the configured path and prefix. */
export function assertRolePlacement(
  role: { name: string; path?: string },
  config: { rolePath: string; roleNamePrefix: string },
): void {
  if (!role.name.startsWith(config.roleNamePrefix)) {
    throw new NotAllowedError(
      `Role name ${role.name} does not start with "${config.roleNamePrefix}"; this irsa-broker may only manage ` +
        `roles named ${config.roleNamePrefix}* (ROLE_NAME_PREFIX). Choose a roleName with that prefix or omit it`,
      GUARDRAIL_RULES.rolePlacement,
    );
  }
  if (role.path !== undefined && role.path !== config.rolePath) {
    throw new NotAllowedError(
      `IAM role ${role.name} has path ${role.path}, outside this irsa-broker's ${config.rolePath} (ROLE_PATH); ` +
        'it was left unchanged. Choose another roleName',
      GUARDRAIL_RULES.rolePlacement,
    );
  }
}
