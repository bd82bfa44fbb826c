// Builders of API Gateway HTTP API (payload 2.0) events and Lambda contexts for handler tests.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { JsonBodyEvent } from '../../lib/http/json-body.js';

export interface EventInit {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
  query?: Record<string, string>;
  pathParameters?: Record<string, string>;
  /** Claims of a JWT authorizer; none means no authorizer (local). */
  claims?: Record<string, unknown>;
}

export function httpEvent(init: EventInit = {}): JsonBodyEvent {
  const method = init.method ?? 'GET';
  const path = init.path ?? '/v1/bindings';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(init.query ?? {}).toString(),
    headers: init.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'jest' },
      requestId: 'req-1',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '01/Jun/2025:00:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: init.isBase64Encoded ?? false,
  };
  if (init.body !== undefined) event.body = init.body;
  if (init.query) event.queryStringParameters = init.query;
  if (init.pathParameters) event.pathParameters = init.pathParameters;
  if (init.claims) {
    Object.assign(event.requestContext, { authorizer: { jwt: { claims: init.claims, scopes: [] } } });
  }
  // jsonBody() fills this in; handlers without it never read it.
  return event as JsonBodyEvent;
}

export function jsonPost(body: unknown, headers: Record<string, string> = {}): JsonBodyEvent {
  return httpEvent({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export const lambdaContext = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'irsa-broker-test-fn',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:irsa-broker-test-fn',
  memoryLimitInMB: '256',
  awsRequestId: 'aws-req-1',
  logGroupName: '/aws/lambda/irsa-broker-test-fn',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} satisfies Context;

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function parse(result: APIGatewayProxyStructuredResultV2): ParsedResponse {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  return {
    status: result.statusCode ?? 200,
    headers,
    body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {},
  };
}
