// Server-side apply field ownership (managedFields). Granularity, coarser than the real structured
// merge diff but with the same rules: each `metadata.labels.<key>`, each `metadata.annotations.<key>`,
// `metadata.ownerReferences` and `metadata.finalizers` as wholes, and every other top-level field
// (spec, data, rules, subjects, webhooks, ...) as one unit. `status` and the rest of `metadata`
// belong to the server.
import { child, deepEqual, isObject, type JsonObject, type JsonValue } from './json.js';
import { conflict, type ResourceRef, type StatusCause } from './status.js';

export type FieldPath = string[];

const SERVER_OWNED = new Set(['apiVersion', 'kind', 'metadata', 'status']);
const OWNED_METADATA_WHOLES = ['ownerReferences', 'finalizers'];

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fields: FieldPath[];
}

const key = (path: FieldPath) => JSON.stringify(path);

/** The owned field paths present in `obj`. */
export function fieldPaths(obj: JsonObject): FieldPath[] {
  const paths: FieldPath[] = [];
  const metadata = child(obj, 'metadata');
  for (const map of ['labels', 'annotations']) {
    for (const k of Object.keys(child(metadata, map) ?? {})) paths.push(['metadata', map, k]);
  }
  for (const whole of OWNED_METADATA_WHOLES)
    if (metadata && whole in metadata) paths.push(['metadata', whole]);
  for (const [k, value] of Object.entries(obj)) {
    if (SERVER_OWNED.has(k)) continue;
    // One level into objects (spec.replicas, data.<key>) so two managers can share a spec.
    if (isObject(value) && Object.keys(value).length > 0)
      for (const sub of Object.keys(value)) paths.push([k, sub]);
    else paths.push([k]);
  }
  return paths;
}

export function valueAt(obj: JsonObject, path: FieldPath): JsonValue | undefined {
  let cur: JsonValue | undefined = obj;
  for (const segment of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[segment];
  }
  return cur;
}

function setAt(obj: JsonObject, path: FieldPath, value: JsonValue): void {
  let cur = obj;
  for (const segment of path.slice(0, -1)) {
    const next = cur[segment];
    if (!isObject(next)) cur[segment] = {};
    cur = cur[segment] as JsonObject;
  }
  cur[path[path.length - 1]!] = structuredClone(value);
}

function deleteAt(obj: JsonObject, path: FieldPath): void {
  let cur: JsonValue | undefined = obj;
  for (const segment of path.slice(0, -1)) cur = isObject(cur) ? cur[segment] : undefined;
  if (isObject(cur)) delete cur[path[path.length - 1]!];
}

/** A field path as the API server prints it (structured-merge-diff): `.metadata.annotations.a.b/c`. */
function describe(path: FieldPath): string {
  return path.map((p) => `.${p}`).join('');
}

/** managedFields as stored on the object (FieldsV1 `f:` trie). */
export function toManagedFields(entries: ManagedFieldsEntry[]): JsonValue[] {
  return entries.map((entry) => {
    const trie: JsonObject = {};
    for (const path of entry.fields) {
      let cur = trie;
      for (const segment of path) {
        const k = `f:${segment}`;
        if (!isObject(cur[k])) cur[k] = {};
        cur = cur[k] as JsonObject;
      }
    }
    return {
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      time: entry.time,
      fieldsType: 'FieldsV1',
      fieldsV1: trie,
    };
  });
}

export function fromManagedFields(value: JsonValue | undefined): ManagedFieldsEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isObject).map((entry) => {
    const fields: FieldPath[] = [];
    const walk = (node: JsonObject, prefix: string[]) => {
      const keys = Object.keys(node).filter((k) => k.startsWith('f:'));
      if (keys.length === 0 && prefix.length > 0) fields.push(prefix);
      for (const k of keys) {
        const next = node[k];
        walk(isObject(next) ? next : {}, [...prefix, k.slice(2)]);
      }
    };
    walk(isObject(entry.fieldsV1) ? entry.fieldsV1 : {}, []);
    return {
      manager: String(entry.manager),
      operation: entry.operation === 'Apply' ? 'Apply' : 'Update',
      apiVersion: String(entry.apiVersion),
      time: String(entry.time),
      fields,
    };
  });
}

