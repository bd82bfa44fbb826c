// Server-side printing: which representation an `Accept` header asks for (a meta.k8s.io Table or
// plain JSON), and a list or a single object turned into the Table kube-apiserver would answer.
import { child, type JsonObject } from './json.js';
import type { ResourceType } from './resource-types.js';
import { badRequest, KubeStatusError } from './status.js';
import { printerFor } from './table-printers.js';

export type Representation = { as: 'json' } | { as: 'table'; version: 'v1' | 'v1beta1' };

const notAcceptable = () =>
  new KubeStatusError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1beta1;g=meta.k8s.io',
  );

/** The first media range of `accept` (by q, then order) the server can produce. */
export function negotiate(accept: string | undefined): Representation {
  if (!accept?.trim()) return { as: 'json' };
  const ranges = accept
    .split(',')
    .map((range, index) => {
      const [type = '', ...parameters] = range.split(';').map((part) => part.trim());
      const params = new Map<string, string>();
      for (const p of parameters) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim());
      }
      const q = params.has('q') ? Number(params.get('q')) : 1;
      return { type: type.toLowerCase(), params, q: Number.isNaN(q) ? 0 : q, index };
    })
    .filter((r) => r.type && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type, params } of ranges) {
    if (!['application/json', 'application/*', '*/*'].includes(type)) continue;
    const as = params.get('as');
    if (as === undefined) return { as: 'json' };
    if (as !== 'Table' || params.get('g') !== 'meta.k8s.io') continue;
    const version = params.get('v');
    if (version === 'v1' || version === 'v1beta1') return { as: 'table', version };
  }
  throw notAcceptable();
}

type IncludeObject = 'None' | 'Metadata' | 'Object';

function includeObjectOf(query: URLSearchParams): IncludeObject {
  const value = query.get('includeObject') ?? 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(
    `includeObject: Unsupported value: "${value}": supported values: "None", "Metadata", "Object"`,
  );
}

export interface TableRequest {
  type: ResourceType;
  /** meta.k8s.io version of the Table (and of the PartialObjectMetadata in its rows). */
  version: 'v1' | 'v1beta1';
  /** apiVersion of the objects as served at the request's URL. */
  apiVersion: string;
  query: URLSearchParams;
  now: number;
  /** The object as served at the request's URL when it is stored in another form. */
  present?: (obj: JsonObject) => JsonObject;
}

/** A Table of `objects`; `listMetadata` is the list's own metadata (absent for a single get). */
export function toTable(request: TableRequest, objects: JsonObject[], listMetadata?: JsonObject): JsonObject {
  const { type, version, apiVersion, query, now, present = (obj: JsonObject) => obj } = request;
  const include = includeObjectOf(query);
  const printer = printerFor(type.group, type.plural);
  const metaVersion = `meta.k8s.io/${version}`;
  const rows = objects.map((obj) => {
    const row: JsonObject = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (include === 'Object') row.object = { ...present(obj), apiVersion, kind: type.kind };
    else if (include === 'Metadata')
      row.object = {
        kind: 'PartialObjectMetadata',
        apiVersion: metaVersion,
        metadata: child(obj, 'metadata') ?? {},
      };
    return row;
  });
  const metadata: JsonObject = {};
  const source = listMetadata ?? child(objects[0], 'metadata');
  const resourceVersion = source?.resourceVersion;
  if (typeof resourceVersion === 'string') metadata.resourceVersion = resourceVersion;
  if (listMetadata && typeof listMetadata.continue === 'string') metadata.continue = listMetadata.continue;
  return {
    kind: 'Table',
    apiVersion: metaVersion,
    metadata,
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
