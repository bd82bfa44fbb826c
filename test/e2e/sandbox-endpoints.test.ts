// The local-only /_sandbox endpoints of the running system, and `npm run token -- --sandbox` against them.
import { execFile } from 'node:child_process';
import { request } from 'node:https';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestSystem, type TestSystem } from './system.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${system.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** GET over HTTPS trusting only the cluster's own CA, as a Kubernetes client configured from DescribeCluster does. */
function getWithClusterCa(url: string, caData: string, token: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      url,
      { ca: Buffer.from(caData, 'base64').toString('utf8'), headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('/_sandbox endpoints of the local runtime', () => {
  it('lists the four clusters with their endpoints and CAs', async () => {
    const { status, json } = await call('GET', '/_sandbox/clusters');

    expect(status).toBe(200);
    const items = json.items as { name: string; version: string; endpoint: string; caData: string }[];
    expect(items.map((c) => [c.name, c.version])).toEqual([
      ['demo', '1.31'],
      ['legacy', '1.20'],
      ['bare', '1.30'],
      ['modern', '1.33'],
    ]);
    for (const cluster of items) {
      expect(cluster.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(Buffer.from(cluster.caData, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    }
  });

  it('sets fault rules, refuses invalid ones with a 400 naming the field, and reports them', async () => {
    const refused = await call('PUT', '/_sandbox/faults', { rules: [{ service: 'iam', kind: 'meteor' }] });
    expect(refused.status).toBe(400);
    expect(String(refused.json.detail)).toMatch(/rules\.0\.kind/);
    expect((await call('PUT', '/_sandbox/faults', 'not json')).status).toBe(400);

    const set = await call('PUT', '/_sandbox/faults', {
      seed: 7,
      rules: [{ service: 'iam', operation: 'CreateRole', kind: 'throttle', rate: 0.5 }],
    });
    expect(set.status).toBe(200);
    expect(await call('GET', '/_sandbox/faults')).toEqual({
      status: 200,
      json: {
        seed: 7,
        rules: [{ service: 'iam', operation: 'CreateRole', kind: 'throttle', rate: 0.5 }],
        injected: {},
      },
    });
    await call('PUT', '/_sandbox/faults', { rules: [] });
  });

  it('answers 404 naming the endpoints that exist', async () => {
    const { status, json } = await call('GET', '/_sandbox/nope');
    expect(status).toBe(404);
    expect(String(json.detail)).toContain('/_sandbox/clusters');
  });

  it('hands out broker credentials that `npm run token -- --sandbox` signs a working cluster token with', async () => {
    // Prepare
    const clusters = (await call('GET', '/_sandbox/clusters')).json.items as {
      name: string;
      endpoint: string;
      caData: string;
    }[];
    const demo = clusters.find((c) => c.name === 'demo');
    if (!demo) throw new Error('no demo cluster');

    // Act
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', 'scripts/eks-token.ts', '--cluster', 'demo', '--region', 'us-east-1', '--sandbox', system.url],
      { timeout: 60_000 },
    );
    const credential = JSON.parse(stdout) as { kind: string; status: { token: string } };
    const version = await getWithClusterCa(`${demo.endpoint}/version`, demo.caData, credential.status.token);
    const wrongCluster = await getWithClusterCa(
      `${clusters.find((c) => c.name === 'bare')?.endpoint}/version`,
      clusters.find((c) => c.name === 'bare')?.caData ?? '',
      credential.status.token,
    );

    // Assess
    expect(credential.kind).toBe('ExecCredential');
    expect(version.status).toBe(200);
    expect(JSON.parse(version.body)).toMatchObject({ major: '1', minor: expect.stringMatching(/^31\+?$/) }); // EKS says "31+"
    expect(wrongCluster.status).toBe(401); // a token names its cluster
  }, 90_000);

  it('counts the calls the system made, by service and operation', async () => {
    const { status, json } = await call('GET', '/_sandbox/calls');
    expect(status).toBe(200);
    expect(json['k8s:demo']).toMatchObject({ 'GET /version': expect.any(Number) });
  });
});
