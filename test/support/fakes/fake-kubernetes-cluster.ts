// An in-memory KubernetesCluster for use-case tests: objects by group/kind/namespace/name, simplified
// server-side apply with per-field ownership, v1/v1beta1 CSRs sharing one store, and hooks for tests to
// play the cluster's controllers (tick) and inject failures.
import {
  ConflictError,
  FieldOwnershipConflictError,
  InputError,
  NotFoundError,
  NotYetError,
} from '../../../lib/domain/errors.js';
import type {
  ApplyOptions,
  CertificateSigningRequest,
  ClusterConnection,
  CsrCondition,
  CsrVersion,
  KindRef,
  KubernetesCluster,
  KubernetesClusters,
  KubernetesObject,
  ListOptions,
  NewCsr,
  ObjectRef,
} from '../../../lib/ports/kubernetes.js';

export const BROKER_FIELD_MANAGER = 'irsa-broker';
const CSR_KIND = 'CertificateSigningRequest';
const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  CSR_KIND,
  'Node',
  'PersistentVolume',
  'CustomResourceDefinition',
  'StorageClass',
]);

/** What a Kubernetes 1.30 (only v1 CSRs) and a 1.20 (v1beta1 CSRs too) API server serve. */
export const SERVED_MODERN = [
  'v1',
  'apps/v1',
  'rbac.authorization.k8s.io/v1',
  'admissionregistration.k8s.io/v1',
  'certificates.k8s.io/v1',
];
export const SERVED_LEGACY = [
  ...SERVED_MODERN,
  'admissionregistration.k8s.io/v1beta1',
  'certificates.k8s.io/v1beta1',
];

export type KubernetesMethod = keyof KubernetesCluster;

interface Stored {
  object: KubernetesObject;
  /** Field paths (JSON-pointer-ish, lists atomic) each manager owns. */
  owners: Map<string, Set<string>>;
}

export interface FakeClusterOptions {
  serves?: string[];
  /** How the API server authenticates irsa-broker (the CSR `username` of what it files). */
  brokerUsername?: string;
  /** Namespaces that exist from the start. */
  namespaces?: string[];
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SKIPPED_TOP_LEVEL = new Set(['apiVersion', 'kind', 'status']);
const SKIPPED_METADATA = new Set([
  'name',
  'namespace',
  'generateName',
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
]);

/** Leaf paths of an applied object: maps are walked, lists and scalars are atomic. */
function leafPaths(object: Json): Map<string, unknown> {
  const leaves = new Map<string, unknown>();
  const walk = (value: unknown, path: string[]) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    } else {
      leaves.set(JSON.stringify(path), value);
    }
  };
  for (const [key, value] of Object.entries(object)) {
    if (SKIPPED_TOP_LEVEL.has(key)) continue;
    if (key === 'metadata' && isPlainObject(value)) {
      for (const [metaKey, metaValue] of Object.entries(value)) {
        if (!SKIPPED_METADATA.has(metaKey)) walk(metaValue, ['metadata', metaKey]);
      }
      continue;
    }
    walk(value, [key]);
  }
  return leaves;
}

function readPath(object: Json, path: string[]): unknown {
  let current: unknown = object;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

function writePath(object: Json, path: string[], value: unknown): void {
  let current = object;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Json;
  }
  current[path[path.length - 1] as string] = structuredClone(value);
}

function removePath(object: Json, path: string[]): void {
  const parents: Json[] = [];
  let current = object;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) return;
    parents.push(current);
    current = current[key] as Json;
  }
  delete current[path[path.length - 1] as string];
  // Drop maps the removal emptied.
  for (let i = path.length - 2; i >= 0; i -= 1) {
    const parent = parents[i] as Json;
    const key = path[i] as string;
    if (isPlainObject(parent[key]) && Object.keys(parent[key] as Json).length === 0) delete parent[key];
    else break;
  }
}

