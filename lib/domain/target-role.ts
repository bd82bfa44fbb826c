// Pod Identity target roles: the role (usually in another account) a binding's role chains into. Pure rules:
// the trust irsa-broker gives a target role it creates, whether an existing role's trust admits the binding's
// role, and what the access role irsa-broker assumes in a target account may do there.
import type { PolicyDocument } from '../ports/iam.js';

/** The session name irsa-broker's calls in a target account carry (CloudTrail there shows it). */
export const TARGET_ACCOUNT_SESSION_NAME = 'irsa-broker';

/** What EKS Pod Identity asks of the target role: the chained AssumeRole carries the session tags. */
export const TARGET_ROLE_ACTIONS = ['sts:AssumeRole', 'sts:TagSession'] as const;

export interface TargetRoleRef {
  arn: string;
  account: string;
  /** `/` or `/a/b/`. */
  path: string;
  name: string;
}

/** The parts of a role ARN already validated by ROLE_ARN_PATTERN. */
export function parseTargetRoleArn(arn: string): TargetRoleRef {
  const match = /^arn:[^:]+:iam::(\d{12}):role(\/(?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/.exec(arn);
  if (!match) throw new Error(`${arn} is not an IAM role ARN`);
  return { arn, account: match[1]!, path: match[2]!, name: match[3]! };
}

/** `arn:aws:iam::<account>:role/<name>`: the role irsa-broker assumes to act in a target account. */
export function targetAccessRoleArn(account: string, accessRoleName: string, partition = 'aws'): string {
  return `arn:${partition}:iam::${account}:role/${accessRoleName}`;
}

/**
 * The boundary of roles irsa-broker creates in `account`: the policy of the same path and name as the
 * configured boundary (PERMISSIONS_BOUNDARY_ARN), which the target account's operators create there.
 */
export function targetBoundaryArn(permissionsBoundaryArn: string, account: string): string {
  return permissionsBoundaryArn.replace(/^(arn:[^:]+:iam::)\d{12}(:policy\/)/, `$1${account}$2`);
}

/** The trust of a target role irsa-broker creates: exactly the binding's role, for the chained session. */
export function targetRoleTrustPolicy(bindingRoleArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ChainedFromBindingRole',
        Effect: 'Allow',
        Principal: { AWS: bindingRoleArn },
        Action: [...TARGET_ROLE_ACTIONS],
      },
    ],
  };
}

// ---- Does an existing role's trust admit the binding's role? ----

export type TrustVerdict =
  | {
      admits: true /** Conditions irsa-broker cannot evaluate; the test pod decides. */;
      unevaluated: string[];
    }
  | { admits: false; why: string };

interface Statement {
  Effect?: unknown;
  Principal?: unknown;
  NotPrincipal?: unknown;
  Action?: unknown;
  NotAction?: unknown;
  Condition?: unknown;
}

const list = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.filter((v) => typeof v === 'string')
      : [];

function globMatches(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

function principalMatches(principal: unknown, roleArn: string, account: string): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  return list((principal as Record<string, unknown>).AWS).some(
    (p) => p === '*' || p === roleArn || p === account || p === `arn:aws:iam::${account}:root`,
  );
}

function actionMatches(statement: Statement, action: string): boolean {
  if (statement.NotAction !== undefined)
    return !list(statement.NotAction).some((a) => globMatches(a, action, true));
  return list(statement.Action).some((a) => globMatches(a, action, true));
}

/** The principal's own condition keys; everything else (session tags, external id…) is left to STS. */
function conditionHolds(condition: unknown, facts: Record<string, string>, unevaluated: string[]): boolean {
  if (condition === undefined) return true;
  if (condition === null || typeof condition !== 'object') return false;
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (block === null || typeof block !== 'object') return false;
    for (const [key, expected] of Object.entries(block as Record<string, unknown>)) {
      const fact = facts[key.toLowerCase()];
      const wanted = list(expected);
      const base = operator.replace(/^ForAnyValue:|^ForAllValues:/, '').replace(/IfExists$/, '');
      if (fact === undefined) {
        unevaluated.push(`${operator} ${key}`);
        continue;
      }
      const holds =
        base === 'StringEquals' || base === 'ArnEquals'
          ? wanted.includes(fact)
          : base === 'StringEqualsIgnoreCase'
            ? wanted.some((w) => w.toLowerCase() === fact.toLowerCase())
            : base === 'StringLike' || base === 'ArnLike'
              ? wanted.some((w) => globMatches(w, fact))
              : base === 'StringNotEquals' || base === 'ArnNotEquals'
                ? !wanted.includes(fact)
                : base === 'StringNotLike' || base === 'ArnNotLike'
                  ? !wanted.some((w) => globMatches(w, fact))
                  : undefined;
      if (holds === undefined) unevaluated.push(`${operator} ${key}`);
      else if (!holds) return false;
    }
  }
  return true;
}

/**
 * Whether `trust` lets `bindingRoleArn` (of `bindingAccount`) call sts:AssumeRole and sts:TagSession, as
 * far as the principal's own facts tell (aws:PrincipalArn, aws:PrincipalAccount); a condition on anything
 * else is reported as unevaluated. An explicit Deny for the role wins, as in IAM.
 */
