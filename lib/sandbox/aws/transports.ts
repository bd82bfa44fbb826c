// The two ways a client reaches the account's endpoint: in process, as a smithy HttpHandler given to
// an SDK client's `requestHandler`, or over HTTP on 127.0.0.1 (AWS_ENDPOINT_URL_IAM/_STS/_EKS).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type HttpHandler, type HttpRequest, HttpResponse } from '@smithy/protocol-http';
import type { WireResponse } from './query-protocol.js';
import type { IncomingRequest } from './sigv4-verifier.js';

export type AwsEndpoint = (request: IncomingRequest) => Promise<WireResponse>;

async function bodyText(body: unknown): Promise<string> {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  // Read the bytes through the buffer: the SDK's JSON body adapter warns when its string view is used.
  if (body instanceof Uint8Array)
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (body instanceof Readable || (typeof body === 'object' && Symbol.asyncIterator in body)) {
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  throw new TypeError(`The sandbox cannot read a request body of type ${typeof body}.`);
}

function lowerCaseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

/** An SDK request handler that answers from the endpoint without leaving the process. */
export function createInProcessHandler(endpoint: AwsEndpoint): HttpHandler {
  return {
    async handle(request: HttpRequest) {
      const query: Record<string, string | string[]> = {};
      for (const [key, value] of Object.entries(request.query ?? {})) {
        if (value !== null && value !== undefined) query[key] = value;
      }
      const headers = lowerCaseHeaders(request.headers);
      if (headers.host === undefined)
        headers.host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
      const answer = await endpoint({
        method: request.method,
        path: request.path,
        query,
        headers,
        body: await bodyText(request.body),
      });
      const body = Buffer.from(answer.body);
      return {
        response: new HttpResponse({
          statusCode: answer.status,
          reason: '',
          headers: { ...answer.headers, 'content-length': String(body.length) },
          body: Readable.from([body]),
        }),
      };
    },
    updateHttpClientConfig() {
      // Nothing to configure: there is no connection pool in process.
    },
    httpHandlerConfigs: () => ({}),
  };
}

function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(search)) {
    const existing = query[key];
    query[key] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

async function readMessage(message: IncomingMessage): Promise<IncomingRequest> {
  const url = message.url ?? '/';
  const at = url.indexOf('?');
  return {
    method: message.method ?? 'GET',
    path: at === -1 ? url : url.slice(0, at),
    query: queryOf(at === -1 ? '' : url.slice(at + 1)),
    headers: lowerCaseHeaders(message.headers),
    body: await bodyText(message),
  };
}

export interface ListeningEndpoint {
  url: string;
  close(): Promise<void>;
}

/** Serves the endpoint over plain HTTP on 127.0.0.1; port 0 picks a free port. */
export function listenHttp(endpoint: AwsEndpoint, port = 0): Promise<ListeningEndpoint> {
  const server = createServer((message, response) => {
    readMessage(message)
      .then(endpoint)
      .then((answer) => {
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      })
      .catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(`sandbox endpoint failed: ${(error as Error).message ?? String(error)}`);
      });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`Port ${port} on 127.0.0.1 is in use; pick another port or pass 0 for a free one.`)
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${bound}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
