// The pod identity webhooks a cluster runs: EKS's built-in one (control plane, URL client config) and
// amazon-eks-pod-identity-webhook Deployments recognised by what they are (the /webhook binary and
// its flags). An in-cluster Deployment files its own v1beta1 CSR and stores the signed certificate
// in its TLS secret; an external-cert Deployment serves the cert/key mounted from a Secret. Pod
// CREATE admission calls whichever MutatingWebhookConfiguration points at a ready backend whose
// serving certificate verifies against the configuration's caBundle, as a TLS handshake would.
import { X509Certificate } from 'node:crypto';
import type { FaultInjector } from '../contracts.js';
import type { ImageCatalog } from './image-catalog.js';
import { child, type JsonObject, objectsAt, stringAt, stringMap } from './json.js';
import type { ObjectStore } from './object-store.js';
import { certSignedBy, createCsr, type KeyAndCert, keyMatchesCert } from './pki.js';
import {
  mutatePodForIrsa,
  mutatePodForPodIdentity,
  type WebhookConfig,
  webhookConfigFromArgs,
} from './pod-identity-mutation.js';
import { rbacAllows } from './rbac-authorizer.js';
import type { Requester, ResourceOperations } from './resource-operations.js';
import { findResourceType, resourceTypeOfKind } from './resource-types.js';
import { internalError } from './status.js';

/** Where EKS's control-plane webhook listens; its MutatingWebhookConfiguration points here. */
export const BUILTIN_WEBHOOK_URL = 'https://127.0.0.1:23443/mutate';
export const BUILTIN_WEBHOOK_NAME = 'pod-identity-webhook';
const WEBHOOK_USER_AGENT = 'amazon-eks-pod-identity-webhook';

interface Backend {
  config: WebhookConfig;
  certPem?: string;
  ready: boolean;
  /** Why it is not ready, for the Deployment's conditions. */
  reason?: string;
}

/** What an in-cluster webhook keeps between reconciles (its key, its CSR). */
interface InClusterState {
  deploymentUid: string;
  keyPem: string;
  csrPem: string;
  csrName?: string;
  noCsr?: boolean;
}

export interface WebhookRuntimeState {
  inCluster: Record<string, InClusterState>;
  startedAt: Record<string, number>;
  pullFailed: Record<string, boolean>;
}

export interface PodIdentityWebhooksDeps {
  store: ObjectStore;
  operations: ResourceOperations;
  ca: () => KeyAndCert;
  faults?: FaultInjector;
  service: string;
  minor: number;
  podStartDelayMs: number;
  now: () => number;
  /** The images the registry has: a Deployment of another image never gets a ready replica. */
  images: Pick<ImageCatalog, 'has'>;
  /** Asks for another reconcile after `delayMs` (a pod finishing its start). */
  wakeUpIn(delayMs: number): void;
  /** Whether EKS has a Pod Identity association for the service account (EKS's own webhook asks). */
  podIdentityAssociated?(namespace: string, serviceAccount: string): boolean;
}

function argvOf(container: JsonObject | undefined): string[] {
  const strings = (key: string) =>
    Array.isArray(container?.[key]) ? (container[key] as unknown[]).map(String) : [];
  return [...strings('command'), ...strings('args')];
}

function isPodIdentityWebhook(container: JsonObject | undefined): boolean {
  const image = stringAt(container, 'image') ?? '';
  const argv = argvOf(container);
  return image.includes('pod-identity-webhook') || argv[0] === '/webhook' || argv[0] === 'webhook';
}

/** Whether the TLS client would accept `certPem` for `host`: chain to `caBundlePem` and name match. */
function tlsAccepts(certPem: string, caBundlePem: string, host: string): string | undefined {
  if (!certSignedBy(certPem, caBundlePem)) return 'x509: certificate signed by unknown authority';
  const names = new X509Certificate(certPem).subjectAltName ?? '';
  const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(host);
  const entry = isIp ? `IP Address:${host}` : `DNS:${host}`;
  if (!names.split(', ').includes(entry)) {
    return `x509: certificate is valid for ${names.replace(/(DNS|IP Address):/g, '') || 'no names'}, not ${host}`;
  }
  return undefined;
}

