// IAM's policy grammar checks: what makes CreateRole, PutRolePolicy or CreatePolicy answer
// MalformedPolicyDocument, and the trust policy size quota.
import { AwsServiceError } from './aws-service-error.js';

export type PolicyKind = 'trust' | 'identity';
export type PolicyJson = { Version?: string; Statement: StatementJson[] };
export type StatementJson = Record<string, unknown>;

export const TRUST_POLICY_QUOTA = 2048;

const TOP_LEVEL_KEYS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KEYS = new Set(['AWS', 'Federated', 'Service', 'CanonicalUser']);
const ACTION_PATTERN = /^(\*|[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+)$/;

function malformed(message: string): AwsServiceError {
  return new AwsServiceError('MalformedPolicyDocument', message, 400);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'))
    return value;
  return undefined;
}

function checkPrincipal(value: unknown, field: string): void {
  if (value === '*') return;
  if (!isRecord(value) || Object.keys(value).length === 0)
    throw malformed(`Invalid principal in policy: ${field}`);
  for (const [key, principals] of Object.entries(value)) {
    if (!PRINCIPAL_KEYS.has(key) || !stringList(principals)) {
      throw malformed(`Invalid principal in policy: "${key}":${JSON.stringify(principals)}`);
    }
  }
}

function checkCondition(value: unknown): void {
  if (!isRecord(value)) throw malformed('Syntax errors in policy.');
  for (const [operator, block] of Object.entries(value)) {
    if (!/^[A-Za-z]+(:[A-Za-z]+)?$/.test(operator) || !isRecord(block)) {
      throw malformed(`Invalid Condition type : ${operator}.`);
    }
    for (const conditionValue of Object.values(block)) {
      const values = Array.isArray(conditionValue) ? conditionValue : [conditionValue];
      if (!values.every((item) => ['string', 'boolean', 'number'].includes(typeof item))) {
        throw malformed('Syntax errors in policy.');
      }
    }
  }
}

function checkStatement(statement: unknown, kind: PolicyKind): void {
  if (!isRecord(statement)) throw malformed('Syntax errors in policy.');
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_KEYS.has(key)) throw malformed(`Syntax errors in policy. Unknown field ${key}.`);
  }
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') {
    throw malformed(`Invalid effect: ${String(statement.Effect)}; use "Allow" or "Deny".`);
  }
  const actions = stringList(statement.Action ?? statement.NotAction);
  if ((statement.Action === undefined) === (statement.NotAction === undefined) || !actions) {
    throw malformed('Policy statement must contain actions.');
  }
  for (const action of actions) {
    if (!ACTION_PATTERN.test(action)) {
      throw malformed('Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.');
    }
  }
  const hasPrincipal = statement.Principal !== undefined || statement.NotPrincipal !== undefined;
  const hasResource = statement.Resource !== undefined || statement.NotResource !== undefined;
  if (kind === 'trust') {
    if (!hasPrincipal) throw malformed('Missing required field Principal');
    if (hasResource) throw malformed('Has prohibited field Resource');
    checkPrincipal(statement.Principal ?? statement.NotPrincipal, 'Principal');
  } else {
    if (hasPrincipal) throw malformed('Policy document should not specify a principal.');
    if (!hasResource || !stringList(statement.Resource ?? statement.NotResource)) {
      throw malformed('Policy statement must contain resources.');
    }
  }
  if (statement.Condition !== undefined) checkCondition(statement.Condition);
}

/** Parses and grammar-checks a policy document; returns it with Statement normalised to an array. */
export function parsePolicyDocument(text: string, kind: PolicyKind): PolicyJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed('This policy contains invalid Json');
  }
  if (!isRecord(parsed)) throw malformed('This policy contains invalid Json');
  for (const key of Object.keys(parsed)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw malformed(`Syntax errors in policy. Unknown field ${key}.`);
  }
  if (parsed.Version !== undefined && parsed.Version !== '2012-10-17' && parsed.Version !== '2008-10-17') {
    throw malformed('The policy failed legacy parsing');
  }
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
  if (parsed.Statement === undefined || statements.length === 0) throw malformed('Syntax errors in policy.');
  for (const statement of statements) checkStatement(statement, kind);
  return { ...(parsed as Record<string, unknown>), Statement: statements as StatementJson[] };
}

/** IAM counts a trust policy's size without whitespace. */
export function checkTrustPolicySize(text: string, quota = TRUST_POLICY_QUOTA): void {
  if (text.replace(/\s/g, '').length > quota) {
    throw new AwsServiceError('LimitExceeded', `Cannot exceed quota for ACLSizePerRole: ${quota}`, 409);
  }
}

/** Every principal ARN a trust policy names under `key` ("Federated", "AWS", …). */
export function principalsOf(policy: PolicyJson, key: string): string[] {
  const out: string[] = [];
  for (const statement of policy.Statement) {
    const principal = statement.Principal ?? statement.NotPrincipal;
    if (isRecord(principal)) out.push(...(stringList(principal[key]) ?? []));
  }
  return out;
}
