// One cluster's workloads in memory: namespaces, ServiceAccounts by server-side apply with per-annotation
// field owners, and test pods that the pod identity webhook mutates and that finish with a scripted log.
import {
  ConflictError,
  FieldOwnershipConflictError,
  NotFoundError,
  NotYetError,
} from '../../../lib/domain/errors.js';
import type {
  CertificateSigningRequest,
  ClusterConnection,
  KindRef,
  KubernetesCluster,
  KubernetesClusters,
  KubernetesObject,
  ListOptions,
  ObjectRef,
} from '../../../lib/ports/kubernetes.js';
import { matchesFieldSelector } from './fake-kubernetes-cluster.js';

const FIELD_MANAGER = 'irsa-broker';
const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

export interface PodOutcome {
  phase: 'Succeeded' | 'Failed';
  log: string;
}

type Container = {
  name: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
};

const keyOf = (ref: ObjectRef) => `${ref.apiVersion}|${ref.kind}|${ref.namespace ?? ''}|${ref.name}`;
const refOf = (o: KubernetesObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name ?? '',
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});

export class FakeWorkloadCluster implements KubernetesCluster {
  readonly objects = new Map<string, KubernetesObject>();
  /** object key → annotation → field manager */
  readonly annotationOwners = new Map<string, Map<string, string>>();
  /** Whether a pod identity webhook mutates new pods. */
  webhookInstalled = true;
  /** Whether EKS knows a Pod Identity association for a service account (it then injects the agent's variables). */
  podIdentityAssociated: (namespace: string, serviceAccount: string) => boolean = () => false;
  /** How many reads of a pod it takes to finish. */
  pollsUntilDone = 2;
  /** What the n-th test pod (1-based, counted across attempts) prints and how it ends. */
  podOutcome: (podNumber: number) => PodOutcome = () => ({ phase: 'Succeeded', log: '{}' });
  podsCreated = 0;
  readonly deletedPods: string[] = [];
  private readonly podProgress = new Map<string, { reads: number; number: number }>();

  constructor(namespaces: string[] = ['default', 'kube-system']) {
    for (const name of namespaces) this.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }

  /** Stores an object as another field manager made it. */
  put(object: KubernetesObject, manager = 'kubectl'): void {
    const key = keyOf(refOf(object));
    this.objects.set(key, structuredClone(object));
    const owners = new Map<string, string>();
    for (const annotation of Object.keys(object.metadata.annotations ?? {})) owners.set(annotation, manager);
    this.annotationOwners.set(key, owners);
  }

  pods(): KubernetesObject[] {
    return [...this.objects.values()].filter((o) => o.kind === 'Pod');
  }

