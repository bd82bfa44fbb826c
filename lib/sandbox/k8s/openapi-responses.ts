// Answers the OpenAPI endpoints as kube-apiserver does: /openapi/v2 as JSON or gnostic protobuf by
// the Accept header (kube-openapi's handler), and /openapi/v3 as JSON from 1.24.
import { openApiDocuments } from './openapi-documents.js';
import { KubeStatusError } from './status.js';

export interface OpenApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

const OPENAPI_V3_MINOR = 24;
/**
 * From 1.27 (kube-openapi of 2023) /openapi/v2 names its Content-Type, accepts the protobuf type
 * without the `@`, and gives both encodings the JSON's ETag; before, Go's content sniffing named the
 * type and each encoding had the hash of its own bytes.
 */
const OPENAPI_V2_CONTENT_TYPE_MINOR = 27;

const PROTOBUF_DEPRECATED = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const notFound = () =>
  new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

/**
 * The Accept header's media ranges, preferred first: by q, then the more specific. As goautoneg parses
 * them, a bare `*` is any type, a range without a subtype is dropped, and q=0 excludes nothing
 * (kube-openapi serves the first range it can, whatever its q).
 */
function mediaRanges(accept: string | undefined): MediaRange[] {
  const ranges = (accept?.trim() ? accept : '*/*').split(',').flatMap((part) => {
    const [range = '', ...params] = part.split(';').map((p) => p.trim());
    const pieces = range.split('/').map((p) => p.trim());
    const [type = '', subtype] = pieces.length === 1 && pieces[0] === '*' ? ['*', '*'] : pieces;
    if (pieces.length > 2 || subtype === undefined) return [];
    const qParam = params.find((p) => p.split('=')[0]?.trim() === 'q');
    const q = qParam ? Number(qParam.slice(qParam.indexOf('=') + 1)) : 1;
    return [{ type, subtype, q: Number.isNaN(q) ? 0 : q }];
  });
  const specificity = (r: MediaRange) => (r.type === '*' ? 0 : r.subtype === '*' ? 1 : 2);
  return ranges.sort((a, b) => b.q - a.q || specificity(b) - specificity(a));
}

/** Whether an If-None-Match list names `etag` (weak comparison, as Go's ServeContent does). */
function noneMatch(header: string, etag: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/** /openapi/v2 in the first encoding the Accept header admits, with ServeContent's caching headers. */
function openApiV2(
  documents: ReturnType<typeof openApiDocuments>,
  headers: Record<string, string | undefined>,
  minor: number,
): OpenApiResponse {
  const named = minor >= OPENAPI_V2_CONTENT_TYPE_MINOR;
  const jsonEtag = `"${documents.v2Hash}"`;
  const encodings: {
    range: string;
    contentType: string;
    encoded: () => { body: string | Uint8Array; etag: string };
  }[] = [
    {
      range: 'application/json',
      contentType: named ? 'application/json' : 'text/plain; charset=utf-8',
      encoded: () => ({ body: documents.v2, etag: jsonEtag }),
    },
    ...[PROTOBUF_DEPRECATED, ...(named ? [PROTOBUF] : [])].map((range) => ({
      range,
      contentType: named ? PROTOBUF : 'application/octet-stream',
      encoded: () => {
        const { bytes, hash } = documents.v2Protobuf();
        return { body: bytes, etag: named ? jsonEtag : `"${hash}"` };
      },
    })),
  ];
  const vary = { vary: 'Accept', 'cache-control': 'no-cache, private' };
  for (const range of mediaRanges(headers.accept)) {
    const found = encodings.find(({ range: served }) => {
      const [type, subtype] = served.split('/') as [string, string];
      return (
        (range.type === '*' || range.type === type) && (range.subtype === '*' || range.subtype === subtype)
      );
    });
    if (!found) continue;
    const { body, etag } = found.encoded();
    const lastModified = documents.builtAt.toUTCString();
    const cache = { ...vary, 'accept-ranges': 'bytes', etag, 'last-modified': lastModified };
    const ifNoneMatch = headers['if-none-match'];
    const ifModifiedSince = headers['if-modified-since'];
    const unchanged = ifNoneMatch
      ? noneMatch(ifNoneMatch, etag)
      : ifModifiedSince !== undefined &&
        Math.floor(documents.builtAt.getTime() / 1000) * 1000 <= Date.parse(ifModifiedSince);
    if (unchanged) {
      const { 'last-modified': _, ...notModified } = cache;
      return { status: 304, headers: notModified, body: '' };
    }
    return { status: 200, headers: { ...cache, 'content-type': found.contentType }, body };
  }
  // kube-openapi answers an unacceptable type with a bare 406, no Status body.
  return { status: 406, headers: vary, body: '' };
}

/** The response for `path` under /openapi, or undefined when the path is not an OpenAPI one. */
export function openApiResponse(
  path: string,
  query: URLSearchParams,
  headers: Record<string, string | undefined>,
  minor: number,
  gitVersion: string,
): OpenApiResponse | undefined {
  if (path !== '/openapi/v2' && path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return undefined;
  const documents = openApiDocuments(minor, gitVersion);
  if (path === '/openapi/v2') return openApiV2(documents, headers, minor);
  const json = (body: string, etag?: string, immutable = false): OpenApiResponse => ({
    status: 200,
    headers: {
      'content-type': 'application/json',
      ...(etag ? { etag: `"${etag}"` } : {}),
      'cache-control': immutable ? 'public, immutable' : 'no-cache, private',
    },
    body,
  });
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
