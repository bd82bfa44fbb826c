// `npm run kubeconfig -- --cluster <name>` against a started system: the context it merges works with
// the real kubectl from another directory, other contexts survive, and its mistakes are explained.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { findBinary, isolatedEnv, run } from './cli-tools.js';
import { startTestSystem, type TestSystem } from './system.js';

const kubectl = findBinary('kubectl');
const describeWithKubectl = kubectl ? describe : describe.skip;
const SCRIPT = resolve('scripts/kubeconfig.ts');
const TSX = resolve('node_modules/tsx/dist/cli.mjs');

const OTHER = `apiVersion: v1
kind: Config
clusters:
  - name: other
    cluster:
      server: https://other.example.invalid
users:
  - name: other
    user:
      token: other-token
contexts:
  - name: other
    context:
      cluster: other
      user: other
current-context: other
`;

interface Kubeconfig {
  clusters: { name: string; cluster: { server: string; 'certificate-authority-data'?: string } }[];
  users: { name: string; user: Record<string, unknown> }[];
  contexts: { name: string }[];
  'current-context': string;
}

async function freePortWithNothingListening(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describeWithKubectl('npm run kubeconfig', () => {
  let system: TestSystem;
  let elsewhere: string;

  const script = (args: string[], env: Record<string, string>) =>
    run(process.execPath, [TSX, SCRIPT, ...args], { env, cwd: elsewhere, timeoutMs: 60_000 });

  beforeAll(async () => {
    system = await startTestSystem();
    elsewhere = mkdtempSync(join(tmpdir(), 'irsa-elsewhere-'));
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('merges a working context for demo into $KUBECONFIG, keeping the other context', async () => {
    // Prepare
    const env = isolatedEnv();
    writeFileSync(env.KUBECONFIG!, OTHER);
    const demo = system.cloud.describeClusters().find((c) => c.name === 'demo')!;

    // Act
    const first = await script(['--cluster', 'demo', '--sandbox', system.url], env);
    const again = await script(['--cluster', 'demo', '--sandbox', system.url], env);
    const config = parseYaml(readFileSync(env.KUBECONFIG!, 'utf8')) as Kubeconfig;
    const namespaces = await run(kubectl!, ['get', 'ns', '-o', 'name'], { env, cwd: elsewhere });
    const serviceAccounts = await run(kubectl!, ['get', 'sa', '-A', '-o', 'name'], { env, cwd: elsewhere });

    // Assess
    expect(first).toMatchObject({ code: 0, stdout: `Added new context ${demo.arn} in ${env.KUBECONFIG}\n` });
    expect(again).toMatchObject({ code: 0, stdout: `Updated context ${demo.arn} in ${env.KUBECONFIG}\n` });
    expect(config['current-context']).toBe(demo.arn);
    expect(config.contexts.map((c) => c.name)).toEqual(['other', demo.arn]);
    expect(config.users.find((u) => u.name === 'other')?.user).toEqual({ token: 'other-token' });
    expect(config.clusters).toEqual([
      { name: 'other', cluster: { server: 'https://other.example.invalid' } },
      {
        name: demo.arn,
        cluster: { server: demo.endpoint, 'certificate-authority-data': demo.certificateAuthorityData },
      },
    ]);
    expect(namespaces.stderr).toBe('');
    expect(namespaces.stdout.split('\n')).toEqual(
      expect.arrayContaining(['namespace/default', 'namespace/kube-system']),
    );
    expect(serviceAccounts.code).toBe(0);
    expect(serviceAccounts.stdout).toContain('serviceaccount/default');
  }, 120_000);

  it('writes to --kubeconfig when given, creating the file', async () => {
    const env = isolatedEnv();
    const target = join(env.HOME!, 'nested', 'config');

    const result = await script(['--cluster', 'bare', '--sandbox', system.url, '--kubeconfig', target], env);
    const version = await run(kubectl!, ['--kubeconfig', target, 'version', '-o', 'json'], {
      env,
      cwd: elsewhere,
    });

    expect(result.code).toBe(0);
    expect((parseYaml(readFileSync(target, 'utf8')) as Kubeconfig)['current-context']).toContain(
      ':cluster/bare',
    );
    expect(JSON.parse(version.stdout).serverVersion).toMatchObject({
      major: '1',
      minor: expect.stringMatching(/^30/),
    });
  }, 120_000);

  it('names the clusters there are when the cluster is unknown, and says to start npm start when nothing answers', async () => {
    const env = isolatedEnv();
    const port = await freePortWithNothingListening();

    const unknown = await script(['--cluster', 'prod', '--sandbox', system.url], env);
    const notRunning = await script(['--cluster', 'demo', '--sandbox', `http://127.0.0.1:${port}`], env);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      `No cluster "prod" in the sandbox at ${system.url}; it has: demo, legacy, bare, modern.`,
    );
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toContain('start the local system with `npm start`');
  }, 120_000);
});
