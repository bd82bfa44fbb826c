// The role's trust policy (IRSA, EKS Pod Identity, or both): building it, putting it in canonical form,
// comparing and measuring it.
import { type BindingMode, usesIrsa, usesPodIdentity } from './binding.js';
import { InputError, QuotaExceededError } from './errors.js';
import { issuerHostPath } from './oidc-issuer.js';

export const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
/** The service principal EKS Auth assumes Pod Identity roles as. */
export const POD_IDENTITY_PRINCIPAL = 'pods.eks.amazonaws.com';
/** Both actions: EKS Auth assumes the role and passes session tags (eks-cluster-arn, kubernetes-*). */
export const POD_IDENTITY_ACTIONS = ['sts:AssumeRole', 'sts:TagSession'] as const;
/** IAM's default quota on a role trust policy, counted without whitespace. */
export const TRUST_POLICY_MAX_LENGTH = 2048;

export interface IrsaTrustStatement {
  Effect: 'Allow';
  Principal: { Federated: string };
  Action: 'sts:AssumeRoleWithWebIdentity';
  Condition: { StringEquals: Record<string, string> };
}

export interface PodIdentityTrustStatement {
  Effect: 'Allow';
  Principal: { Service: typeof POD_IDENTITY_PRINCIPAL };
  Action: ['sts:AssumeRole', 'sts:TagSession'];
  Condition: { StringEquals: Record<string, string> };
}

export type TrustPolicyStatement = IrsaTrustStatement | PodIdentityTrustStatement;

export interface TrustPolicy {
  Version: '2012-10-17';
  Statement: TrustPolicyStatement[];
}

/** What pins a Pod Identity trust to one service account of one cluster in one account. */
export interface PodIdentityTrustInput {
  accountId: string;
  clusterArn: string;
  namespace: string;
  serviceAccountName: string;
}

/**
 * The condition keys of the Pod Identity statement and their values. EKS Auth passes the cluster, namespace
 * and service account as session tags (`aws:RequestTag/...`), so the role admits only pods of this service
 * account on this cluster, and only through an association in this account, even if another association
 * named the role.
 */
export function podIdentityConditions(input: PodIdentityTrustInput): Record<string, string> {
  serviceAccountSubject(input.namespace, input.serviceAccountName);
  return {
    'aws:SourceAccount': input.accountId,
    'aws:RequestTag/eks-cluster-arn': input.clusterArn,
    'aws:RequestTag/kubernetes-namespace': input.namespace,
    'aws:RequestTag/kubernetes-service-account': input.serviceAccountName,
  };
}

export function podIdentityStatement(input: PodIdentityTrustInput): PodIdentityTrustStatement {
  return {
    Effect: 'Allow',
    Principal: { Service: POD_IDENTITY_PRINCIPAL },
    Action: [...POD_IDENTITY_ACTIONS],
    Condition: { StringEquals: podIdentityConditions(input) },
  };
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

export function irsaStatement(input: TrustPolicyInput): IrsaTrustStatement {
  const prefix = issuerHostPath(input.issuer);
  return {
    Effect: 'Allow',
    Principal: { Federated: input.oidcProviderArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: {
      StringEquals: {
        [`${prefix}:sub`]: serviceAccountSubject(input.namespace, input.serviceAccountName),
        [`${prefix}:aud`]: input.audience ?? DEFAULT_AUDIENCE,
      },
    },
  };
}

/** The IRSA trust policy: the cluster's OIDC provider, for this service account and audience only. */
export function buildTrustPolicy(input: TrustPolicyInput): TrustPolicy {
  const policy: TrustPolicy = { Version: '2012-10-17', Statement: [irsaStatement(input)] };
  assertTrustPolicyFits(policy);
  return policy;
}

/** What the trust of a binding in `mode` is built from; `irsa` only for irsa and both. */
export interface BindingTrustInput {
  mode: BindingMode;
  irsa?: TrustPolicyInput;
  podIdentity?: PodIdentityTrustInput;
}

/**
 * The trust policy of a binding in its mode: IRSA's statement, Pod Identity's, or both (IRSA first), each
 * for the binding's service account only.
 */
export function buildBindingTrustPolicy(input: BindingTrustInput): TrustPolicy {
  const statements: TrustPolicyStatement[] = [];
  if (usesIrsa(input.mode)) {
    if (!input.irsa) throw new InputError(`A ${input.mode} trust policy needs the cluster's OIDC provider`);
    statements.push(irsaStatement(input.irsa));
  }
  if (usesPodIdentity(input.mode)) {
    if (!input.podIdentity) {
      throw new InputError(`A ${input.mode} trust policy needs the account and the cluster ARN`);
    }
    statements.push(podIdentityStatement(input.podIdentity));
  }
  const policy: TrustPolicy = { Version: '2012-10-17', Statement: statements };
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
/** The inline policy that lets a binding's role chain into its Pod Identity target role, and nothing else. */
export const TARGET_ROLE_POLICY_NAME = 'irsa-broker-target-role';

export function targetRolePolicy(targetRoleArn: string): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ChainIntoTargetRole',
        Effect: 'Allow',
        // EKS Pod Identity assumes the target role with the first role's session, passing its session tags.
        Action: ['sts:AssumeRole', 'sts:TagSession'],
        Resource: targetRoleArn,
      },
    ],
  };
}

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
