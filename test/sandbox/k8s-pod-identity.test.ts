import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Container, type V1Pod } from '@kubernetes/client-node';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { ACCOUNT, eksToken, FakeSts, kubeConfig, raw, startCluster } from './k8s-fixtures.js';

const ROLE = `arn:aws:iam::${ACCOUNT}:role/web-reader`;
const TOKEN_DIR = '/var/run/secrets/eks.amazonaws.com/serviceaccount';

describe('sandbox EKS: the built-in pod identity webhook and pods that run the AWS CLI', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let core: CoreV1Api;
  let token: string;

  const serviceAccount = async (name: string, annotations: Record<string, string>) =>
    core.createNamespacedServiceAccount({ namespace: 'apps', body: { metadata: { name, annotations } } });
  const pod = async (
    name: string,
    serviceAccountName: string,
    containers: V1Container[],
    extra: {
      annotations?: Record<string, string>;
      initContainers?: V1Container[];
      restartPolicy?: string;
    } = {},
  ): Promise<V1Pod> =>
    core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name, annotations: extra.annotations },
        spec: {
          serviceAccountName,
          containers,
          initContainers: extra.initContainers,
          restartPolicy: extra.restartPolicy ?? 'Never',
        },
      },
    });
  const env = (p: V1Pod, container = 0) =>
    Object.fromEntries((p.spec?.containers[container]?.env ?? []).map((e) => [e.name, e.value]));
  const tokenVolume = (p: V1Pod) => p.spec?.volumes?.find((v) => v.name === 'aws-iam-token');
  const cli = (name = 'verify'): V1Container => ({
    name,
    image: 'public.ecr.aws/aws-cli/aws-cli:2.15.0',
    command: ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
  });

  beforeAll(async () => {
    sts = new FakeSts();
    // Pods stay ContainerCreating until cluster.settle() starts them, however slow the machine.
    cluster = await startCluster(sts, { podStartDelayMs: 600_000 });
    token = await eksToken('demo');
    core = kubeConfig(cluster, token).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
    await serviceAccount('web', { 'eks.amazonaws.com/role-arn': ROLE });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('has the MutatingWebhookConfiguration pod-identity-webhook from the start', async () => {
    const res = await raw(
      cluster,
      token,
      'GET',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pod-identity-webhook',
    );
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      webhooks: [{ name: 'iam-for-pods.amazonaws.com', failurePolicy: 'Ignore' }],
    });
  });

  it('injects role env, region, the projected token volume and its read-only mount on CREATE', async () => {
    const created = await pod('plain', 'web', [{ name: 'app', image: 'nginx:1.27' }]);
    expect(env(created)).toEqual({
      AWS_ROLE_ARN: ROLE,
      AWS_WEB_IDENTITY_TOKEN_FILE: `${TOKEN_DIR}/token`,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REGION: 'us-east-1',
    });
    expect(created.spec?.containers[0]?.volumeMounts).toContainEqual({
      name: 'aws-iam-token',
      mountPath: TOKEN_DIR,
      readOnly: true,
    });
    expect(tokenVolume(created)?.projected?.sources).toEqual([
      { serviceAccountToken: { audience: 'sts.amazonaws.com', expirationSeconds: 86400, path: 'token' } },
    ]);
  });

  it('honours audience, regional endpoints and token expiration (pod beats SA, clamped to 600..86400)', async () => {
    await serviceAccount('tuned', {
      'eks.amazonaws.com/role-arn': ROLE,
      'eks.amazonaws.com/audience': 'custom-aud',
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
      'eks.amazonaws.com/token-expiration': '100',
    });
    const fromSa = await pod('tuned-a', 'tuned', [{ name: 'app', image: 'nginx:1.27' }]);
    expect(env(fromSa).AWS_STS_REGIONAL_ENDPOINTS).toBe('regional');
    expect(tokenVolume(fromSa)?.projected?.sources?.[0]?.serviceAccountToken).toEqual({
      audience: 'custom-aud',
      expirationSeconds: 600,
      path: 'token',
    });
    const fromPod = await pod('tuned-b', 'tuned', [{ name: 'app', image: 'nginx:1.27' }], {
      annotations: { 'eks.amazonaws.com/token-expiration': '999999' },
    });
    expect(tokenVolume(fromPod)?.projected?.sources?.[0]?.serviceAccountToken?.expirationSeconds).toBe(86400);
  });

  it('leaves skipped containers and containers that set AWS_ROLE_ARN alone, and mutates initContainers', async () => {
    const created = await pod(
      'mixed',
      'web',
      [
        { name: 'skipped', image: 'nginx:1.27' },
        {
          name: 'own',
          image: 'nginx:1.27',
          env: [{ name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/mine' }],
        },
      ],
      {
        annotations: { 'eks.amazonaws.com/skip-containers': 'skipped' },
        initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      },
    );
    expect(env(created, 0)).toEqual({});
    expect(created.spec?.containers[0]?.volumeMounts?.some((m) => m.name === 'aws-iam-token')).toBe(false);
    expect(env(created, 1)).toEqual({ AWS_ROLE_ARN: 'arn:aws:iam::111122223333:role/mine' });
    expect(created.spec?.containers[1]?.volumeMounts?.some((m) => m.name === 'aws-iam-token')).toBe(true);
    expect(created.spec?.initContainers?.[0]?.env?.find((e) => e.name === 'AWS_ROLE_ARN')?.value).toBe(ROLE);
  });

  it('leaves pods of unannotated service accounts alone and never changes running pods', async () => {
    await serviceAccount('later', {});
    const before = await pod('before-annotation', 'later', [{ name: 'app', image: 'nginx:1.27' }]);
    expect(tokenVolume(before)).toBeUndefined();
    await core.patchNamespacedServiceAccount({
      name: 'later',
      namespace: 'apps',
      body: [{ op: 'add', path: '/metadata/annotations', value: { 'eks.amazonaws.com/role-arn': ROLE } }],
    });
    await cluster.settle();
    const still = await core.readNamespacedPod({ name: 'before-annotation', namespace: 'apps' });
    expect(tokenVolume(still)).toBeUndefined();
    const after = await pod('after-annotation', 'later', [{ name: 'app', image: 'nginx:1.27' }]);
    expect(tokenVolume(after)).toBeDefined();
  });

  it('refuses a pod whose service account does not exist with 403, as the ServiceAccount admission does', async () => {
    await expect(pod('orphan', 'nobody', [{ name: 'app', image: 'nginx:1.27' }])).rejects.toMatchObject({
      code: 403,
      body: expect.stringContaining('serviceaccount \\"nobody\\" not found'),
    });
  });

  it('runs aws sts get-caller-identity with the projected token and logs the assumed role as the CLI prints it', async () => {
    // Prepare
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:web');

    // Act
    const created = await pod('verify-ok', 'web', [cli()]);
    expect(created.status?.phase).toBe('Pending');
    await expect(core.readNamespacedPodLog({ name: 'verify-ok', namespace: 'apps' })).rejects.toMatchObject({
      code: 400,
      body: expect.stringContaining('is waiting to start: ContainerCreating'),
    });
    await cluster.settle();

    // Assess
    const done = await core.readNamespacedPod({ name: 'verify-ok', namespace: 'apps' });
    expect(done.status?.phase).toBe('Succeeded');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    const log = await core.readNamespacedPodLog({ name: 'verify-ok', namespace: 'apps', limitBytes: 4096 });
    const printed = JSON.parse(log) as Record<string, string>;
    expect(Object.keys(printed)).toEqual(['UserId', 'Account', 'Arn']);
    expect(printed.Account).toBe(ACCOUNT);
    expect(printed.Arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/web-reader\/botocore-session-\d+$/);
    expect(log).toMatch(/^\{\n {4}"UserId": /);
    const limited = await core.readNamespacedPodLog({ name: 'verify-ok', namespace: 'apps', limitBytes: 10 });
    expect(limited).toBe(log.slice(0, 10));
  });

  it('logs AccessDenied with exit code 254 when the role does not trust the service account', async () => {
    await serviceAccount('untrusted', { 'eks.amazonaws.com/role-arn': ROLE });
    await pod('verify-denied', 'untrusted', [cli()]);
    await cluster.settle();
    const done = await core.readNamespacedPod({ name: 'verify-denied', namespace: 'apps' });
    expect(done.status?.phase).toBe('Failed');
    expect(done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(254);
    const log = await core.readNamespacedPodLog({ name: 'verify-denied', namespace: 'apps' });
    expect(log).toBe(
      '\nAn error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity\n',
    );
  });

  it('retries a throttled AssumeRoleWithWebIdentity like the CLI, and logs Throttling when it persists', async () => {
    sts.throttleAssumeNext = 2;
    await pod('verify-retried', 'web', [cli()]);
    await cluster.settle();
    expect((await core.readNamespacedPod({ name: 'verify-retried', namespace: 'apps' })).status?.phase).toBe(
      'Succeeded',
    );
    sts.throttleAssumeNext = 3;
    await pod('verify-throttled', 'web', [cli()]);
    await cluster.settle();
    const log = await core.readNamespacedPodLog({ name: 'verify-throttled', namespace: 'apps' });
    expect(log).toBe(
      '\nAn error occurred (Throttling) when calling the AssumeRoleWithWebIdentity operation: Rate exceeded\n',
    );
  });

  it('uses the node instance role when the pod has no IRSA credentials', async () => {
    await pod('verify-node', 'default', [cli()]);
    await cluster.settle();
    const log = await core.readNamespacedPodLog({ name: 'verify-node', namespace: 'apps' });
    expect(JSON.parse(log).Arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/demo-node-role/i-0123456789abcdef0`,
    );
  });

  it('issues the projected token from the cluster issuer with the pod service account as subject', async () => {
    // The fake STS only admits tokens its registered issuers signed, for the trusted sub.
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:other');
    await pod('verify-sub', 'web', [cli()]);
    await cluster.settle();
    const done = await core.readNamespacedPod({ name: 'verify-sub', namespace: 'apps' });
    expect(done.status?.phase).toBe('Failed');
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:web');
  });

  it('stops mutating once the webhook configuration is deleted', async () => {
    await raw(
      cluster,
      token,
      'DELETE',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pod-identity-webhook',
    );
    const created = await pod('no-webhook', 'web', [{ name: 'app', image: 'nginx:1.27' }]);
    expect(tokenVolume(created)).toBeUndefined();
  });
});
