// A local stand-in for API Gateway HTTP APIs: Node requests become payload-2.0 events for the routed
// function, and its result becomes the HTTP response, shaped the way API Gateway shapes it.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { LocalAuthorizer } from './local-authorizer.js';
import type { RateLimiter } from './rate-limiter.js';
import type { HttpRoute } from './serverless-config.js';

/** API Gateway's own request payload cap for HTTP APIs. */
export const HTTP_API_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface HttpGatewayOptions {
  routes: readonly HttpRoute[];
  /** Runs the routed function with the event; resolves to what the handler returned. */
  invoke(functionName: string, event: APIGatewayProxyEventV2): Promise<unknown>;
  /** 0 or absent: a free port. */
  port?: number;
  host?: string;
  maxPayloadBytes?: number;
  /** Called once per request after the response is written, and for handler failures. */
  log?: (line: string) => void;
  /**
   * Local-only endpoints answered before the routes (the sandbox's `/_sandbox/*`); resolving to
   * undefined passes the request on to the routes. Never part of a deployment.
   */
  localEndpoints?: LocalEndpoints;
  /**
   * Checks requests to routes that declare an authorizer, as API Gateway's JWT authorizer does: refused
   * → 401 before the function runs; accepted → `requestContext.authorizer.jwt` on the event.
   */
  authorizer?: LocalAuthorizer;
  /** Per-caller throttling of the routes (the authorized subject, else the client address) → 429. */
  rateLimiter?: RateLimiter;
}

export interface LocalEndpointResponse {
  status: number;
  body: unknown;
}

export type LocalEndpoints = (request: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
}) => Promise<LocalEndpointResponse | undefined>;

export interface HttpGateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface RouteMatch {
  route: HttpRoute;
  pathParameters: Record<string, string>;
}

export type RouteLookup =
  | { kind: 'found'; match: RouteMatch }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

interface CompiledRoute {
  route: HttpRoute;
  pattern: RegExp;
  names: string[];
  /** Literal segments win over `{param}`, which wins over `{proxy+}` (API Gateway's priority). */
  rank: number;
}

function compile(route: HttpRoute): CompiledRoute {
  if (route.path === '*' || route.path === '$default') {
    return { route, pattern: /^\/.*$/, names: [], rank: -1 };
  }
  const names: string[] = [];
  let rank = 0;
  const source = route.path
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy?.[1]) {
        names.push(greedy[1]);
        return '(.+)';
      }
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param?.[1]) {
        names.push(param[1]);
        rank += 1;
        return '([^/]+)';
      }
      rank += 100;
      return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, rank };
}

/** Finds the route for a method and path, with API Gateway's precedence. */
const compiledRoutes = new WeakMap<readonly HttpRoute[], CompiledRoute[]>();

export function matchRoute(routes: readonly HttpRoute[], method: string, path: string): RouteLookup {
  let compiled = compiledRoutes.get(routes);
  if (!compiled) {
    compiled = routes.map(compile).sort((a, b) => b.rank - a.rank);
    compiledRoutes.set(routes, compiled);
  }
  const allowed: string[] = [];
  for (const candidate of compiled) {
    const found = candidate.pattern.exec(path);
    if (!found) continue;
    if (candidate.route.method !== '*' && candidate.route.method !== method.toUpperCase()) {
      allowed.push(candidate.route.method);
      continue;
    }
    const pathParameters: Record<string, string> = {};
    candidate.names.forEach((name, index) => {
      pathParameters[name] = decodeURIComponent(found[index + 1] ?? '');
    });
    return { kind: 'found', match: { route: candidate.route, pathParameters } };
  }
  return allowed.length > 0 ? { kind: 'method-not-allowed', allowed } : { kind: 'not-found' };
}

const TEXT_TYPES = [/^text\//, /^application\/(json|xml|javascript|yaml)\b/, /\+(json|xml)\b/];

/** HTTP APIs hand text bodies over as they are and everything else base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.toLowerCase();
  return TEXT_TYPES.some((pattern) => pattern.test(type));
}

function clfTime(date: Date): string {
  // API Gateway's requestContext.time: 12/Mar/2020:19:03:58 +0000
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

export function toHttpApiEvent(
  request: IncomingMessage,
  body: Buffer,
  match: RouteMatch,
  requestId: string,
): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    if (name === 'cookie') {
      cookies = [...(cookies ?? []), ...value.split(/;\s*/).filter(Boolean)];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }
  const now = new Date();
  const method = (request.method ?? 'GET').toUpperCase();
  const text = isTextContentType(headers['content-type']);
  const routeKey =
    match.route.method === '*' && match.route.path === '*'
      ? '$default'
      : `${match.route.method} ${match.route.path}`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: routeKey.replace(/^\* /, 'ANY '),
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: routeKey.replace(/^\* /, 'ANY '),
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (Object.keys(match.pathParameters).length > 0) event.pathParameters = match.pathParameters;
  if (body.length > 0) {
    event.body = text ? body.toString('utf8') : body.toString('base64');
    event.isBase64Encoded = !text;
  }
  return event;
}

