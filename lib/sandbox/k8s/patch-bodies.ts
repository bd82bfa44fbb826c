// The non-apply PATCH formats: JSON merge patch (RFC 7386, also used for strategic merge, which
// differs only for keyed lists) and JSON patch (RFC 6902).
import { deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';
import { badRequest, KubeStatusError, unsupportedMediaType } from './status.js';

export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

function unescapePointerToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function invalidPatch(message: string): KubeStatusError {
  return new KubeStatusError(
    422,
    'Invalid',
    `the server rejected our request due to an error in our request: ${message}`,
  );
}

function locate(doc: JsonValue, pointer: string): { parent: JsonObject | JsonValue[]; key: string } {
  if (!pointer.startsWith('/')) throw invalidPatch(`invalid JSON pointer "${pointer}"`);
  const tokens = pointer.slice(1).split('/').map(unescapePointerToken);
  let cur: JsonValue = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(cur)
      ? cur[Number(token)]
      : isObject(cur)
        ? cur[token]
        : undefined;
    if (next === undefined) throw invalidPatch(`doc is missing path: "${pointer}"`);
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw invalidPatch(`doc is missing path: "${pointer}"`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

export function jsonPatch(document: JsonObject, operations: JsonValue): JsonObject {
  if (!Array.isArray(operations)) {
    throw new KubeStatusError(
      400,
      'BadRequest',
      'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    );
  }
  const doc = structuredClone(document);
  for (const op of operations) {
    if (!isObject(op) || typeof op.path !== 'string') throw invalidPatch('invalid JSON patch operation');
    const { parent, key } = locate(doc, op.path);
    const value = op.value ?? null;
    if (op.op === 'add' || op.op === 'replace') {
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (op.op === 'add') parent.splice(index, 0, value);
        else parent[index] = value;
      } else {
        if (op.op === 'replace' && !(key in parent)) throw invalidPatch(`doc is missing key: ${op.path}`);
        parent[key] = value;
      }
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (key in parent) delete parent[key];
      else throw invalidPatch(`unable to remove nonexistent key: ${key}: missing value`);
    } else if (op.op === 'test') {
      const current = Array.isArray(parent) ? parent[Number(key)] : parent[key];
      if (!deepEqual(current, value)) throw invalidPatch(`testing value ${op.path} failed: test failed`);
    } else {
      throw invalidPatch(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

/**
 * A PATCH body of `mediaType` applied to `existing`. Strategic merge patch is taken as a JSON merge
 * patch (the sandbox keeps no patch-merge keys); apply-patch is the caller's.
 */
export function patchObject(existing: JsonObject, rawBody: string, mediaType: string): JsonObject {
  let patchBody: JsonValue;
  try {
    patchBody = JSON.parse(rawBody) as JsonValue;
  } catch (error) {
    throw badRequest(`error decoding patch: ${(error as Error).message}`);
  }
  if (
    mediaType === 'application/merge-patch+json' ||
    mediaType === 'application/strategic-merge-patch+json'
  ) {
    if (!isObject(patchBody))
      throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
    return mergePatch(existing, patchBody) as JsonObject;
  }
  if (mediaType === 'application/json-patch+json') return jsonPatch(existing, patchBody);
  throw unsupportedMediaType(mediaType);
}