const display = (path: string): string => `.${(JSON.parse(path) as string[]).join('.')}`;

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Field selectors as the API server takes them: `a.b=v`, `a.b==v`, `a.b!=v`, comma-separated, all must hold. */
export function matchesFieldSelector(object: KubernetesObject, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const m = /^([\w.]+)(!=|==|=)(.*)$/.exec(term.trim());
    if (!m) throw new Error(`invalid field selector term "${term}"`);
    const [, path, op, value] = m as unknown as [string, string, string, string];
    const actual = path
      .split('.')
      .reduce<unknown>(
        (at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
        object,
      );
    return (String(actual ?? '') === value) !== (op === '!=');
  });
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated. */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  const have = labels ?? {};
  for (const raw of selector.split(',')) {
    const term = raw.trim();
    if (term === '') continue;
    if (/\s(in|notin)\s/.test(term) || term.includes('(')) {
      throw new Error(`FakeKubernetesCluster supports equality selectors only, got "${term}"`);
    }
    const notEqual = term.split('!=');
    if (notEqual.length === 2) {
      if (have[(notEqual[0] as string).trim()] === (notEqual[1] as string).trim()) return false;
      continue;
    }
    const equal = term.split(/==?/);
    if (equal.length === 2) {
      if (have[(equal[0] as string).trim()] !== (equal[1] as string).trim()) return false;
      continue;
    }
    if (term.startsWith('!')) {
      if (term.slice(1) in have) return false;
      continue;
    }
    if (!(term in have)) return false;
  }
  return true;
}

export class FakeKubernetesCluster implements KubernetesCluster {
  readonly served: Set<string>;
  brokerUsername: string;
  private readonly objects = new Map<string, Stored>();
  private readonly podLogs = new Map<string, string>();
  private readonly failures = new Map<KubernetesMethod, Error[]>();
  private readonly reactors: Array<(cluster: FakeKubernetesCluster) => void | Promise<void>> = [];
  private sequence = 0;

