// GET /v1/bindings/{id} as a middy handler over the store port; others' bindings are not found.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiPorts } from '../../ports/api-ports.js';
import { getBinding } from '../../use-cases/get-binding.js';
import { type AccessControl, visibleOr404 } from '../auth/access-control.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function getBindingHandler(
  deps: Pick<ApiPorts, 'store'> & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const caller = deps.access.callerOf(event);
      const id = event.pathParameters?.id ?? '';
      return jsonResponse(200, visibleOr404(caller, id, await getBinding(id, deps)));
    });
}
