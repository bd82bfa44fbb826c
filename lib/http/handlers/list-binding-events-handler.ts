// GET /v1/bindings/{id}/events: the binding's audit trail (status changes and API calls), oldest first.
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiPorts } from '../../ports/api-ports.js';
import { getBinding } from '../../use-cases/get-binding.js';
import { type AccessControl, visibleOr404 } from '../auth/access-control.js';
import { type ProblemErrorHandlerOptions, problemErrorHandler } from '../problem-error-handler.js';
import { jsonResponse } from '../responses.js';

export function listBindingEventsHandler(
  deps: Pick<ApiPorts, 'store'> & { access: AccessControl },
  options: ProblemErrorHandlerOptions = {},
) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(httpHeaderNormalizer())
    .use(problemErrorHandler(options))
    .handler(async (event) => {
      const caller = deps.access.callerOf(event);
      const id = event.pathParameters?.id ?? '';
      // The same visibility as the binding itself: others' ids are not found.
      visibleOr404(caller, id, await getBinding(id, deps));
      const events = await deps.store.listEvents(id);
      events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
      return jsonResponse(200, { items: events });
    });
}