export class PodIdentityWebhooks {
  private backends = new Map<string, Backend>();
  /** Set by restore(): the webhooks' pods kept running across the restart, their backends are found anew. */
  private backendsStale = false;
  private inCluster = new Map<string, InClusterState>();
  private startedAt = new Map<string, number>();
  private pullFailed = new Map<string, boolean>();
  private builtin: Backend | undefined;

  constructor(private readonly deps: PodIdentityWebhooksDeps) {}

  /** EKS's own webhook: ready from the start, serving a cluster-CA certificate for 127.0.0.1. */
  setBuiltin(certPem: string, region: string): void {
    this.builtin = {
      ready: true,
      certPem,
      config: { annotationPrefix: 'eks.amazonaws.com', defaultAudience: 'sts.amazonaws.com', region },
    };
  }

  /** Runs the pod CREATE mutating webhooks over `pod`. */
  async mutatePod(pod: JsonObject, namespace: string): Promise<JsonObject> {
    const { store } = this.deps;
    if (this.backendsStale) {
      this.backendsStale = false;
      await this.reconcile();
    }
    let current = pod;
    for (const configuration of store.list(resourceTypeOfKind('MutatingWebhookConfiguration'))) {
      for (const webhook of objectsAt(configuration, 'webhooks')) {
        if (!interceptsPodCreate(webhook)) continue;
        const name = stringAt(webhook, 'name') ?? '';
        const clientConfig = child(webhook, 'clientConfig') ?? {};
        const caBundle = Buffer.from(stringAt(clientConfig, 'caBundle') ?? '', 'base64').toString('utf8');
        const { backend, host, error } = this.backendFor(clientConfig);
        let failure = error;
        if (!failure && backend) {
          failure = backend.certPem ? tlsAccepts(backend.certPem, caBundle, host) : 'connection refused';
        }
        if (failure || !backend) {
          if (stringAt(webhook, 'failurePolicy') === 'Fail') {
            throw internalError(
              `failed calling webhook "${name}": failed to call webhook: Post "https://${host}/mutate": ${failure}`,
            );
          }
          continue;
        }
        const saName = stringAt(child(current, 'spec'), 'serviceAccountName') ?? 'default';
        const serviceAccount = store.get(resourceTypeOfKind('ServiceAccount'), namespace, saName);
        if (!serviceAccount) continue;
        current = mutatePodForIrsa(current, serviceAccount, backend.config) ?? current;
        // EKS's control-plane webhook also serves Pod Identity: it knows the cluster's associations.
        if (backend === this.builtin && this.deps.podIdentityAssociated?.(namespace, saName)) {
          current = mutatePodForPodIdentity(current);
        }
      }
    }
    return current;
  }

  /** Brings every webhook Deployment one step closer to ready and writes its status. */
  async reconcile(): Promise<void> {
    const { store } = this.deps;
    const deploymentType = resourceTypeOfKind('Deployment');
    const seen = new Set<string>();
    for (const deployment of store.list(deploymentType)) {
      const metadata = child(deployment, 'metadata') ?? {};
      const key = `${stringAt(metadata, 'namespace')}/${stringAt(metadata, 'name')}`;
      seen.add(key);
      const backend = await this.reconcileOne(deployment, key);
      if (backend && isPodIdentityWebhook(firstContainer(deployment))) this.backends.set(key, backend);
      else this.backends.delete(key);
      this.writeStatus(deployment, backend?.ready ?? false, backend?.reason);
    }
    for (const key of [...this.backends.keys()]) if (!seen.has(key)) this.backends.delete(key);
    for (const key of [...this.inCluster.keys()]) if (!seen.has(key)) this.inCluster.delete(key);
  }

  snapshot(): WebhookRuntimeState {
    return {
      inCluster: Object.fromEntries(structuredClone([...this.inCluster])),
      startedAt: Object.fromEntries(this.startedAt),
      pullFailed: Object.fromEntries(this.pullFailed),
    };
  }

