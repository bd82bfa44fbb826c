// DELETE /v1/bindings/{id} as a middy handler: 202 while the unbind runs, 200 with the binding unchanged
// once it is DELETED.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type DeleteBindingDeps, deleteBinding } from '../../use-cases/delete-binding.js';
import { type AccessControl, visibleBinding } from '../auth/access-control.js';
import { auditTrail } from '../auth/audit-trail.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function deleteBindingHandler(
  deps: DeleteBindingDeps & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(auditTrail(deps, options))
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const { caller } = await visibleBinding(deps, event);
      const { binding, accepted } = await deleteBinding(event.pathParameters?.id ?? '', caller.subject, deps);
      return jsonResponse(accepted ? 202 : 200, binding, { location: `/v1/bindings/${binding.id}` });
    });
}
