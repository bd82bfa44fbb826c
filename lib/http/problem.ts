// RFC 9457 problem details: the one place where the error taxonomy meets HTTP statuses.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type BrokerError,
  ConflictError,
  type FieldIssue,
  InputError,
  isBrokerError,
  NotAllowedError,
  RateLimitedError,
} from '../domain/errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  /** A URN naming the kind of problem; stable, one per error code. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Field-level problems of a validation failure. */
  errors?: FieldIssue[];
  /** For 409: the binding that already holds the service account. */
  existingBindingId?: string;
  /** For 403: the access policy rule that refused the request, e.g. `tenants.team-a.namespaces`. */
  rule?: string;
}

interface ProblemKind {
  status: number;
  title: string;
}

/** HTTP meaning of each error code a caller can meet. Anything else is a 500. */
const KINDS: Record<string, ProblemKind> = {
  InputError: { status: 400, title: 'Invalid request' },
  Unauthenticated: { status: 401, title: 'Not authenticated' },
  NotAllowed: { status: 403, title: 'Not allowed' },
  NotFoundError: { status: 404, title: 'Not found' },
  ConflictError: { status: 409, title: 'Conflict' },
  StatusConflict: { status: 409, title: 'Status conflict' },
  PayloadTooLarge: { status: 413, title: 'Request body too large' },
  UnsupportedMediaType: { status: 415, title: 'Unsupported media type' },
  IdempotencyKeyReused: { status: 422, title: 'Idempotency-Key reused with a different request' },
  RateLimited: { status: 429, title: 'Too many requests' },
  WorkflowStartFailed: { status: 503, title: 'Workflow could not be started' },
  Throttled: { status: 503, title: 'Service busy' },
  Transient: { status: 503, title: 'Service temporarily unavailable' },
};

/** `urn:irsa-broker:problem:<code>`: one type per error code, so clients can switch on it. */
export function problemType(code: string): string {
  return `urn:irsa-broker:problem:${code}`;
}

const INTERNAL: Problem = {
  type: problemType('Internal'),
  title: 'Internal error',
  status: 500,
  detail: 'The request failed on our side; it is safe to retry. If it keeps failing, report the request id.',
};

/** The problem for `error`; unknown errors give a generic 500 that leaks nothing. */
export function problemFor(error: unknown): Problem {
  if (!isBrokerError(error)) return { ...INTERNAL };
  const kind = KINDS[error.code];
  if (!kind) return { ...INTERNAL };
  const problem: Problem = {
    type: problemType(error.code),
    title: kind.title,
    status: kind.status,
    detail: error.message,
  };
  if (error instanceof InputError) problem.errors = error.issues;
  if (error instanceof ConflictError && error.existingId) problem.existingBindingId = error.existingId;
  if (error instanceof NotAllowedError && error.rule) problem.rule = error.rule;
  return problem;
}

/** Seconds a client should wait before retrying, for errors that pass with time. */
function retryAfter(error: unknown): number | undefined {
  if (error instanceof RateLimitedError) return Math.max(1, Math.ceil(error.retryAfterSeconds));
  if (isBrokerError(error) && (error as BrokerError).retryable) return 1;
  return undefined;
}

export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(problem),
  };
}

export function errorResponse(error: unknown): APIGatewayProxyStructuredResultV2 {
  const seconds = retryAfter(error);
  return problemResponse(problemFor(error), seconds === undefined ? {} : { 'retry-after': String(seconds) });
}
