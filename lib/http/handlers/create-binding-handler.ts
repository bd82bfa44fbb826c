// POST /v1/bindings as a middy handler over the API ports; functions/api/create-binding.ts wires it.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiPorts } from '../../ports/api-ports.js';
import { createBinding } from '../../use-cases/create-binding.js';
import { callerOf } from '../caller-identity.js';
import { type JsonBodyEvent, jsonBody } from '../json-body.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function createBindingHandler(
  deps: Pick<ApiPorts, 'store' | 'workflow' | 'clock' | 'ids'>,
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<JsonBodyEvent, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const idempotencyKey = event.headers['idempotency-key'];
      const { binding, created } = await createBinding(
        {
          body: event.jsonBody,
          createdBy: callerOf(event),
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        },
        deps,
      );
      // A replay answers like the first request did, flagged so clients can tell.
      return jsonResponse(202, binding, {
        location: `/v1/bindings/${binding.id}`,
        ...(created ? {} : { 'idempotent-replayed': 'true' }),
      });
    });
}
