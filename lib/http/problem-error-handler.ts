// Middy middleware: every failure leaves as application/problem+json; unexpected ones are logged, not leaked.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse } from './problem.js';

export interface ProblemErrorHandlerOptions {
  /** Where unexpected (5xx) failures are reported; console.error by default. */
  log?: (message: string, error: unknown) => void;
}

export function problemErrorHandler<TEvent>(
  options: ProblemErrorHandlerOptions = {},
): MiddlewareObj<TEvent, APIGatewayProxyStructuredResultV2> {
  const log = options.log ?? ((message: string, error: unknown) => console.error(message, error));
  return {
    name: 'problemErrorHandler',
    onError: (request) => {
      const response = errorResponse(request.error);
      if ((response.statusCode ?? 500) >= 500) {
        log(`request ${request.context.awsRequestId} failed`, request.error);
      }
      request.response = response;
    },
  };
}
