// Reading server-side apply ownership (metadata.managedFields, FieldsV1 `f:` tries) off a live object.
import type { KubernetesObject } from '../../ports/kubernetes.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Field managers that own `path` (e.g. ['metadata', 'annotations', 'eks.amazonaws.com/role-arn']). */
export function managersOwning(object: KubernetesObject, path: readonly string[]): string[] {
  const owners = new Set<string>();
  for (const entry of object.metadata.managedFields ?? []) {
    let node: unknown = entry.fieldsV1;
    for (const segment of path) {
      node = isRecord(node) ? node[`f:${segment}`] : undefined;
    }
    if (node !== undefined && entry.manager) owners.add(entry.manager);
  }
  return [...owners];
}

/** Field managers other than `self` that own at least one field of the object. */
export function otherManagers(object: KubernetesObject, self: string): string[] {
  const others = new Set<string>();
  for (const entry of object.metadata.managedFields ?? []) {
    const owned = isRecord(entry.fieldsV1) && Object.keys(entry.fieldsV1).length > 0;
    if (owned && entry.manager && entry.manager !== self) others.add(entry.manager);
  }
  return [...others];
}
