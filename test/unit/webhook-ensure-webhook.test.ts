import { describe, expect, it } from '@jest/globals';
import { EKS_APP_SERVING_SIGNER, parseCsrRequest, SERVER_USAGES } from '../../lib/domain/csr-check.js';
import { TransientError } from '../../lib/domain/errors.js';
import { MANAGED_BY_LABEL } from '../../lib/domain/manifests/labels.js';
import {
  readPendingKeySecret,
  WEBHOOK_NAME,
  WEBHOOK_PENDING_KEY_SECRET,
  webhookServiceDnsName,
} from '../../lib/domain/manifests/pod-identity-webhook.js';
import { ensureWebhook } from '../../lib/use-cases/bind/ensure-webhook.js';
import { BROKER_FIELD_MANAGER } from '../support/fakes/fake-kubernetes-cluster.js';
import { foreignServiceWebhook, NS, scenario } from './webhook-fixtures.js';

const pendingRef = { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: WEBHOOK_PENDING_KEY_SECRET };
const mwcRef = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  name: WEBHOOK_NAME,
};
const deploymentRef = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name: WEBHOOK_NAME };

describe('ensureWebhook: a webhook already there', () => {
  it('skips a built-in webhook (served by the control plane) and changes nothing', async () => {
    const { cluster, deps, input } = await scenario('demo');
    const before = cluster.snapshot();

    const result = await ensureWebhook(input, deps);

    expect(result).toEqual({ status: 'SKIPPED', detail: expect.stringContaining('built in') });
    expect(cluster.snapshot()).toEqual(before);
  });

  it('skips a foreign webhook whose Deployment has an available replica', async () => {
    const { cluster, deps, input } = await scenario('bare');
    foreignServiceWebhook(cluster, 'webhooks', 1);
    const before = cluster.snapshot();

    const result = await ensureWebhook(input, deps);

    expect(result.status).toBe('SKIPPED');
    expect(result.detail).toContain('Deployment webhooks/their-webhook has 1 available replica');
    expect(cluster.snapshot()).toEqual(before);
  });

  it('refuses to replace a foreign webhook that is present but not ready, and leaves it untouched', async () => {
    const { cluster, deps, input } = await scenario('bare');
    foreignServiceWebhook(cluster, 'webhooks', 0);
    const before = cluster.snapshot();

    const failure = ensureWebhook(input, deps);

    await expect(failure).rejects.toMatchObject({
      name: 'WebhookNotReady',
      message: expect.stringMatching(/not managed by irsa-broker.*Repair that webhook, or delete it/),
    });
    expect(cluster.snapshot()).toEqual(before);
    expect(await cluster.listCsrs('v1')).toEqual([]);
  });
});

describe('ensureWebhook: legacy cluster (certificates.k8s.io/v1beta1 served)', () => {
  it('installs the in-cluster webhook with the cluster CA and files no CSR itself', async () => {
    const { cluster, ca, deps, input } = await scenario('legacy');

    const result = await ensureWebhook(input, deps);

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'in-cluster',
      csrVersion: 'v1beta1',
      namespace: NS,
    });
    expect(result).not.toHaveProperty('privateKeyRef');
    expect(result).not.toHaveProperty('csrName');
    expect(await cluster.listCsrs('v1beta1')).toEqual([]);
    const mwc = await cluster.get(mwcRef);
    expect(mwc?.webhooks).toEqual([
      expect.objectContaining({
        clientConfig: {
          service: { name: WEBHOOK_NAME, namespace: NS, path: '/mutate' },
          caBundle: ca.caData,
        },
      }),
    ]);
    const deployment = await cluster.get(deploymentRef);
    const spec = deployment?.spec as
      | { template: { spec: { containers: { command: string[] }[] } } }
      | undefined;
    const container = spec?.template.spec.containers[0];
    expect(container?.command).toEqual(
      expect.arrayContaining(['--in-cluster', `--namespace=${NS}`, '--aws-default-region=eu-west-1']),
    );
    for (const kind of [
      'Namespace',
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'Service',
    ]) {
      const object = cluster
        .snapshot()
        .find((o) => o.kind === kind && (o.metadata.name === WEBHOOK_NAME || o.metadata.name === NS));
      expect(object?.metadata.labels?.[MANAGED_BY_LABEL]).toBe('irsa-broker');
    }
    expect(Object.keys(cluster.managersOf(deploymentRef))).toEqual([BROKER_FIELD_MANAGER]);
  });

  it('stops before applying anything when an object of the bundle belongs to someone else', async () => {
    const { cluster, deps, input } = await scenario('legacy');
    cluster.seed({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: WEBHOOK_NAME, namespace: NS },
      spec: { ports: [{ port: 8443 }] },
    });
    const before = cluster.snapshot();

    await expect(ensureWebhook(input, deps)).rejects.toMatchObject({
      name: 'WebhookNotReady',
      message: expect.stringContaining(
        `Service ${NS}/${WEBHOOK_NAME} already exists on cluster legacy and is not managed by irsa-broker`,
      ),
    });
    expect(cluster.snapshot()).toEqual(before);
  });

  it('uses an existing foreign namespace as it is', async () => {
    const { cluster, deps, input } = await scenario('legacy');
    cluster.seed({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NS, labels: { team: 'platform' } },
    });

    await ensureWebhook(input, deps);

    const namespace = await cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: NS });
    expect(namespace?.metadata.labels).toEqual({ team: 'platform' });
    expect(await cluster.get(deploymentRef)).toBeDefined();
  });
});

