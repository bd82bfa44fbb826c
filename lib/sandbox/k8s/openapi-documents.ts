// The OpenAPI documents a cluster serves (/openapi/v2, /openapi/v3 and one v3 document per
// group-version) for the resources it serves, built once per Kubernetes minor version.
import { createHash } from 'node:crypto';
import type { JsonObject, JsonValue } from './json.js';
import { openApiV2Protobuf } from './openapi-protobuf.js';
import { SchemaReader } from './openapi-schemas.js';
import { RESOURCE_TYPES, type ResourceType } from './resource-types.js';

export interface OpenApiDocuments {
  /** The Swagger 2.0 document of every served group-version, as JSON, and its SHA-512 (the ETag). */
  v2: string;
  v2Hash: string;
  /** The same document as gnostic protobuf and its SHA-512, encoded on first use (about 0.1 s). */
  v2Protobuf(): { bytes: Uint8Array; hash: string };
  /** When the documents were built: the Last-Modified of /openapi/v2. */
  builtAt: Date;
  /** The `/openapi/v3` index. */
  v3Index: string;
  /** `api/v1`, `apis/apps/v1`, … → the OpenAPI 3 document and its content hash. */
  v3: Map<string, { body: string; hash: string }>;
  /** Every schema by definition name, and `<apiVersion>/<kind>` → the kind's definition name. */
  schemas: { definitions: Map<string, JsonObject>; kinds: Map<string, string> };
}

/** Server-side field validation is on by default from 1.25 (beta); older servers ignore the parameter. */
export const FIELD_VALIDATION_MINOR = 25;

const PATCH_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

const QUERY_PARAMETERS: Record<string, string> = {
  fieldManager:
    'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
  fieldValidation:
    'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore - Warn (the default) - Strict',
  force:
    'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  labelSelector:
    'A selector to restrict the list of returned objects by their labels. Defaults to everything.',
  fieldSelector:
    'A selector to restrict the list of returned objects by their fields. Defaults to everything.',
};

function queryParameter(name: string): JsonObject {
  const type = name === 'force' ? 'boolean' : 'string';
  return {
    name,
    in: 'query',
    description: QUERY_PARAMETERS[name] ?? '',
    schema: { type, uniqueItems: true },
  };
}

function pathParameter(name: string): JsonObject {
  return { name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } };
}

function refTo(name: string): JsonObject {
  return { $ref: `#/components/schemas/${name}` };
}

function jsonContent(name: string): JsonObject {
  return { 'application/json': { schema: refTo(name) }, 'application/yaml': { schema: refTo(name) } };
}

function operationIdFor(verb: string, version: string, group: string, kind: string, namespaced: boolean) {
  const groupPart = group
    ? group
        .replace(/\.k8s\.io$/, '')
        .split('.')
        .map((p) => p[0]!.toUpperCase() + p.slice(1))
        .join('')
    : 'Core';
  return `${verb}${groupPart}${version[0]!.toUpperCase()}${version.slice(1)}${namespaced ? 'Namespaced' : ''}${kind}`;
}

