import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { EKS_APP_SERVING_SIGNER, SERVER_USAGES } from '../../lib/domain/csr-check.js';
import {
  readTlsSecret,
  WEBHOOK_NAME,
  WEBHOOK_PENDING_KEY_SECRET,
  WEBHOOK_TLS_SECRET,
  webhookServiceAccountUsername,
  webhookServiceDnsName,
} from '../../lib/domain/manifests/pod-identity-webhook.js';
import { APPROVAL_REASON, approveCsr } from '../../lib/use-cases/bind/approve-csr.js';
import { type EnsureWebhookResult, ensureWebhook } from '../../lib/use-cases/bind/ensure-webhook.js';
import type { FakeKubernetesCluster } from '../support/fakes/fake-kubernetes-cluster.js';
import { makeCsr, toBase64 } from '../support/fakes/test-certificate-authority.js';
import {
  deploymentAvailableWhen,
  inClusterWebhookPod,
  NS,
  type Scenario,
  scenario,
  signerRunning,
  tlsSecretExists,
  webhookCsrSigned,
} from './webhook-fixtures.js';

const webhookSa = webhookServiceAccountUsername(NS);
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', namespace: NS, name });

async function installed(s: Scenario): Promise<EnsureWebhookResult> {
  const result = await ensureWebhook(s.input, s.deps);
  expect(result.status).toBe('SUCCEEDED');
  return result;
}

function approvals(cluster: FakeKubernetesCluster, version: 'v1' | 'v1beta1') {
  return cluster
    .listCsrs(version)
    .then((csrs) => csrs.filter((c) => c.conditions.some((x) => x.type === 'Approved')).map((c) => c.name));
}

describe('approveCsr: nothing installed', () => {
  it('skips when EnsureWebhook skipped', async () => {
    const s = await scenario('demo');
    const before = s.cluster.snapshot();

    const result = await approveCsr(
      { ...s.input, webhook: { status: 'SKIPPED', detail: 'pod identity webhook built in' } },
      s.deps,
    );

    expect(result).toEqual({ status: 'SKIPPED', detail: expect.stringContaining('nothing was installed') });
    expect(s.cluster.snapshot()).toEqual(before);
  });
});

