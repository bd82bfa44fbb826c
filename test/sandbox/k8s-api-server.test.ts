import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ApiException,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
} from '@kubernetes/client-node';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { BROKER, eksToken, FakeSts, kubeConfig, raw, STRANGER, startCluster } from './k8s-fixtures.js';

const sa = (annotations: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ServiceAccount',
  metadata: { name: 'web', namespace: 'apps', annotations },
});

describe('sandbox EKS API server: authentication', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let other: SandboxCluster;

  beforeAll(async () => {
    sts = new FakeSts();
    cluster = await startCluster(sts);
    other = await startCluster(sts, { name: 'other' });
  });
  afterAll(async () => {
    await cluster.stop();
    await other.stop();
  });

  it('describes itself like DescribeCluster: local endpoint, base64 PEM CA, EKS-shaped OIDC issuer', () => {
    const d = cluster.description;
    expect(d.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(d.certificateAuthorityData, 'base64').toString()).toMatch(
      /^-----BEGIN CERTIFICATE-----/,
    );
    expect(d.oidcIssuer).toMatch(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
    expect(d.arn).toBe('arn:aws:eks:us-east-1:111122223333:cluster/demo');
    expect(cluster.issuer.issuer).toBe(d.oidcIssuer);
    expect(cluster.issuer.jwks[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(cluster.issuer.jwks[0]).not.toHaveProperty('d');
  });

  it('admits the broker with a valid EKS token through the real client, TLS verified against the CA', async () => {
    const api = kubeConfig(cluster, await eksToken('demo')).makeApiClient(CoreV1Api);
    const ns = await api.readNamespace({ name: 'kube-system' });
    expect(ns.status?.phase).toBe('Active');
    const version = await kubeConfig(cluster, await eksToken('demo'))
      .makeApiClient(VersionApi)
      .getCode();
    expect(version.minor).toBe('31+');
  });

  it.each([
    ['no token', async () => undefined],
    ['a token that is not k8s-aws-v1', async () => 'abc.def.ghi'],
    ['a token signed for another cluster', async () => eksToken('other')],
    [
      'an expired token (signed 16 minutes ago)',
      async () => eksToken('demo', BROKER, new Date(Date.now() - 16 * 60_000)),
    ],
    [
      'a token with a bad signature',
      async () => {
        const url = Buffer.from((await eksToken('demo')).slice('k8s-aws-v1.'.length), 'base64url').toString();
        const tampered = url.replace(
          /X-Amz-Signature=([0-9a-f])/,
          (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`,
        );
        return `k8s-aws-v1.${Buffer.from(tampered).toString('base64url')}`;
      },
    ],
    [
      'a token whose x-k8s-aws-id is not a signed header',
      async () => {
        const url = Buffer.from((await eksToken('demo')).slice('k8s-aws-v1.'.length), 'base64url').toString();
        const unsigned = url.replace(/X-Amz-SignedHeaders=[^&]+/, 'X-Amz-SignedHeaders=host');
        return `k8s-aws-v1.${Buffer.from(unsigned).toString('base64url')}`;
      },
    ],
    [
      'a token for an unknown access key',
      async () => eksToken('demo', { ...STRANGER, accessKeyId: 'AKIANOBODY0000000001' }),
    ],
  ])('answers 401 Unauthorized Status for %s', async (_what, token) => {
    const res = await raw(cluster, await token(), 'GET', '/api/v1/namespaces');
    expect(res.status).toBe(401);
    expect(res.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
  });

  it('retries a throttled STS check of a valid token, and answers 401 when STS keeps failing', async () => {
    sts.throttleNext = 2;
    expect((await raw(cluster, await eksToken('demo'), 'GET', '/api/v1/namespaces')).status).toBe(200);
    sts.throttleNext = 50;
    // A token signed at another moment: one STS has not vouched for yet (the cluster remembers those).
    const unseen = await eksToken('demo', BROKER, new Date(Date.now() - 5_000));
    expect((await raw(cluster, unseen, 'GET', '/api/v1/namespaces')).status).toBe(401);
    sts.throttleNext = 0;
  });

  it('remembers a token STS vouched for, as the API server caches webhook authentication, never past its 15 minutes', async () => {
    let clock = Date.now();
    const remembering = await startCluster(sts, { name: 'remembering', now: () => clock });
    try {
      const token = await eksToken('remembering', BROKER, new Date(clock));
      expect((await raw(remembering, token, 'GET', '/api/v1/namespaces')).status).toBe(200);

      sts.throttleNext = 50; // STS is down: the remembered token still works…
      expect((await raw(remembering, token, 'GET', '/api/v1/namespaces')).status).toBe(200);
      clock += 16 * 60_000; // …until it expires, cached or not.
      sts.throttleNext = 0;
      expect((await raw(remembering, token, 'GET', '/api/v1/namespaces')).status).toBe(401);
    } finally {
      sts.throttleNext = 0;
      await remembering.stop();
    }
  });

  it('answers 403 Forbidden for a principal STS knows but no access entry maps', async () => {
    const api = kubeConfig(cluster, await eksToken('demo', STRANGER)).makeApiClient(CoreV1Api);
    const attempt = api.listNamespace();
    await expect(attempt).rejects.toBeInstanceOf(ApiException);
    await attempt.catch((error: ApiException<string>) => {
      expect(error.code).toBe(403);
      expect(JSON.parse(error.body)).toMatchObject({
        reason: 'Forbidden',
        message: expect.stringContaining(
          `User "arn:aws:iam::111122223333:user/stranger" cannot list resource "namespaces"`,
        ),
      });
    });
  });
});

describe('sandbox EKS API server: resources', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let core: CoreV1Api;
  let token: string;

  beforeAll(async () => {
    sts = new FakeSts();
    cluster = await startCluster(sts);
    token = await eksToken('demo');
    core = kubeConfig(cluster, token).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const codeOf = async (attempt: Promise<unknown>) => {
    try {
      await attempt;
      return { code: 0, body: {} as Record<string, unknown> };
    } catch (error) {
      const e = error as ApiException<string>;
      return { code: e.code, body: JSON.parse(e.body) as Record<string, unknown> };
    }
  };

  it('creates the default service account with a namespace, and refuses a duplicate with 409 AlreadyExists', async () => {
    const found = await core.readNamespacedServiceAccount({ name: 'default', namespace: 'apps' });
    expect(found.metadata?.uid).toBeDefined();
    const again = await codeOf(core.createNamespace({ body: { metadata: { name: 'apps' } } }));
    expect(again.code).toBe(409);
    expect(again.body).toMatchObject({
      reason: 'AlreadyExists',
      message: 'namespaces "apps" already exists',
    });
  });

  it('answers 404 NotFound with the resource and name', async () => {
    const missing = await codeOf(core.readNamespacedServiceAccount({ name: 'ghost', namespace: 'apps' }));
    expect(missing.code).toBe(404);
    expect(missing.body).toMatchObject({ reason: 'NotFound', message: 'serviceaccounts "ghost" not found' });
  });

  it('refuses names that are not DNS-1123 with 422 Invalid and causes', async () => {
    const bad = await codeOf(core.createNamespace({ body: { metadata: { name: 'Bad_Name' } } }));
    expect(bad.code).toBe(422);
    expect(bad.body).toMatchObject({
      reason: 'Invalid',
      details: { causes: [expect.objectContaining({ field: 'metadata.name', reason: 'FieldValueInvalid' })] },
    });
    const pod = await codeOf(
      core.createNamespacedPod({
        namespace: 'apps',
        body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } } as never,
      }),
    );
    expect(pod.code).toBe(422);
  });

  it('server-side applies a service account, reports ownership conflicts by field, and forces', async () => {
    // Prepare: the broker applies the role annotation
    const apply = (manager: string, body: unknown, force?: boolean) =>
      core.patchNamespacedServiceAccount(
        { name: 'web', namespace: 'apps', body, fieldManager: manager, force },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    const created = await apply(
      'irsa-broker',
      sa({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/a' }),
    );
    expect(created.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::111122223333:role/a',
    );
    expect(created.metadata?.managedFields?.[0]).toMatchObject({
      manager: 'irsa-broker',
      operation: 'Apply',
    });

    // Act: another manager applies a different value
    const conflict = await codeOf(
      apply('kubectl', sa({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/b' })),
    );

    // Assess
    expect(conflict.code).toBe(409);
    expect(conflict.body).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining(
        'conflict with "irsa-broker" using v1: .metadata.annotations.eks.amazonaws.com/role-arn',
      ),
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "irsa-broker" using v1',
            field: '.metadata.annotations.eks.amazonaws.com/role-arn',
          },
        ],
      },
    });
    // Same value from another manager is shared ownership, not a conflict.
    await apply('kubectl', sa({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/a' }));
    const forced = await apply(
      'kubectl',
      sa({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/b' }),
      true,
    );
    expect(forced.metadata?.annotations?.['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::111122223333:role/b',
    );
    const back = await codeOf(
      apply('irsa-broker', sa({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/a' })),
    );
    expect(back.code).toBe(409);
  });

  it('drops a field its only applier stops applying', async () => {
    const apply = (body: unknown) =>
      core.patchNamespacedServiceAccount(
        { name: 'solo', namespace: 'apps', body, fieldManager: 'irsa-broker' },
        setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
      );
    const body = (annotations: Record<string, string>) => ({
      ...sa(annotations),
      metadata: { ...sa(annotations).metadata, name: 'solo' },
    });
    await apply(body({ a: '1', b: '2' }));
    const after = await apply(body({ a: '1' }));
    expect(after.metadata?.annotations).toEqual({ a: '1' });
  });

  it('refuses apply without a field manager with 422', async () => {
    const res = await raw(
      cluster,
      token,
      'PATCH',
      '/api/v1/namespaces/apps/serviceaccounts/x',
      sa({}),
      'application/apply-patch+yaml',
    );
    expect(res.status).toBe(422);
    expect(res.json()).toMatchObject({
      reason: 'Invalid',
      details: { causes: [expect.objectContaining({ field: 'fieldManager' })] },
    });
  });

  it('lists by label selector and deletes pods; serves secrets, services, deployments and RBAC objects', async () => {
    const make = (name: string, tier: string) =>
      core.createNamespacedPod({
        namespace: 'apps',
        body: {
          metadata: { name, labels: { tier } },
          spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
        },
      });
    await make('front-1', 'front');
    await make('back-1', 'back');
    const fronts = await core.listNamespacedPod({ namespace: 'apps', labelSelector: 'tier=front' });
    expect(fronts.items.map((p) => p.metadata?.name)).toEqual(['front-1']);
    await core.deleteNamespacedPod({ name: 'front-1', namespace: 'apps' });
    expect((await codeOf(core.readNamespacedPod({ name: 'front-1', namespace: 'apps' }))).code).toBe(404);

    const secret = await core.createNamespacedSecret({
      namespace: 'apps',
      body: { metadata: { name: 's' }, stringData: { password: 'pw' } },
    });
    expect(secret.type).toBe('Opaque');
    expect(secret.data).toEqual({ password: Buffer.from('pw').toString('base64') });
    const tlsWithoutKey = await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/secrets', {
      metadata: { name: 't' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'eA==' },
    });
    expect(tlsWithoutKey.status).toBe(422);
    const service = await core.createNamespacedService({
      namespace: 'apps',
      body: { metadata: { name: 'svc' }, spec: { selector: { app: 'x' }, ports: [{ port: 443 }] } },
    });
    expect(service.spec?.clusterIP).toMatch(/^10\.100\./);
    const mismatched = await raw(cluster, token, 'POST', '/apis/apps/v1/namespaces/apps/deployments', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'a' } },
        template: {
          metadata: { labels: { app: 'b' } },
          spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] },
        },
      },
    });
    expect(mismatched.status).toBe(422);
    expect(JSON.stringify(mismatched.json())).toContain('`selector` does not match template `labels`');
    const role = await raw(
      cluster,
      token,
      'POST',
      '/apis/rbac.authorization.k8s.io/v1/namespaces/apps/roles',
      {
        metadata: { name: 'reader' },
        rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
      },
    );
    expect(role.status).toBe(201);
  });

  it('serves discovery consistent with the version', async () => {
    const groups = (await raw(cluster, token, 'GET', '/apis')).json() as {
      groups: { name: string; versions: { version: string }[] }[];
    };
    const certificates = groups.groups.find((g) => g.name === 'certificates.k8s.io');
    expect(certificates?.versions.map((v) => v.version)).toEqual(['v1']);
    expect(
      (await raw(cluster, token, 'GET', '/apis/certificates.k8s.io/v1beta1/certificatesigningrequests'))
        .status,
    ).toBe(404);
    const version = (await raw(cluster, undefined, 'GET', '/version')).json();
    expect(version).toMatchObject({ major: '1', minor: '31+' });
  });
});
