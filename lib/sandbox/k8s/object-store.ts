// The cluster's etcd: objects by resource, namespace and name, with a cluster-wide
// resourceVersion counter and change notifications for the in-cluster controllers.
import { randomUUID } from 'node:crypto';
import { ensureChild, type JsonObject, stringAt } from './json.js';
import type { ResourceType } from './resource-types.js';

export interface StoreState {
  resourceVersion: number;
  objects: Record<string, JsonObject>;
}

function storeKey(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${type.group}/${type.plural}/${type.namespaced ? (namespace ?? '') : ''}/${name}`;
}

export class ObjectStore {
  private resourceVersion = 0;
  private objects = new Map<string, JsonObject>();
  private listeners: (() => void)[] = [];

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  get(type: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    const found = this.objects.get(storeKey(type, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  list(type: ResourceType, namespace?: string): JsonObject[] {
    const prefix = `${type.group}/${type.plural}/`;
    const out: JsonObject[] = [];
    for (const [k, obj] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      if (
        namespace !== undefined &&
        type.namespaced &&
        stringAt(ensureChild(obj, 'metadata'), 'namespace') !== namespace
      ) {
        continue;
      }
      out.push(structuredClone(obj));
    }
    return out.sort((a, b) => {
      const ma = ensureChild(a, 'metadata');
      const mb = ensureChild(b, 'metadata');
      const byNs = (stringAt(ma, 'namespace') ?? '').localeCompare(stringAt(mb, 'namespace') ?? '');
      return byNs !== 0 ? byNs : (stringAt(ma, 'name') ?? '').localeCompare(stringAt(mb, 'name') ?? '');
    });
  }

  /** Stores a new object, filling the server-assigned metadata. */
  create(type: ResourceType, obj: JsonObject): JsonObject {
    const stored = structuredClone(obj);
    const metadata = ensureChild(stored, 'metadata');
    metadata.uid = randomUUID();
    metadata.creationTimestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if ('spec' in stored || type.kind === 'Deployment') metadata.generation = 1;
    return this.write(type, stored);
  }

  /** Replaces an existing object; bumps generation when anything but metadata and status changed. */
  replace(type: ResourceType, before: JsonObject, obj: JsonObject): JsonObject {
    const stored = structuredClone(obj);
    const metadata = ensureChild(stored, 'metadata');
    const old = ensureChild(before, 'metadata');
    for (const k of ['uid', 'creationTimestamp', 'namespace', 'name']) {
      if (old[k] !== undefined) metadata[k] = old[k];
    }
    const { metadata: _a, status: _b, ...newBody } = stored;
    const { metadata: _c, status: _d, ...oldBody } = before;
    if (typeof old.generation === 'number') {
      metadata.generation =
        JSON.stringify(newBody) === JSON.stringify(oldBody) ? old.generation : old.generation + 1;
    }
    return this.write(type, stored);
  }

  delete(type: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    const k = storeKey(type, namespace, name);
    const found = this.objects.get(k);
    if (!found) return undefined;
    this.objects.delete(k);
    this.resourceVersion += 1;
    this.notify();
    return structuredClone(found);
  }

  snapshot(): StoreState {
    return {
      resourceVersion: this.resourceVersion,
      objects: Object.fromEntries(structuredClone([...this.objects])),
    };
  }

  restore(state: StoreState): void {
    this.resourceVersion = state.resourceVersion;
    this.objects = new Map(Object.entries(structuredClone(state.objects)));
    this.notify();
  }

  private write(type: ResourceType, obj: JsonObject): JsonObject {
    const metadata = ensureChild(obj, 'metadata');
    this.resourceVersion += 1;
    metadata.resourceVersion = String(this.resourceVersion);
    this.objects.set(storeKey(type, stringAt(metadata, 'namespace'), stringAt(metadata, 'name') ?? ''), obj);
    this.notify();
    return structuredClone(obj);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
