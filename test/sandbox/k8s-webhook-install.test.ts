import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EksKubernetesClusters } from '../../lib/adapters/kubernetes/eks-kubernetes-clusters.js';
import { EksTokenCache } from '../../lib/adapters/kubernetes/eks-token.js';
import {
  buildWebhookBundle,
  buildWebhookTlsSecret,
  type WebhookMode,
} from '../../lib/domain/manifests/pod-identity-webhook.js';
import type { KubernetesCluster } from '../../lib/ports/kubernetes.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { createCa, createCsr } from '../../lib/sandbox/k8s/pki.js';
import { ACCOUNT, BROKER, eventually, FakeSts, REGION, startCluster } from './k8s-fixtures.js';

const NS = 'irsa-system';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/web-reader`;
const IMAGE = 'amazon/amazon-eks-pod-identity-webhook:v0.2.0';

function connect(cluster: SandboxCluster): KubernetesCluster {
  const tokens = new EksTokenCache({
    credentials: async () => ({ accessKeyId: BROKER.accessKeyId, secretAccessKey: BROKER.secretAccessKey }),
  });
  const { name, endpoint, certificateAuthorityData } = cluster.description;
  return new EksKubernetesClusters(tokens).connect({
    name,
    region: REGION,
    endpoint,
    caData: certificateAuthorityData,
  });
}

async function install(k8s: KubernetesCluster, mode: WebhookMode, caBundle: string): Promise<void> {
  const bundle = buildWebhookBundle({
    namespace: NS,
    image: IMAGE,
    mode,
    caBundle,
    admissionApiVersion: 'admissionregistration.k8s.io/v1',
    region: REGION,
  });
  for (const object of bundle) await k8s.apply(object);
}

async function deploymentReady(k8s: KubernetesCluster): Promise<boolean> {
  const deployment = await k8s.get({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: 'pod-identity-webhook',
    namespace: NS,
  });
  const status = (deployment?.status ?? {}) as { availableReplicas?: number };
  return status.availableReplicas === 1;
}

/** Creates an annotated SA and an aws-cli pod; answers the created pod. */
async function verificationPod(k8s: KubernetesCluster, name: string) {
  await k8s.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
  await k8s.apply({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'web', namespace: 'apps', annotations: { 'eks.amazonaws.com/role-arn': ROLE } },
  });
  return k8s.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'apps' },
    spec: {
      serviceAccountName: 'web',
      restartPolicy: 'Never',
      containers: [{ name: 'verify', image: 'amazon/aws-cli:2.15.0', args: ['sts', 'get-caller-identity'] }],
    },
  });
}

const mutated = (pod: Record<string, unknown>) =>
  ((pod.spec as { volumes?: { name: string }[] }).volumes ?? []).some((v) => v.name === 'aws-iam-token');

describe('sandbox EKS 1.20: the in-cluster webhook files its own v1beta1 CSR', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let k8s: KubernetesCluster;

  beforeAll(async () => {
    sts = new FakeSts();
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:web');
    cluster = await startCluster(sts, { name: 'legacy', version: '1.20', webhook: 'none' });
    k8s = connect(cluster);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('serves certificates.k8s.io/v1beta1 and admissionregistration v1beta1 as 1.20 did', async () => {
    expect(await k8s.serves('certificates.k8s.io/v1beta1')).toBe(true);
    expect(await k8s.serves('admissionregistration.k8s.io/v1beta1')).toBe(true);
    expect(await k8s.serves('certificates.k8s.io/v1')).toBe(true);
  });

  it('does not mutate before a webhook is installed', async () => {
    const pod = await verificationPod(k8s, 'before-install');
    expect(mutated(pod)).toBe(false);
  });

  it('files a real PKCS#10 CSR as the webhook service account, is ready only after approval, then mutates', async () => {
    // Act: install the seed's bundle
    await install(k8s, 'in-cluster', cluster.description.certificateAuthorityData);
    const csr = await eventually(
      async () =>
        (await k8s.listCsrs('v1beta1')).find(
          (c) => c.username === `system:serviceaccount:${NS}:pod-identity-webhook`,
        ),
      'the webhook CSR',
    );

    // Assess the CSR as the field notes describe it
    expect(csr.signerName).toBe('kubernetes.io/legacy-unknown');
    expect(csr.usages).toEqual(['digital signature', 'key encipherment', 'server auth']);
    expect(csr.name).toMatch(/^csr-[a-z0-9]{5}$/);
    expect(csr.groups).toContain(`system:serviceaccounts:${NS}`);
    const pem = Buffer.from(csr.request, 'base64').toString('utf8');
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const { parseCsr } = await import('../../lib/sandbox/k8s/pki.js');
    const parsed = await parseCsr(pem);
    expect(parsed.commonName).toBe(`pod-identity-webhook.${NS}.svc`);
    expect(parsed.signatureValid).toBe(true);
    await cluster.settle();
    expect(await deploymentReady(k8s)).toBe(false);
    expect(mutated(await verificationPod(k8s, 'before-approval'))).toBe(false);

    // Act: approve, as the seed's step 2.4 does
    await k8s.approveCsr(csr.name, 'v1beta1', { reason: 'Test', message: 'checked' });
    await cluster.settle();

    // Assess: signed by the cluster CA, webhook ready, pods mutated and the CLI assumes the role
    const signed = await k8s.getCsr(csr.name, 'v1beta1');
    const cert = new X509Certificate(Buffer.from(signed?.certificate ?? '', 'base64'));
    const ca = new X509Certificate(Buffer.from(cluster.description.certificateAuthorityData, 'base64'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(await deploymentReady(k8s)).toBe(true);
    const secret = await k8s.get({
      apiVersion: 'v1',
      kind: 'Secret',
      name: 'pod-identity-webhook',
      namespace: NS,
    });
    expect(Object.keys((secret?.data ?? {}) as object).sort()).toEqual(['tls.crt', 'tls.key']);
    const pod = await verificationPod(k8s, 'after-approval');
    expect(mutated(pod)).toBe(true);
    await cluster.settle();
    const log = await k8s.readPodLog('apps', 'after-approval', { limitBytes: 4096 });
    expect(JSON.parse(log).Arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/web-reader\//);
  });
});

describe('sandbox EKS 1.30: v1 CSRs with the EKS app-serving signer and an external-cert webhook', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let k8s: KubernetesCluster;

  beforeAll(async () => {
    sts = new FakeSts();
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:web');
    cluster = await startCluster(sts, { name: 'bare', version: '1.30', webhook: 'none' });
    k8s = connect(cluster);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const fileCsr = async (signerName: string) => {
    const dns = `pod-identity-webhook.${NS}.svc`;
    const { keyPem, csrPem } = await createCsr(dns, [dns]);
    const csr = await k8s.createCsr(
      {
        generateName: 'irsa-webhook-',
        request: Buffer.from(csrPem).toString('base64'),
        usages: ['digital signature', 'key encipherment', 'server auth'],
        signerName,
      },
      'v1',
    );
    return { csr, keyPem };
  };

  it('does not serve v1beta1 CSRs and refuses the legacy signer on v1', async () => {
    expect(await k8s.serves('certificates.k8s.io/v1beta1')).toBe(false);
    await expect(fileCsr('kubernetes.io/legacy-unknown')).rejects.toThrow(/legacy signerName is not allowed/);
  });

  it('signs an approved app-serving CSR with the cluster CA; the webhook serving it mutates pods', async () => {
    // Prepare: CSR → approve → certificate
    const { csr, keyPem } = await fileCsr('beta.eks.amazonaws.com/app-serving');
    expect(csr.username).toBe('irsa-broker');
    await cluster.settle();
    expect((await k8s.getCsr(csr.name, 'v1'))?.certificate).toBeUndefined();
    await k8s.approveCsr(csr.name, 'v1', { reason: 'Test', message: 'checked' });
    const signed = await eventually(
      async () => (await k8s.getCsr(csr.name, 'v1'))?.certificate,
      'the certificate',
    );
    const certPem = Buffer.from(signed, 'base64').toString('utf8');
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(Buffer.from(cluster.description.certificateAuthorityData, 'base64'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);

    // Act: the Deployment first (waits for its secret), then the secret
    await install(k8s, 'external-cert', cluster.description.certificateAuthorityData);
    await cluster.settle();
    expect(await deploymentReady(k8s)).toBe(false);
    await k8s.apply(buildWebhookTlsSecret(NS, certPem, keyPem));
    await cluster.settle();

    // Assess
    expect(await deploymentReady(k8s)).toBe(true);
    const pod = await verificationPod(k8s, 'verify-bare');
    expect(mutated(pod)).toBe(true);
    await cluster.settle();
    expect(JSON.parse(await k8s.readPodLog('apps', 'verify-bare', { limitBytes: 4096 })).Account).toBe(
      ACCOUNT,
    );
  });

  it('never mutates when the configuration caBundle is not the CA that signed the webhook certificate', async () => {
    // Prepare: same ready webhook, configuration re-applied with another CA
    const other = await createCa('not-the-cluster-ca');
    await install(k8s, 'external-cert', Buffer.from(other.certPem).toString('base64'));
    await cluster.settle();
    expect(await deploymentReady(k8s)).toBe(true);

    // Act
    const pod = await verificationPod(k8s, 'verify-wrong-ca');
    await cluster.settle();

    // Assess: admitted unmutated (failurePolicy Ignore); the CLI falls back to the node role
    expect(mutated(pod)).toBe(false);
    const log = await k8s.readPodLog('apps', 'verify-wrong-ca', { limitBytes: 4096 });
    expect(JSON.parse(log).Arn).toContain('bare-node-role');
  });
});
