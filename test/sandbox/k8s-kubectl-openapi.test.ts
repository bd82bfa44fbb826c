// The real kubectl against a sandbox cluster's OpenAPI: client-side validated apply, unknown fields,
// server-side apply and explain, from /openapi/v3 (1.32) and from /openapi/v2 in protobuf (1.20).
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';
import { type Kubectl, kubectlFor } from './real-kubectl.js';

const KUBECTL = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
if (!KUBECTL) console.log('skipping the kubectl OpenAPI tests: no kubectl in /usr/bin or /usr/local/bin');
const describeWithKubectl = KUBECTL ? describe : describe.skip;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describeWithKubectl('sandbox cluster OpenAPI through the real kubectl', () => {
  let cluster: SandboxCluster;
  let dir: string;
  let token: string;

  const kubectl = (...args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL!,
        ['--kubeconfig', join(dir, 'config'), '--cache-dir', join(dir, 'cache'), ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const manifest = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    const sts = new FakeSts();
    cluster = await startCluster(sts, { version: '1.32' });
    token = await eksToken('demo');
    dir = mkdtempSync(join(tmpdir(), 'kubectl-openapi-'));
    const { endpoint, certificateAuthorityData } = cluster.description;
    writeFileSync(
      join(dir, 'config'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'demo',
            cluster: { server: endpoint, 'certificate-authority-data': certificateAuthorityData },
          },
        ],
        users: [{ name: 'tester', user: { token } }],
        contexts: [{ name: 'demo', context: { cluster: 'demo', user: 'tester', namespace: 'default' } }],
        'current-context': 'demo',
      }),
    );
  });
  afterAll(async () => {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a valid ServiceAccount with client-side validation on, then a change to it', async () => {
    const file = manifest(
      'sa.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/a\n',
    );
    const created = await kubectl('apply', '-f', file);
    expect(created).toMatchObject({ code: 0, stdout: 'serviceaccount/web created\n' });
    manifest(
      'sa.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/b\n',
    );
    const configured = await kubectl('apply', '-f', file);
    expect(configured).toMatchObject({ code: 0, stdout: 'serviceaccount/web configured\n' });
    const read = await kubectl('get', 'sa', 'web', '-o', 'jsonpath={.metadata.annotations}');
    expect(read.stdout).toContain('arn:aws:iam::111122223333:role/b');
  });

  it('applies a Deployment, then a changed image, through the patch kubectl computes from the schema', async () => {
    const deployment = (image: string) =>
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: ${image}\n`;
    const file = manifest('deploy.yaml', deployment('nginx:1.27'));
    expect(await kubectl('apply', '-f', file)).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/web created\n',
    });
    manifest('deploy.yaml', deployment('nginx:1.28'));
    expect(await kubectl('apply', '-f', file)).toMatchObject({
      code: 0,
      stdout: 'deployment.apps/web configured\n',
    });
    const image = await kubectl(
      'get',
      'deploy',
      'web',
      '-o',
      'jsonpath={.spec.template.spec.containers[*].image}',
    );
    expect(image.stdout).toBe('nginx:1.28');
  });

  it('reports an unknown field as kubectl does and stores nothing', async () => {
    const file = manifest(
      'bad.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bad\nautomountServiceAccountTokn: false\n',
    );
    const result = await kubectl('apply', '-f', file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown field "automountServiceAccountTokn"');
    expect((await kubectl('get', 'sa', 'bad')).stderr).toContain('NotFound');
  });

  it('reports an unknown nested field of a pod with its path', async () => {
    const file = manifest(
      'pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: busybox\n    imagePullPolice: Always\n',
    );
    const result = await kubectl('apply', '-f', file);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown field "spec.containers[0].imagePullPolice"');
  });

  it('with --validate=warn warns about an unknown field and drops it, as kube-apiserver does', async () => {
    const file = manifest(
      'warn.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: warned\nautomountServiceAccountTokn: false\n',
    );
    const result = await kubectl('apply', '--validate=warn', '-f', file);
    expect(result).toMatchObject({ code: 0, stdout: 'serviceaccount/warned created\n' });
    expect(result.stderr).toContain('Warning: unknown field "automountServiceAccountTokn"');
    const stored = await kubectl('get', 'sa', 'warned', '-o', 'json');
    expect(JSON.parse(stored.stdout)).not.toHaveProperty('automountServiceAccountTokn');
  });

  it('applies server-side, and refuses an undeclared field there too', async () => {
    const file = manifest('ssa.yaml', 'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ssa\n');
    const applied = await kubectl('apply', '--server-side', '-f', file);
    expect(applied).toMatchObject({ code: 0, stdout: 'serviceaccount/ssa serverside-applied\n' });
    const bad = manifest(
      'ssa-bad.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ssa2\nfoo: 1\n',
    );
    const refused = await kubectl('apply', '--server-side', '-f', bad);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('.foo: field not declared in schema');
  });

  it('explains a ServiceAccount and pod.spec.containers from the served schemas', async () => {
    const sa = await kubectl('explain', 'serviceaccount');
    expect(sa.code).toBe(0);
    expect(sa.stdout).toMatch(/KIND:\s+ServiceAccount/);
    expect(sa.stdout).toMatch(/VERSION:\s+v1/);
    expect(sa.stdout).toContain('automountServiceAccountToken\t<boolean>');
    const containers = await kubectl('explain', 'pod.spec.containers');
    expect(containers.code).toBe(0);
    expect(containers.stdout).toMatch(/FIELD:\s+containers <\[\]Container>/);
    expect(containers.stdout).toContain('imagePullPolicy\t<string>');
    expect(containers.stdout).toContain('Container image name.');
    const replicas = await kubectl('explain', 'deployment.spec.replicas');
    expect(replicas.stdout).toMatch(/FIELD:\s+replicas <integer>/);
  });

  it('serves the v3 index with hashed URLs for exactly the served group-versions, and v2 as JSON', async () => {
    const index = (await raw(cluster, token, 'GET', '/openapi/v3')).json() as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(index.paths).sort()).toEqual([
      'api/v1',
      'apis/admissionregistration.k8s.io/v1',
      'apis/apps/v1',
      'apis/certificates.k8s.io/v1',
      'apis/events.k8s.io/v1',
      'apis/rbac.authorization.k8s.io/v1',
    ]);
    const events = (
      await raw(cluster, token, 'GET', index.paths['apis/events.k8s.io/v1']!.serverRelativeURL)
    ).json() as {
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(events.components.schemas)).toContain('io.k8s.api.events.v1.Event');
    const url = index.paths['apis/apps/v1']!.serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const apps = await raw(cluster, token, 'GET', url);
    expect(apps.headers.get('cache-control')).toBe('public, immutable');
    const stale = await raw(cluster, token, 'GET', '/openapi/v3/apis/apps/v1?hash=0123');
    expect(stale.status).toBe(301);
    expect(stale.headers.get('location')).toBe(url);
    const schemas = (apps.json() as { components: { schemas: Record<string, Record<string, unknown>> } })
      .components.schemas;
    expect(schemas['io.k8s.api.apps.v1.Deployment']?.['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', kind: 'Deployment', version: 'v1' },
    ]);
    const v2 = await raw(cluster, token, 'GET', '/openapi/v2');
    expect(v2.status).toBe(200);
    expect(Object.keys((v2.json() as { definitions: object }).definitions)).toContain(
      'io.k8s.api.core.v1.ServiceAccount',
    );
    expect((await raw(cluster, undefined, 'GET', '/openapi/v3')).status).toBe(401);
    expect((await raw(cluster, token, 'GET', '/openapi/v3/apis/batch/v1')).status).toBe(404);
  });
});

describeWithKubectl('sandbox cluster OpenAPI v2 in protobuf through the real kubectl, on 1.20', () => {
  // kubectl 1.32 against a 1.20 server: /openapi/v3 is 404, so it validates from /openapi/v2, which it
  // asks for in protobuf only; 1.20 ignores fieldValidation, so the unknown-field check is kubectl's own.
  let cluster: SandboxCluster;
  let kubectl: Kubectl;
  let dir: string;
  const manifest = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts(), { version: '1.20' });
    kubectl = kubectlFor(KUBECTL!, cluster, await eksToken('demo'));
    dir = mkdtempSync(join(tmpdir(), 'kubectl-openapi-v2-'));
  });
  afterAll(async () => {
    kubectl.dispose();
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  });

  it('applies a valid ServiceAccount with client-side validation on', async () => {
    const file = manifest(
      'sa.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  namespace: default\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/a\n',
    );
    const created = await kubectl.run('apply', '-v=6', '-f', file);
    expect(created).toMatchObject({ code: 0, stdout: 'serviceaccount/web created\n' });
    expect(created.stderr).toMatch(/GET https:\/\/\S+\/openapi\/v2\S* 200 OK/);
  });

  it("refuses an unknown metadata field client-side with kubectl's own message, and stores nothing", async () => {
    const file = manifest(
      'bad-sa.yaml',
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bad\n  namespace: default\n  labelz: {app: web}\n',
    );
    const refused = await kubectl.run('apply', '-f', file);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      `error: error validating "${file}": error validating data: ValidationError(ServiceAccount.metadata): unknown field "labelz" in io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta; if you choose to ignore these errors, turn validation off with --validate=false`,
    );
    expect((await kubectl.run('get', 'sa', 'bad', '-n', 'default')).stderr).toContain('NotFound');
  });

  it('refuses an unknown container field with its path', async () => {
    const file = manifest(
      'pod.yaml',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\nspec:\n  containers:\n  - name: c\n    image: busybox\n    imagePullPolice: Always\n',
    );
    const refused = await kubectl.run('apply', '-f', file);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'error validating data: ValidationError(Pod.spec.containers[0]): unknown field "imagePullPolice" in io.k8s.api.core.v1.Container',
    );
  });

  it('explains a ServiceAccount from the v2 schemas', async () => {
    const explained = await kubectl.run('explain', 'serviceaccount');
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/KIND:\s+ServiceAccount/);
    expect(explained.stdout).toMatch(/VERSION:\s+v1/);
    expect(explained.stdout).toContain('automountServiceAccountToken\t<boolean>');
    expect(explained.stdout).toContain('AutomountServiceAccountToken indicates whether pods running');
    expect(explained.stdout).toContain('metadata\t<Object>');
    const field = await kubectl.run('explain', 'serviceaccount.metadata.labels');
    expect(field.stdout).toMatch(/FIELD:\s+labels <map\[string\]string>/);
  });
});

describe('sandbox cluster OpenAPI on Kubernetes 1.21', () => {
  it('serves no /openapi/v3 (on by default only from 1.24), v2 with its v1beta1 kinds, and ignores fieldValidation', async () => {
    const cluster = await startCluster(new FakeSts(), { version: '1.21' });
    try {
      const token = await eksToken('demo');
      expect((await raw(cluster, token, 'GET', '/openapi/v3')).status).toBe(404);
      const v2 = (await raw(cluster, token, 'GET', '/openapi/v2')).json() as {
        definitions: Record<string, Record<string, unknown>>;
        paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
      };
      expect(v2.definitions['io.k8s.api.certificates.v1beta1.CertificateSigningRequest']).toMatchObject({
        'x-kubernetes-group-version-kind': [
          { group: 'certificates.k8s.io', kind: 'CertificateSigningRequest', version: 'v1beta1' },
        ],
      });
      const patch = v2.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}']?.patch;
      expect(patch?.parameters?.map((p) => p.name)).not.toContain('fieldValidation');
      const created = await raw(
        cluster,
        token,
        'POST',
        '/api/v1/namespaces/default/serviceaccounts?fieldValidation=Strict',
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'old' }, foo: 1 },
      );
      expect(created.status).toBe(201);
      expect(created.headers.get('warning')).toBeNull();
      expect(created.json()).not.toHaveProperty('foo');
    } finally {
      await cluster.stop();
    }
  });
});
