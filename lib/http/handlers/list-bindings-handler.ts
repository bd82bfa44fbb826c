// GET /v1/bindings as a middy handler over the store port: `{ items, nextCursor }`, nextCursor null on the last page.
// A tenant's caller lists only that tenant's bindings (the tenant index); admins list all.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { listTenantFor } from '../../domain/tenant-policy.js';
import type { ApiPorts } from '../../ports/api-ports.js';
import { listBindings } from '../../use-cases/list-bindings.js';
import type { AccessControl } from '../auth/access-control.js';
import { parseListBindingsQuery } from '../list-bindings-query.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function listBindingsHandler(
  deps: Pick<ApiPorts, 'store'> & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const caller = deps.access.callerOf(event);
      const query = parseListBindingsQuery(event.queryStringParameters);
      const tenant = listTenantFor(caller, query.tenant);
      const { tenant: _requested, ...rest } = query;
      const page = await listBindings(tenant === undefined ? rest : { ...rest, tenant }, deps);
      return jsonResponse(200, { items: page.items, nextCursor: page.nextCursor ?? null });
    });
}