  constructor(options: FakeClusterOptions = {}) {
    this.served = new Set(options.serves ?? SERVED_MODERN);
    this.brokerUsername = options.brokerUsername ?? 'arn:aws:sts::111122223333:assumed-role/irsa-broker/step';
    for (const name of options.namespaces ?? ['default', 'kube-system']) {
      this.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'kube-apiserver');
    }
  }

  // ---- test controls ----

  /** The next call of `method` throws `error` (queued: several calls fail in order). */
  failNext(method: KubernetesMethod, error: Error): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), error]);
  }

  /** Registers cluster behaviour (a controller, a webhook pod) that runs on every tick(). */
  onTick(reactor: (cluster: FakeKubernetesCluster) => void | Promise<void>): void {
    this.reactors.push(reactor);
  }

  /** Lets the cluster's controllers act once; a FakeClock calls this on every sleep. */
  async tick(): Promise<void> {
    for (const reactor of this.reactors) await reactor(this);
  }

  /** Creates or replaces an object as another writer (`kubectl`, a controller), not irsa-broker. */
  seed(object: KubernetesObject, manager = 'kubectl'): KubernetesObject {
    const key = this.key(object, object.metadata.name ?? '');
    const stored = this.stamp(structuredClone(object), this.objects.get(key)?.object);
    const owners = new Map([[manager, new Set(leafPaths(stored).keys())]]);
    this.objects.set(key, { object: stored, owners });
    return structuredClone(stored);
  }

  /** Sets an object's status, as its controller would through the status subresource. */
  setStatus(ref: ObjectRef, status: Json): void {
    const stored = this.objects.get(this.key(ref, ref.name));
    if (!stored) throw new Error(`setStatus: ${this.describe(ref)} does not exist`);
    stored.object.status = structuredClone(status);
    stored.object.metadata.resourceVersion = String(++this.sequence);
  }

  /** Every stored object (a deep copy), for asserting what changed. */
  snapshot(): KubernetesObject[] {
    return [...this.objects.values()].map((s) => structuredClone(s.object));
  }

  /** The field managers of an object, e.g. to check irsa-broker did not take foreign fields. */
  managersOf(ref: ObjectRef): Record<string, string[]> {
    const stored = this.objects.get(this.key(ref, ref.name));
    if (!stored) return {};
    return Object.fromEntries(
      [...stored.owners].map(([manager, paths]) => [manager, [...paths].map(display)]),
    );
  }

  setPodLog(namespace: string, name: string, text: string): void {
    this.podLogs.set(`${namespace}/${name}`, text);
  }

  /** Files a CSR as someone else (the webhook's service account, an attacker). */
  fileCsr(
    csr: NewCsr,
    version: CsrVersion,
    requester: { username: string; groups?: string[] },
  ): CertificateSigningRequest {
    return this.storeCsr(csr, version, requester);
  }

  denyCsr(name: string, reason = 'Denied', message = 'denied by a test'): void {
    this.addCsrCondition(name, { type: 'Denied', status: 'True', reason, message });
  }

  failCsr(name: string, message: string): void {
    this.addCsrCondition(name, {
      type: 'Failed',
      status: 'True',
      reason: 'SignerValidationFailure',
      message,
    });
  }

  /** What a signer does: puts the issued PEM certificate into status.certificate. */
  issueCertificate(name: string, certificatePem: string): void {
    const stored = this.objects.get(this.csrKey(name));
    if (!stored) throw new Error(`issueCertificate: CSR ${name} does not exist`);
    const status = isPlainObject(stored.object.status) ? stored.object.status : {};
    stored.object.status = { ...status, certificate: Buffer.from(certificatePem).toString('base64') };
    stored.object.metadata.resourceVersion = String(++this.sequence);
  }

  // ---- the port ----

  async serves(groupVersion: string): Promise<boolean> {
    this.maybeFail('serves');
    return this.served.has(groupVersion);
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    this.maybeFail('get');
    this.requireServed(ref);
    const stored = this.objects.get(this.key(ref, ref.name));
    return stored ? this.present(stored.object, ref.apiVersion) : undefined;
  }

  async list(kind: KindRef, options: ListOptions = {}): Promise<KubernetesObject[]> {
    this.maybeFail('list');
    this.requireServed(kind);
    const group = groupOf(kind.apiVersion);
    return [...this.objects.values()]
      .map((s) => s.object)
      .filter((o) => groupOf(o.apiVersion) === group && o.kind === kind.kind)
      .filter((o) => options.namespace === undefined || o.metadata.namespace === options.namespace)
      .filter(
        (o) =>
          options.labelSelector === undefined ||
          matchesLabelSelector(o.metadata.labels, options.labelSelector),
      )
      .filter((o) => matchesFieldSelector(o, options.fieldSelector))
      .map((o) => this.present(o, kind.apiVersion));
  }

  async apply(object: KubernetesObject, options: ApplyOptions = {}): Promise<KubernetesObject> {
    this.maybeFail('apply');
    this.requireServed(object);
    const name = object.metadata.name;
    if (!name) throw new InputError(`Server-side apply of a ${object.kind} needs metadata.name.`);
    this.requireNamespace(object);
    const key = this.key(object, name);
    const applied = leafPaths(object);
    const existing = this.objects.get(key);
    if (!existing) {
      const stored = this.stamp(structuredClone(object));
      this.objects.set(key, {
        object: stored,
        owners: new Map([[BROKER_FIELD_MANAGER, new Set(applied.keys())]]),
      });
      return this.present(stored, object.apiVersion);
    }
    const current = existing.object;
    const conflicts: string[] = [];
    for (const [path, value] of applied) {
      const currentValue = readPath(current, JSON.parse(path) as string[]);
      if (currentValue === undefined || JSON.stringify(currentValue) === JSON.stringify(value)) continue;
      for (const [manager, paths] of existing.owners) {
        if (manager !== BROKER_FIELD_MANAGER && paths.has(path))
          conflicts.push(`conflict with "${manager}": ${display(path)}`);
      }
    }
    if (conflicts.length > 0 && !options.force) {
      throw new FieldOwnershipConflictError(
        `Apply failed with ${conflicts.length} conflict(s): ${conflicts.join('; ')} (${this.describe({ ...object, name })})`,
      );
    }
    const next = structuredClone(current);
    const previous = existing.owners.get(BROKER_FIELD_MANAGER) ?? new Set<string>();
    for (const path of previous) {
      if (applied.has(path)) continue;
      const sharedWithOthers = [...existing.owners].some(
        ([m, paths]) => m !== BROKER_FIELD_MANAGER && paths.has(path),
      );
      if (!sharedWithOthers) removePath(next, JSON.parse(path) as string[]);
    }
    for (const [path, value] of applied) {
      const segments = JSON.parse(path) as string[];
      const changed = JSON.stringify(readPath(next, segments)) !== JSON.stringify(value);
      writePath(next, segments, value);
      // Forcing a changed value takes the field from its other managers; an equal value is co-owned.
      if (changed)
        for (const [manager, paths] of existing.owners)
          if (manager !== BROKER_FIELD_MANAGER) paths.delete(path);
    }
    next.apiVersion = object.apiVersion;
    existing.owners.set(BROKER_FIELD_MANAGER, new Set(applied.keys()));
    existing.object = this.stamp(next, current);
    return this.present(existing.object, object.apiVersion);
  }

  async create(object: KubernetesObject): Promise<KubernetesObject> {
    this.maybeFail('create');
    this.requireServed(object);
    this.requireNamespace(object);
    const copy = structuredClone(object);
    if (!copy.metadata.name) {
      if (!copy.metadata.generateName)
        throw new InputError(`A ${object.kind} needs metadata.name or generateName.`);
      copy.metadata.name = `${copy.metadata.generateName}${(++this.sequence).toString(36).padStart(5, '0')}`;
      delete copy.metadata.generateName;
    }
    const key = this.key(copy, copy.metadata.name);
    if (this.objects.has(key)) {
      throw new ConflictError(`${this.describe({ ...copy, name: copy.metadata.name })} already exists`);
    }
    const stored = this.stamp(copy);
    this.objects.set(key, {
      object: stored,
      owners: new Map([[BROKER_FIELD_MANAGER, new Set(leafPaths(stored).keys())]]),
    });
    return this.present(stored, object.apiVersion);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    this.maybeFail('delete');
    this.requireServed(ref);
    const key = this.key(ref, ref.name);
    if (ref.kind === 'Namespace') {
      for (const [k, s] of this.objects) if (s.object.metadata.namespace === ref.name) this.objects.delete(k);
    }
    return this.objects.delete(key);
  }

  async getCsr(name: string, version: CsrVersion): Promise<CertificateSigningRequest | undefined> {
    this.maybeFail('getCsr');
    this.requireServed({ apiVersion: `certificates.k8s.io/${version}`, kind: CSR_KIND });
    const stored = this.objects.get(this.csrKey(name));
    return stored ? toCsr(stored.object, version) : undefined;
  }

  async listCsrs(
    version: CsrVersion,
    options: { labelSelector?: string } = {},
  ): Promise<CertificateSigningRequest[]> {
    this.maybeFail('listCsrs');
    const items = await this.list({ apiVersion: `certificates.k8s.io/${version}`, kind: CSR_KIND }, options);
    return items.map((item) => toCsr(item, version));
  }

  async createCsr(csr: NewCsr, version: CsrVersion): Promise<CertificateSigningRequest> {
    this.maybeFail('createCsr');
    return this.storeCsr(csr, version, { username: this.brokerUsername, groups: ['system:authenticated'] });
  }

  async approveCsr(
    name: string,
    version: CsrVersion,
    approval: { reason: string; message: string },
  ): Promise<CertificateSigningRequest> {
    this.maybeFail('approveCsr');
    this.requireServed({ apiVersion: `certificates.k8s.io/${version}`, kind: CSR_KIND });
    const stored = this.objects.get(this.csrKey(name));
    if (!stored) throw new NotFoundError(`CertificateSigningRequest ${name} does not exist.`);
    const csr = toCsr(stored.object, version);
    if (csr.conditions.some((c) => c.type === 'Denied' && c.status === 'True')) {
      throw new InputError(`CertificateSigningRequest ${name} is already denied; it cannot be approved.`);
    }
    if (!csr.conditions.some((c) => c.type === 'Approved' && c.status === 'True')) {
      this.addCsrCondition(name, { type: 'Approved', status: 'True', ...approval });
    }
    return toCsr((this.objects.get(this.csrKey(name)) as Stored).object, version);
  }

  async deleteCsr(name: string, version: CsrVersion): Promise<boolean> {
    this.maybeFail('deleteCsr');
    return this.delete({ apiVersion: `certificates.k8s.io/${version}`, kind: CSR_KIND, name });
  }

  async readPodLog(namespace: string, name: string, options: { limitBytes: number }): Promise<string> {
    this.maybeFail('readPodLog');
    if (!this.objects.has(this.key({ apiVersion: 'v1', kind: 'Pod', namespace }, name))) {
      throw new NotFoundError(`pods "${name}" not found in namespace ${namespace}`);
    }
    const log = this.podLogs.get(`${namespace}/${name}`);
    if (log === undefined) throw new NotYetError(`Pod ${namespace}/${name} has not started yet`);
    return Buffer.from(log).subarray(0, options.limitBytes).toString('utf8');
  }

  // ---- internals ----

  private storeCsr(
    csr: NewCsr,
    version: CsrVersion,
    requester: { username: string; groups?: string[] },
  ): CertificateSigningRequest {
    this.requireServed({ apiVersion: `certificates.k8s.io/${version}`, kind: CSR_KIND });
    if (!csr.name === !csr.generateName)
      throw new InputError('A CSR needs exactly one of name and generateName.');
    if (version === 'v1' && (!csr.signerName || csr.signerName === LEGACY_UNKNOWN_SIGNER)) {
      throw new InputError(
        `spec.signerName: Required value / ${LEGACY_UNKNOWN_SIGNER} is not allowed in certificates.k8s.io/v1`,
      );
    }
    if (csr.usages.length === 0) throw new InputError('spec.usages: Required value');
    if (!Buffer.from(csr.request, 'base64').toString('utf8').includes('CERTIFICATE REQUEST')) {
      throw new InputError('spec.request: Invalid value: PEM block type must be CERTIFICATE REQUEST');
    }
    const object: KubernetesObject = {
      apiVersion: `certificates.k8s.io/${version}`,
      kind: CSR_KIND,
      metadata: {
        ...(csr.name ? { name: csr.name } : { generateName: csr.generateName }),
        ...(csr.labels ? { labels: csr.labels } : {}),
      },
      spec: {
        request: csr.request,
        signerName: csr.signerName ?? LEGACY_UNKNOWN_SIGNER,
        usages: csr.usages,
        username: requester.username,
        groups: requester.groups ?? ['system:authenticated'],
        ...(csr.expirationSeconds ? { expirationSeconds: csr.expirationSeconds } : {}),
      },
      status: {},
    };
    if (!object.metadata.name) {
      object.metadata.name = `${csr.generateName}${(++this.sequence).toString(36).padStart(5, '0')}`;
      delete object.metadata.generateName;
    }
    const key = this.csrKey(object.metadata.name);
    if (this.objects.has(key))
      throw new ConflictError(`CertificateSigningRequest ${object.metadata.name} already exists`);
    const stored = this.stamp(object);
    this.objects.set(key, { object: stored, owners: new Map() });
    return toCsr(stored, version);
  }

  private addCsrCondition(name: string, condition: CsrCondition): void {
    const stored = this.objects.get(this.csrKey(name));
    if (!stored) throw new NotFoundError(`CertificateSigningRequest ${name} does not exist.`);
    const status = isPlainObject(stored.object.status) ? stored.object.status : {};
    const conditions = Array.isArray(status.conditions) ? (status.conditions as CsrCondition[]) : [];
    stored.object.status = { ...status, conditions: [...conditions, condition] };
    stored.object.metadata.resourceVersion = String(++this.sequence);
  }

  private maybeFail(method: KubernetesMethod): void {
    const queue = this.failures.get(method);
    const error = queue?.shift();
    if (error) throw error;
  }

  private requireServed(kind: KindRef): void {
    if (!this.served.has(kind.apiVersion)) {
      throw new NotFoundError(
        `the server could not find the requested resource (${kind.apiVersion} ${kind.kind})`,
      );
    }
  }

  private requireNamespace(object: KubernetesObject): void {
    if (CLUSTER_SCOPED_KINDS.has(object.kind)) return;
    const namespace = object.metadata.namespace;
    if (!namespace)
      throw new InputError(`${object.kind} ${object.metadata.name ?? ''} needs metadata.namespace`);
    if (!this.objects.has(this.key({ apiVersion: 'v1', kind: 'Namespace' }, namespace))) {
      throw new NotFoundError(`namespaces "${namespace}" not found`);
    }
  }

  private key(
    kind: KindRef & { namespace?: string; metadata?: { namespace?: string } },
    name: string,
  ): string {
    const namespace = CLUSTER_SCOPED_KINDS.has(kind.kind)
      ? ''
      : (kind.namespace ?? kind.metadata?.namespace ?? '');
    return `${groupOf(kind.apiVersion)}|${kind.kind}|${namespace}|${name}`;
  }

  private csrKey(name: string): string {
    return `certificates.k8s.io|${CSR_KIND}||${name}`;
  }

  private describe(ref: KindRef & { name: string; namespace?: string }): string {
    return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
  }

  private stamp(object: KubernetesObject, previous?: KubernetesObject): KubernetesObject {
    object.metadata.uid = previous?.metadata.uid ?? `uid-${++this.sequence}`;
    object.metadata.creationTimestamp = previous?.metadata.creationTimestamp ?? new Date(0).toISOString();
    object.metadata.resourceVersion = String(++this.sequence);
    if (previous && previous.status !== undefined && object.status === undefined)
      object.status = previous.status;
    return object;
  }

  private present(object: KubernetesObject, apiVersion: string): KubernetesObject {
    return { ...structuredClone(object), apiVersion };
  }
}

