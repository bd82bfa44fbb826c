// Translates AWS SDK failures into the domain error taxonomy, by the error's code (never its class,
// which differs between modeled and unmodeled errors and between SDK versions).
import {
  type BrokerError,
  ConflictError,
  InputError,
  isBrokerError,
  NotAllowedError,
  NotFoundError,
  QuotaExceededError,
  ThrottledError,
  TransientError,
} from '../../domain/errors.js';

export type ErrorFactory = (message: string, cause: unknown) => BrokerError;

/** Overrides by code (`NoSuchEntity`, `EntityAlreadyExists`, ...), for what a code means in one call. */
export type ErrorOverrides = Partial<Record<string, ErrorFactory>>;

interface AwsErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const THROTTLING = new Set([
  'Throttling',
  'TooManyRequests',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);
const TRANSIENT = new Set([
  'ConcurrentModification',
  'ServiceFailure',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'Server',
  'EntityTemporarilyUnmodifiable',
  'RequestTimeout',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const INPUT = new Set([
  'InvalidInput',
  'MalformedPolicyDocument',
  'ValidationError',
  'InvalidParameter',
  'InvalidRequest',
  'InvalidParameterValue',
]);

/** `NoSuchEntityException` and `NoSuchEntity` are the same error: modeled vs wire code. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as AwsErrorLike;
  const raw = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : undefined;
  return raw?.replace(/Exception$/, '');
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as AwsErrorLike).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The domain error for an AWS failure during `action` (e.g. "iam:CreateRole on role x"). Errors
 * this cannot classify are returned unchanged, so they fail the step rather than retry blindly.
 */
export function translateAwsError(error: unknown, action: string, overrides: ErrorOverrides = {}): unknown {
  if (isBrokerError(error)) return error;
  const code = awsErrorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const message = `${action} failed: ${code ? `${code}: ` : ''}${detail}`;
  const override = code ? overrides[code] : undefined;
  if (override) return override(message, error);
  if (code && THROTTLING.has(code)) return new ThrottledError(message, { cause: error });
  if (code && TRANSIENT.has(code)) return new TransientError(message, { cause: error });
  if (code === 'AccessDenied' || code === 'UnauthorizedOperation' || code === 'Unauthorized') {
    return new NotAllowedError(
      `${message}. Grant the broker's IAM role permission for ${action.split(' ')[0]}.`,
      'iam-permission',
      { cause: error },
    );
  }
  if (code === 'LimitExceeded') return new QuotaExceededError(message, { cause: error });
  if (code && INPUT.has(code)) return new InputError(message, [], { cause: error });
  if (code === 'NoSuchEntity' || code === 'ResourceNotFound' || code === 'NotFound') {
    return new NotFoundError(message, { cause: error });
  }
  if (code === 'EntityAlreadyExists' || code === 'ResourceInUse')
    return new ConflictError(message, undefined, { cause: error });
  const status = httpStatus(error);
  if (status === 429) return new ThrottledError(message, { cause: error });
  if ((status !== undefined && status >= 500) || (error as AwsErrorLike | null)?.$fault === 'server') {
    return new TransientError(message, { cause: error });
  }
  return error;
}

/** Runs one AWS call, throwing domain errors. */
export async function awsCall<T>(
  action: string,
  call: () => Promise<T>,
  overrides?: ErrorOverrides,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw translateAwsError(error, action, overrides);
  }
}
