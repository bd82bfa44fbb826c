// The HTTP client of the command-line client: one method per API operation, with request and response
// types inferred from the zod schemas the OpenAPI document is generated from.
import type * as z from 'zod/mini';
import type { CreateBindingRequestSchema } from '../domain/binding-rules.js';
import type { UpdateBindingRequestSchema, VerifyBindingRequestSchema } from '../domain/update-rules.js';
import type { ListBindingsQuerySchema } from '../http/list-bindings-query.js';
import {
  type BindingEventListSchema,
  type BindingPageSchema,
  type BindingSchema,
  ProblemSchema,
} from '../openapi/api-schemas.js';
import { ApiProblemError, ApiUnreachableError, UnexpectedResponseError } from './cli-errors.js';

export type Binding = z.output<typeof BindingSchema>;
export type Step = Binding['steps'][number];
export type BindingPage = z.output<typeof BindingPageSchema>;
export type BindingEventList = z.output<typeof BindingEventListSchema>;
export type BindingEvent = BindingEventList['items'][number];
export type Problem = z.output<typeof ProblemSchema>;
/** What the caller sends: the schemas' input side (defaults still unapplied; the server applies them). */
export type CreateBindingBody = z.input<typeof CreateBindingRequestSchema>;
export type UpdateBindingBody = z.input<typeof UpdateBindingRequestSchema>;
export type VerifyBindingBody = z.input<typeof VerifyBindingRequestSchema>;
export type ListBindingsParams = z.input<typeof ListBindingsQuerySchema>;

/** The operations this client calls, by OpenAPI operationId (a unit test holds them to the document). */
export const OPERATIONS = {
  createBinding: { method: 'POST', path: '/v1/bindings' },
  listBindings: { method: 'GET', path: '/v1/bindings' },
  getBinding: { method: 'GET', path: '/v1/bindings/{id}' },
  updateBinding: { method: 'PATCH', path: '/v1/bindings/{id}' },
  deleteBinding: { method: 'DELETE', path: '/v1/bindings/{id}' },
  retryBinding: { method: 'POST', path: '/v1/bindings/{id}/retry' },
  verifyBinding: { method: 'POST', path: '/v1/bindings/{id}/verify' },
  listBindingEvents: { method: 'GET', path: '/v1/bindings/{id}/events' },
} as const;
export type OperationId = keyof typeof OPERATIONS;

/** What the commands need of the API; the HTTP client below, or a fake in tests. */
export interface BrokerApi {
  createBinding(body: CreateBindingBody, options?: { idempotencyKey?: string }): Promise<Binding>;
  getBinding(id: string): Promise<Binding>;
  listBindings(params: ListBindingsParams): Promise<BindingPage>;
  updateBinding(id: string, body: UpdateBindingBody): Promise<Binding>;
  deleteBinding(id: string): Promise<Binding>;
  retryBinding(id: string): Promise<Binding>;
  verifyBinding(id: string, body: VerifyBindingBody): Promise<Binding>;
  listBindingEvents(id: string): Promise<BindingEventList>;
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
};

/** Fields of an error read without `instanceof`: fetch's errors may come from another realm (a VM context). */
interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function networkReason(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const like = current as ErrorLike;
    if (typeof like.code === 'string') return NETWORK_REASONS[like.code] ?? like.code;
    // undici reports a refused connection of a dual-stack host as an AggregateError of both attempts.
    current = Array.isArray(like.errors) && like.errors.length > 0 ? like.errors[0] : like.cause;
  }
  const like = error as ErrorLike | undefined;
  if (like?.message === 'fetch failed') {
    const cause = like.cause as ErrorLike | undefined;
    return typeof cause?.message === 'string' ? cause.message : 'request failed';
  }
  return undefined;
}

export class HttpBrokerApi implements BrokerApi {
  private readonly baseUrl: string;

  constructor(
    apiUrl: string,
    private readonly token: () => Promise<string | undefined>,
  ) {
    this.baseUrl = apiUrl.replace(/\/+$/, '');
  }

  createBinding(body: CreateBindingBody, options: { idempotencyKey?: string } = {}): Promise<Binding> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { 'idempotency-key': options.idempotencyKey }
      : {};
    return this.call<Binding>('createBinding', {}, { body, headers });
  }

  getBinding(id: string): Promise<Binding> {
    return this.call<Binding>('getBinding', { id });
  }

  listBindings(params: ListBindingsParams): Promise<BindingPage> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    return this.call<BindingPage>('listBindings', {}, { query });
  }

  updateBinding(id: string, body: UpdateBindingBody): Promise<Binding> {
    return this.call<Binding>('updateBinding', { id }, { body });
  }

  deleteBinding(id: string): Promise<Binding> {
    return this.call<Binding>('deleteBinding', { id });
  }

  retryBinding(id: string): Promise<Binding> {
    return this.call<Binding>('retryBinding', { id });
  }

  verifyBinding(id: string, body: VerifyBindingBody): Promise<Binding> {
    return this.call<Binding>('verifyBinding', { id }, { body });
  }

  listBindingEvents(id: string): Promise<BindingEventList> {
    return this.call<BindingEventList>('listBindingEvents', { id });
  }

  private async call<T>(
    operation: OperationId,
    pathParams: Record<string, string>,
    options: { body?: unknown; headers?: Record<string, string>; query?: URLSearchParams } = {},
  ): Promise<T> {
    const { method, path } = OPERATIONS[operation];
    const resolved = path.replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(pathParams[name] ?? ''),
    );
    const search = options.query?.toString();
    const url = `${this.baseUrl}${resolved}${search ? `?${search}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const request = `${method} ${resolved}`;

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (error) {
      const reason = networkReason(error);
      if (reason) throw new ApiUnreachableError(this.baseUrl, reason, { cause: error });
      throw error;
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok && json !== undefined) return json as T;
    const problem = ProblemSchema.safeParse(json);
    if (!response.ok && problem.success) throw new ApiProblemError(problem.data, request);
    if (!response.ok) {
      // Not ours: a gateway in front of the API (API Gateway's JWT authorizer answers {"message": …}).
      const message = (json as { message?: unknown } | undefined)?.message;
      throw new ApiProblemError(
        {
          type: 'about:blank',
          title: response.statusText || `HTTP ${response.status}`,
          status: response.status,
          detail: typeof message === 'string' ? message : text.slice(0, 200) || 'no body',
        },
        request,
      );
    }
    throw new UnexpectedResponseError(
      `${request} answered ${response.status} ${response.statusText} with ${
        text === '' ? 'no body' : `a body that is not the API's JSON: ${text.slice(0, 200)}`
      }`,
    );
  }
}
