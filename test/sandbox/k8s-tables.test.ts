import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { createCsr } from '../../lib/sandbox/k8s/pki.js';
import { humanDuration } from '../../lib/sandbox/k8s/table-printers.js';
import { eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';
import { findKubectl, type Kubectl, kubectlFor, parseTable } from './real-kubectl.js';

const TABLE_V1 = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const TABLE_V1BETA1 = 'application/json;as=Table;v=v1beta1;g=meta.k8s.io';
/** What kubectl get sends. */
const KUBECTL_ACCEPT = `${TABLE_V1},${TABLE_V1BETA1},application/json`;

async function get(cluster: SandboxCluster, token: string, path: string, accept: string) {
  const { request } = await import('node:https');
  const { endpoint, certificateAuthorityData } = cluster.description;
  return new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(
      new URL(path, endpoint),
      {
        ca: Buffer.from(certificateAuthorityData, 'base64').toString('utf8'),
        headers: { authorization: `Bearer ${token}`, accept },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

type Table = {
  kind: string;
  apiVersion: string;
  columnDefinitions: { name: string; priority: number }[];
  rows: { cells: unknown[]; object?: Record<string, unknown>; conditions?: unknown[] }[];
};

describe('sandbox EKS API server: server-side printing (Tables)', () => {
  let cluster: SandboxCluster;
  let token: string;

  const pod = (name: string, image: string, extra: Record<string, unknown> = {}) =>
    raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name },
      spec: { containers: [{ name: 'app', image, ...extra }], restartPolicy: 'Always' },
    });

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts());
    token = await eksToken('demo');
    expect(
      (await raw(cluster, token, 'POST', '/api/v1/namespaces', { metadata: { name: 'apps' } })).status,
    ).toBe(201);
    expect((await pod('web', 'nginx:1.27')).status).toBe(201);
    // The aws-cli image's entrypoint is `aws`: with no arguments it exits, and restartPolicy Always restarts it.
    expect((await pod('crashing', 'public.ecr.aws/aws-cli/aws-cli:2.17.0')).status).toBe(201);
    const cli = 'public.ecr.aws/aws-cli/aws-cli:2.17.0';
    const finished = await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name: 'finished' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'app', image: cli, args: ['sts', 'get-caller-identity'] }],
      },
    });
    expect(finished.status).toBe(201);
    // The init container's token file is not mounted: the CLI exits 255 and the pod fails in init.
    const initFails = await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name: 'init-fails' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'whoami',
            image: cli,
            args: ['sts', 'get-caller-identity'],
            env: [
              { name: 'AWS_ROLE_ARN', value: 'arn:aws:iam::111122223333:role/none' },
              { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/nowhere/token' },
            ],
          },
        ],
        containers: [{ name: 'app', image: 'nginx:1.27' }],
      },
    });
    expect(initFails.status).toBe(201);
    await cluster.settle();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('prints Go-style human durations', () => {
    expect(
      [5e3, 119e3, 200e3, 600e3, 4 * 3600e3 + 12 * 60e3, 30 * 3600e3, 74 * 3600e3, 800 * 86400e3].map(
        humanDuration,
      ),
    ).toEqual(['5s', '119s', '3m20s', '10m', '4h12m', '30h', '3d2h', '2y70d']);
  });

  it("answers kubectl's Accept list with a v1 Table of pods, PartialObjectMetadata in each row", async () => {
    const { status, body } = await get(cluster, token, '/api/v1/namespaces/apps/pods', KUBECTL_ACCEPT);
    expect(status).toBe(200);
    const table = body as unknown as Table;
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    const web = table.rows.find((r) => r.cells[0] === 'web');
    expect(web?.cells.slice(1, 4)).toEqual(['1/1', 'Running', '0']);
    expect(web?.cells.slice(5)).toEqual(['10.0.1.77', expect.stringMatching(/\S/), '<none>', '<none>']);
    expect(web?.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'web', namespace: 'apps' },
    });
    expect(web?.object).not.toHaveProperty('spec');
    const crashing = table.rows.find((r) => r.cells[0] === 'crashing');
    expect(crashing?.cells.slice(1, 3)).toEqual(['0/1', 'CrashLoopBackOff']);
    expect(crashing?.cells[3]).toMatch(/^1 \(\d+s ago\)$/);
    const done = table.rows.find((r) => r.cells[0] === 'finished');
    expect(done?.cells.slice(1, 4)).toEqual(['0/1', 'Completed', '0']);
    expect(done?.conditions).toEqual([expect.objectContaining({ type: 'Completed', status: 'True' })]);
    expect(web).not.toHaveProperty('conditions');
    expect(table.rows.find((r) => r.cells[0] === 'init-fails')?.cells.slice(1, 3)).toEqual([
      '0/1',
      'Init:Error',
    ]);
  });

  it('serves v1beta1 Tables, honours includeObject, and falls back to JSON when no Table is acceptable first', async () => {
    const beta = (
      await get(cluster, token, '/api/v1/namespaces/apps/pods/web', `${TABLE_V1BETA1},application/json`)
    ).body as unknown as Table;
    expect(beta.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(beta.rows).toHaveLength(1);
    expect(beta.rows[0]?.object).toMatchObject({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1beta1',
    });

    const whole = (
      await get(cluster, token, '/api/v1/namespaces/apps/pods/web?includeObject=Object', TABLE_V1)
    ).body as unknown as Table;
    expect(whole.rows[0]?.object).toMatchObject({
      kind: 'Pod',
      apiVersion: 'v1',
      spec: { nodeName: expect.any(String) },
    });
    const none = (await get(cluster, token, '/api/v1/namespaces/apps/pods/web?includeObject=None', TABLE_V1))
      .body as unknown as Table;
    expect(none.rows[0]).not.toHaveProperty('object');
    expect(
      (await get(cluster, token, '/api/v1/namespaces/apps/pods?includeObject=All', TABLE_V1)).status,
    ).toBe(400);

    const plain = await get(
      cluster,
      token,
      '/api/v1/namespaces/apps/pods/web',
      `application/json,${TABLE_V1}`,
    );
    expect(plain.body.kind).toBe('Pod');
    const protobufFirst = await get(
      cluster,
      token,
      '/api/v1/namespaces/apps/pods',
      'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json',
    );
    expect(protobufFirst.body.kind).toBe('PodList');
    const unacceptable = await get(cluster, token, '/api/v1/namespaces/apps/pods', 'text/html');
    expect(unacceptable.status).toBe(406);
    expect(unacceptable.body.reason).toBe('NotAcceptable');
  });

  it('prints the default Name / Created At table for resources without a printer of their own', async () => {
    const made = await raw(cluster, token, 'POST', '/api/v1/namespaces/apps/configmaps', {
      metadata: { name: 'settings' },
      data: { mode: 'demo' },
    });
    expect(made.status).toBe(201);
    const table = (await get(cluster, token, '/api/v1/namespaces/apps/configmaps', KUBECTL_ACCEPT))
      .body as unknown as Table;
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Created At']);
    expect(table.rows.find((r) => r.cells[0] === 'settings')?.cells[1]).toBe(
      (made.json().metadata as Record<string, unknown>).creationTimestamp,
    );
  });

  describe('through the real kubectl', () => {
    const binary = findKubectl();
    let kubectl: Kubectl;
    beforeAll(() => {
      if (!binary) console.warn('skipping kubectl table tests: no kubectl binary on PATH or in /usr/bin');
      else kubectl = kubectlFor(binary, cluster, token);
    });
    afterAll(() => kubectl?.dispose());
    const run = async (...args: string[]) => {
      const result = await kubectl.run(...args);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      return parseTable(result.stdout);
    };

    (binary ? it : it.skip)(
      'kubectl get pods shows READY, STATUS, RESTARTS; -o wide adds IP and NODE',
      async () => {
        const pods = await run('get', 'pods', '-n', 'apps');
        expect(pods.header).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
        expect(pods.rows.find((r) => r.NAME === 'web')).toMatchObject({
          READY: '1/1',
          STATUS: 'Running',
          RESTARTS: '0',
        });
        expect(pods.rows.find((r) => r.NAME === 'crashing')).toMatchObject({
          READY: '0/1',
          STATUS: 'CrashLoopBackOff',
        });
        const wide = await run('get', 'pod', 'web', '-n', 'apps', '-o', 'wide');
        expect(wide.header).toEqual([
          'NAME',
          'READY',
          'STATUS',
          'RESTARTS',
          'AGE',
          'IP',
          'NODE',
          'NOMINATED NODE',
          'READINESS GATES',
        ]);
        expect(wide.rows).toEqual([
          expect.objectContaining({
            NAME: 'web',
            IP: '10.0.1.77',
            'NOMINATED NODE': '<none>',
            'READINESS GATES': '<none>',
          }),
        ]);
        expect(wide.rows[0]?.NODE).toMatch(/\S/);
      },
    );

    (binary ? it : it.skip)('kubectl get sa -A and get ns print SECRETS and STATUS', async () => {
      const accounts = await run('get', 'sa', '-A');
      expect(accounts.header).toEqual(['NAMESPACE', 'NAME', 'SECRETS', 'AGE']);
      expect(accounts.rows).toContainEqual(
        expect.objectContaining({ NAMESPACE: 'apps', NAME: 'default', SECRETS: '0' }),
      );
      const namespaces = await run('get', 'ns');
      expect(namespaces.header).toEqual(['NAME', 'STATUS', 'AGE']);
      expect(namespaces.rows).toContainEqual(expect.objectContaining({ NAME: 'apps', STATUS: 'Active' }));
    });

    (binary ? it : it.skip)(
      'kubectl get csr shows SIGNERNAME, REQUESTOR and CONDITION from Pending to Approved,Issued',
      async () => {
        const dns = 'web.apps.svc';
        const { csrPem } = await createCsr(dns, [dns]);
        const created = await raw(
          cluster,
          token,
          'POST',
          '/apis/certificates.k8s.io/v1/certificatesigningrequests',
          {
            metadata: { name: 'web-serving' },
            spec: {
              request: Buffer.from(csrPem).toString('base64'),
              signerName: 'beta.eks.amazonaws.com/app-serving',
              usages: ['digital signature', 'key encipherment', 'server auth'],
              expirationSeconds: 86400,
            },
          },
        );
        expect(created.status).toBe(201);
        const pending = await run('get', 'csr');
        expect(pending.header).toEqual([
          'NAME',
          'AGE',
          'SIGNERNAME',
          'REQUESTOR',
          'REQUESTEDDURATION',
          'CONDITION',
        ]);
        expect(pending.rows).toContainEqual(
          expect.objectContaining({
            NAME: 'web-serving',
            SIGNERNAME: 'beta.eks.amazonaws.com/app-serving',
            REQUESTOR: 'irsa-broker',
            REQUESTEDDURATION: '24h',
            CONDITION: 'Pending',
          }),
        );
        const csr = (
          await raw(
            cluster,
            token,
            'GET',
            '/apis/certificates.k8s.io/v1/certificatesigningrequests/web-serving',
          )
        ).json();
        const approval = await raw(
          cluster,
          token,
          'PUT',
          '/apis/certificates.k8s.io/v1/certificatesigningrequests/web-serving/approval',
          {
            ...csr,
            status: {
              conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'checked' }],
            },
          },
        );
        expect(approval.status).toBe(200);
        await cluster.settle();
        const issued = await run('get', 'csr', 'web-serving');
        expect(issued.rows[0]?.CONDITION).toBe('Approved,Issued');
      },
    );
  });
});