function toCsr(object: KubernetesObject, version: CsrVersion): CertificateSigningRequest {
  const spec = (isPlainObject(object.spec) ? object.spec : {}) as Json;
  const status = (isPlainObject(object.status) ? object.status : {}) as Json;
  const signerName = typeof spec.signerName === 'string' ? spec.signerName : undefined;
  return {
    name: object.metadata.name ?? '',
    version,
    ...(signerName ? { signerName } : {}),
    request: String(spec.request ?? ''),
    usages: Array.isArray(spec.usages) ? spec.usages.map(String) : [],
    username: String(spec.username ?? ''),
    groups: Array.isArray(spec.groups) ? spec.groups.map(String) : [],
    conditions: Array.isArray(status.conditions) ? structuredClone(status.conditions as CsrCondition[]) : [],
    ...(typeof status.certificate === 'string' ? { certificate: status.certificate } : {}),
    ...(typeof spec.expirationSeconds === 'number' ? { expirationSeconds: spec.expirationSeconds } : {}),
    ...(object.metadata.creationTimestamp ? { creationTimestamp: object.metadata.creationTimestamp } : {}),
  };
}

/** KubernetesClusters over named fakes; connecting to an unknown cluster is a test bug. */
export class FakeKubernetesClusters implements KubernetesClusters {
  readonly connections: ClusterConnection[] = [];
  constructor(private readonly clusters: Record<string, FakeKubernetesCluster>) {}

  connect(cluster: ClusterConnection): KubernetesCluster {
    const fake = this.clusters[cluster.name];
    if (!fake) throw new Error(`FakeKubernetesClusters: no fake cluster named ${cluster.name}`);
    this.connections.push(cluster);
    return fake;
  }
}