/** How API Gateway reads a payload-2.0 function result, including the bare-value shorthand. */
export function toStructuredResult(result: unknown): APIGatewayProxyStructuredResultV2 {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    return result as APIGatewayProxyStructuredResultV2;
  }
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body, isBase64Encoded: false };
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

function sendProblem(response: ServerResponse, status: number, title: string, detail: string, extra = {}) {
  const text = JSON.stringify({ type: 'about:blank', title, status, detail });
  response.writeHead(status, { 'content-type': 'application/problem+json', ...extra });
  response.end(text);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) return 'too-large';
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return 'too-large';
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2, requestId: string) {
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  headers['apigw-requestid'] = requestId;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : result.isBase64Encoded
        ? Buffer.from(result.body, 'base64')
        : Buffer.from(result.body, 'utf8');
  headers['content-length'] = body.length;
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(body);
}

export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const limit = options.maxPayloadBytes ?? HTTP_API_MAX_PAYLOAD_BYTES;
  const log = options.log ?? (() => undefined);
  const server: Server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      log(`gateway failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      if (!response.headersSent) sendJson(response, 500, { message: 'Internal Server Error' });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const started = Date.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://localhost');
    const path = url.pathname;
    // Local-only endpoints live under `/_`, a prefix no API route uses.
    if (options.localEndpoints && path.startsWith('/_')) {
      const body = await readBody(request, limit);
      if (body === 'too-large') {
        sendJson(response, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
        request.resume();
        return;
      }
      const answer = await options.localEndpoints({
        method,
        path,
        query: url.searchParams,
        body: body.toString('utf8'),
      });
      if (answer) {
        sendJson(response, answer.status, answer.body);
        log(`${method} ${path} → ${answer.status} (${Date.now() - started} ms)`);
        return;
      }
    }
    let lookup: RouteLookup;
    try {
      lookup = matchRoute(options.routes, method, path);
    } catch (error) {
      // A path parameter with broken percent-encoding (`/v1/bindings/%E0%A4`) is the caller's fault.
      if (!(error instanceof URIError)) throw error;
      request.resume();
      sendProblem(response, 400, 'Bad Request', `The path ${path} is not validly percent-encoded.`);
      return;
    }
    if (lookup.kind === 'not-found') {
      request.resume();
      sendProblem(
        response,
        404,
        'Not Found',
        `No route for ${method} ${path}. Routes are declared in serverless.yml.`,
      );
      return;
    }
    if (lookup.kind === 'method-not-allowed') {
      request.resume();
      const allowed = [...new Set(lookup.allowed)].join(', ');
      sendProblem(response, 405, 'Method Not Allowed', `${path} accepts ${allowed}, not ${method}.`, {
        allow: allowed,
      });
      return;
    }
    const body = await readBody(request, limit);
    if (body === 'too-large') {
      // API Gateway answers this itself; the function never runs.
      sendJson(response, 413, { message: 'Request Entity Too Large' }, { connection: 'close' });
      request.resume();
      return;
    }
    const requestId = randomUUID();
    const event = toHttpApiEvent(request, body, lookup.match, requestId);
    if (lookup.match.route.authorizer !== undefined && options.authorizer) {
      const jwt = options.authorizer(event.headers.authorization);
      if (!jwt) {
        sendProblem(
          response,
          401,
          'Unauthorized',
          'Send Authorization: Bearer <token> with a token the local tokens file defines (see config/local-tokens.example.yaml).',
          { 'www-authenticate': 'Bearer', 'apigw-requestid': requestId },
        );
        log(`${method} ${path} → 401 (${Date.now() - started} ms)`);
        return;
      }
      Object.assign(event.requestContext, { authorizer: { jwt } });
    }
    if (options.rateLimiter) {
      const jwt = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, string> } } })
        .authorizer?.jwt;
      const caller = jwt?.claims?.sub ? `sub:${jwt.claims.sub}` : `ip:${request.socket.remoteAddress ?? ''}`;
      const decision = options.rateLimiter.take(caller);
      if (!decision.allowed) {
        sendProblem(
          response,
          429,
          'Too Many Requests',
          `Too many requests from this caller; retry after ${decision.retryAfterSeconds} s, or send fewer requests per second.`,
          { 'retry-after': String(decision.retryAfterSeconds), 'apigw-requestid': requestId },
        );
        log(`${method} ${path} → 429 (${Date.now() - started} ms)`);
        return;
      }
    }
    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = toStructuredResult(await options.invoke(lookup.match.route.functionName, event));
    } catch (error) {
      log(
        `${lookup.match.route.functionName} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      // API Gateway hides the function's error from the caller.
      sendJson(response, 500, { message: 'Internal Server Error' }, { 'apigw-requestid': requestId });
      return;
    }
    writeResult(response, result, requestId);
    log(`${method} ${path} → ${result.statusCode ?? 200} (${Date.now() - started} ms)`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
