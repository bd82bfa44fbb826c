// The API server's admission chain on create: per-kind defaulting (what kube-apiserver and its
// built-in admission plugins fill in), the ServiceAccount plugin for pods, CSR requester and
// request checks, then the mutating webhooks for pods.
import { randomBytes } from 'node:crypto';
import { defaultCsrOnCreate, LEGACY_UNKNOWN_SIGNER } from './csr-signer.js';
import { child, ensureChild, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { parseCsr } from './pki.js';
import type { AdmissionContext, ResourceHooks } from './resource-operations.js';
import { type ResourceType, resourceTypeOfKind } from './resource-types.js';
import { forbidden, invalid, type StatusCause } from './status.js';

export interface AdmissionDeps {
  store: ObjectStore;
  minor: number;
  /** The node every pod lands on (there is one). */
  nodeName: string;
  /** Runs the mutating webhooks on a pod CREATE; returns the pod to store. */
  mutatePod(pod: JsonObject, namespace: string): Promise<JsonObject>;
  afterCreate(type: ResourceType, obj: JsonObject): void;
  afterDelete(type: ResourceType, obj: JsonObject): void;
}

const KUBE_API_ACCESS_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

function suffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from(randomBytes(5), (b) => alphabet[b % alphabet.length]).join('');
}

export class ClusterAdmission implements ResourceHooks {
  constructor(private readonly deps: AdmissionDeps) {}

  async admitCreate(type: ResourceType, obj: JsonObject, context: AdmissionContext): Promise<JsonObject> {
    const admitted = structuredClone(obj);
    switch (type.kind) {
      case 'Namespace':
        ensureChild(ensureChild(admitted, 'metadata'), 'labels')['kubernetes.io/metadata.name'] =
          stringAt(child(admitted, 'metadata'), 'name') ?? '';
        admitted.spec = { finalizers: ['kubernetes'] };
        admitted.status = { phase: 'Active' };
        return admitted;
      case 'Secret':
        return defaultSecret(admitted);
      case 'Service':
        return defaultService(admitted);
      case 'Deployment':
        return defaultDeployment(admitted);
      case 'MutatingWebhookConfiguration': {
        const causes = webhookConfigurationCauses(admitted, context.version);
        const name = stringAt(child(admitted, 'metadata'), 'name') ?? '';
        if (causes.length)
          throw invalid('MutatingWebhookConfiguration', 'admissionregistration.k8s.io', name, causes);
        return defaultWebhookConfiguration(admitted, context.version);
      }
      case 'CertificateSigningRequest':
        await this.admitCsr(admitted, context);
        return admitted;
      case 'Pod':
        return this.admitPod(admitted);
      default:
        return admitted;
    }
  }

  afterCreate(type: ResourceType, obj: JsonObject): void {
    this.deps.afterCreate(type, obj);
  }

  afterDelete(type: ResourceType, obj: JsonObject): void {
    this.deps.afterDelete(type, obj);
  }

  private async admitPod(pod: JsonObject): Promise<JsonObject> {
    const metadata = ensureChild(pod, 'metadata');
    const namespace = stringAt(metadata, 'namespace') ?? '';
    const spec = ensureChild(pod, 'spec');
    const saName = stringAt(spec, 'serviceAccountName') ?? stringAt(spec, 'serviceAccount') ?? 'default';
    spec.serviceAccountName = saName;
    spec.serviceAccount = saName;
    const sa = this.deps.store.get(resourceTypeOfKind('ServiceAccount'), namespace, saName);
    if (!sa) {
      throw forbidden(
        resourceTypeOfKind('Pod'),
        stringAt(metadata, 'name') ?? stringAt(metadata, 'generateName'),
        `error looking up service account ${namespace}/${saName}: serviceaccount "${saName}" not found`,
      );
    }
    // The ServiceAccount admission plugin's bound token volume (Kubernetes >= 1.21 style).
    if (spec.automountServiceAccountToken !== false) {
      const volumeName = `kube-api-access-${suffix()}`;
      const volumes = objectsAt(spec, 'volumes');
      volumes.push({
        name: volumeName,
        projected: {
          defaultMode: 420,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            {
              downwardAPI: {
                items: [
                  { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                ],
              },
            },
          ],
        },
      });
      spec.volumes = volumes;
      for (const container of [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')]) {
        const mounts = objectsAt(container, 'volumeMounts');
        if (mounts.some((m) => stringAt(m, 'mountPath') === KUBE_API_ACCESS_MOUNT)) continue;
        mounts.push({ name: volumeName, readOnly: true, mountPath: KUBE_API_ACCESS_MOUNT });
        container.volumeMounts = mounts;
      }
    }
    spec.restartPolicy ??= 'Always';
    spec.dnsPolicy ??= 'ClusterFirst';
    spec.schedulerName ??= 'default-scheduler';
    spec.terminationGracePeriodSeconds ??= 30;
    spec.securityContext ??= {};
    for (const container of [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')]) {
      container.imagePullPolicy ??=
        String(container.image ?? '').endsWith(':latest') || !String(container.image ?? '').includes(':')
          ? 'Always'
          : 'IfNotPresent';
      container.terminationMessagePath ??= '/dev/termination-log';
      container.terminationMessagePolicy ??= 'File';
      container.resources ??= {};
    }
    const mutated = await this.deps.mutatePod(pod, namespace);
    // Scheduling happens right after admission; the single node takes every pod.
    ensureChild(mutated, 'spec').nodeName = this.deps.nodeName;
    mutated.status = { phase: 'Pending', qosClass: 'BestEffort' };
    return mutated;
  }

  private async admitCsr(csr: JsonObject, context: AdmissionContext): Promise<void> {
    defaultCsrOnCreate(csr, context.requester, context.version);
    const spec = ensureChild(csr, 'spec');
    const name = stringAt(child(csr, 'metadata'), 'name') ?? '';
    const causes: StatusCause[] = [];
    const signer = stringAt(spec, 'signerName');
    if (!signer)
      causes.push({ reason: 'FieldValueRequired', field: 'spec.signerName', message: 'Required value' });
    else if (context.version === 'v1' && signer === LEGACY_UNKNOWN_SIGNER) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.signerName',
        message: `Invalid value: "${signer}": the legacy signerName is not allowed via this API version`,
      });
    }
    if (!Array.isArray(spec.usages) || spec.usages.length === 0) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec.usages', message: 'Required value' });
    }
    const expiration = spec.expirationSeconds;
    if (typeof expiration === 'number' && expiration < 600) {
      causes.push({
        reason: 'FieldValueInvalid',
        field: 'spec.expirationSeconds',
        message: `Invalid value: ${expiration}: may not specify a duration less than 600 seconds (10 minutes)`,
      });
    }
    const request = stringAt(spec, 'request');
    if (!request)
      causes.push({ reason: 'FieldValueRequired', field: 'spec.request', message: 'Required value' });
    else {
      const pem = Buffer.from(request, 'base64').toString('utf8');
      let problem: string | undefined;
      if (!/-----BEGIN CERTIFICATE REQUEST-----/.test(pem))
        problem = 'PEM block type must be CERTIFICATE REQUEST';
      else {
        try {
          const parsed = await parseCsr(pem);
          if (!parsed.signatureValid) problem = 'x509: invalid signature on the certificate request';
        } catch (error) {
          problem = `asn1: structure error: ${(error as Error).message}`;
        }
      }
      if (problem) {
        causes.push({
          reason: 'FieldValueInvalid',
          field: 'spec.request',
          message: `Invalid value: []byte{...}: ${problem}`,
        });
      }
    }
    if (causes.length > 0) throw invalid('CertificateSigningRequest', 'certificates.k8s.io', name, causes);
  }
}

