// EnsureWebhook and ApproveCsr through the real Kubernetes adapter against sandbox clusters: the
// built-in webhook (1.31), the in-cluster v1beta1 flow (1.20) and the v1 EKS-signer flow (1.30).
import { afterEach, describe, expect, it } from '@jest/globals';
import { WebCryptoServingKeyGenerator } from '../../lib/adapters/crypto/webcrypto-serving-key-generator.js';
import { EksKubernetesClusters } from '../../lib/adapters/kubernetes/eks-kubernetes-clusters.js';
import { EksTokenCache } from '../../lib/adapters/kubernetes/eks-token.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import {
  WEBHOOK_PENDING_KEY_SECRET,
  WEBHOOK_TLS_SECRET,
} from '../../lib/domain/manifests/pod-identity-webhook.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { approveCsr } from '../../lib/use-cases/bind/approve-csr.js';
import { ensureWebhook, type WebhookStepDeps } from '../../lib/use-cases/bind/ensure-webhook.js';
import { BROKER, FakeSts, startCluster } from '../sandbox/k8s-fixtures.js';

const NS = 'irsa-broker-system';
let running: SandboxCluster | undefined;

afterEach(async () => {
  await running?.stop();
  running = undefined;
});

async function setUp(version: string, webhook: 'builtin' | 'none') {
  const cluster = await startCluster(new FakeSts(), {
    name: `c${version.replace('.', '')}`,
    version,
    webhook,
  });
  running = cluster;
  const kubernetes = new EksKubernetesClusters(
    new EksTokenCache({
      credentials: async () => ({ accessKeyId: BROKER.accessKeyId, secretAccessKey: BROKER.secretAccessKey }),
    }),
  );
  const deps: WebhookStepDeps = {
    kubernetes,
    config: {
      webhookNamespace: NS,
      webhookImage: 'amazon/amazon-eks-pod-identity-webhook:v0.5.0',
      stepPollBudgetSeconds: 20,
      webhookReadyTimeoutSeconds: 60,
    },
    keys: new WebCryptoServingKeyGenerator(),
    clock: systemClock,
  };
  const { name, region, endpoint, certificateAuthorityData } = cluster.description;
  const input = {
    bindingId: 'b-01jf0000000000000000000000',
    cluster: { name, region, endpoint, caData: certificateAuthorityData, version },
  };
  return { deps, input, client: kubernetes.connect(input.cluster) };
}

describe('webhook steps on sandbox clusters', () => {
  it('skips both steps where the webhook is built in', async () => {
    const { deps, input } = await setUp('1.31', 'builtin');

    const webhook = await ensureWebhook(input, deps);
    const csr = await approveCsr({ ...input, webhook }, deps);

    expect(webhook).toEqual({ status: 'SKIPPED', detail: expect.stringContaining('built in') });
    expect(csr.status).toBe('SKIPPED');
  });

  it('installs the in-cluster webhook on 1.20 and approves the v1beta1 CSR it files', async () => {
    const { deps, input, client } = await setUp('1.20', 'none');

    const webhook = await ensureWebhook(input, deps);
    const csr = await approveCsr({ ...input, webhook }, deps);

    expect(webhook).toMatchObject({ status: 'SUCCEEDED', mode: 'in-cluster' });
    expect(csr).toEqual({
      status: 'SUCCEEDED',
      detail: expect.stringMatching(/approved CSR csr-.*webhook ready/),
    });
    const [filed] = await client.listCsrs('v1beta1');
    expect(filed?.username).toBe(`system:serviceaccount:${NS}:pod-identity-webhook`);
    expect(filed?.certificate).toBeDefined();
    expect(await ensureWebhook(input, deps)).toMatchObject({ status: 'SKIPPED' });
  });

  it('goes through the v1 CSR with the EKS signer on 1.30 and leaves only the TLS secret', async () => {
    const { deps, input, client } = await setUp('1.30', 'none');

    const webhook = await ensureWebhook(input, deps);
    const again = await ensureWebhook(input, deps);
    const csr = await approveCsr({ ...input, webhook }, deps);

    expect(webhook).toMatchObject({ status: 'SUCCEEDED', mode: 'external-cert', csrVersion: 'v1' });
    expect(again).toMatchObject({ csrName: webhook.status === 'SUCCEEDED' ? webhook.csrName : 'none' });
    expect(csr.status).toBe('SUCCEEDED');
    expect(await client.listCsrs('v1')).toHaveLength(1);
    const secret = (name: string) => client.get({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name });
    expect(await secret(WEBHOOK_TLS_SECRET)).toMatchObject({ type: 'kubernetes.io/tls' });
    expect(await secret(WEBHOOK_PENDING_KEY_SECRET)).toBeUndefined();
    expect(await ensureWebhook(input, deps)).toMatchObject({ status: 'SKIPPED' });
  });
});
