// The IRSA trust policy: building it, putting it in canonical form, comparing and measuring it.
import { InputError, QuotaExceededError } from './errors.js';
import { issuerHostPath } from './oidc-issuer.js';

export const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
/** IAM's default quota on a role trust policy, counted without whitespace. */
export const TRUST_POLICY_MAX_LENGTH = 2048;

export interface TrustPolicyStatement {
  Effect: 'Allow';
  Principal: { Federated: string };
  Action: 'sts:AssumeRoleWithWebIdentity';
  Condition: { StringEquals: Record<string, string> };
}

export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: TrustPolicyStatement[];
}

export interface TrustPolicyInput {
  oidcProviderArn: string;
  /** The cluster's issuer URL as DescribeCluster reports it. */
  issuer: string;
  namespace: string;
  serviceAccountName: string;
  /** Token audience; the pod identity webhook's default when absent. */
  audience?: string;
}

// A `:` would let the sub condition name another namespace; `*` means nothing under StringEquals
// but would become a wildcard if anyone ever switched to StringLike.
const FORBIDDEN_IN_SUBJECT = /[:*]/;

export function serviceAccountSubject(namespace: string, serviceAccountName: string): string {
  for (const [field, value] of [
    ['namespace', namespace],
    ['serviceAccountName', serviceAccountName],
  ] as const) {
    if (value.length === 0 || FORBIDDEN_IN_SUBJECT.test(value)) {
      throw new InputError(`${field} "${value}" must be non-empty and contain neither ":" nor "*"`, [
        { path: field, message: 'use a Kubernetes DNS-1123 name' },
      ]);
    }
  }
  return `system:serviceaccount:${namespace}:${serviceAccountName}`;
}

export function buildTrustPolicy(input: TrustPolicyInput): TrustPolicy {
  const prefix = issuerHostPath(input.issuer);
  const policy: TrustPolicy = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: input.oidcProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${prefix}:sub`]: serviceAccountSubject(input.namespace, input.serviceAccountName),
            [`${prefix}:aud`]: input.audience ?? DEFAULT_AUDIENCE,
          },
        },
      },
    ],
  };
  assertTrustPolicyFits(policy);
  return policy;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    }
    return sorted;
  }
  return value;
}

function asDocument(policy: unknown): unknown {
  return typeof policy === 'string' ? JSON.parse(policy) : policy;
}

/** Compact JSON with object keys sorted: equal for documents that differ only in key order or whitespace. */
export function canonicalPolicyJson(policy: unknown): string {
  return JSON.stringify(sortKeys(asDocument(policy)));
}

/**
 * Whether two policy documents (objects or JSON strings, already URL-decoded) say the same thing.
 * Array order is kept: IAM keeps it too, and a reordered statement list is a real change.
 */
export function samePolicy(a: unknown, b: unknown): boolean {
  try {
    return canonicalPolicyJson(a) === canonicalPolicyJson(b);
  } catch {
    return false;
  }
}

/** Length as IAM counts it against the quota: characters of the document, whitespace excluded. */
export function policyLength(policy: unknown): number {
  return canonicalPolicyJson(policy).replace(/\s/g, '').length;
}

export function assertTrustPolicyFits(policy: unknown, limit = TRUST_POLICY_MAX_LENGTH): void {
  const length = policyLength(policy);
  if (length > limit) {
    throw new QuotaExceededError(
      `Trust policy is ${length} characters (whitespace excluded), over the ${limit} quota; ` +
        'shorten the namespace or service account name, or raise the IAM "Role trust policy length" quota',
    );
  }
}
