// Crash: `npm start`'s process is killed with SIGKILL while workflows run, then started again on the
// same data folder. No binding is lost; each one that was in flight is FAILED with code Interrupted
// (the local state machine keeps executions in memory) and a retry takes it to SUCCEEDED. Every status
// change is published as an event once de-duplicated, none lost across the kill.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { type BindingView, bindingRequest } from '../e2e/system.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The example tokens file's admin: whatever the access policy, it may bind anywhere.
const AUTH = { authorization: 'Bearer local-admin' };

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const children = new Set<ChildProcess>();

/** `npm start` without npm in between, so the signal reaches the runtime's own process. */
async function startLocal(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`npm start did not come up in 180 s:\n${output}`)),
      180_000,
    );
    const check = () => {
      const match = /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before serving:\n${output}`));
    });
  });
  return { child, url, output: () => output };
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

async function get(url: string, id: string): Promise<BindingView> {
  const response = await fetch(`${url}/v1/bindings/${id}`, { headers: AUTH });
  if (response.status !== 200) throw new Error(`GET ${id} → ${response.status}: ${await response.text()}`);
  return (await response.json()) as BindingView;
}

async function waitFor(url: string, id: string, done: (b: BindingView) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const binding = await get(url, id);
    if (done(binding)) return binding;
    if (Date.now() > deadline) throw new Error(`binding ${id} did not finish: ${JSON.stringify(binding)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const finished = (b: BindingView) => b.status === 'SUCCEEDED' || b.status === 'FAILED';
let dataDir: string | undefined;

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited(child);
    }
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('crash of the local runtime', () => {
  it('loses no binding; in-flight ones end FAILED/Interrupted and a retry takes them to SUCCEEDED', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'irsa-crash-'));
    const first = await startLocal(dataDir);
    const requests = Array.from({ length: 8 }, (_, i) =>
      bindingRequest({ namespace: 'crash', serviceAccountName: `crash-${i}` }),
    );
    const ids = await Promise.all(
      requests.map(async (request, i) => {
        const response = await fetch(`${first.url}/v1/bindings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `crash-${i}`, ...AUTH },
          body: JSON.stringify(request),
        });
        const body = (await response.json()) as BindingView;
        expect(response.status).toBe(202);
        return body.id;
      }),
    );
    // Mid-workflow: at least one binding has a step behind it and none has finished.
    await waitFor(first.url, ids[0] ?? '', (b) => b.steps.some((s) => s.status === 'SUCCEEDED'), 60_000);

    first.child.kill('SIGKILL');
    await exited(first.child);
    // The orphan guard's watchdog stops DynamoDB Local within a few seconds; its files must be free.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const second = await startLocal(dataDir);

    const after = await Promise.all(ids.map((id) => get(second.url, id)));
    expect(after.map((b) => b.id)).toEqual(ids);
    for (const binding of after) {
      expect(binding.status === 'SUCCEEDED' || binding.error?.code === 'Interrupted').toBe(true);
    }
    const interrupted = after.filter((b) => b.status === 'FAILED');
    expect(interrupted.length).toBeGreaterThan(0);
    expect(interrupted.every((b) => b.error?.code === 'Interrupted')).toBe(true);

    for (const binding of interrupted) {
      const retried = await fetch(`${second.url}/v1/bindings/${binding.id}/retry`, {
        method: 'POST',
        headers: AUTH,
      });
      expect([retried.status, await retried.text()]).toEqual([202, expect.any(String)]);
    }
    const done = await Promise.all(interrupted.map((b) => waitFor(second.url, b.id, finished, 180_000)));
    expect(done.filter((b) => b.status !== 'SUCCEEDED').map((b) => b.error)).toEqual([]);

    // Every status change stored, before and after the kill, was published; de-duplicated by event id,
    // each binding's events are exactly its status changes, in order.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const published = await fetch(`${second.url}/_sandbox/events?source=irsa-broker`);
    const { items } = (await published.json()) as {
      items: {
        event: { detail: { id: string; eventId: string; previousStatus: string | null; status: string } };
      }[];
    };
    for (const id of ids) {
      const seen = new Set<string>();
      const changes = items
        .map((item) => item.event.detail)
        .filter((detail) => detail.id === id && !seen.has(detail.eventId) && seen.add(detail.eventId))
        .map((detail) => [detail.previousStatus, detail.status]);
      const audit = await fetch(`${second.url}/v1/bindings/${id}/events`, { headers: AUTH });
      const trail = (
        (await audit.json()) as { items: { from: string | null; to: string; request?: unknown }[] }
      ).items;
      const stored = trail.filter((e) => e.request === undefined).map((e) => [e.from, e.to]);
      expect({ id, changes }).toEqual({ id, changes: stored });
    }

    second.child.kill('SIGTERM');
    await exited(second.child);
  }, 600_000);
});
