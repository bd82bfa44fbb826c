// A sandbox EKS cluster's Kubernetes side: an API server over HTTPS on 127.0.0.1 (random port) with a
// serving certificate from the cluster's own CA, EKS bearer-token authentication through the sandbox
// STS, access entries + RBAC authorization, admission (pod identity webhook included), CSR signers,
// webhook Deployments and a kubelet that runs pods.
//
// Fault hooks (FaultInjector, service `k8s:<cluster>`): every API request asks with operation
// `<METHOD> <plural>[/<sub>]` (e.g. `POST pods`, `GET pods/log`, `PUT certificatesigningrequests/approval`)
// or `<METHOD> <path>` for discovery; kinds throttle, server-error, permanent and latency apply there.
// The kubelet asks `pull <image>` once per container it starts (kind image-pull), and an in-cluster webhook
// asks `webhook-csr <namespace>/<deployment>` once per start (kind webhook-no-csr).
// Not modelled: watches, pagination (`limit` returns everything), graceful deletion (objects go at
// once; deleting a namespace deletes its contents), ReplicaSets/Pods behind Deployments (the
// Deployment's status says whether its one replica is ready), the webhook's 15-minute CSR timeout,
// protobuf responses (a client preferring protobuf also accepts the JSON it gets) and protobuf request
// bodies of kinds other than CertificateSigningRequest (415, as for a kind without a protobuf codec).
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type {
  CallCounter,
  ClusterDescription,
  FaultInjector,
  IssuerKeys,
  SandboxPodIdentity,
  SandboxSts,
} from '../contracts.js';
import { ClusterAdmission } from './admission.js';
import { ApiHandler } from './api-handler.js';
import { approveOrDeny, runSigners, updateCsrStatus } from './csr-signer.js';
import { EventRecorder } from './events.js';
import { ImageCatalog } from './image-catalog.js';
import { child, type JsonObject, stringAt } from './json.js';
import { ObjectStore, type StoreState } from './object-store.js';
import { createCa, issueServingCert, type KeyAndCert } from './pki.js';
import {
  BUILTIN_WEBHOOK_NAME,
  BUILTIN_WEBHOOK_URL,
  PodIdentityWebhooks,
  type WebhookRuntimeState,
} from './pod-identity-webhooks.js';
import { type PodLogs, PodRuntime } from './pod-runtime.js';
import { ResourceOperations } from './resource-operations.js';
import { resourceTypeOfKind } from './resource-types.js';
import { Scheduler } from './scheduler.js';
import { ServiceAccountTokenIssuer, type SigningKeyState } from './service-account-tokens.js';

export interface KubernetesIdentity {
  username: string;
  groups: string[];
}

export interface SandboxClusterOptions {
  name: string;
  region: string;
  accountId: string;
  /** Kubernetes minor version, e.g. '1.31', '1.20', '1.30'. Decides the APIs served (v1beta1 CSRs before 1.22). */
  version: string;
  /** builtin = EKS's pod identity webhook present and ready from the start (EKS >= 1.21). */
  webhook: 'builtin' | 'none';
  sts: SandboxSts;
  /** The account's EKS Pod Identity (associations, the agent add-on, EKS Auth); absent: none. */
  podIdentity?: SandboxPodIdentity;
  /**
   * EKS access entries: the caller's ARN as STS reports it (an assumed-role session ARN; look the
   * entry up by its role and fill `{{SessionName}}` from it) → Kubernetes identity, or undefined
   * (→ 403 for every request). The identity is authorized by RBAC (group `system:masters` is bound
   * to cluster-admin) and by `authorizeKubernetes`.
   */
  kubernetesIdentity(principalArn: string): KubernetesIdentity | undefined;
  /**
   * EKS access policies (AmazonEKSClusterAdminPolicy, ...) associated with the caller's access entry:
   * whether they allow `verb` on `resource` (plural, or `plural/sub`) in `namespace`. A request is
   * allowed when this or RBAC allows it. Absent: RBAC only.
   */
  authorizeKubernetes?(principalArn: string, verb: string, resource: string, namespace?: string): boolean;
  faults?: FaultInjector;
  counter?: CallCounter;
  /** How long a pod stays Pending (ContainerCreating) before it runs; default 50 ms. */
  podStartDelayMs?: number;
  /** More image repositories carrying the AWS CLI than image-catalog.ts knows (`repo` or `repo=entrypoint`). */
  awsCliImages?: readonly string[];
  /** More image repositories the registry has (without the AWS CLI); any other image fails to pull. */
  images?: readonly string[];
  now?: () => number;
  /** Boots from a snapshot() of an earlier run (same CA, issuer keys and objects). */
  restoreFrom?: unknown;
  /**
   * What the cluster's operator applied after creating it (the broker's RBAC, its namespaces): there
   * from the start, and created again at boot or restore when missing.
   */
  operatorObjects?: readonly JsonObject[];
}

