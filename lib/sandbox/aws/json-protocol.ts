// The awsJson1_1 wire format EventBridge speaks: POST / with `X-Amz-Target: AWSEvents.<Operation>`, JSON
// bodies, errors as `{"__type": code, "message": ...}` (and the x-amzn-errortype header).
import type { AwsServiceError } from './aws-service-error.js';
import type { WireResponse } from './query-protocol.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** The operation an awsJson1_1 request names, e.g. `PutEvents` for `AWSEvents.PutEvents`. */
export function jsonTargetOperation(target: string | undefined, prefix: string): string | undefined {
  if (target === undefined || !target.startsWith(`${prefix}.`)) return undefined;
  return target.slice(prefix.length + 1);
}

export function jsonRpcResponse(body: unknown, requestId: string): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId },
    body: JSON.stringify(body ?? {}),
  };
}

export function jsonRpcError(error: AwsServiceError, requestId: string): WireResponse {
  return {
    status: error.httpStatus,
    headers: {
      'content-type': CONTENT_TYPE,
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
      ...error.headers,
    },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}