function defaultSecret(secret: JsonObject): JsonObject {
  secret.type ??= 'Opaque';
  const stringData = child(secret, 'stringData');
  if (stringData) {
    const data = ensureChild(secret, 'data');
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v)).toString('base64');
    delete secret.stringData;
  }
  return secret;
}

let servicesCreated = 0;

function defaultService(service: JsonObject): JsonObject {
  const spec = ensureChild(service, 'spec');
  spec.type ??= 'ClusterIP';
  if (spec.clusterIP === undefined) {
    servicesCreated += 1;
    spec.clusterIP = `10.100.${Math.floor(servicesCreated / 250) % 250}.${(servicesCreated % 250) + 1}`;
    spec.clusterIPs = [spec.clusterIP];
  }
  spec.sessionAffinity ??= 'None';
  for (const port of objectsAt(spec, 'ports')) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port ?? null;
  }
  service.status = { loadBalancer: {} };
  return service;
}

function defaultDeployment(deployment: JsonObject): JsonObject {
  const spec = ensureChild(deployment, 'spec');
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  deployment.status = {};
  return deployment;
}

function defaultWebhookConfiguration(config: JsonObject, version: string): JsonObject {
  for (const webhook of objectsAt(config, 'webhooks')) {
    // v1beta1 defaults that v1 makes the client spell out.
    if (version === 'v1beta1') {
      webhook.failurePolicy ??= 'Ignore';
      webhook.sideEffects ??= 'Unknown';
      webhook.admissionReviewVersions ??= ['v1beta1'];
      webhook.matchPolicy ??= 'Exact';
    } else {
      webhook.failurePolicy ??= 'Fail';
      webhook.matchPolicy ??= 'Equivalent';
    }
    webhook.timeoutSeconds ??= version === 'v1beta1' ? 30 : 10;
    webhook.reinvocationPolicy ??= 'Never';
    webhook.namespaceSelector ??= {};
    webhook.objectSelector ??= {};
  }
  return config;
}

/** v1 refuses what v1beta1 defaulted: sideEffects Unknown/Some and a missing admissionReviewVersions. */
function webhookConfigurationCauses(config: JsonObject, version: string): StatusCause[] {
  if (version !== 'v1') return [];
  const causes: StatusCause[] = [];
  objectsAt(config, 'webhooks').forEach((webhook, i) => {
    const sideEffects = stringAt(webhook, 'sideEffects');
    if (!sideEffects) {
      causes.push({
        reason: 'FieldValueRequired',
        field: `webhooks[${i}].sideEffects`,
        message: 'Required value: must specify one of None, NoneOnDryRun',
      });
    } else if (!['None', 'NoneOnDryRun'].includes(sideEffects)) {
      causes.push({
        reason: 'FieldValueNotSupported',
        field: `webhooks[${i}].sideEffects`,
        message: `Unsupported value: "${sideEffects}": supported values: "None", "NoneOnDryRun"`,
      });
    }
    if (!Array.isArray(webhook.admissionReviewVersions) || webhook.admissionReviewVersions.length === 0) {
      causes.push({
        reason: 'FieldValueRequired',
        field: `webhooks[${i}].admissionReviewVersions`,
        message: 'Required value: must specify one of v1, v1beta1',
      });
    }
  });
  return causes;
}
