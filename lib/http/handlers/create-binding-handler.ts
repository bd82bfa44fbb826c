// POST /v1/bindings as a middy handler over the API ports; functions/api/create-binding.ts wires it.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { CallbackPolicy } from '../../domain/callback-url.js';
import { authorizeBind, bindRequestView, mayUseExistingTargetRole } from '../../domain/tenant-policy.js';
import type { ApiPorts } from '../../ports/api-ports.js';
import { createBinding } from '../../use-cases/create-binding.js';
import type { AccessControl } from '../auth/access-control.js';
import { auditTrail } from '../auth/audit-trail.js';
import { type JsonBodyEvent, jsonBody } from '../json-body.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function createBindingHandler(
  deps: Pick<ApiPorts, 'store' | 'workflow' | 'clock' | 'ids'> & {
    access: AccessControl;
    /** DENIED_POLICY_ARNS: refused at POST besides the built-in deny-list. */
    deniedPolicyArns?: readonly string[];
    /** Which callback URLs a request may name; absent: none. */
    callbacks?: CallbackPolicy;
  },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<JsonBodyEvent, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(jsonBody())
    .use(auditTrail(deps, options))
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const caller = deps.access.callerOf(event);
      const idempotencyKey = event.headers['idempotency-key'];
      const { binding, created } = await createBinding(
        {
          body: event.jsonBody,
          createdBy: caller.subject,
          authorize: (request) => authorizeBind(caller, bindRequestView(request), deps.access.policy),
          mayUseExistingTargetRole: (targetRoleArn, tenant) =>
            mayUseExistingTargetRole(caller, tenant, targetRoleArn, deps.access.policy),
          ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        },
        deps,
      );
      // A replay answers like the first request did, flagged so clients can tell.
      return jsonResponse(202, binding, {
        location: `/v1/bindings/${binding.id}`,
        ...(created ? {} : { 'idempotent-replayed': 'true' }),
      });
    });
}
