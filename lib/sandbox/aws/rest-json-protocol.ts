// The restJson1 wire format EKS speaks: JSON bodies, errors named by the x-amzn-errortype header.
import { AwsServiceError } from './aws-service-error.js';
import type { WireResponse } from './query-protocol.js';

export function jsonResponse(status: number, body: unknown, requestId: string): WireResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': requestId },
    body: JSON.stringify(body),
  };
}

export function jsonError(
  error: AwsServiceError,
  requestId: string,
  fields: Record<string, string> = {},
): WireResponse {
  return {
    status: error.httpStatus,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
      ...error.headers,
    },
    body: JSON.stringify({ message: error.message, ...fields }),
  };
}

/** Parses a JSON request body; an empty body is an empty object, as for operations without payload. */
export function parseJsonObject(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsServiceError('BadRequestException', 'The request body is not valid JSON.', 400);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsServiceError('BadRequestException', 'The request body must be a JSON object.', 400);
  }
  return parsed as Record<string, unknown>;
}

/** Epoch seconds with a fraction: restJson1's default timestamp format. */
export function epochSeconds(iso: string): number {
  return new Date(iso).getTime() / 1000;
}
