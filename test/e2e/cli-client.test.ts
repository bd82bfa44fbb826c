// `irsa-broker` the command-line client, run as a child process against the whole local system: what a
// script gets (exit status, JSON) and what a person sees, in a pipe and under a pseudo-terminal.
import { execFileSync } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findBinary, irsaBrokerEnv, run, runIrsaBroker } from './cli-tools.js';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

const ESC = '\u001b';
const root = process.cwd();
const bin = join(root, 'lib/cli/bin.mjs');
const node22 = join(root, 'node_modules/.bin/node');

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

const env = (extra: Record<string, string> = {}) => irsaBrokerEnv(system.url, extra);
const cli = (args: string[], extra: Record<string, string> = {}) => runIrsaBroker(system.url, args, extra);

function bindArgs(overrides: Record<string, unknown> = {}): string[] {
  const request = bindingRequest(overrides);
  return [
    'bind',
    '--cluster',
    String(request.clusterName),
    '--region',
    String(request.region),
    '--namespace',
    String(request.namespace),
    '--service-account',
    String(request.serviceAccountName),
    ...(request.policyArns as string[]).flatMap((arn) => ['--policy-arn', arn]),
  ];
}

/** A port nothing listens on: one the system handed out and took back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Bindings the system holds, to show a refused command created none. */
async function bindingCount(): Promise<number> {
  const response = await fetch(`${system.url}/v1/bindings?limit=100`);
  return ((await response.json()) as { items: unknown[] }).items.length;
}

describe('irsa-broker against the local system', () => {
  it('bind follows the steps to SUCCEEDED, exits 0 and prints the role ARN and the identity', async () => {
    const result = await cli(bindArgs());

    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Not a terminal: one plain line per step state change, ending with the outcome.
    expect(result.stdout).toMatch(/^b-\S+ {2}PENDING$/m);
    expect(result.stdout).toMatch(/^DescribeCluster +SUCCEEDED +\d+\.\ds demo Kubernetes/m);
    expect(result.stdout).toMatch(/^VerifyIdentity +SUCCEEDED/m);
    expect(result.stdout).toMatch(/^SUCCEEDED {2}b-\S+$/m);
    expect(result.stdout).toMatch(/^role {6}arn:aws:iam::111122223333:role\/\S+$/m);
    expect(result.stdout).toMatch(/^identity {2}arn:aws:sts::111122223333:assumed-role\/\S+$/m);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('bind --output json prints only the final binding, parseable, SUCCEEDED', async () => {
    const result = await cli([...bindArgs(), '--output', 'json']);

    expect(result.code).toBe(0);
    const binding = JSON.parse(result.stdout) as { id: string; status: string; outputs: { roleArn: string } };
    expect(binding.status).toBe('SUCCEEDED');
    expect(binding.outputs.roleArn).toMatch(/^arn:aws:iam::111122223333:role\//);
    expect(await system.get(binding.id)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('a bad namespace is refused before sending: the field error, exit 2, nothing created', async () => {
    const before = await bindingCount();

    const result = await cli(bindArgs({ namespace: 'Bad_NS' }));

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('the request is invalid (nothing was sent)');
    expect(result.stderr).toMatch(/^ {2}namespace: namespace must be a DNS-1123 label.* \[--namespace\]$/m);
    expect(await bindingCount()).toBe(before);
  });

  it('a bind on a cluster that does not exist ends FAILED: exit 1 with the step, error code and message', async () => {
    const result = await cli(bindArgs({ clusterName: 'no-such-cluster' }));

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^FAILED at DescribeCluster: ClusterNotFound: .+/m);
    expect(result.stdout).toMatch(/^DescribeCluster +FAILED/m);
  });

  it('get, list, events and unbind print what a person reads; their JSON parses', async () => {
    const bound = JSON.parse((await cli([...bindArgs(), '--output', 'json'])).stdout) as {
      id: string;
      serviceAccountName: string;
    };

    const got = await cli(['get', bound.id]);
    expect(got.code).toBe(0);
    expect(got.stdout).toMatch(new RegExp(`^${bound.id} {2}SUCCEEDED$`, 'm'));
    expect(got.stdout).toMatch(
      new RegExp(`^ {2}service account {2}team-a/${bound.serviceAccountName}$`, 'm'),
    );
    expect(got.stdout).toMatch(/^ {2}✓ VerifyIdentity +SUCCEEDED/m);

    const listed = await cli(['list', '--cluster', 'demo', '--status', 'SUCCEEDED']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +STATUS +CLUSTER +NAMESPACE +SERVICE ACCOUNT +CREATED$/m);
    expect(listed.stdout).toMatch(
      new RegExp(`^${bound.id} +SUCCEEDED +demo +team-a +${bound.serviceAccountName} `, 'm'),
    );
    const page = JSON.parse((await cli(['list', '--limit', '1', '--output', 'json'])).stdout) as {
      items: unknown[];
      nextCursor: string | null;
    };
    expect(page.items).toHaveLength(1);
    expect(typeof page.nextCursor).toBe('string');
    const badFilter = await cli(['list', '--status', 'DONE']);
    expect(badFilter.code).toBe(2);
    expect(badFilter.stderr).toMatch(/^ {2}status: status must be one of PENDING, .* \[--status\]$/m);

    const events = await cli(['events', bound.id]);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/ anonymous +created → PENDING +created$/m);
    expect(events.stdout).toMatch(/ anonymous +PENDING +POST \/v1\/bindings → 202$/m);
    expect(events.stdout).toMatch(/RUNNING → SUCCEEDED/);

    const unbound = await cli(['unbind', bound.id]);
    expect(unbound.code).toBe(0);
    expect(unbound.stdout).toMatch(/^b-\S+ {2}DELETING$/m);
    expect(unbound.stdout).toMatch(/^DeleteRole +SUCCEEDED/m);
    expect(unbound.stdout).not.toContain('VerifyIdentity'); // the bind steps are history, not shown again
    expect(unbound.stdout).toMatch(new RegExp(`^DELETED {2}${bound.id}: `, 'm'));
    expect(await system.get(bound.id)).toMatchObject({ status: 'DELETED' });
  });

  it('bind --no-wait, then watch, update, verify follow their workflows; retry of a FAILED bind fails again', async () => {
    const started = await cli([...bindArgs(), '--no-wait', '--output', 'json']);
    expect(started.code).toBe(0);
    const { id, status } = JSON.parse(started.stdout) as { id: string; status: string };
    expect(status).toBe('PENDING');

    const watched = await cli(['watch', id]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`^SUCCEEDED {2}${id}$`, 'm'));

    const updated = await cli(['update', id, '--tag', 'team=payments', '--output', 'json']);
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ status: 'SUCCEEDED', tags: { team: 'payments' } });
    const nothingToChange = await cli(['update', id]);
    expect(nothingToChange.code).toBe(2);
    expect(nothingToChange.stderr).toContain('send at least one of policyArns, tags, maxSessionDuration');

    const verified = await cli(['verify', id]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^CheckDrift +SUCCEEDED/m);
    expect(verified.stdout).toMatch(/^drift {5}none \(checked /m);

    const failed = JSON.parse(
      (await cli([...bindArgs({ clusterName: 'gone' }), '--output', 'json'])).stdout,
    ) as { id: string; status: string };
    expect(failed.status).toBe('FAILED');
    const retried = await cli(['retry', failed.id]);
    expect(retried.code).toBe(1);
    expect(retried.stderr).toMatch(/^FAILED at DescribeCluster: ClusterNotFound: /m);
  });

  it('API refusals read as a person wants: an unknown id is a 404 problem, exit 3', async () => {
    const result = await cli(['get', 'b-doesnotexist']);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /^error: Not found \(404 NotFoundError\) on GET \/v1\/bindings\/b-doesnotexist$/m,
    );
  });

  it('nothing listening: names the URL and suggests npm start, exit 4', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;

    const result = await cli(['list'], { IRSA_BROKER_URL: url });

    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`cannot reach irsa-broker at ${url} (connection refused)`);
    expect(result.stderr).toContain('npm start');
  });

  it('npx irsa-broker resolves this package’s own bin and runs on Node 22', async () => {
    const result = await run('npx', ['--no-install', 'irsa-broker', '--help'], { env: env(), cwd: root });

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: irsa-broker <command>');
    const version = execFileSync('npx', ['--no-install', '-c', 'node --version'], {
      env: env(),
      cwd: root,
      encoding: 'utf8',
    });
    expect(version.trim()).toMatch(/^v22\./);
  });
});

