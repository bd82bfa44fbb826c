// The one error taxonomy. Every `name` is a string literal: it is the ASL `ErrorEquals` contract
// (bundlers rename classes, so never derive it from the constructor). HTTP statuses are assigned
// only at the HTTP edge (lib/adapters/http), never here.

export interface FieldIssue {
  path: string;
  message: string;
}

interface ErrorOptions {
  cause?: unknown;
}

export abstract class BrokerError extends Error {
  abstract override readonly name: string;
  /** Whether trying the same thing again later can succeed. Drives ASL Retry and SDK retries. */
  abstract readonly retryable: boolean;
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
  /** Stable machine-readable code; equal to `name`. */
  get code(): string {
    return this.name;
  }
}

// ---- Caller errors (HTTP 4xx at the edge) ----

export class InputError extends BrokerError {
  override readonly name = 'InputError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends BrokerError {
  override readonly name = 'NotFoundError';
  readonly retryable = false;
}

/** Another binding already holds this service account (or the resource is otherwise taken). */
export class ConflictError extends BrokerError {
  override readonly name = 'ConflictError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly existingId?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The binding is not in a status that allows this change (also: a stale writer lost a race). */
export class StatusConflictError extends BrokerError {
  override readonly name = 'StatusConflict';
  readonly retryable = false;
}

export class IdempotencyKeyReusedError extends BrokerError {
  override readonly name = 'IdempotencyKeyReused';
  readonly retryable = false;
}

export class UnauthenticatedError extends BrokerError {
  override readonly name = 'Unauthenticated';
  readonly retryable = false;
}

export class NotAllowedError extends BrokerError {
  override readonly name = 'NotAllowed';
  readonly retryable = false;
  constructor(
    message: string,
    readonly rule?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class PayloadTooLargeError extends BrokerError {
  override readonly name = 'PayloadTooLarge';
  readonly retryable = false;
}

export class UnsupportedMediaTypeError extends BrokerError {
  override readonly name = 'UnsupportedMediaType';
  readonly retryable = false;
}

export class RateLimitedError extends BrokerError {
  override readonly name = 'RateLimited';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// ---- Workflow outcomes (binding FAILED with this code) ----

export class ClusterNotFoundError extends BrokerError {
  override readonly name = 'ClusterNotFound';
  readonly retryable = false;
}
export class ClusterNotActiveError extends BrokerError {
  override readonly name = 'ClusterNotActive';
  readonly retryable = false;
}
export class OidcProviderMissingError extends BrokerError {
  override readonly name = 'OidcProviderMissing';
  readonly retryable = false;
}
export class RoleConflictError extends BrokerError {
  override readonly name = 'RoleConflict';
  readonly retryable = false;
}
export class PolicyNotFoundError extends BrokerError {
  override readonly name = 'PolicyNotFound';
  readonly retryable = false;
}
export class QuotaExceededError extends BrokerError {
  override readonly name = 'QuotaExceeded';
  readonly retryable = false;
}
export class CsrRejectedError extends BrokerError {
  override readonly name = 'CsrRejected';
  readonly retryable = false;
}
export class WebhookNotReadyError extends BrokerError {
  override readonly name = 'WebhookNotReady';
  readonly retryable = false;
}
export class ServiceAccountMissingError extends BrokerError {
  override readonly name = 'ServiceAccountMissing';
  readonly retryable = false;
}
export class FieldOwnershipConflictError extends BrokerError {
  override readonly name = 'FieldOwnershipConflict';
  readonly retryable = false;
}
export class WebhookDidNotMutateError extends BrokerError {
  override readonly name = 'WebhookDidNotMutate';
  readonly retryable = false;
}
export class VerificationFailedError extends BrokerError {
  override readonly name = 'VerificationFailed';
  readonly retryable = false;
}
/** The binding needs EKS Pod Identity and the cluster does not run the eks-pod-identity-agent add-on. */
export class PodIdentityAgentMissingError extends BrokerError {
  override readonly name = 'PodIdentityAgentMissing';
  readonly retryable = false;
}
/** A Pod Identity association for the service account exists and irsa-broker does not own it. */
export class AssociationConflictError extends BrokerError {
  override readonly name = 'AssociationConflict';
  readonly retryable = false;
}
/** irsa-broker cannot assume its access role in a Pod Identity target role's account. */
export class TargetAccountAccessDeniedError extends BrokerError {
  override readonly name = 'TargetAccountAccessDenied';
  readonly retryable = false;
}
/** An existing target role (not irsa-broker's) does not trust the binding's role. */
export class TargetRoleUntrustedError extends BrokerError {
  override readonly name = 'TargetRoleUntrusted';
  readonly retryable = false;
}
export class KubernetesAccessDeniedError extends BrokerError {
  override readonly name = 'KubernetesAccessDenied';
  readonly retryable = false;
}
export class WorkflowStartFailedError extends BrokerError {
  override readonly name = 'WorkflowStartFailed';
  readonly retryable = false;
}
export class InterruptedError extends BrokerError {
  override readonly name = 'Interrupted';
  readonly retryable = false;
}
/** The workflow's execution ended FAILED (e.g. its recording step failed) before it recorded an outcome. */
export class ExecutionFailedError extends BrokerError {
  override readonly name = 'ExecutionFailed';
  readonly retryable = false;
}
/** The workflow's execution timed out before it recorded an outcome. */
export class ExecutionTimedOutError extends BrokerError {
  override readonly name = 'ExecutionTimedOut';
  readonly retryable = false;
}
/** The workflow's execution was stopped (StopExecution) before it recorded an outcome. */
export class ExecutionAbortedError extends BrokerError {
  override readonly name = 'ExecutionAborted';
  readonly retryable = false;
}

// ---- Transient (retried by ASL with backoff) ----

/** A dependency failed in a way that may pass: 5xx, timeouts, connection resets, ConcurrentModification. */
export class TransientError extends BrokerError {
  override readonly name = 'Transient';
  readonly retryable = true;
}
/** A dependency asked us to slow down (Throttling, HTTP 429). */
export class ThrottledError extends BrokerError {
  override readonly name = 'Throttled';
  readonly retryable = true;
}
/** A step must be polled again later (waiting for a CSR, a pod, IAM propagation). Not a failure. */
export class NotYetError extends BrokerError {
  override readonly name = 'NotYet';
  readonly retryable = true;
}
/** The event bus did not accept every event; `firstUnpublished` is the index of the first it refused. */
export class EventPublishFailedError extends BrokerError {
  override readonly name = 'EventPublishFailed';
  readonly retryable = true;
  constructor(
    message: string,
    readonly firstUnpublished: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Error names the state machine retries. Everything else is final. */
export const RETRYABLE_ERROR_NAMES = ['Transient', 'Throttled'] as const;

export function isBrokerError(error: unknown): error is BrokerError {
  return error instanceof BrokerError;
}