describe('approveCsr: legacy cluster, in-cluster webhook files its own v1beta1 CSR', () => {
  it('approves the well-formed CSR of the webhook and waits until the webhook is ready', async () => {
    const s = await scenario('legacy');
    inClusterWebhookPod(s.cluster);
    signerRunning(s.cluster, s.ca, 'v1beta1');
    deploymentAvailableWhen(s.cluster, () => webhookCsrSigned(s.cluster));
    const webhook = await installed(s);

    const result = await approveCsr({ ...s.input, webhook }, s.deps);

    const [csr] = await s.cluster.listCsrs('v1beta1');
    expect(csr?.username).toBe(webhookSa);
    expect(csr?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Approved', status: 'True', reason: APPROVAL_REASON }),
    );
    expect(result).toEqual({
      status: 'SUCCEEDED',
      detail: expect.stringMatching(new RegExp(`approved CSR ${csr?.name}.*webhook ready`)),
    });
  });

  it('hands over to the ASL Retry with NotYet while no CSR has appeared, then times out WebhookNotReady', async () => {
    const s = await scenario('legacy');
    const webhook = await installed(s);

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'NotYet',
      message: expect.stringContaining(`no CSR from ${webhookSa} yet`),
    });
    expect(s.clock.slept).toBe(60_000);
    s.clock.advance(300_000);
    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'WebhookNotReady',
      message: expect.stringContaining('WEBHOOK_READY_TIMEOUT_SECONDS'),
    });
  });

  const cn = webhookServiceDnsName(NS);
  const forgeries: {
    what: string;
    shape: Parameters<typeof makeCsr>[0];
    usages?: string[];
    signerName?: string;
    complaint: RegExp;
  }[] = [
    {
      what: 'a wrong CN',
      shape: { commonName: 'kubernetes.default.svc', dnsNames: ['kubernetes.default.svc'] },
      complaint: /CN \[kubernetes.default.svc\] is not/,
    },
    {
      what: 'an extra usage',
      shape: { commonName: cn, dnsNames: [cn] },
      usages: [...SERVER_USAGES, 'client auth'],
      complaint: /usages .*client auth.* are not exactly/,
    },
    {
      what: 'the system:masters organization',
      shape: { commonName: cn, dnsNames: [cn], organizations: ['system:masters'] },
      complaint: /privileged organization.*system:masters/,
    },
    {
      what: 'a wrong signer',
      shape: { commonName: cn, dnsNames: [cn] },
      signerName: 'kubernetes.io/kube-apiserver-client',
      complaint: /signer "kubernetes.io\/kube-apiserver-client"/,
    },
    {
      what: 'a foreign DNS name',
      shape: { commonName: cn, dnsNames: [cn, 'sts.amazonaws.com'] },
      complaint: /DNS names \[sts.amazonaws.com\]/,
    },
  ];

  it.each(forgeries)(
    'never approves a CSR from the webhook with $what and fails CsrRejected',
    async (forgery) => {
      const s = await scenario('legacy');
      const webhook = await installed(s);
      const { csrPem } = await makeCsr(forgery.shape);
      const filed = s.cluster.fileCsr(
        {
          generateName: 'csr-',
          request: toBase64(csrPem),
          usages: forgery.usages ?? [...SERVER_USAGES],
          ...(forgery.signerName ? { signerName: forgery.signerName } : {}),
        },
        'v1beta1',
        { username: webhookSa },
      );

      await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
        name: 'CsrRejected',
        message: expect.stringMatching(forgery.complaint),
      });
      expect(await approvals(s.cluster, 'v1beta1')).toEqual([]);
      expect((await s.cluster.getCsr(filed.name, 'v1beta1'))?.conditions).toEqual([]);
    },
  );

  it('never approves a CSR for the webhook name from another requester, and fails CsrRejected when no genuine one comes', async () => {
    const s = await scenario('legacy');
    const webhook = await installed(s);
    const { csrPem } = await makeCsr({ commonName: cn, dnsNames: [cn] });
    s.cluster.fileCsr(
      { name: 'impostor', request: toBase64(csrPem), usages: [...SERVER_USAGES] },
      'v1beta1',
      {
        username: 'system:serviceaccount:default:intruder',
      },
    );

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'NotYet',
      message: expect.stringContaining(
        'not approved: CSR impostor from system:serviceaccount:default:intruder',
      ),
    });
    s.clock.advance(300_000);
    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'CsrRejected',
      message: expect.stringMatching(
        /CSR impostor \(requested by system:serviceaccount:default:intruder\): requested by/,
      ),
    });
    expect(await approvals(s.cluster, 'v1beta1')).toEqual([]);
  });

  it('approves only the genuine CSR when an impostor filed one for the same name', async () => {
    const s = await scenario('legacy');
    inClusterWebhookPod(s.cluster);
    signerRunning(s.cluster, s.ca, 'v1beta1');
    deploymentAvailableWhen(s.cluster, () => webhookCsrSigned(s.cluster));
    const { csrPem } = await makeCsr({ commonName: cn, dnsNames: [cn] });
    s.cluster.fileCsr(
      { name: 'impostor', request: toBase64(csrPem), usages: [...SERVER_USAGES] },
      'v1beta1',
      {
        username: 'system:serviceaccount:kube-system:someone',
      },
    );
    const webhook = await installed(s);

    const result = await approveCsr({ ...s.input, webhook }, s.deps);

    const genuine = (await s.cluster.listCsrs('v1beta1')).filter((c) => c.username === webhookSa);
    expect(genuine).toHaveLength(1);
    expect(await approvals(s.cluster, 'v1beta1')).toEqual([genuine[0]?.name]);
    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      detail: expect.stringContaining('not approved: CSR impostor'),
    });
  });

  it('approves nothing when the webhook account filed a bad CSR next to a good one', async () => {
    const s = await scenario('legacy');
    inClusterWebhookPod(s.cluster);
    const webhook = await installed(s);
    await s.cluster.tick();
    const { csrPem } = await makeCsr({ commonName: cn, dnsNames: [cn], organizations: ['system:masters'] });
    s.cluster.fileCsr(
      { name: 'escalation', request: toBase64(csrPem), usages: [...SERVER_USAGES] },
      'v1beta1',
      {
        username: webhookSa,
      },
    );

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'CsrRejected',
      message: expect.stringContaining('CSR escalation'),
    });
    expect(await approvals(s.cluster, 'v1beta1')).toEqual([]);
  });

  it('keeps approving while it waits, for a webhook that files a new CSR after an earlier one was approved', async () => {
    const s = await scenario('legacy');
    const { csrPem } = await makeCsr({ commonName: cn, dnsNames: [cn] });
    const old = s.cluster.fileCsr(
      { name: 'csr-old', request: toBase64(csrPem), usages: [...SERVER_USAGES] },
      'v1beta1',
      {
        username: webhookSa,
      },
    );
    await s.cluster.approveCsr(old.name, 'v1beta1', { reason: 'Earlier', message: 'an earlier install' });
    inClusterWebhookPod(s.cluster);
    signerRunning(s.cluster, s.ca, 'v1beta1');
    deploymentAvailableWhen(s.cluster, async () =>
      (await s.cluster.listCsrs('v1beta1')).some((c) => c.name !== 'csr-old' && c.certificate !== undefined),
    );
    const webhook = await installed(s);

    const result = await approveCsr({ ...s.input, webhook }, s.deps);

    expect(result.status).toBe('SUCCEEDED');
    const fresh = (await s.cluster.listCsrs('v1beta1')).find((c) => c.name !== 'csr-old');
    expect(fresh?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Approved', reason: APPROVAL_REASON }),
    );
  });

  it('ignores unrelated CSRs of other requesters', async () => {
    const s = await scenario('legacy');
    inClusterWebhookPod(s.cluster);
    signerRunning(s.cluster, s.ca, 'v1beta1');
    deploymentAvailableWhen(s.cluster, () => webhookCsrSigned(s.cluster));
    const webhook = await installed(s);
    const { csrPem } = await makeCsr({
      commonName: 'system:node:ip-10-0-0-1',
      organizations: ['system:nodes'],
    });
    s.cluster.fileCsr({ name: 'node-csr', request: toBase64(csrPem), usages: ['client auth'] }, 'v1beta1', {
      username: 'system:node:ip-10-0-0-1',
    });

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    expect(await approvals(s.cluster, 'v1beta1')).not.toContain('node-csr');
  });
});