/** The paths of one resource at one version, with the operations the sandbox serves. */
function resourcePaths(
  type: ResourceType,
  version: string,
  kindDef: string,
  listDef: string,
  fieldValidation: boolean,
): JsonObject {
  const gvk = { group: type.group, version, kind: type.kind };
  const root = type.group ? `/apis/${type.group}/${version}` : '/api/v1';
  const scope = type.namespaced ? `${root}/namespaces/{namespace}` : root;
  const scopeParams = type.namespaced ? [pathParameter('namespace')] : [];
  const op = (verb: string, action: string, extra: JsonObject, namespaced = type.namespaced): JsonObject => ({
    tags: [type.group ? `${type.group}_${version}` : 'core_v1'],
    operationId: operationIdFor(verb, version, type.group, type.kind, namespaced),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...extra,
  });
  const writeParams = (fieldValidation ? ['fieldManager', 'fieldValidation'] : ['fieldManager']).map(
    queryParameter,
  );
  const ok = (code: string, name: string) => ({ [code]: { description: 'OK', content: jsonContent(name) } });
  const paths: JsonObject = {
    [`${scope}/${type.plural}`]: {
      parameters: scopeParams,
      get: op('list', 'list', {
        description: `list or watch objects of kind ${type.kind}`,
        parameters: ['labelSelector', 'fieldSelector'].map(queryParameter),
        responses: ok('200', listDef),
      }),
      post: op('create', 'post', {
        description: `create a ${type.kind}`,
        parameters: writeParams,
        requestBody: { content: { '*/*': { schema: refTo(kindDef) } }, required: true },
        responses: { ...ok('200', kindDef), ...ok('201', kindDef) },
      }),
    },
    [`${scope}/${type.plural}/{name}`]: {
      parameters: [pathParameter('name'), ...scopeParams],
      get: op('read', 'get', {
        description: `read the specified ${type.kind}`,
        responses: ok('200', kindDef),
      }),
      put: op('replace', 'put', {
        description: `replace the specified ${type.kind}`,
        parameters: writeParams,
        requestBody: { content: { '*/*': { schema: refTo(kindDef) } }, required: true },
        responses: ok('200', kindDef),
      }),
      patch: op('patch', 'patch', {
        description: `partially update the specified ${type.kind}`,
        parameters: [...writeParams, queryParameter('force')],
        requestBody: {
          content: Object.fromEntries(
            PATCH_TYPES.map((t) => [t, { schema: refTo('io.k8s.apimachinery.pkg.apis.meta.v1.Patch') }]),
          ),
          required: true,
        },
        responses: { ...ok('200', kindDef), ...ok('201', kindDef) },
      }),
      delete: op('delete', 'delete', {
        description: `delete a ${type.kind}`,
        responses: ok('200', kindDef),
      }),
    },
  };
  if (type.namespaced) {
    paths[`${root}/${type.plural}`] = {
      get: op(
        'list',
        'list',
        {
          description: `list or watch objects of kind ${type.kind}`,
          operationId: operationIdFor('list', version, type.group, `${type.kind}ForAllNamespaces`, false),
          parameters: ['labelSelector', 'fieldSelector'].map(queryParameter),
          responses: ok('200', listDef),
        },
        false,
      ),
    };
  }
  for (const sub of type.subresources) {
    if (sub === 'log' || sub === 'finalize') continue;
    const Sub = sub[0]!.toUpperCase() + sub.slice(1);
    paths[`${scope}/${type.plural}/{name}/${sub}`] = {
      parameters: [pathParameter('name'), ...scopeParams],
      get: op(`read`, 'get', {
        operationId: operationIdFor('read', version, type.group, `${type.kind}${Sub}`, type.namespaced),
        description: `read ${sub} of the specified ${type.kind}`,
        responses: ok('200', kindDef),
      }),
      put: op('replace', 'put', {
        operationId: operationIdFor('replace', version, type.group, `${type.kind}${Sub}`, type.namespaced),
        description: `replace ${sub} of the specified ${type.kind}`,
        parameters: writeParams,
        requestBody: { content: { '*/*': { schema: refTo(kindDef) } }, required: true },
        responses: ok('200', kindDef),
      }),
    };
  }
  return paths;
}

function modulePath(group: string, version: string, kind: string): string {
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/v1/${kind}`;
}

/** The definitions `roots` refer to, directly or not. */
function closure(definitions: Map<string, JsonObject>, roots: string[]): Map<string, JsonObject> {
  const found = new Map<string, JsonObject>();
  const visit = (value: JsonValue | undefined) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === '$ref' && typeof item === 'string') add(item.replace('#/components/schemas/', ''));
        else visit(item);
      }
    }
  };
  const add = (name: string) => {
    if (found.has(name)) return;
    const schema = definitions.get(name);
    if (!schema) throw new Error(`no schema ${name}`);
    found.set(name, schema);
    visit(schema);
  };
  roots.forEach(add);
  return found;
}

function sortedObject(map: Map<string, JsonObject>): JsonObject {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}

function hashOf(body: string | Uint8Array): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

function build(minor: number, gitVersion: string): OpenApiDocuments {
  const reader = new SchemaReader();
  const patchDef = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';
  reader.definitions.set(patchDef, {
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  });
  const byGroupVersion = new Map<string, { roots: string[]; paths: JsonObject }>();
  const kinds = new Map<string, string>();
  for (const type of RESOURCE_TYPES) {
    for (const version of type.versions(minor)) {
      const kindDef = reader.read(modulePath(type.group, version, type.kind));
      const listDef = reader.read(modulePath(type.group, version, `${type.kind}List`));
      kinds.set(`${type.group ? `${type.group}/` : ''}${version}/${type.kind}`, kindDef);
      for (const [def, kind] of [
        [kindDef, type.kind],
        [listDef, `${type.kind}List`],
      ] as const) {
        reader.definitions.get(def)!['x-kubernetes-group-version-kind'] = [
          { group: type.group, kind, version },
        ];
      }
      const key = type.group ? `apis/${type.group}/${version}` : 'api/v1';
      const entry = byGroupVersion.get(key) ?? { roots: [patchDef], paths: {} };
      entry.roots.push(kindDef, listDef);
      Object.assign(
        entry.paths,
        resourcePaths(type, version, kindDef, listDef, minor >= FIELD_VALIDATION_MINOR),
      );
      byGroupVersion.set(key, entry);
    }
  }
  const info = { title: 'Kubernetes', version: gitVersion };
  const v3 = new Map<string, { body: string; hash: string }>();
  const allPaths: JsonObject = {};
  const allRoots: string[] = [];
  for (const [key, { roots, paths }] of byGroupVersion) {
    const body = JSON.stringify({
      openapi: '3.0.0',
      info,
      paths,
      components: { schemas: sortedObject(closure(reader.definitions, roots)) },
    });
    v3.set(key, { body, hash: hashOf(body) });
    Object.assign(allPaths, paths);
    allRoots.push(...roots);
  }
  const v3Index = JSON.stringify({
    paths: Object.fromEntries(
      [...v3].map(([key, { hash }]) => [key, { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` }]),
    ),
  });
  const v2 = swagger2(info, allPaths, closure(reader.definitions, allRoots));
  let protobuf: { bytes: Uint8Array; hash: string } | undefined;
  const v2Protobuf = () => {
    if (!protobuf) {
      const bytes = openApiV2Protobuf(JSON.parse(v2) as JsonObject);
      protobuf = { bytes, hash: hashOf(bytes) };
    }
    return protobuf;
  };
  return {
    v2,
    v2Hash: hashOf(v2),
    v2Protobuf,
    builtAt: new Date(),
    v3Index,
    v3,
    schemas: { definitions: reader.definitions, kinds },
  };
}

