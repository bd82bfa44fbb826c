// Clusters and cluster behaviour for the EnsureWebhook / ApproveCsr tests: fake clusters shaped like the
// sandbox's demo (built in), legacy (1.20, v1beta1 CSRs) and bare (1.30, v1 CSRs with the EKS signer).
import { WebCryptoServingKeyGenerator } from '../../lib/adapters/crypto/webcrypto-serving-key-generator.js';
import { EKS_APP_SERVING_SIGNER, SERVER_USAGES } from '../../lib/domain/csr-check.js';
import {
  WEBHOOK_NAME,
  WEBHOOK_TLS_SECRET,
  webhookServiceAccountUsername,
  webhookServiceDnsName,
} from '../../lib/domain/manifests/pod-identity-webhook.js';
import type { WebhookStepDeps, WebhookStepInput } from '../../lib/use-cases/bind/ensure-webhook.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import {
  FakeKubernetesCluster,
  FakeKubernetesClusters,
  SERVED_LEGACY,
  SERVED_MODERN,
} from '../support/fakes/fake-kubernetes-cluster.js';
import { makeCsr, TestCertificateAuthority, toBase64 } from '../support/fakes/test-certificate-authority.js';

export const NS = 'irsa-broker-system';
export const BINDING_ID = 'b-01jf0000000000000000000000';

export interface Scenario {
  cluster: FakeKubernetesCluster;
  ca: TestCertificateAuthority;
  clock: FakeClock;
  deps: WebhookStepDeps;
  input: WebhookStepInput;
}

export async function scenario(kind: 'demo' | 'legacy' | 'bare'): Promise<Scenario> {
  const ca = await TestCertificateAuthority.create();
  const cluster = new FakeKubernetesCluster({ serves: kind === 'legacy' ? SERVED_LEGACY : SERVED_MODERN });
  const clock = new FakeClock(new Date(), () => cluster.tick());
  const deps: WebhookStepDeps = {
    kubernetes: new FakeKubernetesClusters({ [kind]: cluster }),
    config: {
      webhookNamespace: NS,
      webhookImage: 'registry.example/amazon-eks-pod-identity-webhook:v0.5.0',
      stepPollBudgetSeconds: 60,
      webhookReadyTimeoutSeconds: 300,
    },
    keys: new WebCryptoServingKeyGenerator(),
    clock,
  };
  const input: WebhookStepInput = {
    bindingId: BINDING_ID,
    cluster: {
      name: kind,
      region: 'eu-west-1',
      endpoint: `https://${kind}.example:443`,
      caData: ca.caData,
      version: kind === 'legacy' ? '1.20' : kind === 'bare' ? '1.30' : '1.31',
    },
  };
  if (kind === 'demo') builtInWebhook(cluster, ca);
  return { cluster, ca, clock, deps, input };
}

/** EKS ≥ 1.21: the control plane serves the webhook; the configuration points at a URL. */
export function builtInWebhook(cluster: FakeKubernetesCluster, ca: TestCertificateAuthority): void {
  cluster.seed(
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: WEBHOOK_NAME },
      webhooks: [
        {
          name: 'iam-for-pods.amazonaws.com',
          clientConfig: { url: 'https://127.0.0.1:23443/mutate', caBundle: ca.caData },
          rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
          failurePolicy: 'Ignore',
          sideEffects: 'None',
          admissionReviewVersions: ['v1beta1'],
        },
      ],
    },
    'eks',
  );
}

/** Someone else's webhook, backed by a Service and Deployment in `namespace`. */
export function foreignServiceWebhook(
  cluster: FakeKubernetesCluster,
  namespace: string,
  available: number,
): void {
  cluster.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  cluster.seed({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: WEBHOOK_NAME },
    webhooks: [
      {
        name: 'iam-for-pods.amazonaws.com',
        clientConfig: {
          service: { name: WEBHOOK_NAME, namespace, path: '/mutate' },
          caBundle: 'Zm9yZWlnbg==',
        },
        failurePolicy: 'Ignore',
      },
    ],
  });
  cluster.seed({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: WEBHOOK_NAME, namespace },
    spec: { selector: { app: 'their-webhook' }, ports: [{ port: 443 }] },
  });
  cluster.seed({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'their-webhook', namespace },
    spec: { template: { metadata: { labels: { app: 'their-webhook' } } } },
    status: { replicas: 1, availableReplicas: available },
  });
}

const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: WEBHOOK_NAME };

/** The webhook Deployment turns available once `ready()` holds, as its pod would start serving. */
export function deploymentAvailableWhen(cluster: FakeKubernetesCluster, ready: () => Promise<boolean>): void {
  cluster.onTick(async (c) => {
    const deployment = await c.get(deploymentRef);
    if (deployment && (await ready())) c.setStatus(deploymentRef, { replicas: 1, availableReplicas: 1 });
  });
}

/** A signer: approved, unsigned, undecided-otherwise CSRs of `version` get a certificate from the CA. */
export function signerRunning(
  cluster: FakeKubernetesCluster,
  ca: TestCertificateAuthority,
  version: 'v1' | 'v1beta1',
) {
  cluster.onTick(async (c) => {
    for (const csr of await c.listCsrs(version)) {
      const approved = csr.conditions.some((x) => x.type === 'Approved');
      const blocked = csr.conditions.some((x) => x.type === 'Denied' || x.type === 'Failed');
      if (!approved || blocked || csr.certificate) continue;
      c.issueCertificate(csr.name, await ca.sign(Buffer.from(csr.request, 'base64').toString('utf8')));
    }
  });
}

/** What the v0.2.0 in-cluster webhook pod does: once its Deployment exists, it files its own v1beta1 CSR. */
export function inClusterWebhookPod(cluster: FakeKubernetesCluster): void {
  let filed = false;
  cluster.onTick(async (c) => {
    if (filed || !(await c.get(deploymentRef))) return;
    filed = true;
    const { csrPem } = await makeCsr({
      commonName: webhookServiceDnsName(NS),
      dnsNames: [WEBHOOK_NAME, `${WEBHOOK_NAME}.${NS}`, webhookServiceDnsName(NS)],
    });
    c.fileCsr({ generateName: 'csr-', request: toBase64(csrPem), usages: [...SERVER_USAGES] }, 'v1beta1', {
      username: webhookServiceAccountUsername(NS),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'],
    });
  });
}

/** Whether some approved v1beta1 CSR of the webhook carries a certificate. */
export async function webhookCsrSigned(cluster: FakeKubernetesCluster): Promise<boolean> {
  const csrs = await cluster.listCsrs('v1beta1');
  return csrs.some((c) => c.username === webhookServiceAccountUsername(NS) && c.certificate !== undefined);
}

export async function tlsSecretExists(cluster: FakeKubernetesCluster): Promise<boolean> {
  return (
    (await cluster.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name: WEBHOOK_TLS_SECRET })) !==
    undefined
  );
}

export { EKS_APP_SERVING_SIGNER };
