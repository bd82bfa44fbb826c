// Server-side field validation (the `fieldValidation` query parameter): fields a write names that the
// kind's schema does not declare are refused (Strict), reported as warnings (Warn, the default) or
// let through (Ignore), with kube-apiserver's messages.

import { parse as parseYaml } from 'yaml';
import { isObject, type JsonObject, type JsonValue } from './json.js';
import { FIELD_VALIDATION_MINOR, openApiDocuments } from './openapi-documents.js';
import type { ResourceTarget } from './resource-operations.js';
import { badRequest } from './status.js';

const REF = '#/components/schemas/';

function resolveSchema(definitions: Map<string, JsonObject>, schema: JsonObject): JsonObject {
  let current = schema;
  for (;;) {
    const ref =
      current.$ref ??
      (Array.isArray(current.allOf) && isObject(current.allOf[0]) ? current.allOf[0].$ref : undefined);
    if (typeof ref !== 'string') return current;
    current = definitions.get(ref.slice(REF.length)) ?? {};
  }
}

/** Collects the paths (`spec.containers[0].foo`) of the fields `schema` does not declare, removing them from `value`. */
function undeclared(
  definitions: Map<string, JsonObject>,
  schema: JsonObject,
  value: JsonValue | undefined,
  path: string,
  directives: boolean,
  out: string[],
): void {
  const s = resolveSchema(definitions, schema);
  if (s['x-kubernetes-preserve-unknown-fields'] === true) return;
  if (Array.isArray(value)) {
    const items = s.items;
    if (isObject(items))
      for (const [i, item] of value.entries())
        undeclared(definitions, items, item, `${path}[${i}]`, directives, out);
    return;
  }
  if (!isObject(value)) return;
  if (isObject(s.properties)) {
    for (const [key, item] of Object.entries(value)) {
      if (directives && key.startsWith('$')) continue;
      const field = path ? `${path}.${key}` : key;
      const property = s.properties[key];
      if (!isObject(property)) {
        out.push(field);
        // Decoding into the kind's Go struct drops what it does not declare.
        delete value[key];
      } else undeclared(definitions, property, item, field, directives, out);
    }
  } else if (isObject(s.additionalProperties)) {
    for (const [key, item] of Object.entries(value))
      undeclared(definitions, s.additionalProperties, item, path ? `${path}.${key}` : key, directives, out);
  }
}

/**
 * Checks a create, update or patch body against the kind's schema as `fieldValidation` asks; throws
 * a 400 Status under Strict, otherwise returns the warnings kube-apiserver would send and the body
 * without the undeclared fields (the API server drops them).
 */
export function checkFieldValidation(
  target: ResourceTarget,
  method: string,
  contentType: string,
  body: string,
  query: URLSearchParams,
  minor: number,
  gitVersion: string,
): { warnings: string[]; body: string } {
  const directive = minor >= FIELD_VALIDATION_MINOR ? (query.get('fieldValidation') ?? 'Warn') : 'Ignore';
  if (!['Ignore', 'Warn', 'Strict'].includes(directive))
    throw badRequest(
      `fieldValidation: Unsupported value: "${directive}": supported values: "Ignore", "Strict", "Warn"`,
    );
  const none = { warnings: [], body };
  if (!['POST', 'PUT', 'PATCH'].includes(method)) return none;
  const mediaType = contentType.split(';')[0]!.trim();
  if (mediaType === 'application/json-patch+json') return none;
  const { type, version } = target;
  const { definitions, kinds } = openApiDocuments(minor, gitVersion).schemas;
  const definition = kinds.get(`${type.group ? `${type.group}/` : ''}${version}/${type.kind}`);
  if (!definition) return none;
  let parsed: unknown;
  try {
    parsed = mediaType.includes('yaml') ? parseYaml(body) : JSON.parse(body);
  } catch {
    return none; // the verb itself reports the undecodable body
  }
  const fields: string[] = [];
  undeclared(
    definitions,
    { $ref: `${REF}${definition}` },
    parsed as JsonValue,
    '',
    mediaType === 'application/strategic-merge-patch+json',
    fields,
  );
  if (fields.length === 0) return none;
  const pruned = JSON.stringify(parsed);
  const outcome = (messages: string[]) => ({ warnings: directive === 'Warn' ? messages : [], body: pruned });
  if (mediaType === 'application/apply-patch+yaml') {
    const messages = fields.map((f) => `.${f}: field not declared in schema`);
    if (directive === 'Strict') {
      const name = target.namespace ? `${target.namespace}/${target.name}` : (target.name ?? '');
      throw badRequest(
        `failed to create typed patch object (${name}; ${type.group}/${version}, Kind=${type.kind}): ${messages.join(', ')}`,
      );
    }
    return outcome(messages);
  }
  const messages = fields.map((f) => `unknown field "${f}"`);
  if (directive === 'Strict') {
    const decoding = `strict decoding error: ${messages.join(', ')}`;
    throw badRequest(
      method === 'PATCH'
        ? decoding
        : `${type.kind} in version "${version}" cannot be handled as a ${type.kind}: ${decoding}`,
    );
  }
  return outcome(messages);
}
