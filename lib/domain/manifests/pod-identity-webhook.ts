// The amazon-eks-pod-identity-webhook bundle irsa-broker installs on clusters without the built-in one.
import type { KubernetesObject } from '../../ports/kubernetes.js';
import { DEFAULT_AUDIENCE } from '../trust-policy.js';
import { managedByLabels } from './labels.js';

export const WEBHOOK_NAME = 'pod-identity-webhook';
/** The v1 path mounts the issued certificate from this kubernetes.io/tls Secret. */
export const WEBHOOK_TLS_SECRET = 'pod-identity-webhook-tls';
const CERT_MOUNT = '/etc/webhook/certs';
const ANNOTATION_PREFIX = 'eks.amazonaws.com';

/**
 * `in-cluster`: the webhook files its own v1beta1 CSR (Kubernetes < 1.22, the seed's flow).
 * `external-cert`: irsa-broker files a v1 CSR and hands the webhook the issued certificate.
 */
export type WebhookMode = 'in-cluster' | 'external-cert';

export interface WebhookBundleInput {
  namespace: string;
  image: string;
  mode: WebhookMode;
  /** base64 PEM of the cluster CA (DescribeCluster's certificateAuthority.data). */
  caBundle: string;
  /** Which admissionregistration API the cluster serves; v1beta1 only before Kubernetes 1.16. */
  admissionApiVersion: 'admissionregistration.k8s.io/v1' | 'admissionregistration.k8s.io/v1beta1';
  /** Injected into mutated pods as AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
}

/** The DNS name the webhook's serving certificate must carry. */
export function webhookServiceDnsName(namespace: string): string {
  return `${WEBHOOK_NAME}.${namespace}.svc`;
}

/** Who files the CSR in in-cluster mode. */
export function webhookServiceAccountUsername(namespace: string): string {
  return `system:serviceaccount:${namespace}:${WEBHOOK_NAME}`;
}

const appLabels = (): Record<string, string> => ({ app: WEBHOOK_NAME, ...managedByLabels() });

function meta(name: string, namespace?: string) {
  return { name, ...(namespace === undefined ? {} : { namespace }), labels: appLabels() };
}

function webhookArgs(input: WebhookBundleInput): string[] {
  const common = [
    `--namespace=${input.namespace}`,
    `--service-name=${WEBHOOK_NAME}`,
    `--annotation-prefix=${ANNOTATION_PREFIX}`,
    `--token-audience=${DEFAULT_AUDIENCE}`,
    '--logtostderr',
    ...(input.region === undefined ? [] : [`--aws-default-region=${input.region}`]),
  ];
  if (input.mode === 'in-cluster') {
    return ['/webhook', '--in-cluster', `--tls-secret=${WEBHOOK_NAME}`, ...common];
  }
  return [
    '/webhook',
    '--in-cluster=false',
    `--tls-cert=${CERT_MOUNT}/tls.crt`,
    `--tls-key=${CERT_MOUNT}/tls.key`,
    ...common,
  ];
}

function deployment(input: WebhookBundleInput): KubernetesObject {
  const external = input.mode === 'external-cert';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(WEBHOOK_NAME, input.namespace),
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: WEBHOOK_NAME } },
      template: {
        metadata: { labels: appLabels() },
        spec: {
          serviceAccountName: WEBHOOK_NAME,
          containers: [
            {
              name: WEBHOOK_NAME,
              image: input.image,
              imagePullPolicy: 'IfNotPresent',
              command: webhookArgs(input),
              ports: [{ name: 'https', containerPort: 443 }],
              ...(external
                ? { volumeMounts: [{ name: 'cert', mountPath: CERT_MOUNT, readOnly: true }] }
                : {}),
            },
          ],
          ...(external ? { volumes: [{ name: 'cert', secret: { secretName: WEBHOOK_TLS_SECRET } }] } : {}),
        },
      },
    },
  };
}

function mutatingWebhookConfiguration(input: WebhookBundleInput): KubernetesObject {
  const v1 = input.admissionApiVersion === 'admissionregistration.k8s.io/v1';
  return {
    apiVersion: input.admissionApiVersion,
    kind: 'MutatingWebhookConfiguration',
    metadata: meta(WEBHOOK_NAME),
    webhooks: [
      {
        name: 'iam-for-pods.amazonaws.com',
        clientConfig: {
          service: { name: WEBHOOK_NAME, namespace: input.namespace, path: '/mutate' },
          caBundle: input.caBundle,
        },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
        failurePolicy: 'Ignore',
        // v1 requires both; the v0.2.0-era webhook understands only v1beta1 AdmissionReviews.
        ...(v1 ? { sideEffects: 'None', admissionReviewVersions: ['v1beta1'] } : {}),
      },
    ],
  };
}

