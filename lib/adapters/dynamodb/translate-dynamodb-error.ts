// Turns DynamoDB SDK failures that may pass on a later try into the domain's retryable errors.
import { type BrokerError, ThrottledError, TransientError } from '../../domain/errors.js';

const THROTTLING = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
]);
const TRANSIENT = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** The domain error for `error`, or `error` itself when retrying cannot help (bugs, missing table, access). */
export function translateDynamoDbError(error: unknown, action: string): BrokerError | unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { name, code, $metadata } = error as SdkErrorShape;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof name === 'string' && THROTTLING.has(name)) {
    return new ThrottledError(`DynamoDB throttled ${action}: ${message}`, { cause: error });
  }
  if (
    (typeof name === 'string' && TRANSIENT.has(name)) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  ) {
    return new TransientError(`DynamoDB failed to ${action}: ${message}`, { cause: error });
  }
  return error;
}
