// Kubernetes `Status` failures as the API server returns them, and the error that carries one out
// of a handler.
import type { JsonObject } from './json.js';

export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class KubeStatusError extends Error {
  override readonly name = 'KubeStatusError';
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = JSON.parse(JSON.stringify(this.details)) as JsonObject;
    return status;
  }
}

/** The resource identity that appears in messages: `pods`, `deployments.apps`. */
export interface ResourceRef {
  group: string;
  plural: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}

export function notFound(ref: ResourceRef, name: string): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, {
    name,
    group: ref.group || undefined,
    kind: ref.plural,
  });
}

export function alreadyExists(ref: ResourceRef, name: string): KubeStatusError {
  return new KubeStatusError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, {
    name,
    group: ref.group || undefined,
    kind: ref.plural,
  });
}

export function conflict(
  ref: ResourceRef,
  name: string,
  why: string,
  causes?: StatusCause[],
): KubeStatusError {
  return new KubeStatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`,
    {
      name,
      group: ref.group || undefined,
      kind: ref.plural,
      causes,
    },
  );
}

export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): KubeStatusError {
  const summary = causes.map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`);
  const joined = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new KubeStatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes,
  });
}

export function badRequest(message: string): KubeStatusError {
  return new KubeStatusError(400, 'BadRequest', message);
}

export function unauthorized(): KubeStatusError {
  return new KubeStatusError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(
  ref: ResourceRef | undefined,
  name: string | undefined,
  message: string,
): KubeStatusError {
  const subject = ref ? `${qualified(ref)}${name ? ` "${name}"` : ''} is forbidden: ` : 'forbidden: ';
  return new KubeStatusError(403, 'Forbidden', `${subject}${message}`, {
    name,
    group: ref?.group || undefined,
    kind: ref?.plural,
  });
}

export function methodNotAllowed(method: string, path: string): KubeStatusError {
  return new KubeStatusError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource`,
    {
      causes: [{ reason: 'MethodNotAllowed', message: `${method} is not supported on ${path}` }],
    },
  );
}

export function tooManyRequests(retryAfterSeconds: number): KubeStatusError {
  return new KubeStatusError(
    429,
    'TooManyRequests',
    'the server has received too many requests and has asked us to try again later',
    { retryAfterSeconds },
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function internalError(message: string): KubeStatusError {
  return new KubeStatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ reason: 'UnexpectedServerResponse', message }],
  });
}

export function serviceUnavailable(): KubeStatusError {
  return new KubeStatusError(
    503,
    'ServiceUnavailable',
    'the server is currently unable to handle the request',
    {
      retryAfterSeconds: 1,
    },
    { 'Retry-After': '1' },
  );
}

export function unsupportedMediaType(contentType: string): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
  );
}