export interface SandboxCluster {
  /** What DescribeCluster reports: endpoint https://127.0.0.1:<port>, CA data, OIDC issuer. */
  readonly description: ClusterDescription;
  /** The service-account issuer and its public keys (what the account's OIDC provider trusts). */
  readonly issuer: IssuerKeys;
  /** Everything needed to come back after a restart: CA, keys, objects, webhook state, pod logs. */
  snapshot(): unknown;
  restore(snapshot: unknown): void;
  /** Runs all pending cluster work (pod starts, controllers) now; tests use it instead of sleeping. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

interface ClusterSnapshot {
  kind: 'sandbox-eks-cluster';
  name: string;
  oidcId: string;
  createdAt: string;
  ca: KeyAndCert;
  serving: KeyAndCert;
  builtinWebhookCert?: string;
  issuerKey: SigningKeyState;
  store: StoreState;
  webhooks: WebhookRuntimeState;
  logs: PodLogs;
}

const NODE_NAME = 'ip-10-0-1-10.ec2.internal';

function parseMinor(version: string): number {
  const m = /^1\.(\d{1,2})$/.exec(version);
  if (!m) throw new RangeError(`Cluster version must look like "1.31", got "${version}".`);
  return Number(m[1]);
}

function isSnapshot(value: unknown, name: string): value is ClusterSnapshot {
  const s = value as Partial<ClusterSnapshot> | undefined;
  if (
    s?.kind !== 'sandbox-eks-cluster' ||
    !s.ca ||
    !s.serving ||
    !s.issuerKey ||
    !s.store ||
    !s.webhooks ||
    !s.logs
  ) {
    throw new TypeError('Not a sandbox cluster snapshot: pass what SandboxCluster.snapshot() returned.');
  }
  if (s.name !== name) throw new TypeError(`The snapshot is of cluster "${s.name}", not "${name}".`);
  return true;
}

export async function startSandboxCluster(options: SandboxClusterOptions): Promise<SandboxCluster> {
  const minor = parseMinor(options.version);
  const now = options.now ?? Date.now;
  const podStartDelayMs = options.podStartDelayMs ?? 50;
  const service = `k8s:${options.name}`;
  const restored =
    options.restoreFrom !== undefined && isSnapshot(options.restoreFrom, options.name)
      ? options.restoreFrom
      : undefined;

  let oidcId = restored?.oidcId ?? randomBytes(16).toString('hex').toUpperCase();
  const issuerUrlOf = (id: string) => `https://oidc.eks.${options.region}.amazonaws.com/id/${id}`;
  let createdAt = restored ? new Date(restored.createdAt) : new Date(now());
  let ca = restored?.ca ?? (await createCa('kubernetes'));
  let tokens = restored
    ? new ServiceAccountTokenIssuer(issuerUrlOf(oidcId), restored.issuerKey, now)
    : await ServiceAccountTokenIssuer.create(issuerUrlOf(oidcId), now);
  let serving =
    restored?.serving ??
    (await issueServingCert(
      ca,
      'kube-apiserver',
      ['localhost', 'kubernetes', 'kubernetes.default.svc'],
      ['127.0.0.1'],
    ));
  let builtinWebhookCert =
    restored?.builtinWebhookCert ??
    (options.webhook === 'builtin'
      ? (await issueServingCert(ca, 'eks-pod-identity-webhook', ['localhost'], ['127.0.0.1'])).certPem
      : undefined);

  const store = new ObjectStore();
  const scheduler = new Scheduler((error) => {
    process.emitWarning(`sandbox cluster ${options.name}: ${(error as Error).message ?? String(error)}`);
  });
  let operations: ResourceOperations;
  const images = new ImageCatalog({
    ...(options.awsCliImages ? { awsCliImages: options.awsCliImages } : {}),
    ...(options.images ? { images: options.images } : {}),
  });
  const pods = new PodRuntime({
    store,
    scheduler,
    sts: options.sts,
    ...(options.podIdentity ? { podIdentity: options.podIdentity } : {}),
    tokens: () => tokens,
    clusterName: options.name,
    nodeName: NODE_NAME,
    faults: options.faults,
    service,
    podStartDelayMs,
    now,
    images,
    events: new EventRecorder(store, now),
  });
  let reconcileQueued = false;
  let controllers: Promise<void> = Promise.resolve();
  const queueReconcile = (delayMs = 0) => {
    if (reconcileQueued && delayMs === 0) return;
    if (delayMs === 0) reconcileQueued = true;
    scheduler.schedule(delayMs, () => {
      // Controllers run one pass at a time, as one controller-manager would: a webhook must not file
      // two CSRs because two passes saw "none filed yet".
      const pass = controllers.then(async () => {
        if (delayMs === 0) reconcileQueued = false;
        await runSigners(store, ca, minor);
        await webhooks.reconcile();
      });
      // A failed pass is reported (scheduler) and must not stop the passes after it.
      controllers = pass.catch(() => undefined);
      return pass;
    });
  };
  const webhooks = new PodIdentityWebhooks({
    store,
    get operations() {
      return operations;
    },
    ca: () => ca,
    faults: options.faults,
    service,
    minor,
    podStartDelayMs,
    now,
    images,
    wakeUpIn: (delayMs) => queueReconcile(Math.max(1, delayMs)),
    podIdentityAssociated: (namespace, serviceAccount) =>
      options.podIdentity?.hasAssociation(options.name, namespace, serviceAccount) ?? false,
  });
  // EKS Auth honours a pod's token only while the API server still has that pod.
  options.podIdentity?.setPodLiveness(options.name, (namespace, name, uid) => {
    const pod = store.get(resourceTypeOfKind('Pod'), namespace, name);
    return stringAt(child(pod, 'metadata'), 'uid') === uid;
  });
  const admission = new ClusterAdmission({
    store,
    minor,
    nodeName: NODE_NAME,
    mutatePod: (pod, namespace) => webhooks.mutatePod(pod, namespace),
    afterCreate: (type, obj) => {
      if (type.kind === 'Pod') pods.podCreated(obj);
      if (type.kind === 'Namespace')
        createDefaultServiceAccount(store, stringAt(child(obj, 'metadata'), 'name') ?? '');
    },
    afterDelete: (type, obj) => {
      if (type.kind === 'Pod') pods.podDeleted(obj);
      if (type.kind === 'Namespace')
        deleteNamespaceContents(store, stringAt(child(obj, 'metadata'), 'name') ?? '');
    },
  });
  operations = new ResourceOperations(store, admission);

  if (builtinWebhookCert) webhooks.setBuiltin(builtinWebhookCert, options.region);

  if (restored) {
    store.restore(restored.store);
    webhooks.restore(restored.webhooks);
    pods.restore(restored.logs);
  } else {
    bootstrap(store, options.webhook === 'builtin', ca);
  }
  applyOperatorObjects(store, options.operatorObjects ?? []);
  store.onChange(() => queueReconcile());

  const handler = new ApiHandler({
    clusterName: options.name,
    region: options.region,
    minor,
    store,
    operations,
    tokens: { verify: (token) => tokens.verify(token) },
    sts: options.sts,
    kubernetesIdentity: (arn) => options.kubernetesIdentity(arn),
    ...(options.authorizeKubernetes
      ? {
          authorizeKubernetes: (arn: string, verb: string, resource: string, namespace?: string) =>
            options.authorizeKubernetes?.(arn, verb, resource, namespace) ?? false,
        }
      : {}),
    now,
    subresources: {
      podLog: (pod, logOptions) => pods.log(pod, logOptions),
      csrApproval: approveOrDeny,
      csrStatus: updateCsrStatus,
    },
    faults: options.faults,
    counter: options.counter,
  });

  const server: Server = createServer({ key: serving.keyPem, cert: serving.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const headers: Record<string, string | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      handler
        .handle({
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers,
          body: Buffer.concat(chunks),
        })
        .then(async (response) => {
          const { stream } = response;
          if (!stream) {
            res.writeHead(response.status, {
              ...response.headers,
              'content-length': Buffer.byteLength(response.body),
            });
            res.end(response.body);
            return;
          }
          // A stream (`logs -f`): chunked, each chunk sent as it comes, until it ends or the client goes.
          res.writeHead(response.status, response.headers);
          res.flushHeaders();
          for await (const chunk of stream) {
            if (res.destroyed) break;
            res.write(chunk);
          }
          res.end();
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const description = (): ClusterDescription => ({
    name: options.name,
    region: options.region,
    arn: `arn:aws:eks:${options.region}:${options.accountId}:cluster/${options.name}`,
    version: options.version,
    platformVersion: `eks.${Math.max(1, 34 - minor)}`,
    status: 'ACTIVE',
    endpoint: `https://127.0.0.1:${port}`,
    certificateAuthorityData: Buffer.from(ca.certPem).toString('base64'),
    oidcIssuer: issuerUrlOf(oidcId),
    createdAt,
  });

  const snapshot = (): ClusterSnapshot => ({
    kind: 'sandbox-eks-cluster',
    name: options.name,
    oidcId,
    createdAt: createdAt.toISOString(),
    ca,
    serving,
    ...(builtinWebhookCert ? { builtinWebhookCert } : {}),
    issuerKey: tokens.keyState(),
    store: store.snapshot(),
    webhooks: webhooks.snapshot(),
    logs: pods.snapshot(),
  });

  return {
    get description() {
      return description();
    },
    get issuer(): IssuerKeys {
      return { issuer: tokens.issuer, jwks: tokens.publicJwks() };
    },
    snapshot,
    restore(value: unknown) {
      if (!isSnapshot(value, options.name)) return;
      // The cluster comes back as it was: its OIDC issuer and keys, CA and serving certificate, objects.
      oidcId = value.oidcId;
      createdAt = new Date(value.createdAt);
      ca = value.ca;
      serving = value.serving;
      tokens = new ServiceAccountTokenIssuer(issuerUrlOf(oidcId), value.issuerKey, now);
      server.setSecureContext({ key: serving.keyPem, cert: serving.certPem });
      builtinWebhookCert = value.builtinWebhookCert;
      if (builtinWebhookCert) webhooks.setBuiltin(builtinWebhookCert, options.region);
      store.restore(value.store);
      webhooks.restore(value.webhooks);
      pods.restore(value.logs);
      applyOperatorObjects(store, options.operatorObjects ?? []);
    },
    settle: () => scheduler.settle(),
    async stop() {
      scheduler.close();
      pods.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function applyOperatorObjects(store: ObjectStore, objects: readonly JsonObject[]): void {
  for (const object of objects) {
    const kind = stringAt(object, 'kind') ?? '';
    const metadata = child(object, 'metadata');
    const name = stringAt(metadata, 'name') ?? '';
    const type = resourceTypeOfKind(kind);
    if (store.get(type, stringAt(metadata, 'namespace'), name)) continue;
    if (kind === 'Namespace') {
      store.create(type, {
        ...structuredClone(object),
        metadata: {
          ...metadata,
          labels: { ...child(metadata, 'labels'), 'kubernetes.io/metadata.name': name },
        },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
      createDefaultServiceAccount(store, name);
    } else store.create(type, structuredClone(object));
  }
}

function createDefaultServiceAccount(store: ObjectStore, namespace: string): void {
  const type = resourceTypeOfKind('ServiceAccount');
  if (store.get(type, namespace, 'default')) return;
  store.create(type, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
}

function deleteNamespaceContents(store: ObjectStore, namespace: string): void {
  for (const kind of [
    'Pod',
    'ServiceAccount',
    'Secret',
    'Service',
    'ConfigMap',
    'Event',
    'Deployment',
    'Role',
    'RoleBinding',
  ]) {
    const type = resourceTypeOfKind(kind);
    for (const obj of store.list(type, namespace)) {
      store.delete(type, namespace, stringAt(child(obj, 'metadata'), 'name') ?? '');
    }
  }
}

/** What a fresh EKS cluster has: system namespaces, cluster-admin for system:masters, the built-in webhook. */
function bootstrap(store: ObjectStore, builtinWebhook: boolean, ca: KeyAndCert): void {
  const create = (kind: string, obj: JsonObject) => store.create(resourceTypeOfKind(kind), obj);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    create('Namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    createDefaultServiceAccount(store, name);
  }
  create('ClusterRole', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    rules: [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ],
  });
  create('ClusterRoleBinding', {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:masters' }],
  });
  create('Service', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.100.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
    },
  });
  if (builtinWebhook) {
    create('MutatingWebhookConfiguration', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: BUILTIN_WEBHOOK_NAME },
      webhooks: [
        {
          name: 'iam-for-pods.amazonaws.com',
          clientConfig: { url: BUILTIN_WEBHOOK_URL, caBundle: Buffer.from(ca.certPem).toString('base64') },
          rules: [
            { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: '*' },
          ],
          failurePolicy: 'Ignore',
          matchPolicy: 'Equivalent',
          sideEffects: 'None',
          admissionReviewVersions: ['v1beta1'],
          timeoutSeconds: 10,
          reinvocationPolicy: 'IfNeeded',
          namespaceSelector: {},
          objectSelector: {},
        },
      ],
    });
  }
}
