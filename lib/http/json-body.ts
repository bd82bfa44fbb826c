// Middy middleware for JSON request bodies: size limit (413), media type (415) and syntax (400), in
// that order, before any handler code runs. The parsed value lands on `event.jsonBody`.
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { InputError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../domain/errors.js';

export const MAX_JSON_BODY_BYTES = 64 * 1024;

export type JsonBodyEvent = APIGatewayProxyEventV2 & { jsonBody: unknown };

export interface JsonBodyOptions {
  maxBytes?: number;
}

/** `application/json` or any `application/<x>+json`, optionally with charset=utf-8. */
function checkMediaType(contentType: string | undefined): void {
  const hint = 'send the body as JSON with Content-Type: application/json';
  if (contentType === undefined || contentType.trim() === '') {
    throw new UnsupportedMediaTypeError(`The request has no Content-Type; ${hint}.`);
  }
  const [essence = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  const type = essence.toLowerCase();
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new UnsupportedMediaTypeError(`Content-Type "${essence}" is not supported; ${hint}.`);
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    if (name.toLowerCase() === 'charset' && value.replace(/"/g, '').toLowerCase() !== 'utf-8') {
      throw new UnsupportedMediaTypeError(`charset "${value}" is not supported; send UTF-8 JSON.`);
    }
  }
}

function bodyBytes(event: APIGatewayProxyEventV2): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

export function jsonBody(
  options: JsonBodyOptions = {},
): MiddlewareObj<JsonBodyEvent, APIGatewayProxyStructuredResultV2> {
  const maxBytes = options.maxBytes ?? MAX_JSON_BODY_BYTES;
  return {
    name: 'jsonBody',
    before: (request) => {
      const event = request.event;
      const bytes = bodyBytes(event);
      if (bytes.length > maxBytes) {
        throw new PayloadTooLargeError(
          `The request body is ${bytes.length} bytes; the limit is ${maxBytes} bytes (${maxBytes / 1024} KiB).`,
        );
      }
      checkMediaType(event.headers?.['content-type']);
      if (bytes.length === 0) {
        throw new InputError('The request body is empty; send a JSON object.', [
          { path: '', message: 'a JSON object is required' },
        ]);
      }
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
      let parsed: unknown;
      try {
        parsed = JSON.parse(text.decode(bytes));
      } catch (error) {
        const reason = error instanceof Error ? error.message : 'unreadable';
        throw new InputError(`The request body is not valid UTF-8 JSON (${reason}); send a JSON object.`, [
          { path: '', message: 'not valid JSON' },
        ]);
      }
      event.jsonBody = parsed;
    },
  };
}
