// POST /v1/bindings/{id}/verify as a middy handler: 202 while the drift check runs. The body is optional;
// `{"repair": true}` asks to repair what irsa-broker owns.
import middy, { type MiddlewareObj } from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { startDriftCheck } from '../../use-cases/check-drift.js';
import type { RerunDeps } from '../../use-cases/retry-binding.js';
import { type AccessControl, visibleBinding } from '../auth/access-control.js';
import { auditTrail } from '../auth/audit-trail.js';
import { type JsonBodyEvent, jsonBody } from '../json-body.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

/** jsonBody for a body that may be left out: no body at all is `undefined`, anything sent must be JSON. */
function optionalJsonBody(): MiddlewareObj<JsonBodyEvent, APIGatewayProxyStructuredResultV2> {
  const parse = jsonBody();
  return {
    name: 'optionalJsonBody',
    before: (request) => {
      const { body } = request.event;
      if (body === undefined || body === null || body === '') {
        request.event.jsonBody = undefined;
        return;
      }
      return parse.before?.(request);
    },
  };
}

export function verifyBindingHandler(
  deps: RerunDeps & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<JsonBodyEvent, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(optionalJsonBody())
    .use(auditTrail(deps, options))
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const { caller } = await visibleBinding(deps, event);
      const binding = await startDriftCheck(
        { id: event.pathParameters?.id ?? '', body: event.jsonBody, actor: caller.subject },
        deps,
      );
      return jsonResponse(202, binding, { location: `/v1/bindings/${binding.id}` });
    });
}