const script = findBinary('script');
const tmux = script ? undefined : findBinary('tmux');
const describeInTerminal = script || tmux ? describe : describe.skip;
if (!script && !tmux)
  console.warn('neither script nor tmux is installed: the terminal session test is skipped');

describeInTerminal('irsa-broker bind in a terminal', () => {
  it('redraws the steps in place with a spinner and ends with every step’s state and the role ARN', async () => {
    const command = [node22, bin, ...bindArgs()].map((arg) => `'${arg}'`).join(' ');
    // A pseudo-terminal 120 columns wide: the client sees a TTY, as in a person's shell.
    const result = await run(
      script as string,
      ['-q', '-e', '-c', `stty cols 120 rows 40; ${command}`, '/dev/null'],
      {
        env: env(),
        cwd: root,
      },
    );
    const screen = result.stdout;

    expect(result.code).toBe(0);
    expect(screen).toContain('\u001b[?25l'); // cursor hidden while drawing
    expect(screen).toContain('\u001b[?25h'); // and shown again
    const ansi = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');
    const cursorUp = new RegExp(`${ESC}\\[\\d+A`, 'g');
    expect(screen).toMatch(new RegExp(`${ESC}\\[\\d+A`)); // cursor moved up: a redraw in place
    // The spinner while the workflow runs (colour removed), before the settled header.
    expect(screen.replace(ansi, '')).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] b-\S+ {2}(PENDING|RUNNING) {2}demo\/team-a\//m);
    expect(screen.replace(ansi, '')).toMatch(/^✓ b-\S+ {2}SUCCEEDED {2}demo\/team-a\//m);
    // The last frame drawn over the earlier ones, escape sequences removed: what stays on the screen.
    const lastRedraw = Math.max(...[...screen.matchAll(cursorUp)].map((match) => match.index));
    const plain = screen.slice(lastRedraw).replace(ansi, '');
    for (const step of [
      'DescribeCluster',
      'EnsureOidcProvider',
      'EnsureRole',
      'ApplyServiceAccount',
      'VerifyIdentity',
    ]) {
      expect(plain).toMatch(new RegExp(`✓ ${step} +SUCCEEDED`));
    }
    expect(plain).toMatch(/- (EnsureWebhook|ApproveCsr) +SKIPPED/);
    expect(plain).toMatch(/role {6}arn:aws:iam::111122223333:role\//);
    expect(plain).toMatch(/identity {2}arn:aws:sts::/);
  });
});