describe('approveCsr: v1-only cluster, irsa-broker files the CSR', () => {
  it('approves its CSR, writes the issued certificate and the stored key as the TLS Secret, and drops the pending key', async () => {
    const s = await scenario('bare');
    signerRunning(s.cluster, s.ca, 'v1');
    deploymentAvailableWhen(s.cluster, () => tlsSecretExists(s.cluster));
    const webhook = await installed(s);
    const csrName = webhook.status === 'SUCCEEDED' ? webhook.csrName : undefined;

    const result = await approveCsr({ ...s.input, webhook }, s.deps);

    expect(result).toEqual({
      status: 'SUCCEEDED',
      detail: expect.stringMatching(
        new RegExp(`approved CSR ${csrName}.*${WEBHOOK_TLS_SECRET}.*webhook ready`),
      ),
    });
    const csr = await s.cluster.getCsr(csrName ?? '', 'v1');
    expect(csr?.signerName).toBe(EKS_APP_SERVING_SIGNER);
    expect(csr?.conditions).toContainEqual(
      expect.objectContaining({ type: 'Approved', reason: APPROVAL_REASON }),
    );
    const tls = await s.cluster.get(secret(WEBHOOK_TLS_SECRET));
    expect(tls?.type).toBe('kubernetes.io/tls');
    const pair = readTlsSecret(tls!);
    expect(pair?.certificatePem).toBe(Buffer.from(csr?.certificate ?? '', 'base64').toString('utf8'));
    const certificate = new X509Certificate(pair?.certificatePem ?? '');
    expect(
      certificate.checkPrivateKey((await import('node:crypto')).createPrivateKey(pair?.privateKeyPem ?? '')),
    ).toBe(true);
    expect(certificate.verify(new X509Certificate(s.ca.pem).publicKey)).toBe(true);
    expect(await s.cluster.get(secret(WEBHOOK_PENDING_KEY_SECRET))).toBeUndefined();
  });

  it('finishes on a later invocation after the certificate was stored and the pending key removed', async () => {
    const s = await scenario('bare');
    signerRunning(s.cluster, s.ca, 'v1');
    let podStarts = false;
    deploymentAvailableWhen(s.cluster, async () => podStarts);
    const webhook = await installed(s);

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'NotYet',
      message: expect.stringContaining('has no available replica'),
    });
    expect(await tlsSecretExists(s.cluster)).toBe(true);
    expect(await s.cluster.get(secret(WEBHOOK_PENDING_KEY_SECRET))).toBeUndefined();
    podStarts = true;

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });

  it('fails CsrRejected when someone denied the CSR', async () => {
    const s = await scenario('bare');
    const webhook = await installed(s);
    s.cluster.denyCsr(
      webhook.status === 'SUCCEEDED' ? (webhook.csrName ?? '') : '',
      'PolicyDenied',
      'not today',
    );

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'CsrRejected',
      message: expect.stringContaining('was denied (PolicyDenied: not today)'),
    });
    expect(await tlsSecretExists(s.cluster)).toBe(false);
  });

  it('does not approve a CSR under our name that carries another request', async () => {
    const s = await scenario('bare');
    const webhook = await installed(s);
    const csrName = webhook.status === 'SUCCEEDED' ? (webhook.csrName ?? '') : '';
    await s.cluster.deleteCsr(csrName, 'v1');
    const { csrPem } = await makeCsr({ commonName: webhookServiceDnsName(NS) });
    s.cluster.fileCsr(
      {
        name: csrName,
        request: toBase64(csrPem),
        usages: [...SERVER_USAGES],
        signerName: EKS_APP_SERVING_SIGNER,
      },
      'v1',
      { username: 'system:serviceaccount:default:intruder' },
    );

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({ name: 'CsrRejected' });
    expect(await approvals(s.cluster, 'v1')).toEqual([]);
  });

  it('rejects a privateKeyRef that points at any other Secret', async () => {
    const s = await scenario('bare');
    const webhook = await installed(s);

    await expect(
      approveCsr(
        {
          ...s.input,
          webhook: { ...webhook, privateKeyRef: 'kube-system/aws-secret' } as EnsureWebhookResult,
        },
        s.deps,
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringContaining(`privateKeyRef must be ${NS}/${WEBHOOK_PENDING_KEY_SECRET}`),
    });
  });

  it('reports WebhookNotReady when the webhook does not become ready in time', async () => {
    const s = await scenario('bare');
    signerRunning(s.cluster, s.ca, 'v1');
    const webhook = await installed(s);
    s.cluster.setStatus(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: WEBHOOK_NAME },
      {
        availableReplicas: 0,
        conditions: [{ type: 'Available', status: 'False', message: 'Back-off pulling image "webhook:v9"' }],
      },
    );
    s.clock.advance(299_000);

    await expect(approveCsr({ ...s.input, webhook }, s.deps)).rejects.toMatchObject({
      name: 'WebhookNotReady',
      message: expect.stringContaining(
        `${WEBHOOK_NAME} has no available replica yet (Back-off pulling image "webhook:v9")`,
      ),
    });
  });
});