/** The same API as Swagger 2.0: bodies become `in: body` parameters, schemas move to definitions. */
function swagger2(info: JsonObject, paths: JsonObject, definitions: Map<string, JsonObject>): string {
  const v2Paths: JsonObject = {};
  for (const [path, item] of Object.entries(paths) as [string, JsonObject][]) {
    const v2Item: JsonObject = {};
    for (const [method, value] of Object.entries(item)) {
      if (method === 'parameters') {
        v2Item.parameters = (value as JsonObject[]).map(v2Parameter);
        continue;
      }
      const { requestBody, responses, parameters, ...rest } = value as JsonObject;
      const operation: JsonObject = { ...rest, produces: ['application/json', 'application/yaml'] };
      const params = ((parameters as JsonObject[] | undefined) ?? []).map(v2Parameter);
      if (requestBody) {
        const content = (requestBody as JsonObject).content as JsonObject;
        operation.consumes = Object.keys(content);
        const first = Object.values(content)[0] as JsonObject;
        params.unshift({ name: 'body', in: 'body', required: true, schema: first.schema! });
      }
      if (params.length > 0) operation.parameters = params;
      operation.responses = Object.fromEntries(
        Object.entries(responses as JsonObject).map(([code, r]) => [
          code,
          {
            description: 'OK',
            schema: ((r as JsonObject).content as Record<string, JsonObject>)['application/json']!.schema!,
          },
        ]),
      );
      operation.schemes = ['https'];
      v2Item[method] = operation;
    }
    v2Paths[path] = v2Item;
  }
  const body = JSON.stringify({
    swagger: '2.0',
    info,
    paths: v2Paths,
    definitions: Object.fromEntries(
      Object.entries(sortedObject(definitions)).map(([name, schema]) => [name, v2Schema(schema)]),
    ),
  });
  return body.replaceAll('"#/components/schemas/', '"#/definitions/');
}

/**
 * A schema as Swagger 2.0 writes it: a described reference is `$ref` beside `description`, where
 * OpenAPI 3 wraps the `$ref` in a one-element `allOf` (kubectl's v2 reader knows no `allOf`).
 */
function v2Schema(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(v2Schema);
  if (!value || typeof value !== 'object') return value;
  const { allOf, ...rest } = value;
  const only = Array.isArray(allOf) && allOf.length === 1 ? allOf[0] : undefined;
  if (only && typeof only === 'object' && !Array.isArray(only) && Object.keys(only).join() === '$ref')
    return v2Schema({ ...only, ...rest });
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, v2Schema(item)]));
}

function v2Parameter(parameter: JsonObject): JsonObject {
  const { schema, ...rest } = parameter;
  return { ...rest, ...(schema as JsonObject) };
}

const cache = new Map<number, OpenApiDocuments>();

/** The documents for `minor`, generated on first use and kept for the life of the process. */
export function openApiDocuments(minor: number, gitVersion: string): OpenApiDocuments {
  let documents = cache.get(minor);
  if (!documents) {
    documents = build(minor, gitVersion);
    cache.set(minor, documents);
  }
  return documents;
}
