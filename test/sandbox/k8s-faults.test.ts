import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { createCallCounter, type SandboxCallCounter } from '../../lib/sandbox/counters.js';
import { createFaultInjector, type SeededFaultInjector } from '../../lib/sandbox/faults.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { eksToken, FakeSts, kubeConfig, raw, startCluster } from './k8s-fixtures.js';

describe('sandbox EKS: faults, counters and replay', () => {
  let sts: FakeSts;
  let faults: SeededFaultInjector;
  let counter: SandboxCallCounter;
  let cluster: SandboxCluster;
  let token: string;
  let core: CoreV1Api;

  beforeAll(async () => {
    sts = new FakeSts();
    faults = createFaultInjector({ seed: 7 });
    counter = createCallCounter();
    cluster = await startCluster(sts, { faults, counter });
    token = await eksToken('demo');
    core = kubeConfig(cluster, token).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const createPod = (name: string, image = 'nginx:1.27') =>
    raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name },
      spec: { containers: [{ name: 'app', image }] },
    });

  it('throttles a chosen operation with 429 TooManyRequests and Retry-After, and counts it', async () => {
    faults.setRules([
      { service: 'k8s:demo', operation: 'POST pods', kind: 'throttle', retryAfterSeconds: 3 },
    ]);
    const before = counter.get('k8s:demo', 'POST pods');
    const res = await createPod('throttled');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.json()).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } });
    expect(counter.get('k8s:demo', 'POST pods')).toBe(before + 1);
    // Other operations are untouched.
    expect((await raw(cluster, token, 'GET', '/api/v1/namespaces/apps')).status).toBe(200);
    faults.setRules([]);
  });

  it('answers 503 for server-error, 500 on every call for permanent, and waits for latency', async () => {
    faults.setRules([{ service: 'k8s:*', operation: 'GET namespaces', kind: 'server-error' }]);
    const unavailable = await raw(cluster, token, 'GET', '/api/v1/namespaces/apps');
    expect(unavailable.status).toBe(503);
    expect(unavailable.json()).toMatchObject({ reason: 'ServiceUnavailable' });

    faults.setRules([{ service: 'k8s:demo', operation: 'GET serviceaccounts', kind: 'permanent' }]);
    for (let i = 0; i < 3; i++) {
      expect(
        (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/serviceaccounts/default')).status,
      ).toBe(500);
    }

    faults.setRules([{ service: 'k8s:demo', operation: 'GET namespaces', kind: 'latency', latencyMs: 150 }]);
    const started = Date.now();
    expect((await raw(cluster, token, 'GET', '/api/v1/namespaces/apps')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    faults.setRules([]);
  });

  it('fails image pulls for matching images: ErrImagePull, then ImagePullBackOff, and no log', async () => {
    faults.setRules([
      { service: 'k8s:demo', operation: 'pull registry.example/broken*', kind: 'image-pull' },
    ]);
    expect((await createPod('pull-fails', 'registry.example/broken:1')).status).toBe(201);
    expect((await createPod('pull-works', 'nginx:1.27')).status).toBe(201);
    await cluster.settle();
    const pod = await core.readNamespacedPod({ name: 'pull-fails', namespace: 'apps' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
    const log = await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/pull-fails/log');
    expect(log.status).toBe(400);
    expect(log.json().message).toBe(
      'container "app" in pod "pull-fails" is waiting to start: trying and failing to pull image',
    );
    const healthy = await core.readNamespacedPod({ name: 'pull-works', namespace: 'apps' });
    expect(healthy.status?.phase).toBe('Running');
    faults.setRules([]);
  });

  it('replays the same fault decisions from the same seed', async () => {
    const run = async (seed: number) => {
      faults.reset(seed);
      faults.setRules([{ service: 'k8s:demo', operation: 'GET namespaces', kind: 'throttle', rate: 0.5 }]);
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++)
        statuses.push((await raw(cluster, token, 'GET', '/api/v1/namespaces/apps')).status);
      faults.setRules([]);
      return statuses;
    };
    const first = await run(42);
    expect(first).toContain(429);
    expect(first).toContain(200);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
  });
});

describe('sandbox EKS: a webhook that never files its CSR', () => {
  it('stays unready and files nothing', async () => {
    const sts = new FakeSts();
    const faults = createFaultInjector({
      rules: [{ service: 'k8s:legacy', operation: 'webhook-csr *', kind: 'webhook-no-csr' }],
    });
    const cluster = await startCluster(sts, { name: 'legacy', version: '1.20', webhook: 'none', faults });
    try {
      const token = await eksToken('legacy');
      const post = (path: string, body: unknown) => raw(cluster, token, 'POST', path, body);
      await post('/api/v1/namespaces', { metadata: { name: 'irsa-system' } });
      await post('/api/v1/namespaces/irsa-system/serviceaccounts', {
        metadata: { name: 'pod-identity-webhook' },
      });
      await post('/apis/rbac.authorization.k8s.io/v1/clusterroles', {
        metadata: { name: 'pod-identity-webhook' },
        rules: [
          {
            apiGroups: ['certificates.k8s.io'],
            resources: ['certificatesigningrequests'],
            verbs: ['create', 'get'],
          },
        ],
      });
      await post('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
        metadata: { name: 'pod-identity-webhook' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-identity-webhook' },
        subjects: [{ kind: 'ServiceAccount', name: 'pod-identity-webhook', namespace: 'irsa-system' }],
      });
      const created = await post('/apis/apps/v1/namespaces/irsa-system/deployments', {
        metadata: { name: 'pod-identity-webhook' },
        spec: {
          selector: { matchLabels: { app: 'w' } },
          template: {
            metadata: { labels: { app: 'w' } },
            spec: {
              serviceAccountName: 'pod-identity-webhook',
              containers: [
                {
                  name: 'w',
                  image: 'amazon/amazon-eks-pod-identity-webhook:v0.2.0',
                  command: ['/webhook', '--in-cluster'],
                },
              ],
            },
          },
        },
      });
      expect(created.status).toBe(201);
      await cluster.settle();
      const csrs = (
        await raw(cluster, token, 'GET', '/apis/certificates.k8s.io/v1beta1/certificatesigningrequests')
      ).json();
      expect(csrs.items).toEqual([]);
      const deployment = (
        await raw(
          cluster,
          token,
          'GET',
          '/apis/apps/v1/namespaces/irsa-system/deployments/pod-identity-webhook',
        )
      ).json();
      expect(deployment.status).toMatchObject({ availableReplicas: 0, unavailableReplicas: 1 });
    } finally {
      await cluster.stop();
    }
  });
});

describe('sandbox EKS: snapshot and restore', () => {
  it('comes back with the same issuer, CA, objects and pod logs on a new port', async () => {
    // Prepare
    const sts = new FakeSts();
    const first = await startCluster(sts);
    const token = await eksToken('demo');
    const core = kubeConfig(first, token).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
    await core.createNamespacedServiceAccount({
      namespace: 'apps',
      body: {
        metadata: {
          name: 'web',
          annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/r' },
        },
      },
    });
    await core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name: 'cli' },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'amazon/aws-cli', args: ['sts', 'get-caller-identity'] }],
        },
      },
    });
    await first.settle();
    const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as unknown;
    const described = first.description;
    const log = await core.readNamespacedPodLog({ name: 'cli', namespace: 'apps' });
    await first.stop();

    // Act
    const second = await startCluster(sts);
    second.restore(snapshot);

    // Assess
    try {
      expect(second.description.oidcIssuer).toBe(described.oidcIssuer);
      expect(second.description.certificateAuthorityData).toBe(described.certificateAuthorityData);
      expect(second.description.endpoint).not.toBe(described.endpoint);
      expect(second.issuer.jwks).toEqual(first.issuer.jwks);
      const again = kubeConfig(second, token).makeApiClient(CoreV1Api);
      const sa = await again.readNamespacedServiceAccount({ name: 'web', namespace: 'apps' });
      expect(sa.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toBe(
        'arn:aws:iam::111122223333:role/r',
      );
      expect(await again.readNamespacedPodLog({ name: 'cli', namespace: 'apps' })).toBe(log);
      expect(() => second.restore({ kind: 'something else' })).toThrow(/Not a sandbox cluster snapshot/);
    } finally {
      await second.stop();
    }
  });
});