describe('ensureWebhook: cluster with only certificates.k8s.io/v1', () => {
  it('files a v1 CSR with the EKS signer and keeps the key in a Secret, never in the result', async () => {
    const { cluster, deps, input } = await scenario('bare');

    const result = await ensureWebhook(input, deps);

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      mode: 'external-cert',
      csrVersion: 'v1',
      namespace: NS,
      privateKeyRef: `${NS}/${WEBHOOK_PENDING_KEY_SECRET}`,
    });
    expect(JSON.stringify(result)).not.toMatch(/PRIVATE KEY|CERTIFICATE REQUEST|LS0tLS1CRUdJTi/);
    const csrs = await cluster.listCsrs('v1');
    expect(csrs).toHaveLength(1);
    const [csr] = csrs;
    expect(result.status === 'SUCCEEDED' && result.csrName).toBe(csr?.name);
    expect(csr?.signerName).toBe(EKS_APP_SERVING_SIGNER);
    expect([...(csr?.usages ?? [])].sort()).toEqual([...SERVER_USAGES].sort());
    const subject = parseCsrRequest(csr?.request ?? '');
    expect(subject.commonNames).toEqual([webhookServiceDnsName(NS)]);
    expect(subject.dnsNames).toContain(webhookServiceDnsName(NS));
    expect(subject.organizations).toEqual([]);
    const secret = await cluster.get(pendingRef);
    expect(secret?.metadata.labels?.[MANAGED_BY_LABEL]).toBe('irsa-broker');
    const pending = readPendingKeySecret(secret!);
    expect(pending?.csrName).toBe(csr?.name);
    expect(Buffer.from(pending?.csrPem ?? '').toString('base64')).toBe(csr?.request);
    expect(pending?.privateKeyPem).toContain('BEGIN PRIVATE KEY');
    const deployment = await cluster.get(deploymentRef);
    expect(JSON.stringify(deployment?.spec)).toContain('--in-cluster=false');
  });

  it('re-running reuses the pending CSR and key instead of filing a second CSR', async () => {
    const { cluster, deps, input } = await scenario('bare');

    const first = await ensureWebhook(input, deps);
    const keyBefore = readPendingKeySecret((await cluster.get(pendingRef))!);
    const second = await ensureWebhook(input, deps);

    expect(second).toEqual({ ...first, startedAt: second.status === 'SUCCEEDED' ? second.startedAt : '' });
    expect((await cluster.listCsrs('v1')).map((c) => c.name)).toEqual([
      first.status === 'SUCCEEDED' && first.csrName,
    ]);
    expect(readPendingKeySecret((await cluster.get(pendingRef))!)).toEqual(keyBefore);
  });

  it('after a failure between storing the key and filing the CSR, the retry files the CSR for the stored key', async () => {
    const { cluster, deps, input } = await scenario('bare');
    cluster.failNext('createCsr', new TransientError('connection reset'));

    await expect(ensureWebhook(input, deps)).rejects.toMatchObject({ name: 'Transient' });
    const stored = readPendingKeySecret((await cluster.get(pendingRef))!);
    const result = await ensureWebhook(input, deps);

    const csrs = await cluster.listCsrs('v1');
    expect(csrs.map((c) => c.name)).toEqual([stored?.csrName]);
    expect(csrs[0]?.request).toBe(Buffer.from(stored?.csrPem ?? '').toString('base64'));
    expect(result).toMatchObject({ csrName: stored?.csrName });
  });

  it('files a fresh CSR with a new key when the pending one was denied', async () => {
    const { cluster, deps, input } = await scenario('bare');
    const first = await ensureWebhook(input, deps);
    const firstName = first.status === 'SUCCEEDED' ? (first.csrName ?? '') : '';
    cluster.denyCsr(firstName);

    const second = await ensureWebhook(input, deps);

    const secondName = second.status === 'SUCCEEDED' ? second.csrName : undefined;
    expect(secondName).toBeDefined();
    expect(secondName).not.toBe(firstName);
    expect((await cluster.listCsrs('v1')).map((c) => c.name)).toEqual([secondName]);
    expect(readPendingKeySecret((await cluster.get(pendingRef))!)?.csrName).toBe(secondName);
  });
});
