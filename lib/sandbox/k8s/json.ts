// JSON value types and the few structural helpers every part of the simulated API server needs.

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function clone<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Reads `obj.a.b` style nested objects, creating none. */
export function child(obj: JsonObject | undefined, key: string): JsonObject | undefined {
  const value = obj?.[key];
  return isObject(value) ? value : undefined;
}

/** The nested object at `key`, created when missing. */
export function ensureChild(obj: JsonObject, key: string): JsonObject {
  const value = obj[key];
  if (isObject(value)) return value;
  const created: JsonObject = {};
  obj[key] = created;
  return created;
}

export function stringAt(obj: JsonObject | undefined, key: string): string | undefined {
  const value = obj?.[key];
  return typeof value === 'string' ? value : undefined;
}

export function arrayAt(obj: JsonObject | undefined, key: string): JsonValue[] {
  const value = obj?.[key];
  return Array.isArray(value) ? value : [];
}

export function objectsAt(obj: JsonObject | undefined, key: string): JsonObject[] {
  return arrayAt(obj, key).filter(isObject);
}

export function stringMap(obj: JsonObject | undefined, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(child(obj, key) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}
