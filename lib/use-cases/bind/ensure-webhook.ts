// EnsureWebhook (bind step 4): find a ready pod identity webhook, or install one and start getting its
// serving certificate (ApproveCsr finishes that in a later invocation).
import { createHash } from 'node:crypto';
import type { WorkflowConfig } from '../../config/workflow-config.js';
import {
  allowedWebhookDnsNames,
  EKS_APP_SERVING_SIGNER,
  SERVER_USAGES,
  servingCertificateProblems,
} from '../../domain/csr-check.js';
import { ConflictError, TransientError, WebhookNotReadyError } from '../../domain/errors.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, managedByLabels } from '../../domain/manifests/labels.js';
import {
  buildPendingKeySecret,
  buildWebhookBundle,
  type PendingServingKey,
  readPendingKeySecret,
  readTlsSecret,
  WEBHOOK_NAME,
  WEBHOOK_PENDING_KEY_SECRET,
  WEBHOOK_TLS_SECRET,
  type WebhookMode,
  webhookServiceDnsName,
} from '../../domain/manifests/pod-identity-webhook.js';
import type { Clock } from '../../ports/clock.js';
import type {
  CertificateSigningRequest,
  ClusterConnection,
  CsrVersion,
  KubernetesCluster,
  KubernetesClusters,
  KubernetesObject,
  ObjectRef,
} from '../../ports/kubernetes.js';
import type { ServingKeyGenerator } from '../../ports/serving-key-generator.js';

export type EnsureWebhookResult =
  | { status: 'SKIPPED'; detail: string }
  | {
      status: 'SUCCEEDED';
      detail: string;
      mode: WebhookMode;
      /** The CSR ApproveCsr must approve; absent in in-cluster mode (the webhook files its own) or when a valid certificate was reused. */
      csrName?: string;
      csrVersion: CsrVersion;
      namespace: string;
      /** `<namespace>/<secret>` holding the pending private key: a reference, never the key itself. */
      privateKeyRef?: string;
      /** When the install began (ISO 8601): ApproveCsr's overall wait is measured from here. */
      startedAt: string;
    };

export interface WebhookStepInput {
  bindingId: string;
  cluster: ClusterConnection & { version: string };
}

export interface WebhookStepDeps {
  kubernetes: KubernetesClusters;
  config: Pick<
    WorkflowConfig,
    'webhookNamespace' | 'webhookImage' | 'stepPollBudgetSeconds' | 'webhookReadyTimeoutSeconds'
  >;
  keys: ServingKeyGenerator;
  clock: Clock;
}

const MWC_KIND = 'MutatingWebhookConfiguration';
/** A reused serving certificate must have at least this long to live. */
export const MIN_CERTIFICATE_REMAINING_MS = 7 * 24 * 3600 * 1000;

