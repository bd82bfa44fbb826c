// Kubernetes `Status` failures and transport failures, as domain errors.
import {
  type BrokerError,
  ConflictError,
  type FieldIssue,
  FieldOwnershipConflictError,
  InputError,
  KubernetesAccessDeniedError,
  NotFoundError,
  ThrottledError,
  TransientError,
} from '../../domain/errors.js';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The parts of a Kubernetes `Status` body we read. */
export interface KubernetesStatus {
  message?: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
}

export function parseStatus(body: string): KubernetesStatus {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubernetesStatus) : {};
  } catch {
    return { message: body.slice(0, 500) };
  }
}

export interface FailureContext {
  /** What we tried, e.g. "apply ServiceAccount apps/web". */
  action: string;
  cluster: string;
  /** Server-side apply: a 409 means field ownership, not existence. */
  apply?: boolean;
}

export function kubernetesError(
  status: number,
  body: string,
  context: FailureContext,
  retryAfterSeconds?: number,
): BrokerError {
  const parsed = parseStatus(body);
  const said = parsed.message ?? `HTTP ${status}`;
  const message = `${context.action} on cluster ${context.cluster} failed: ${said}`;
  const causes = parsed.details?.causes ?? [];
  if (status === 401 || status === 403) {
    return new KubernetesAccessDeniedError(
      `${message}. Grant the broker's IAM role access to cluster ${context.cluster}: apply ` +
        'config/rbac/irsa-broker.yaml there and map the role to the group irsa-broker with an EKS access entry ' +
        '(kubernetesGroups), or add RBAC for its Kubernetes identity that allows this.',
    );
  }
  if (status === 404) return new NotFoundError(message);
  if (status === 409 && context.apply) {
    const fields = causes
      .filter((c) => c.reason === 'FieldManagerConflict' || c.field)
      .map((c) => `${c.field ?? '?'} (${c.message ?? 'owned by another manager'})`);
    return new FieldOwnershipConflictError(
      `${message}. Fields owned by another field manager: ${fields.join('; ') || 'see message'}. ` +
        'Remove them from the other manager (or delete the object) and retry; irsa-broker forces only fields it owns.',
    );
  }
  if (status === 409) return new ConflictError(message);
  if (status === 422 || status === 400) {
    const issues: FieldIssue[] = causes.map((c) => ({
      path: c.field ?? '',
      message: c.message ?? c.reason ?? '',
    }));
    return new InputError(message, issues);
  }
  if (status === 429) {
    return new ThrottledError(
      `${message}${retryAfterSeconds === undefined ? '' : ` (retry after ${retryAfterSeconds}s)`}`,
    );
  }
  if (status >= 500 || status === 408 || status === 410) return new TransientError(message);
  return new InputError(message);
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'CERT_SIGNATURE_FAILURE',
]);

/** A request that got no HTTP answer: connection refused or reset, timeout, TLS verification. */
export function transportError(error: unknown, context: FailureContext): BrokerError {
  const code = (error as { code?: unknown } | null)?.code;
  const reason = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string' && TLS_CODES.has(code)) {
    return new TransientError(
      `${context.action} on cluster ${context.cluster}: the API server's certificate did not verify against the ` +
        `cluster CA from DescribeCluster (${code}). Check the endpoint and CA.`,
      { cause: error },
    );
  }
  return new TransientError(`${context.action} on cluster ${context.cluster}: no answer (${reason})`, {
    cause: error,
  });
}