  restore(state: WebhookRuntimeState): void {
    this.inCluster = new Map(Object.entries(structuredClone(state.inCluster)));
    this.startedAt = new Map(Object.entries(state.startedAt));
    this.pullFailed = new Map(Object.entries(state.pullFailed));
    this.backends.clear();
    this.backendsStale = true;
  }

  private backendFor(clientConfig: JsonObject): { backend?: Backend; host: string; error?: string } {
    const url = stringAt(clientConfig, 'url');
    if (url) {
      const host = new URL(url).hostname;
      if (url === BUILTIN_WEBHOOK_URL && this.builtin) return { backend: this.builtin, host };
      return { host, error: `dial tcp ${host}: connect: connection refused` };
    }
    const service = child(clientConfig, 'service') ?? {};
    const name = stringAt(service, 'name') ?? '';
    const namespace = stringAt(service, 'namespace') ?? '';
    const host = `${name}.${namespace}.svc`;
    const found = this.deps.store.get(resourceTypeOfKind('Service'), namespace, name);
    if (!found) return { host, error: `service "${name}" not found` };
    const selector = stringMap(child(found, 'spec'), 'selector');
    for (const [key, backend] of this.backends) {
      if (!key.startsWith(`${namespace}/`) || !backend.ready) continue;
      const deployment = this.deps.store.get(
        resourceTypeOfKind('Deployment'),
        namespace,
        key.slice(namespace.length + 1),
      );
      const labels = stringMap(child(child(child(deployment, 'spec'), 'template'), 'metadata'), 'labels');
      if (Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)) {
        return { backend, host };
      }
    }
    return { host, error: `no endpoints available for service "${name}"` };
  }

  private async reconcileOne(deployment: JsonObject, key: string): Promise<Backend | undefined> {
    const { store, now, podStartDelayMs, faults, service } = this.deps;
    const metadata = child(deployment, 'metadata') ?? {};
    const namespace = stringAt(metadata, 'namespace') ?? '';
    const uid = stringAt(metadata, 'uid') ?? '';
    const podSpec = child(child(child(deployment, 'spec'), 'template'), 'spec') ?? {};
    const container = firstContainer(deployment);
    const saName = stringAt(podSpec, 'serviceAccountName') ?? 'default';
    const config = webhookConfigFromArgs(argvOf(container));
    const notReady = (reason: string): Backend => ({ config, ready: false, reason });

    if (!store.get(resourceTypeOfKind('ServiceAccount'), namespace, saName)) {
      return notReady(
        `pods "${stringAt(metadata, 'name')}-" is forbidden: error looking up service account ${namespace}/${saName}: serviceaccount "${saName}" not found`,
      );
    }
    if (!this.startedAt.has(uid)) {
      this.startedAt.set(uid, now() + podStartDelayMs);
      const image = stringAt(container, 'image') ?? '';
      this.pullFailed.set(
        uid,
        faults?.decide(service, `pull ${image}`)?.kind === 'image-pull' || !this.deps.images.has(image),
      );
      this.deps.wakeUpIn(podStartDelayMs);
    }
    if (this.pullFailed.get(uid))
      return notReady(`Back-off pulling image "${stringAt(container, 'image') ?? ''}"`);
    const startsAt = this.startedAt.get(uid) ?? 0;
    if (now() < startsAt) {
      this.deps.wakeUpIn(startsAt - now());
      return notReady('ContainerCreating');
    }
    if (!isPodIdentityWebhook(container)) return { config, ready: true };
    if (config.inCluster) return this.reconcileInCluster(key, uid, namespace, saName, config);
    return this.reconcileExternalCert(container, podSpec, namespace, config);
  }

  /** `--in-cluster`: file a v1beta1 CSR as the webhook's service account, then store the certificate. */
  private async reconcileInCluster(
    key: string,
    uid: string,
    namespace: string,
    saName: string,
    config: ReturnType<typeof webhookConfigFromArgs>,
  ): Promise<Backend> {
    const { store, operations, faults, service } = this.deps;
    const serviceName = config.serviceName ?? 'pod-identity-webhook';
    const tlsSecret = config.tlsSecret ?? 'pod-identity-webhook';
    const webhookNamespace = config.namespace ?? namespace;
    const requester: Requester = {
      user: `system:serviceaccount:${namespace}:${saName}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    };
    const may = (verb: string, group: string, resource: string, ns?: string) =>
      rbacAllows(store, {
        user: requester.user,
        groups: requester.groups,
        verb,
        group,
        resource,
        namespace: ns,
      });
    let state = this.inCluster.get(key);
    if (!state || state.deploymentUid !== uid) {
      const dns = `${serviceName}.${webhookNamespace}.svc`;
      const { keyPem, csrPem } = await createCsr(dns, [
        serviceName,
        `${serviceName}.${webhookNamespace}`,
        dns,
      ]);
      state = { deploymentUid: uid, keyPem, csrPem };
      // One decision per webhook start: a webhook that never files its CSR.
      state.noCsr = faults?.decide(service, `webhook-csr ${key}`)?.kind === 'webhook-no-csr';
      this.inCluster.set(key, state);
    }
    const notReady = (reason: string): Backend => ({ config, ready: false, reason });
    if (state.noCsr) return notReady('waiting for the serving certificate: no CSR was filed');

    const csrType = resourceTypeOfKind('CertificateSigningRequest');
    if (!state.csrName) {
      if (
        !findResourceType('certificates.k8s.io', 'v1beta1', 'certificatesigningrequests', this.deps.minor)
      ) {
        return notReady(
          'the server could not find the requested resource (post certificatesigningrequests.certificates.k8s.io)',
        );
      }
      if (!may('create', 'certificates.k8s.io', 'certificatesigningrequests')) {
        return notReady(
          `certificatesigningrequests.certificates.k8s.io is forbidden: User "${requester.user}" cannot create resource "certificatesigningrequests"`,
        );
      }
      const created = await operations.create(
        { type: csrType, version: 'v1beta1' },
        {
          apiVersion: 'certificates.k8s.io/v1beta1',
          kind: 'CertificateSigningRequest',
          metadata: { generateName: 'csr-' },
          spec: {
            request: Buffer.from(state.csrPem).toString('base64'),
            usages: ['digital signature', 'key encipherment', 'server auth'],
          },
        },
        WEBHOOK_USER_AGENT,
        requester,
      );
      state.csrName = stringAt(child(created, 'metadata'), 'name');
    }
    const csr = store.get(csrType, undefined, state.csrName ?? '');
    if (!csr)
      return notReady(`certificatesigningrequest "${state.csrName}" was deleted before it was signed`);
    const certificate = stringAt(child(csr, 'status'), 'certificate');
    if (!certificate)
      return notReady(`waiting for CertificateSigningRequest ${state.csrName} to be approved and signed`);
    const certPem = Buffer.from(certificate, 'base64').toString('utf8');
    if (!may('get', '', 'secrets', namespace) || !may('create', '', 'secrets', namespace)) {
      return notReady(
        `secrets is forbidden: User "${requester.user}" cannot create resource "secrets" in the namespace "${namespace}"`,
      );
    }
    await this.storeTlsSecret(namespace, tlsSecret, certPem, state.keyPem, requester);
    return { config, certPem, ready: true };
  }

  private async storeTlsSecret(
    namespace: string,
    name: string,
    certPem: string,
    keyPem: string,
    requester: Requester,
  ): Promise<void> {
    const { store, operations } = this.deps;
    const secretType = resourceTypeOfKind('Secret');
    const data = {
      'tls.crt': Buffer.from(certPem).toString('base64'),
      'tls.key': Buffer.from(keyPem).toString('base64'),
    };
    const existing = store.get(secretType, namespace, name);
    if (existing && JSON.stringify(existing.data) === JSON.stringify(data)) return;
    const target = { type: secretType, version: 'v1', namespace, name };
    const body: JsonObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace },
      type: 'kubernetes.io/tls',
      data,
    };
    if (existing) operations.replace(target, body, WEBHOOK_USER_AGENT);
    else await operations.create(target, body, WEBHOOK_USER_AGENT, requester);
  }

  /** `--in-cluster=false`: serves the cert/key files mounted from a Secret; not ready until they load. */
  private reconcileExternalCert(
    container: JsonObject | undefined,
    podSpec: JsonObject,
    namespace: string,
    config: WebhookConfig,
  ): Backend {
    const flags = new Map(
      argvOf(container).flatMap((arg) => {
        const m = /^--?([^=]+)=(.*)$/.exec(arg);
        return m ? [[m[1]!, m[2]!] as const] : [];
      }),
    );
    const notReady = (reason: string): Backend => ({ config, ready: false, reason });
    const read = (path: string | undefined): string | undefined => {
      if (!path) return undefined;
      const mount = objectsAt(container, 'volumeMounts').find((m) =>
        path.startsWith(`${stringAt(m, 'mountPath')}/`),
      );
      if (!mount) return undefined;
      const volume = objectsAt(podSpec, 'volumes').find(
        (v) => stringAt(v, 'name') === stringAt(mount, 'name'),
      );
      const secretName = stringAt(child(volume, 'secret'), 'secretName');
      if (!secretName) return undefined;
      const secret = this.deps.store.get(resourceTypeOfKind('Secret'), namespace, secretName);
      const file = path.slice((stringAt(mount, 'mountPath') ?? '').length + 1);
      const value = stringAt(child(secret, 'data'), file);
      return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
    };
    const certPath = flags.get('tls-cert');
    const keyPath = flags.get('tls-key');
    const certPem = read(certPath);
    const keyPem = read(keyPath);
    if (!certPem || !keyPem) {
      return notReady(
        `MountVolume.SetUp failed: the secret holding ${certPath ?? '--tls-cert'} and ${keyPath ?? '--tls-key'} does not exist yet`,
      );
    }
    if (!keyMatchesCert(keyPem, certPem)) return notReady('tls: private key does not match public key');
    return { config, certPem, ready: true };
  }

  private writeStatus(deployment: JsonObject, ready: boolean, reason: string | undefined): void {
    const { store } = this.deps;
    const type = resourceTypeOfKind('Deployment');
    const metadata = child(deployment, 'metadata') ?? {};
    const replicas = Number(child(deployment, 'spec')?.replicas ?? 1);
    const available = ready ? replicas : 0;
    const status: JsonObject = {
      observedGeneration: Number(metadata.generation ?? 1),
      replicas,
      updatedReplicas: replicas,
      readyReplicas: available,
      availableReplicas: available,
      conditions: [
        {
          type: 'Available',
          status: ready ? 'True' : 'False',
          reason: ready ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          message: ready
            ? 'Deployment has minimum availability.'
            : `Deployment does not have minimum availability: ${reason ?? 'starting'}`,
        },
      ],
    };
    if (!ready) status.unavailableReplicas = replicas;
    if (JSON.stringify(deployment.status) === JSON.stringify(status)) return;
    const latest = store.get(type, stringAt(metadata, 'namespace'), stringAt(metadata, 'name') ?? '');
    if (!latest) return;
    latest.status = status;
    store.replace(type, latest, latest);
  }
}

function firstContainer(deployment: JsonObject | undefined): JsonObject | undefined {
  return objectsAt(child(child(child(deployment, 'spec'), 'template'), 'spec'), 'containers')[0];
}

function interceptsPodCreate(webhook: JsonObject): boolean {
  return objectsAt(webhook, 'rules').some((rule) => {
    const has = (key: string, value: string) => {
      const list = Array.isArray(rule[key]) ? (rule[key] as unknown[]) : [];
      return list.includes('*') || list.includes(value);
    };
    return (
      has('operations', 'CREATE') &&
      has('apiGroups', '') &&
      has('apiVersions', 'v1') &&
      has('resources', 'pods')
    );
  });
}