export function trustAdmitsRole(
  trust: PolicyDocument,
  bindingRoleArn: string,
  bindingAccount: string,
): TrustVerdict {
  const statements: Statement[] = [];
  const raw = trust.Statement;
  for (const s of Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) {
    if (s !== null && typeof s === 'object') statements.push(s as Statement);
  }
  const facts = { 'aws:principalarn': bindingRoleArn, 'aws:principalaccount': bindingAccount };
  const unevaluated: string[] = [];
  for (const action of TARGET_ROLE_ACTIONS) {
    const applies = (s: Statement, notes: string[]) =>
      s.NotPrincipal === undefined &&
      principalMatches(s.Principal, bindingRoleArn, bindingAccount) &&
      actionMatches(s, action) &&
      conditionHolds(s.Condition, facts, notes);
    const denied = statements.find((s) => s.Effect === 'Deny' && s.Condition === undefined && applies(s, []));
    if (denied) return { admits: false, why: `a Deny statement refuses ${action} to ${bindingRoleArn}` };
    const notes: string[] = [];
    if (!statements.some((s) => s.Effect === 'Allow' && applies(s, notes))) {
      return { admits: false, why: `no statement allows ${bindingRoleArn} to call ${action}` };
    }
    unevaluated.push(...notes);
  }
  return { admits: true, unevaluated: [...new Set(unevaluated)] };
}

// ---- The access role in each target account ----

/**
 * The boundary irsa-broker suggests (and the sandbox uses): workloads may use any service but may never
 * administer IAM, Organizations or the account.
 */
export const SUGGESTED_BOUNDARY_DOCUMENT: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'WorkloadsButNoIdentityAdministration',
      Effect: 'Allow',
      NotAction: ['iam:*', 'organizations:*', 'account:*'],
      Resource: '*',
    },
  ],
};

export interface TargetAccessConfig {
  /** The broker's account. */
  brokerAccount: string;
  /** ARN pattern of the broker's step roles that may assume the access role (aws:PrincipalArn). */
  brokerPrincipalArnPattern: string;
  rolePath: string;
  roleNamePrefix: string;
  /** The boundary ARN in the target account (targetBoundaryArn). */
  boundaryArn: string;
  partition?: string;
}

/** The access role's trust: only the broker's step roles, from the broker's account. */
export function targetAccessTrustPolicy(config: TargetAccessConfig): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'IrsaBrokerStepRoles',
        Effect: 'Allow',
        Principal: { AWS: `arn:${config.partition ?? 'aws'}:iam::${config.brokerAccount}:root` },
        Action: 'sts:AssumeRole',
        Condition: { ArnLike: { 'aws:PrincipalArn': config.brokerPrincipalArnPattern } },
      },
    ],
  };
}

/**
 * What irsa-broker may do in a target account: create target roles only under its path and prefix and
 * only with the boundary on, manage and delete only those, read managed policies. Nothing else.
 */
export function targetAccessPolicy(config: TargetAccessConfig, account: string): PolicyDocument {
  const partition = config.partition ?? 'aws';
  const roles = `arn:${partition}:iam::${account}:role${config.rolePath}${config.roleNamePrefix}*`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'CreateTargetRolesWithBoundary',
        Effect: 'Allow',
        Action: [
          'iam:CreateRole',
          'iam:PutRolePermissionsBoundary',
          'iam:AttachRolePolicy',
          'iam:DetachRolePolicy',
        ],
        Resource: roles,
        Condition: { StringEquals: { 'iam:PermissionsBoundary': config.boundaryArn } },
      },
      {
        Sid: 'ManageTargetRoles',
        Effect: 'Allow',
        Action: [
          'iam:GetRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:ListRoleTags',
          'iam:ListAttachedRolePolicies',
          'iam:ListRolePolicies',
          'iam:UpdateRole',
          'iam:DeleteRole',
        ],
        Resource: roles,
      },
      {
        // An existing role that is not irsa-broker's is only read: its trust is checked, never changed.
        Sid: 'ReadExistingRoles',
        Effect: 'Allow',
        Action: ['iam:GetRole', 'iam:ListAttachedRolePolicies'],
        Resource: `arn:${partition}:iam::${account}:role/*`,
      },
      {
        Sid: 'ReadManagedPolicies',
        Effect: 'Allow',
        Action: ['iam:GetPolicy', 'iam:GetPolicyVersion'],
        Resource: [`arn:${partition}:iam::aws:policy/*`, `arn:${partition}:iam::${account}:policy/*`],
      },
      {
        Sid: 'NeverChangeTheBoundary',
        Effect: 'Deny',
        Action: [
          'iam:DeletePolicy',
          'iam:CreatePolicyVersion',
          'iam:DeletePolicyVersion',
          'iam:SetDefaultPolicyVersion',
        ],
        Resource: config.boundaryArn,
      },
      {
        Sid: 'NeverRemoveBoundaries',
        Effect: 'Deny',
        Action: 'iam:DeleteRolePermissionsBoundary',
        Resource: `arn:${partition}:iam::${account}:role/*`,
      },
    ],
  };
}
