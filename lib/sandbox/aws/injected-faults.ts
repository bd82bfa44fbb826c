// What an injected fault looks like on the wire of each AWS service: the codes and statuses the real
// services answer with when they throttle, fail or refuse.
import type { FaultDecision } from '../contracts.js';
import { AwsServiceError } from './aws-service-error.js';

/** awsQuery (IAM, STS), restJson1 (EKS) or awsJson1_1 (EventBridge); both JSON ones name errors alike. */
export type AwsProtocol = 'query' | 'rest-json' | 'json';

/**
 * Turns a fault decision into the error to answer with, or undefined when the call proceeds (no
 * fault, or only latency). `serverErrorIndex` alternates 503 and 500 so both shapes occur.
 */
export function faultError(
  decision: FaultDecision | undefined,
  protocol: AwsProtocol,
  service: string,
  operation: string,
  serverErrorIndex: number,
): AwsServiceError | undefined {
  if (!decision) return undefined;
  const where = `${service}:${operation}`;
  switch (decision.kind) {
    case 'throttle': {
      const headers: Record<string, string> =
        decision.retryAfterSeconds !== undefined ? { 'retry-after': String(decision.retryAfterSeconds) } : {};
      return protocol === 'query'
        ? new AwsServiceError('Throttling', 'Rate exceeded', 400, headers)
        : new AwsServiceError('ThrottlingException', 'Rate exceeded', 429, headers);
    }
    case 'server-error':
      if (serverErrorIndex % 2 === 0) {
        return protocol === 'query'
          ? new AwsServiceError('ServiceUnavailable', 'Service is unable to handle request.', 503)
          : new AwsServiceError('ServiceUnavailableException', 'Service is unavailable. Retry later.', 503);
      }
      return protocol === 'query'
        ? new AwsServiceError(
            'InternalFailure',
            'The request processing has failed because of an unknown error.',
            500,
          )
        : new AwsServiceError('ServerException', 'An internal server error occurred. Retry later.', 500);
    case 'permanent':
      return protocol === 'query'
        ? new AwsServiceError(
            'AccessDenied',
            `Injected permanent fault: ${where} is denied on every call.`,
            403,
          )
        : new AwsServiceError(
            'AccessDeniedException',
            `Injected permanent fault: ${where} is denied on every call.`,
            403,
          );
    default:
      // latency is applied by the caller; cluster-only kinds (image-pull, webhook-no-csr) do not apply to AWS.
      return undefined;
  }
}
