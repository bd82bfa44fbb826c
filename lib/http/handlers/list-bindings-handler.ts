// GET /v1/bindings as a middy handler over the store port: `{ items, nextCursor }`, nextCursor null on the last page.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiPorts } from '../../ports/api-ports.js';
import { listBindings } from '../../use-cases/list-bindings.js';
import { parseListBindingsQuery } from '../list-bindings-query.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function listBindingsHandler(deps: Pick<ApiPorts, 'store'>, options: ProblemErrorHandlerOptions = {}) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const page = await listBindings(parseListBindingsQuery(event.queryStringParameters), deps);
      return jsonResponse(200, { items: page.items, nextCursor: page.nextCursor ?? null });
    });
}
