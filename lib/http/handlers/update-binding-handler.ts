// PATCH /v1/bindings/{id} as a middy handler: 202 with the binding PENDING while the role is reconciled.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authorizeChange, bindRequestView } from '../../domain/tenant-policy.js';
import type { RerunDeps } from '../../use-cases/retry-binding.js';
import { updateBinding } from '../../use-cases/update-binding.js';
import { type AccessControl, visibleBinding } from '../auth/access-control.js';
import { auditTrail } from '../auth/audit-trail.js';
import { type JsonBodyEvent, jsonBody } from '../json-body.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function updateBindingHandler(
  deps: RerunDeps & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<JsonBodyEvent, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody())
    .use(auditTrail(deps, options))
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const { caller, binding: current } = await visibleBinding(deps, event);
      // New policy ARNs must still fit the rules of the binding's tenant.
      const policyArns = (event.jsonBody as { policyArns?: unknown } | null)?.policyArns;
      if (Array.isArray(policyArns) && policyArns.every((arn) => typeof arn === 'string')) {
        authorizeChange(caller, current, bindRequestView({ ...current, policyArns }), deps.access.policy);
      }
      const binding = await updateBinding(
        { id: event.pathParameters?.id ?? '', body: event.jsonBody, actor: caller.subject },
        deps,
      );
      return jsonResponse(202, binding, { location: `/v1/bindings/${binding.id}` });
    });
}
