// Answers the OpenAPI endpoints as kube-apiserver does: JSON for v3 (from 1.24) and, when the client
// accepts it, for v2 (the sandbox has no protobuf encoder, so a protobuf-only v2 request gets 406).
import { openApiDocuments } from './openapi-documents.js';
import { KubeStatusError } from './status.js';

export interface OpenApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const OPENAPI_V3_MINOR = 24;

const notFound = () =>
  new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept
    .split(',')
    .map((part) => part.split(';')[0]!.trim())
    .some((type) => type === 'application/json' || type === '*/*' || type === 'application/*');
}

/** The response for `path` under /openapi, or undefined when the path is not an OpenAPI one. */
export function openApiResponse(
  path: string,
  query: URLSearchParams,
  accept: string | undefined,
  minor: number,
  gitVersion: string,
): OpenApiResponse | undefined {
  if (path !== '/openapi/v2' && path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return undefined;
  const documents = openApiDocuments(minor, gitVersion);
  const json = (body: string, etag?: string, immutable = false): OpenApiResponse => ({
    status: 200,
    headers: {
      'content-type': 'application/json',
      ...(etag ? { etag: `"${etag}"` } : {}),
      'cache-control': immutable ? 'public, immutable' : 'no-cache, private',
    },
    body,
  });
  if (path === '/openapi/v2') {
    if (!acceptsJson(accept))
      throw new KubeStatusError(
        406,
        'NotAcceptable',
        `only the following media types are accepted: application/json`,
      );
    return json(documents.v2);
  }
  // /openapi/v3 is served by default from 1.24 (beta); older servers have only v2.
  if (minor < OPENAPI_V3_MINOR) throw notFound();
  if (path === '/openapi/v3') return json(documents.v3Index);
  const doc = documents.v3.get(path.slice('/openapi/v3/'.length).replace(/\/$/, ''));
  if (!doc) throw notFound();
  const hash = query.get('hash');
  // A stale hash (the document changed since the index was read) is sent on to the current one.
  if (hash && hash !== doc.hash)
    return { status: 301, headers: { location: `${path}?hash=${doc.hash}` }, body: '' };
  return json(doc.body, doc.hash, hash === doc.hash);
}