/** Every object of the webhook, in the order they should be applied (namespace and RBAC first). */
export function buildWebhookBundle(input: WebhookBundleInput): KubernetesObject[] {
  const ns = input.namespace;
  const clusterRules: Record<string, unknown>[] = [
    { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'watch', 'list'] },
  ];
  if (input.mode === 'in-cluster') {
    clusterRules.push({
      apiGroups: ['certificates.k8s.io'],
      resources: ['certificatesigningrequests'],
      verbs: ['create', 'get', 'list', 'watch'],
    });
  }
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: managedByLabels() } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(WEBHOOK_NAME, ns) },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: meta(WEBHOOK_NAME),
      rules: clusterRules,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: meta(WEBHOOK_NAME),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: WEBHOOK_NAME },
      subjects: [{ kind: 'ServiceAccount', name: WEBHOOK_NAME, namespace: ns }],
    },
  ];
  if (input.mode === 'in-cluster') {
    // Only the in-cluster webhook writes its own certificate secret.
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(WEBHOOK_NAME, ns),
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['create', 'get', 'update', 'patch'] }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(WEBHOOK_NAME, ns),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: WEBHOOK_NAME },
        subjects: [{ kind: 'ServiceAccount', name: WEBHOOK_NAME, namespace: ns }],
      },
    );
  }
  objects.push(
    deployment(input),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(WEBHOOK_NAME, ns),
      spec: { selector: { app: WEBHOOK_NAME }, ports: [{ name: 'https', port: 443, targetPort: 443 }] },
    },
    mutatingWebhookConfiguration(input),
  );
  return objects;
}

/** The Secret the external-cert webhook mounts: the certificate the cluster signed and our key. */
export function buildWebhookTlsSecret(
  namespace: string,
  certificatePem: string,
  privateKeyPem: string,
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(WEBHOOK_TLS_SECRET, namespace),
    type: 'kubernetes.io/tls',
    data: {
      'tls.crt': Buffer.from(certificatePem).toString('base64'),
      'tls.key': Buffer.from(privateKeyPem).toString('base64'),
    },
  };
}

/**
 * On the v1 path the key irsa-broker generated must outlive the EnsureWebhook invocation until
 * ApproveCsr pairs it with the issued certificate; it waits here, never in workflow state or logs.
 */
export const WEBHOOK_PENDING_KEY_SECRET = 'pod-identity-webhook-pending-key';
/** Which CSR the pending key belongs to. */
export const PENDING_CSR_NAME_ANNOTATION = 'irsa-broker/csr-name';
const PENDING_KEY_FIELD = 'tls.key';
const PENDING_CSR_FIELD = 'csr.pem';

export interface PendingServingKey {
  csrName: string;
  /** PEM `CERTIFICATE REQUEST` filed as the CSR. */
  csrPem: string;
  /** PKCS#8 PEM `PRIVATE KEY`. */
  privateKeyPem: string;
}

export function buildPendingKeySecret(namespace: string, pending: PendingServingKey): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      ...meta(WEBHOOK_PENDING_KEY_SECRET, namespace),
      annotations: { [PENDING_CSR_NAME_ANNOTATION]: pending.csrName },
    },
    type: 'Opaque',
    data: {
      [PENDING_KEY_FIELD]: Buffer.from(pending.privateKeyPem).toString('base64'),
      [PENDING_CSR_FIELD]: Buffer.from(pending.csrPem).toString('base64'),
    },
  };
}

/** The pending key in a Secret built by buildPendingKeySecret; undefined when any part is missing. */
export function readPendingKeySecret(secret: KubernetesObject): PendingServingKey | undefined {
  const csrName = secret.metadata.annotations?.[PENDING_CSR_NAME_ANNOTATION];
  const data = (typeof secret.data === 'object' && secret.data !== null ? secret.data : {}) as Record<
    string,
    unknown
  >;
  const decode = (field: string) =>
    typeof data[field] === 'string' ? Buffer.from(data[field], 'base64').toString('utf8') : '';
  const privateKeyPem = decode(PENDING_KEY_FIELD);
  const csrPem = decode(PENDING_CSR_FIELD);
  if (!csrName || !privateKeyPem.includes('PRIVATE KEY') || !csrPem.includes('CERTIFICATE REQUEST')) {
    return undefined;
  }
  return { csrName, csrPem, privateKeyPem };
}

/** The certificate and key of a TLS Secret, or undefined when either is missing. */
export function readTlsSecret(
  secret: KubernetesObject,
): { certificatePem: string; privateKeyPem: string } | undefined {
  const data = (typeof secret.data === 'object' && secret.data !== null ? secret.data : {}) as Record<
    string,
    unknown
  >;
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (typeof cert !== 'string' || typeof key !== 'string' || cert === '' || key === '') return undefined;
  return {
    certificatePem: Buffer.from(cert, 'base64').toString('utf8'),
    privateKeyPem: Buffer.from(key, 'base64').toString('utf8'),
  };
}
