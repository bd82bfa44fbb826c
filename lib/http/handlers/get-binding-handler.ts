// GET /v1/bindings/{id} as a middy handler over the store port.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiPorts } from '../../ports/api-ports.js';
import { getBinding } from '../../use-cases/get-binding.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function getBindingHandler(deps: Pick<ApiPorts, 'store'>, options: ProblemErrorHandlerOptions = {}) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler(options))
    .handler(async (event) => jsonResponse(200, await getBinding(event.pathParameters?.id ?? '', deps)));
}
