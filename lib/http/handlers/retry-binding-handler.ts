// POST /v1/bindings/{id}/retry as a middy handler: 202 with the binding PENDING again, 409 unless FAILED.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type RerunDeps, retryBinding } from '../../use-cases/retry-binding.js';
import { type AccessControl, visibleBinding } from '../auth/access-control.js';
import { auditTrail } from '../auth/audit-trail.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function retryBindingHandler(
  deps: RerunDeps & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(auditTrail(deps, options))
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const { caller } = await visibleBinding(deps, event);
      const binding = await retryBinding({ id: event.pathParameters?.id ?? '', actor: caller.subject }, deps);
      return jsonResponse(202, binding, { location: `/v1/bindings/${binding.id}` });
    });
}
