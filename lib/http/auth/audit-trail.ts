// Middy middleware: every mutating call on a binding lands in its events with caller, time, request and outcome.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BINDING_STATUSES, type BindingEvent, type BindingStatus } from '../../domain/binding.js';
import { isBrokerError, NotFoundError } from '../../domain/errors.js';
import { isBindingId } from '../../domain/names.js';
import type { ApiPorts } from '../../ports/api-ports.js';
import type { AccessControl } from './access-control.js';

export interface AuditTrailOptions {
  /** Where a failed audit write is reported; console.error by default. The call's answer stands. */
  log?: (message: string, error: unknown) => void;
  /**
   * Where calls that name no stored binding (a refused create, an unknown id) are recorded. By default,
   * inside Lambda, one JSON line `{"audit": …}` to the function's log (CloudWatch Logs); elsewhere
   * nowhere (the local runtime logs every request itself).
   */
  unbound?: (entry: UnboundAuditEntry) => void;
}

/** An audit record of a mutating call that has no binding to be kept with. */
export interface UnboundAuditEntry {
  at: string;
  actor: string;
  request: { method: string; path: string; requestId: string; body?: unknown };
  outcome: { status: number; code?: string };
}

function lambdaLogSink(entry: UnboundAuditEntry): void {
  // Lambda's runtime sets this; CloudWatch Logs keeps what the function writes to stdout.
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) process.stdout.write(`${JSON.stringify({ audit: entry })}\n`);
}

/** The caller's subject for the record, even for calls the access check refused. */
function actorOf(access: AccessControl, event: APIGatewayProxyEventV2): string {
  try {
    return access.callerOf(event).subject;
  } catch {
    return 'unauthenticated';
  }
}

function responseJson(
  response: APIGatewayProxyStructuredResultV2 | null | undefined,
): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(response?.body ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The binding a call is about: the `{id}` of the path, or the one a create answered with. Calls that
 * name no existing binding (a refused create, an unknown id) have nowhere to be kept and are not.
 */
function bindingIdOf(event: APIGatewayProxyEventV2, body: Record<string, unknown>, status: number) {
  const fromPath = event.pathParameters?.id;
  if (fromPath !== undefined) return isBindingId(fromPath) ? fromPath : undefined;
  return status < 300 && typeof body.id === 'string' && isBindingId(body.id) ? body.id : undefined;
}

/** The status a successful answer gives the binding it is about, if it carries that binding. */
function answeredStatus(
  body: Record<string, unknown>,
  id: string,
  status: number,
): BindingStatus | undefined {
  if (status >= 300 || body.id !== id) return undefined;
  return BINDING_STATUSES.find((known) => known === body.status);
}

export function auditTrail<TEvent extends APIGatewayProxyEventV2>(
  deps: Pick<ApiPorts, 'store' | 'clock'> & { access: AccessControl },
  options: AuditTrailOptions = {},
): MiddlewareObj<TEvent, APIGatewayProxyStructuredResultV2> {
  const log = options.log ?? ((message: string, error: unknown) => console.error(message, error));
  const record = async (
    event: TEvent,
    response: APIGatewayProxyStructuredResultV2 | null | undefined,
    error: unknown,
  ) => {
    const status = response?.statusCode ?? 500;
    const body = responseJson(response);
    const code = status >= 400 ? (isBrokerError(error) ? error.code : 'Internal') : undefined;
    const jsonBody = (event as { jsonBody?: unknown }).jsonBody;
    const method = event.requestContext.http.method;
    const path = event.rawPath;
    const unbound = () =>
      (options.unbound ?? lambdaLogSink)({
        at: deps.clock.now().toISOString(),
        actor: actorOf(deps.access, event),
        request: {
          method,
          path,
          requestId: event.requestContext.requestId,
          ...(jsonBody === undefined ? {} : { body: jsonBody }),
        },
        outcome: { status, ...(code ? { code } : {}) },
      });
    const id = bindingIdOf(event, body, status);
    if (id === undefined) return unbound();
    try {
      // A successful call answers with the binding as it left it; only other answers need a read.
      let state = answeredStatus(body, id, status);
      if (state === undefined) {
        const current = await deps.store.get(id);
        if (!current) return unbound();
        state = current.status as BindingStatus;
      }
      const entry: BindingEvent = {
        bindingId: id,
        at: deps.clock.now().toISOString(),
        actor: actorOf(deps.access, event),
        from: state,
        to: state,
        detail: `${method} ${path} → ${status}${code ? ` ${code}` : ''}`,
        request: {
          method,
          path,
          requestId: event.requestContext.requestId,
          ...(jsonBody === undefined ? {} : { body: jsonBody }),
        },
        outcome: { status, ...(code ? { code } : {}) },
      };
      // The binding was just answered with or read: it exists, and bindings are never removed.
      await deps.store.appendEvent(entry, { bindingSeen: true });
    } catch (failure) {
      if (failure instanceof NotFoundError) return unbound();
      log(`audit record of ${event.requestContext.requestId} for binding ${id} failed`, failure);
    }
  };
  return {
    name: 'auditTrail',
    after: async (request) => {
      await record(request.event, request.response, undefined);
    },
    onError: async (request) => {
      await record(request.event, request.response, request.error);
    },
  };
}
