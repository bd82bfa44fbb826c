// The fake cluster the webhook tests (and others) rely on behaves like an API server where it matters.
import { describe, expect, it } from '@jest/globals';
import { SERVER_USAGES } from '../../lib/domain/csr-check.js';
import {
  FakeKubernetesCluster,
  matchesLabelSelector,
  SERVED_LEGACY,
} from '../support/fakes/fake-kubernetes-cluster.js';
import { makeCsr, toBase64 } from '../support/fakes/test-certificate-authority.js';

const cm = (data: Record<string, string>, labels?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'default', ...(labels ? { labels } : {}) },
  data,
});
const cmRef = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'settings' };

describe('FakeKubernetesCluster server-side apply', () => {
  it('conflicts on a field another manager set to a different value, unless forced', async () => {
    const cluster = new FakeKubernetesCluster();
    cluster.seed(cm({ mode: 'theirs', shared: 'same' }), 'kubectl');

    await expect(cluster.apply(cm({ mode: 'ours' }))).rejects.toMatchObject({
      name: 'FieldOwnershipConflict',
      message: expect.stringContaining('conflict with "kubectl": .data.mode'),
    });
    await expect(cluster.apply(cm({ shared: 'same', extra: 'x' }))).resolves.toMatchObject({
      data: { mode: 'theirs', shared: 'same', extra: 'x' },
    });
    const forced = await cluster.apply(cm({ mode: 'ours', shared: 'same', extra: 'x' }), { force: true });
    expect(forced.data).toEqual({ mode: 'ours', shared: 'same', extra: 'x' });
    expect(cluster.managersOf(cmRef).kubectl).not.toContain('.data.mode');
  });

  it("removes fields it applied before and no longer applies, but keeps other managers' fields", async () => {
    const cluster = new FakeKubernetesCluster();
    cluster.seed(cm({ theirs: '1' }), 'kubectl');
    await cluster.apply(cm({ theirs: '1', a: '1', b: '2' }));

    const applied = await cluster.apply(cm({ a: '1' }));

    expect(applied.data).toEqual({ theirs: '1', a: '1' });
  });

  it('needs the namespace to exist for namespaced objects', async () => {
    const cluster = new FakeKubernetesCluster();
    await expect(
      cluster.apply({ ...cm({}), metadata: { name: 'x', namespace: 'missing' } }),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
    });
  });

  it('answers 404 for a group version it does not serve', async () => {
    const cluster = new FakeKubernetesCluster();
    await expect(cluster.listCsrs('v1beta1')).rejects.toMatchObject({ name: 'NotFoundError' });
    expect(await new FakeKubernetesCluster({ serves: SERVED_LEGACY }).listCsrs('v1beta1')).toEqual([]);
  });
});

describe('FakeKubernetesCluster CSRs', () => {
  it('requires a signer in v1, defaults the legacy signer in v1beta1, and shares objects across versions', async () => {
    const cluster = new FakeKubernetesCluster({ serves: SERVED_LEGACY });
    const { csrPem } = await makeCsr({ commonName: 'x.default.svc' });
    const csr = { name: 'one', request: toBase64(csrPem), usages: [...SERVER_USAGES] };

    await expect(cluster.createCsr(csr, 'v1')).rejects.toMatchObject({ name: 'InputError' });
    const created = await cluster.createCsr(csr, 'v1beta1');
    await expect(cluster.createCsr(csr, 'v1beta1')).rejects.toMatchObject({ name: 'ConflictError' });

    expect(created).toMatchObject({
      signerName: 'kubernetes.io/legacy-unknown',
      username: cluster.brokerUsername,
    });
    expect((await cluster.getCsr('one', 'v1'))?.request).toBe(created.request);
  });

  it('approves once, and refuses to approve a denied CSR', async () => {
    const cluster = new FakeKubernetesCluster();
    const { csrPem } = await makeCsr({ commonName: 'x.default.svc' });
    const base = { request: toBase64(csrPem), usages: [...SERVER_USAGES], signerName: 'example.com/signer' };
    await cluster.createCsr({ ...base, name: 'ok' }, 'v1');
    await cluster.createCsr({ ...base, name: 'no' }, 'v1');
    cluster.denyCsr('no');

    await cluster.approveCsr('ok', 'v1', { reason: 'R', message: 'm' });
    const twice = await cluster.approveCsr('ok', 'v1', { reason: 'R', message: 'm' });

    expect(twice.conditions.filter((c) => c.type === 'Approved')).toHaveLength(1);
    await expect(cluster.approveCsr('no', 'v1', { reason: 'R', message: 'm' })).rejects.toMatchObject({
      name: 'InputError',
    });
  });
});

describe('matchesLabelSelector', () => {
  it('handles equality, inequality and existence terms', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(matchesLabelSelector(labels, 'app=web,tier==front')).toBe(true);
    expect(matchesLabelSelector(labels, 'app=web,tier!=front')).toBe(false);
    expect(matchesLabelSelector(labels, 'app,!missing')).toBe(true);
    expect(matchesLabelSelector(labels, 'missing')).toBe(false);
    expect(() => matchesLabelSelector(labels, 'app in (web)')).toThrow('equality selectors only');
  });
});
