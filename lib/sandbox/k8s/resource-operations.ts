// The generic verbs on stored objects (create, get, list, replace, patch, apply, delete) with the
// API server's defaulting, validation, optimistic concurrency and managedFields bookkeeping.
import { randomInt } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  applyFields,
  fromManagedFields,
  type ManagedFieldsEntry,
  recordUpdate,
  toManagedFields,
} from './field-ownership.js';
import {
  child,
  ensureChild,
  isObject,
  type JsonObject,
  type JsonValue,
  stringAt,
  stringMap,
} from './json.js';
import { compileLabelSelector } from './label-selector.js';
import type { ObjectStore } from './object-store.js';
import { validateObject, validatePodUpdate } from './object-validation.js';
import { patchObject } from './patch-bodies.js';
import { apiVersionOf, type ResourceType, resourceTypeOfKind } from './resource-types.js';
import { alreadyExists, badRequest, conflict, invalid, KubeStatusError, notFound } from './status.js';

export interface ResourceTarget {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
}

/** Who is asking, as authentication established it. */
export interface Requester {
  user: string;
  groups: string[];
  uid?: string;
}

/** What admission knows about a create besides the object. */
export interface AdmissionContext {
  requester: Requester;
  /** The API version the request came in at (v1beta1 CSRs default differently). */
  version: string;
}