  private requireNamespace(namespace: string | undefined): void {
    if (namespace && !this.objects.has(keyOf({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))) {
      throw new NotFoundError(`namespaces "${namespace}" not found`);
    }
  }

  async serves(groupVersion: string): Promise<boolean> {
    return ['v1', 'apps/v1', 'admissionregistration.k8s.io/v1', 'certificates.k8s.io/v1'].includes(
      groupVersion,
    );
  }

  async get(ref: ObjectRef): Promise<KubernetesObject | undefined> {
    const object = this.objects.get(keyOf(ref));
    if (object?.kind === 'Pod') this.advancePod(object);
    return object && structuredClone(object);
  }

  async list(kind: KindRef, options: ListOptions = {}): Promise<KubernetesObject[]> {
    // Equality selectors, comma-separated (all must match), as the API server takes them.
    const wanted = (options.labelSelector ?? '')
      .split(',')
      .filter(Boolean)
      .map((term) => term.split('=') as [string, string]);
    return [...this.objects.values()]
      .filter((o) => o.apiVersion === kind.apiVersion && o.kind === kind.kind)
      .filter((o) => options.namespace === undefined || o.metadata.namespace === options.namespace)
      .filter((o) => wanted.every(([key, value]) => o.metadata.labels?.[key] === value))
      .filter((o) => matchesFieldSelector(o, options.fieldSelector))
      .map((o) => structuredClone(o));
  }

  async apply(object: KubernetesObject, options: { force?: boolean } = {}): Promise<KubernetesObject> {
    this.requireNamespace(object.metadata.namespace);
    const key = keyOf(refOf(object));
    const current = this.objects.get(key);
    const owners = this.annotationOwners.get(key) ?? new Map<string, string>();
    const wanted = object.metadata.annotations ?? {};
    const conflicts = Object.entries(wanted).filter(([annotation, value]) => {
      const owner = owners.get(annotation);
      return (
        owner !== undefined &&
        owner !== FIELD_MANAGER &&
        current?.metadata.annotations?.[annotation] !== value
      );
    });
    if (conflicts.length > 0 && !options.force) {
      throw new FieldOwnershipConflictError(
        `Apply failed with ${conflicts.length} conflict(s): ${conflicts
          .map(([a]) => `conflict with "${owners.get(a)}": .metadata.annotations.${a}`)
          .join('; ')}`,
      );
    }
    const merged: KubernetesObject = structuredClone(
      current ?? { ...object, metadata: { ...object.metadata } },
    );
    merged.metadata.annotations = { ...current?.metadata.annotations, ...wanted };
    merged.metadata.labels = { ...current?.metadata.labels, ...object.metadata.labels };
    for (const annotation of Object.keys(wanted)) owners.set(annotation, FIELD_MANAGER);
    this.objects.set(key, merged);
    this.annotationOwners.set(key, owners);
    return structuredClone(merged);
  }

  async create(object: KubernetesObject): Promise<KubernetesObject> {
    this.requireNamespace(object.metadata.namespace);
    const key = keyOf(refOf(object));
    if (this.objects.has(key))
      throw new ConflictError(`${object.kind} "${object.metadata.name}" already exists`);
    const stored = structuredClone(object);
    // The API server gives every object a uid.
    stored.metadata.uid ??= `uid-${this.objects.size + 1}-${stored.metadata.name}`;
    if (stored.kind === 'Pod') {
      this.admitPod(stored);
      this.podsCreated += 1;
      this.podProgress.set(key, { reads: 0, number: this.podsCreated });
    }
    this.objects.set(key, stored);
    return structuredClone(stored);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const existed = this.objects.delete(keyOf(ref));
    if (existed && ref.kind === 'Pod') this.deletedPods.push(ref.name);
    return existed;
  }

  async readPodLog(namespace: string, name: string): Promise<string> {
    const key = keyOf({ apiVersion: 'v1', kind: 'Pod', namespace, name });
    const pod = this.objects.get(key);
    if (!pod) throw new NotFoundError(`pods "${name}" not found`);
    const progress = this.podProgress.get(key);
    if (!progress || (pod.status as { phase?: string }).phase === 'Pending') {
      throw new NotYetError(`container in pod ${name} is waiting to start`);
    }
    return this.podOutcome(progress.number).log;
  }

  private admitPod(pod: KubernetesObject): void {
    pod.status = { phase: 'Pending' };
    if (!this.webhookInstalled) return;
    const spec = pod.spec as { serviceAccountName?: string; containers: Container[] };
    const sa = this.objects.get(
      keyOf({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        namespace: pod.metadata.namespace,
        name: spec.serviceAccountName ?? 'default',
      }),
    );
    if (
      this.podIdentityAssociated(pod.metadata.namespace ?? 'default', spec.serviceAccountName ?? 'default')
    ) {
      for (const container of spec.containers) {
        container.env = [
          ...(container.env ?? []),
          { name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI', value: 'http://169.254.170.23/v1/credentials' },
          {
            name: 'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
            value: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
          },
        ];
        container.volumeMounts = [
          ...(container.volumeMounts ?? []),
          {
            name: 'eks-pod-identity-token',
            mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
          },
        ];
      }
    }
    const roleArn = sa?.metadata.annotations?.['eks.amazonaws.com/role-arn'];
    if (!roleArn) return;
    const skipped = (pod.metadata.annotations?.['eks.amazonaws.com/skip-containers'] ?? '').split(',');
    for (const container of spec.containers.filter((c) => !skipped.includes(c.name))) {
      container.env = [
        ...(container.env ?? []),
        { name: 'AWS_ROLE_ARN', value: roleArn },
        { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: `${TOKEN_DIR}/token` },
      ];
      container.volumeMounts = [
        ...(container.volumeMounts ?? []),
        { name: 'aws-iam-token', mountPath: TOKEN_DIR },
      ];
    }
  }

  private advancePod(pod: KubernetesObject): void {
    const progress = this.podProgress.get(keyOf(refOf(pod)));
    if (!progress) return;
    progress.reads += 1;
    if (progress.reads >= this.pollsUntilDone) {
      pod.status = { phase: this.podOutcome(progress.number).phase };
    } else {
      pod.status = { phase: 'Running' };
    }
  }

  async getCsr(): Promise<CertificateSigningRequest | undefined> {
    throw new Error('FakeWorkloadCluster has no CSR API');
  }
  async listCsrs(): Promise<CertificateSigningRequest[]> {
    throw new Error('FakeWorkloadCluster has no CSR API');
  }
  async createCsr(): Promise<CertificateSigningRequest> {
    throw new Error('FakeWorkloadCluster has no CSR API');
  }
  async approveCsr(): Promise<CertificateSigningRequest> {
    throw new Error('FakeWorkloadCluster has no CSR API');
  }
  async deleteCsr(): Promise<boolean> {
    throw new Error('FakeWorkloadCluster has no CSR API');
  }
}

/** Connects every ClusterConnection to the one fake cluster, remembering what it was asked for. */
export class FakeWorkloadClusters implements KubernetesClusters {
  readonly connections: ClusterConnection[] = [];
  constructor(readonly cluster: FakeWorkloadCluster) {}
  connect(connection: ClusterConnection): KubernetesCluster {
    this.connections.push(connection);
    return this.cluster;
  }
}
