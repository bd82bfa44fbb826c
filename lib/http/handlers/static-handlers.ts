// GET /v1/openapi.json and GET /v1/health: no ports, nothing to wire.
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function openApiHandler(document: unknown) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(problemErrorHandler())
    .handler(async () => jsonResponse(200, document, { 'cache-control': 'public, max-age=300' }));
}

export function healthHandler() {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(problemErrorHandler())
    .handler(async () => jsonResponse(200, { status: 'ok' }));
}