/** Kind-specific behaviour plugged in by the cluster (admission, controllers). */
export interface ResourceHooks {
  /** Defaulting and mutating admission on create; may throw a Status error. */
  admitCreate(type: ResourceType, obj: JsonObject, context: AdmissionContext): Promise<JsonObject>;
  afterCreate(type: ResourceType, obj: JsonObject): void;
  afterDelete(type: ResourceType, obj: JsonObject): void;
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class ResourceOperations {
  constructor(
    private readonly store: ObjectStore,
    private readonly hooks: ResourceHooks,
  ) {}

  /** The object as served at `version`. */
  present(type: ResourceType, version: string, obj: JsonObject): JsonObject {
    return { ...obj, apiVersion: apiVersionOf(type.group, version), kind: type.kind };
  }

  get(target: ResourceTarget): JsonObject {
    const found = this.store.get(target.type, target.namespace, target.name ?? '');
    if (!found) throw notFound(target.type, target.name ?? '');
    return found;
  }

  list(target: ResourceTarget, query: URLSearchParams): JsonObject {
    let items = this.store.list(target.type, target.namespace);
    const labelSelector = query.get('labelSelector');
    if (labelSelector) {
      let matches: (labels: Record<string, string>) => boolean;
      try {
        matches = compileLabelSelector(labelSelector);
      } catch (error) {
        throw badRequest(`unable to parse requirement: ${(error as Error).message}`);
      }
      items = items.filter((o) => matches(stringMap(child(o, 'metadata'), 'labels')));
    }
    const fieldSelector = query.get('fieldSelector');
    if (fieldSelector) {
      for (const term of fieldSelector.split(',')) {
        const m = /^([\w.]+)(==|=|!=)(.*)$/.exec(term);
        if (!m) throw badRequest(`invalid selector: '${fieldSelector}'; can't understand '${term}'`);
        const [, field, op, value] = m;
        if (target.type.fieldLabels && !target.type.fieldLabels.includes(field!))
          throw badRequest(`field label not supported: ${field}`);
        const readPath = (o: JsonObject) =>
          field!
            .split('.')
            .reduce<JsonValue | undefined>((cur, k) => (isObject(cur) ? cur[k] : undefined), o);
        // An event's `source` field label is its reporting component.
        const read = (o: JsonObject) =>
          field === 'source' && target.type.kind === 'Event'
            ? stringAt(child(o, 'source'), 'component')
            : readPath(o);
        items = items.filter((o) => (op === '!=') !== (String(read(o) ?? '') === value));
      }
    }
    return {
      apiVersion: apiVersionOf(target.type.group, target.version),
      kind: `${target.type.kind}List`,
      metadata: { resourceVersion: this.store.currentResourceVersion() },
      items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
    };
  }

  async create(
    target: ResourceTarget,
    body: JsonObject,
    manager: string,
    requester: Requester,
  ): Promise<JsonObject> {
    const { type } = target;
    const obj = this.normalizeBody(target, body);
    // Status is the server's: a create never sets it.
    if (type.subresources.includes('status')) delete obj.status;
    const metadata = ensureChild(obj, 'metadata');
    if (!stringAt(metadata, 'name') && stringAt(metadata, 'generateName')) {
      metadata.name = `${stringAt(metadata, 'generateName')}${Array.from({ length: 5 }, () => GENERATE_ALPHABET[randomInt(GENERATE_ALPHABET.length)]).join('')}`;
    }
    const name = stringAt(metadata, 'name') ?? '';
    if (type.namespaced) this.requireNamespace(target.namespace ?? '');
    if (name && this.store.get(type, target.namespace, name)) throw alreadyExists(type, name);
    const admitted = await this.hooks.admitCreate(type, obj, { requester, version: target.version });
    validateObject(type, admitted);
    delete ensureChild(admitted, 'metadata').managedFields;
    const entries = recordUpdate([], undefined, admitted, manager, apiVersionOf(type.group, target.version));
    ensureChild(admitted, 'metadata').managedFields = toManagedFields(entries);
    const stored = this.store.create(type, admitted);
    this.hooks.afterCreate(type, stored);
    return stored;
  }

  replace(target: ResourceTarget, body: JsonObject, manager: string, keepStatus = true): JsonObject {
    const { type } = target;
    const existing = this.get(target);
    const obj = this.normalizeBody(target, body);
    const metadata = ensureChild(obj, 'metadata');
    const urlName = target.name ?? '';
    if (stringAt(metadata, 'name') !== urlName) {
      throw badRequest(
        `the name of the object (${stringAt(metadata, 'name') ?? ''}) does not match the name on the URL (${urlName})`,
      );
    }
    const rv = stringAt(metadata, 'resourceVersion');
    if (rv && rv !== stringAt(child(existing, 'metadata'), 'resourceVersion')) {
      throw conflict(
        type,
        urlName,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    if (keepStatus) {
      if ('status' in existing) obj.status = existing.status!;
      else delete obj.status;
    }
    return this.commitUpdate(target, existing, obj, manager);
  }

  patch(
    target: ResourceTarget,
    contentType: string,
    rawBody: string,
    query: URLSearchParams,
    manager: string,
    requester: Requester,
  ): Promise<JsonObject> | JsonObject {
    const mediaType = contentType.split(';')[0]!.trim();
    if (mediaType === 'application/apply-patch+yaml') return this.apply(target, rawBody, query, requester);
    const existing = this.get(target);
    const patched = patchObject(existing, rawBody, mediaType);
    const rv = stringAt(child(patched, 'metadata'), 'resourceVersion');
    if (rv && rv !== stringAt(child(existing, 'metadata'), 'resourceVersion')) {
      throw conflict(
        target.type,
        target.name ?? '',
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    if ('status' in existing) patched.status = existing.status!;
    return this.commitUpdate(target, existing, patched, manager);
  }

  async apply(
    target: ResourceTarget,
    rawBody: string,
    query: URLSearchParams,
    requester: Requester,
  ): Promise<JsonObject> {
    const { type } = target;
    const manager = query.get('fieldManager');
    if (!manager) {
      throw invalid(type.kind, type.group, target.name ?? '', [
        {
          reason: 'FieldValueRequired',
          field: 'fieldManager',
          message: 'Required value: is required for apply patch',
        },
      ]);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(rawBody);
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message}`);
    }
    if (!isObject(parsed)) throw badRequest('error decoding YAML: the apply body must be an object');
    const expectedApiVersion = apiVersionOf(type.group, target.version);
    if (parsed.apiVersion !== expectedApiVersion || parsed.kind !== type.kind) {
      throw badRequest(
        `the API version in the data (${String(parsed.apiVersion ?? '')}) and kind (${String(parsed.kind ?? '')}) do not match the expected ${expectedApiVersion} ${type.kind}`,
      );
    }
    const appliedMeta = ensureChild(parsed, 'metadata');
    if (stringAt(appliedMeta, 'name') !== target.name) {
      throw badRequest(
        `the name of the object (${stringAt(appliedMeta, 'name') ?? ''}) does not match the name on the URL (${target.name ?? ''})`,
      );
    }
    delete appliedMeta.managedFields;
    delete parsed.status;
    const force = query.get('force') === 'true';
    const existing = this.store.get(type, target.namespace, target.name ?? '');
    if (!existing) {
      if (type.namespaced) this.requireNamespace(target.namespace ?? '');
      const base: JsonObject = {
        apiVersion: expectedApiVersion,
        kind: type.kind,
        metadata: { name: target.name ?? '' },
      };
      if (type.namespaced) ensureChild(base, 'metadata').namespace = target.namespace ?? '';
      const { object, entries } = applyFields(
        type,
        target.name ?? '',
        base,
        [],
        parsed,
        manager,
        expectedApiVersion,
        force,
      );
      const admitted = await this.hooks.admitCreate(type, object, { requester, version: target.version });
      validateObject(type, admitted);
      ensureChild(admitted, 'metadata').managedFields = toManagedFields(entries);
      const stored = this.store.create(type, admitted);
      this.hooks.afterCreate(type, stored);
      return stored;
    }
    const entries = fromManagedFields(child(existing, 'metadata')?.managedFields);
    const result = applyFields(
      type,
      target.name ?? '',
      existing,
      entries,
      parsed,
      manager,
      expectedApiVersion,
      force,
    );
    return this.store.replace(
      type,
      existing,
      this.finishUpdate(type, existing, result.object, result.entries),
    );
  }

  delete(target: ResourceTarget): JsonObject {
    const removed = this.store.delete(target.type, target.namespace, target.name ?? '');
    if (!removed) throw notFound(target.type, target.name ?? '');
    this.hooks.afterDelete(target.type, removed);
    return removed;
  }

  private commitUpdate(
    target: ResourceTarget,
    existing: JsonObject,
    obj: JsonObject,
    manager: string,
  ): JsonObject {
    const { type } = target;
    const entries = recordUpdate(
      fromManagedFields(child(existing, 'metadata')?.managedFields),
      existing,
      obj,
      manager,
      apiVersionOf(type.group, target.version),
    );
    return this.store.replace(type, existing, this.finishUpdate(type, existing, obj, entries));
  }

  private finishUpdate(
    type: ResourceType,
    existing: JsonObject,
    obj: JsonObject,
    entries: ManagedFieldsEntry[],
  ): JsonObject {
    validateObject(type, obj);
    if (type.kind === 'Pod') validatePodUpdate(existing, obj);
    ensureChild(obj, 'metadata').managedFields = toManagedFields(entries);
    return obj;
  }

  private requireNamespace(namespace: string): void {
    if (!this.store.get(resourceTypeOfKind('Namespace'), undefined, namespace)) {
      throw notFound(resourceTypeOfKind('Namespace'), namespace);
    }
  }

  /** Checks apiVersion/kind/namespace of a request body against the URL and defaults them. */
  private normalizeBody(target: ResourceTarget, body: JsonObject): JsonObject {
    const { type } = target;
    const obj = structuredClone(body);
    const expected = apiVersionOf(type.group, target.version);
    if (obj.apiVersion !== undefined && obj.apiVersion !== expected) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${expected})`,
      );
    }
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(
        `the kind in the data (${String(obj.kind)}) does not match the expected kind (${type.kind})`,
      );
    }
    obj.apiVersion = expected;
    obj.kind = type.kind;
    const metadata = ensureChild(obj, 'metadata');
    if (type.namespaced) {
      const ns = stringAt(metadata, 'namespace');
      if (ns !== undefined && ns !== target.namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = target.namespace ?? '';
    } else delete metadata.namespace;
    for (const serverOwned of ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp'])
      delete metadata[serverOwned];
    return obj;
  }
}

export function parseJsonBody(raw: string, contentType: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = contentType.includes('yaml') ? parseYaml(raw) : JSON.parse(raw);
  } catch (error) {
    throw badRequest(`error decoding request body: ${(error as Error).message}`);
  }
  if (!isObject(parsed))
    throw new KubeStatusError(400, 'BadRequest', 'the request body must be a Kubernetes object');
  return parsed;
}