function upsert(
  entries: ManagedFieldsEntry[],
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
) {
  let entry = entries.find((e) => e.manager === manager && e.operation === operation);
  if (!entry) {
    entry = { manager, operation, apiVersion, time: '', fields: [] };
    entries.push(entry);
  }
  entry.apiVersion = apiVersion;
  entry.time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return entry;
}

/**
 * A non-apply write (create, update, patch) by `manager`: it takes ownership of every field it
 * changed, and removed fields are no longer owned by anyone.
 */
export function recordUpdate(
  entries: ManagedFieldsEntry[],
  before: JsonObject | undefined,
  after: JsonObject,
  manager: string,
  apiVersion: string,
): ManagedFieldsEntry[] {
  const result = structuredClone(entries);
  const afterPaths = fieldPaths(after);
  const afterKeys = new Set(afterPaths.map(key));
  const changed = afterPaths.filter((p) => !before || !deepEqual(valueAt(before, p), valueAt(after, p)));
  const removed = before ? fieldPaths(before).filter((p) => !afterKeys.has(key(p))) : [];
  const dropped = new Set([...changed, ...removed].map(key));
  for (const entry of result)
    entry.fields = entry.fields.filter((p) => !dropped.has(key(p)) && afterKeys.has(key(p)));
  if (changed.length > 0) {
    const own = upsert(result, manager, 'Update', apiVersion);
    own.fields = [...own.fields, ...changed];
  }
  return result.filter((e) => e.fields.length > 0);
}

export interface ApplyResult {
  object: JsonObject;
  entries: ManagedFieldsEntry[];
}

/**
 * Server-side apply of `applied` by `manager` onto `current` (a fresh object when creating).
 * Conflicts with other managers owning a field at a different value fail with 409 unless `force`.
 */
export function applyFields(
  ref: ResourceRef,
  name: string,
  current: JsonObject,
  entries: ManagedFieldsEntry[],
  applied: JsonObject,
  manager: string,
  apiVersion: string,
  force: boolean,
): ApplyResult {
  const object = structuredClone(current);
  const result = structuredClone(entries);
  const appliedPaths = fieldPaths(applied);
  const appliedKeys = new Set(appliedPaths.map(key));

  const conflicts: { path: FieldPath; manager: string; apiVersion: string }[] = [];
  for (const path of appliedPaths) {
    if (deepEqual(valueAt(object, path), valueAt(applied, path))) continue;
    for (const entry of result) {
      if (entry.manager !== manager && entry.fields.some((p) => key(p) === key(path))) {
        conflicts.push({ path, manager: entry.manager, apiVersion: entry.apiVersion });
      }
    }
  }
  if (conflicts.length > 0 && !force) {
    const by = (c: { manager: string; apiVersion: string }) => `"${c.manager}" using ${c.apiVersion}`;
    const causes: StatusCause[] = conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${by(c)}`,
      field: describe(c.path),
    }));
    const first = conflicts[0]!;
    const why =
      conflicts.length === 1
        ? `1 conflict: conflict with ${by(first)}: ${describe(first.path)}`
        : `${conflicts.length} conflicts: ${conflicts.map((c) => `conflict with ${by(c)}: ${describe(c.path)}`).join('\n- ')}`;
    const error = conflict(ref, name, '', causes);
    error.message = `Apply failed with ${why}`;
    throw error;
  }
  const taken = new Set(conflicts.map((c) => key(c.path)));
  for (const entry of result) {
    if (entry.manager !== manager) entry.fields = entry.fields.filter((p) => !taken.has(key(p)));
  }

  const own = upsert(result, manager, 'Apply', apiVersion);
  const ownedElsewhere = (path: FieldPath) =>
    result.some((e) => e !== own && e.fields.some((p) => key(p) === key(path)));
  for (const path of own.fields) {
    if (!appliedKeys.has(key(path)) && !ownedElsewhere(path)) deleteAt(object, path);
  }
  for (const path of appliedPaths) setAt(object, path, valueAt(applied, path) ?? null);
  own.fields = appliedPaths;
  return { object, entries: result.filter((e) => e.fields.length > 0) };
}