export function isManagedByBroker(object: KubernetesObject): boolean {
  return object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

function foreignObjectError(ref: ObjectRef, clusterName: string): WebhookNotReadyError {
  return new WebhookNotReadyError(
    `${describeRef(ref)} already exists on cluster ${clusterName} and is not managed by irsa-broker ` +
      `(no label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}); irsa-broker will not change it. Remove it, ` +
      'install the pod identity webhook yourself, or set WEBHOOK_NAMESPACE to a namespace irsa-broker may use.',
  );
}

/** Which admissionregistration API to read and write MutatingWebhookConfigurations with. */
export async function admissionApiVersion(
  cluster: KubernetesCluster,
): Promise<'admissionregistration.k8s.io/v1' | 'admissionregistration.k8s.io/v1beta1'> {
  return (await cluster.serves('admissionregistration.k8s.io/v1'))
    ? 'admissionregistration.k8s.io/v1'
    : 'admissionregistration.k8s.io/v1beta1';
}

export async function getWebhookConfiguration(
  cluster: KubernetesCluster,
): Promise<KubernetesObject | undefined> {
  return cluster.get({ apiVersion: await admissionApiVersion(cluster), kind: MWC_KIND, name: WEBHOOK_NAME });
}

export interface WebhookReadiness {
  ready: boolean;
  /** What the backend is and why it is (not) ready. */
  detail: string;
}

function matchesSelector(labels: unknown, selector: Record<string, string>): boolean {
  if (typeof labels !== 'object' || labels === null) return false;
  const have = labels as Record<string, unknown>;
  return Object.entries(selector).every(([key, value]) => have[key] === value);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Whether the webhook a MutatingWebhookConfiguration points at can answer: a URL backend (EKS runs the
 * built-in webhook in the control plane) counts as ready; a Service backend needs an available
 * Deployment or a Ready pod behind the Service's selector.
 */
export async function webhookReadiness(
  cluster: KubernetesCluster,
  configuration: KubernetesObject,
): Promise<WebhookReadiness> {
  const webhooks = Array.isArray(configuration.webhooks) ? configuration.webhooks.map(record) : [];
  if (webhooks.length === 0) {
    return { ready: false, detail: `${MWC_KIND} ${WEBHOOK_NAME} lists no webhooks` };
  }
  const details: string[] = [];
  for (const webhook of webhooks) {
    const clientConfig = record(webhook.clientConfig);
    if (typeof clientConfig.url === 'string') {
      details.push(`${String(webhook.name ?? WEBHOOK_NAME)} is served outside the cluster (built in on EKS)`);
      continue;
    }
    const service = record(clientConfig.service);
    const namespace = typeof service.namespace === 'string' ? service.namespace : '';
    const name = typeof service.name === 'string' ? service.name : '';
    if (!namespace || !name) {
      return {
        ready: false,
        detail: `${MWC_KIND} ${WEBHOOK_NAME} has a webhook with neither url nor service`,
      };
    }
    const readiness = await serviceReadiness(cluster, namespace, name);
    if (!readiness.ready) return readiness;
    details.push(`Service ${namespace}/${name}: ${readiness.detail}`);
  }
  return { ready: true, detail: details.join('; ') };
}

async function serviceReadiness(
  cluster: KubernetesCluster,
  namespace: string,
  name: string,
): Promise<WebhookReadiness> {
  const service = await cluster.get({ apiVersion: 'v1', kind: 'Service', namespace, name });
  if (!service) return { ready: false, detail: `Service ${namespace}/${name} does not exist` };
  const selector = record(record(service.spec).selector) as Record<string, string>;
  if (Object.keys(selector).length === 0) {
    return { ready: false, detail: `Service ${namespace}/${name} has no selector, so no pods behind it` };
  }
  const deployments = await cluster.list({ apiVersion: 'apps/v1', kind: 'Deployment' }, { namespace });
  const backing = deployments.filter((d) =>
    matchesSelector(record(record(record(d.spec).template).metadata).labels, selector),
  );
  for (const deployment of backing) {
    const available = record(deployment.status).availableReplicas;
    if (typeof available === 'number' && available >= 1) {
      return {
        ready: true,
        detail: `Deployment ${namespace}/${deployment.metadata.name} has ${available} available replica(s)`,
      };
    }
  }
  const labelSelector = Object.entries(selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const pods = await cluster.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector });
  const readyPod = pods.find((pod) => {
    const status = record(pod.status);
    const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
    return status.phase === 'Running' && conditions.some((c) => c.type === 'Ready' && c.status === 'True');
  });
  if (readyPod) return { ready: true, detail: `pod ${namespace}/${readyPod.metadata.name} is Ready` };
  if (backing.length === 0) {
    return {
      ready: false,
      detail: `no Deployment or Ready pod matches Service ${namespace}/${name}'s selector ${labelSelector}`,
    };
  }
  const reasons = backing.map((d) => {
    const conditions = record(d.status).conditions;
    const available = (Array.isArray(conditions) ? conditions.map(record) : []).find(
      (c) => c.type === 'Available',
    );
    const why = typeof available?.message === 'string' ? ` (${available.message})` : '';
    return `Deployment ${namespace}/${d.metadata.name} has no available replica yet${why}`;
  });
  return { ready: false, detail: reasons.join('; ') };
}

/** The name of the CSR for a request: derived from its content, so a re-run finds the same one. */
export function pendingCsrName(csrPem: string): string {
  return `${WEBHOOK_NAME}-${createHash('sha256').update(csrPem).digest('hex').slice(0, 16)}`;
}

export function pendingKeyRef(namespace: string): string {
  return `${namespace}/${WEBHOOK_PENDING_KEY_SECRET}`;
}

const secretRef = (namespace: string, name: string): ObjectRef => ({
  apiVersion: 'v1',
  kind: 'Secret',
  namespace,
  name,
});

function caPem(cluster: ClusterConnection): string {
  return Buffer.from(cluster.caData, 'base64').toString('utf8');
}

function isNegativelyDecided(csr: CertificateSigningRequest): boolean {
  return csr.conditions.some((c) => (c.type === 'Denied' || c.type === 'Failed') && c.status !== 'False');
}

export async function ensureWebhook(
  input: WebhookStepInput,
  deps: WebhookStepDeps,
): Promise<EnsureWebhookResult> {
  const cluster = deps.kubernetes.connect(input.cluster);
  const startedAt = deps.clock.now().toISOString();
  const existing = await getWebhookConfiguration(cluster);
  if (existing) {
    const readiness = await webhookReadiness(cluster, existing);
    const ours = isManagedByBroker(existing);
    if (readiness.ready) {
      return {
        status: 'SKIPPED',
        detail: ours
          ? `pod identity webhook already installed by irsa-broker and ready: ${readiness.detail}`
          : `pod identity webhook present and ready (not installed by irsa-broker): ${readiness.detail}`,
      };
    }
    if (!ours) {
      throw new WebhookNotReadyError(
        `${MWC_KIND} ${WEBHOOK_NAME} exists on cluster ${input.cluster.name} but is not ready ` +
          `(${readiness.detail}) and is not managed by irsa-broker, so irsa-broker will not replace it. ` +
          'Repair that webhook, or delete it to let irsa-broker install its own.',
      );
    }
    // Our own install that is not ready yet (an earlier attempt, or another binding): finish it.
  }

  const namespace = deps.config.webhookNamespace;
  let mode: WebhookMode;
  if (await cluster.serves('certificates.k8s.io/v1beta1')) mode = 'in-cluster';
  else if (await cluster.serves('certificates.k8s.io/v1')) mode = 'external-cert';
  else {
    throw new WebhookNotReadyError(
      `Cluster ${input.cluster.name} (Kubernetes ${input.cluster.version}) serves neither certificates.k8s.io/v1 ` +
        'nor v1beta1, so the pod identity webhook cannot get a serving certificate.',
    );
  }

  await applyBundle(cluster, input.cluster, mode, namespace, deps);

  if (mode === 'in-cluster') {
    return {
      status: 'SUCCEEDED',
      detail:
        `installed the pod identity webhook in ${namespace} (in-cluster mode); ` +
        'it files its own v1beta1 CSR for ApproveCsr to check',
      mode,
      csrVersion: 'v1beta1',
      namespace,
      startedAt,
    };
  }
  const certificate = await ensureServingCertificate(cluster, input.cluster, namespace, deps);
  return {
    status: 'SUCCEEDED',
    mode,
    csrVersion: 'v1',
    namespace,
    startedAt,
    ...certificate,
  };
}

async function applyBundle(
  cluster: KubernetesCluster,
  connection: ClusterConnection,
  mode: WebhookMode,
  namespace: string,
  deps: WebhookStepDeps,
): Promise<void> {
  const bundle = buildWebhookBundle({
    namespace,
    image: deps.config.webhookImage,
    mode,
    caBundle: connection.caData,
    admissionApiVersion: await admissionApiVersion(cluster),
    // Mutated pods talk to STS in the cluster's region, not the broker's.
    region: connection.region,
  });
  // Look before touching anything, so a foreign object stops the install before any apply.
  const toApply: KubernetesObject[] = [];
  for (const object of bundle) {
    const ref: ObjectRef = {
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name ?? '',
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    };
    const current = await cluster.get(ref);
    if (current && !isManagedByBroker(current)) {
      // A namespace someone else made is used as it is; any other foreign object stops the install.
      if (object.kind === 'Namespace') continue;
      throw foreignObjectError(ref, connection.name);
    }
    toApply.push(object);
  }
  for (const object of toApply) await cluster.apply(object);
}

async function ensureServingCertificate(
  cluster: KubernetesCluster,
  connection: ClusterConnection,
  namespace: string,
  deps: WebhookStepDeps,
): Promise<{ detail: string; csrName?: string; privateKeyRef?: string }> {
  const tlsRef = secretRef(namespace, WEBHOOK_TLS_SECRET);
  const tls = await cluster.get(tlsRef);
  if (tls) {
    if (!isManagedByBroker(tls)) throw foreignObjectError(tlsRef, connection.name);
    const pair = readTlsSecret(tls);
    const problems = pair
      ? servingCertificateProblems({
          ...pair,
          caPem: caPem(connection),
          namespace,
          now: deps.clock.now(),
          minRemainingMs: MIN_CERTIFICATE_REMAINING_MS,
        })
      : ['tls.crt or tls.key is missing'];
    if (problems.length === 0) {
      return {
        detail: `installed the pod identity webhook in ${namespace}; reusing its valid serving certificate in Secret ${WEBHOOK_TLS_SECRET}`,
      };
    }
  }

  const pendingRef = secretRef(namespace, WEBHOOK_PENDING_KEY_SECRET);
  // Concurrent installs race on the one pending key; create-or-reuse settles within a few rounds.
  for (let round = 1; round <= 3; round += 1) {
    const pending = await ensurePendingKey(cluster, connection, pendingRef, namespace, deps.keys);
    if (!pending) continue;
    const request = Buffer.from(pending.csrPem).toString('base64');
    let csr = await cluster.getCsr(pending.csrName, 'v1');
    if (!csr) {
      try {
        csr = await cluster.createCsr(
          {
            name: pending.csrName,
            request,
            signerName: EKS_APP_SERVING_SIGNER,
            usages: [...SERVER_USAGES],
            labels: { app: WEBHOOK_NAME, ...managedByLabels() },
          },
          'v1',
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        csr = await cluster.getCsr(pending.csrName, 'v1');
        if (!csr) continue;
      }
    }
    if (csr.request !== request || isNegativelyDecided(csr)) {
      // Not ours after all, or denied / refused: start over with a new key (and so a new CSR name).
      if (csr.request === request) await cluster.deleteCsr(csr.name, 'v1');
      await cluster.delete(pendingRef);
      continue;
    }
    return {
      detail:
        `installed the pod identity webhook in ${namespace} (external certificate); ` +
        `filed CSR ${csr.name} with signer ${EKS_APP_SERVING_SIGNER}`,
      csrName: csr.name,
      privateKeyRef: pendingKeyRef(namespace),
    };
  }
  throw new TransientError(
    `Could not settle the webhook's pending serving key in Secret ${namespace}/${WEBHOOK_PENDING_KEY_SECRET} ` +
      'after 3 rounds (concurrent installs?); trying again later.',
  );
}

/** The stored pending key, or a new one stored now; undefined when another writer won a race (look again). */
async function ensurePendingKey(
  cluster: KubernetesCluster,
  connection: ClusterConnection,
  ref: ObjectRef,
  namespace: string,
  keys: ServingKeyGenerator,
): Promise<PendingServingKey | undefined> {
  const stored = await cluster.get(ref);
  if (stored) {
    if (!isManagedByBroker(stored)) throw foreignObjectError(ref, connection.name);
    const pending = readPendingKeySecret(stored);
    if (pending) return pending;
    await cluster.delete(ref);
    return undefined;
  }
  const generated = await keys.generate(webhookServiceDnsName(namespace), allowedWebhookDnsNames(namespace));
  const pending: PendingServingKey = { csrName: pendingCsrName(generated.csrPem), ...generated };
  try {
    // create, not apply: two installs racing must not overwrite each other's key.
    await cluster.create(buildPendingKeySecret(namespace, pending));
  } catch (error) {
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
  return pending;
}
