// PATCH /v1/bindings/{id} as a middy handler: 202 with the binding PENDING while the role is reconciled.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RerunDeps } from '../../use-cases/retry-binding.js';
import { updateBinding } from '../../use-cases/update-binding.js';
import { callerOf } from '../caller-identity.js';
import { type JsonBodyEvent, jsonBody } from '../json-body.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function updateBindingHandler(deps: RerunDeps, options: ProblemErrorHandlerOptions = {}) {
  return middy<JsonBodyEvent, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const binding = await updateBinding(
        { id: event.pathParameters?.id ?? '', body: event.jsonBody, actor: callerOf(event) },
        deps,
      );
      return jsonResponse(202, binding, { location: `/v1/bindings/${binding.id}` });
    });
}
