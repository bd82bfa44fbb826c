// GET .../pods/<name>/log as the API server and the kubelet serve it: container choice, tailLines,
// timestamps (the times the lines were printed), limitBytes, sinceTime, previous, follow (a stream that
// ends when the container exits), first over raw HTTPS, then through the real kubectl.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rfc3339Nano } from '../../lib/sandbox/k8s/container-logs.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { ACCOUNT, eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';
import { findKubectl, type Kubectl, kubectlFor } from './real-kubectl.js';

const CLI = 'amazon/aws-cli:2.22.0';
// What `aws sts get-caller-identity` prints on the node's instance role (FakeSts).
const NODE_IDENTITY = `${JSON.stringify(
  {
    UserId: 'AROAEXAMPLENODEROLE01:i-0123456789abcdef0',
    Account: ACCOUNT,
    Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/demo-node-role/i-0123456789abcdef0`,
  },
  null,
  4,
)}\n`;
const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*[1-9])?Z) (.*)$/;

describe('sandbox EKS: pod logs', () => {
  let cluster: SandboxCluster;
  let token: string;
  let createdAt: number;

  const log = (pod: string, query = '') =>
    raw(cluster, token, 'GET', `/api/v1/namespaces/apps/pods/${pod}/log${query}`);
  const phase = async (pod: string) =>
    (
      (await raw(cluster, token, 'GET', `/api/v1/namespaces/apps/pods/${pod}`)).json().status as {
        phase: string;
      }
    ).phase;
  const createPod = (name: string, spec: Record<string, unknown>) =>
    raw(cluster, token, 'POST', '/api/v1/namespaces/apps/pods', {
      metadata: { name },
      spec: { restartPolicy: 'Never', ...spec },
    });
  /** A pod printing the caller identity, then running for `seconds` before it exits. */
  const sleeper = (name: string, seconds: number) =>
    createPod(name, {
      containers: [
        { name: 'cli', image: CLI, command: ['sh', '-c', `aws sts get-caller-identity && sleep ${seconds}`] },
      ],
    });

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts());
    token = await eksToken('demo');
    await raw(cluster, token, 'POST', '/api/v1/namespaces', { metadata: { name: 'apps' } });
    createdAt = Date.now();
    await createPod('done', {
      containers: [{ name: 'cli', image: CLI, args: ['sts', 'get-caller-identity'] }],
    });
    await createPod('two', {
      initContainers: [{ name: 'init', image: 'busybox:1.36' }],
      containers: [
        { name: 'a', image: CLI, args: ['sts', 'get-caller-identity'] },
        { name: 'b', image: 'nginx:1.27' },
      ],
    });
    await cluster.settle();
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('serves a finished container its log; a pod of several containers needs one named', async () => {
    expect(await phase('done')).toBe('Succeeded');
    expect((await log('done')).text).toBe(NODE_IDENTITY);
    const unnamed = await log('two');
    expect(unnamed.status).toBe(400);
    expect(unnamed.json()).toMatchObject({
      reason: 'BadRequest',
      message:
        'a container name must be specified for pod two, choose one of: [a b] or one of the init containers: [init]',
    });
    expect((await log('two', '?container=a')).text).toBe(NODE_IDENTITY);
    expect(await log('two', '?container=b')).toMatchObject({ status: 200, text: '' });
    expect(await log('two', '?container=init')).toMatchObject({ status: 200, text: '' });
    const other = await log('two', '?container=c');
    expect(other.status).toBe(400);
    expect(other.json().message).toBe('container c is not valid for pod two');
  });

  it('keeps the last lines with tailLines and the first bytes with limitBytes', async () => {
    expect((await log('done', '?tailLines=2')).text).toBe(
      `    "Arn": "arn:aws:sts::${ACCOUNT}:assumed-role/demo-node-role/i-0123456789abcdef0"\n}\n`,
    );
    expect((await log('done', '?tailLines=0')).text).toBe('');
    expect((await log('done', '?tailLines=100')).text).toBe(NODE_IDENTITY);
    expect((await log('done', '?limitBytes=6')).text).toBe('{\n    ');
    expect((await log('done', '?tailLines=1&limitBytes=100')).text).toBe('}\n');
  });

  it('prefixes each line with the RFC 3339 time it was printed, as the kubelet does with timestamps=true', async () => {
    const stamped = (await log('done', '?timestamps=true')).text;
    const lines = stamped.trimEnd().split('\n');
    expect(lines).toHaveLength(NODE_IDENTITY.trimEnd().split('\n').length);
    const parsed = lines.map((line) => TIMESTAMPED.exec(line));
    expect(parsed.every(Boolean)).toBe(true);
    expect(parsed.map((m) => m?.[2]).join('\n')).toBe(NODE_IDENTITY.trimEnd());
    const at = Date.parse(parsed[0]?.[1] ?? '');
    expect(at).toBeGreaterThanOrEqual(createdAt - 1);
    expect(at).toBeLessThanOrEqual(Date.now());
    // limitBytes counts what is sent, timestamps included.
    expect((await log('done', '?timestamps=true&limitBytes=10')).text).toBe(stamped.slice(0, 10));
  });

  it('formats timestamps as Go’s RFC3339Nano: no trailing zeros in the fraction, none when it is zero', () => {
    expect(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 120))).toBe('2026-01-02T03:04:05.12Z');
    expect(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe('2026-01-02T03:04:05.007Z');
    expect(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 0))).toBe('2026-01-02T03:04:05Z');
  });

  it('leaves out lines printed before sinceTime', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await log('done', `?sinceTime=${future}`)).text).toBe('');
    expect((await log('done', `?sinceTime=${new Date(createdAt - 1000).toISOString()}`)).text).toBe(
      NODE_IDENTITY,
    );
  });

  it('answers previous=true as the kubelet does for a container that never restarted', async () => {
    const previous = await log('done', '?previous=true');
    expect(previous.status).toBe(400);
    expect(previous.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'previous terminated container "cli" in pod "done" not found',
    });
  });

  it('serves previous=true for a container in CrashLoopBackOff: its last run printed the log', async () => {
    await createPod('crashing', {
      restartPolicy: 'Always',
      containers: [{ name: 'cli', image: CLI, args: ['sts', 'get-caller-identity'] }],
    });
    await cluster.settle();
    const status = (await raw(cluster, token, 'GET', '/api/v1/namespaces/apps/pods/crashing')).json()
      .status as { containerStatuses: { state: { waiting?: { reason: string } } }[] };
    expect(status.containerStatuses[0]?.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(await log('crashing', '?previous=true')).toMatchObject({ status: 200, text: NODE_IDENTITY });
    expect(await log('crashing')).toMatchObject({ status: 200, text: NODE_IDENTITY });
  });

  it('refuses options out of range as Invalid PodLogOptions', async () => {
    const negative = await log('done', '?tailLines=-1');
    expect(negative.status).toBe(422);
    expect(negative.json().message).toBe(
      'PodLogOptions "done" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0',
    );
    const zero = await log('done', '?limitBytes=0');
    expect(zero.status).toBe(422);
    expect(zero.json().message).toBe(
      'PodLogOptions "done" is invalid: limitBytes: Invalid value: 0: must be greater than 0',
    );
  });

  it('follows a finished container to the end of its log at once', async () => {
    const followed = await log('done', '?follow=true');
    expect(followed).toMatchObject({ status: 200, text: NODE_IDENTITY });
  });

  /** GET .../log?follow=true read as it arrives: when the first chunk came, when it ended, what it said. */
  const follow = (pod: string, query = '', onFirstChunk?: () => void) => {
    const { endpoint, certificateAuthorityData } = cluster.description;
    const started = Date.now();
    return new Promise<{ firstChunkAfter: number; endedAfter: number; text: string }>((resolve, reject) => {
      const req = request(
        new URL(`/api/v1/namespaces/apps/pods/${pod}/log?follow=true${query}`, endpoint),
        {
          ca: Buffer.from(certificateAuthorityData, 'base64').toString('utf8'),
          headers: { authorization: `Bearer ${token}` },
        },
        (res) => {
          let body = '';
          let first = -1;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (first < 0) {
              first = Date.now() - started;
              onFirstChunk?.();
            }
            body += chunk;
          });
          res.on('end', () =>
            resolve({ firstChunkAfter: first, endedAfter: Date.now() - started, text: body }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  };

  it('streams a running container with follow=true: lines at once, the end when the container exits', async () => {
    await sleeper('streaming', 2);
    await cluster.settle();
    expect(await phase('streaming')).toBe('Running');
    const { firstChunkAfter, endedAfter, text } = await follow('streaming', '&timestamps=true');
    expect(firstChunkAfter).toBeGreaterThanOrEqual(0);
    expect(firstChunkAfter).toBeLessThan(1500);
    expect(endedAfter).toBeGreaterThan(firstChunkAfter + 500);
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => TIMESTAMPED.exec(line)?.[2])
        .join('\n'),
    ).toBe(NODE_IDENTITY.trimEnd());
    expect(await phase('streaming')).toBe('Succeeded');
  });

  it('ends a follow=true stream when the pod is deleted (the kubelet kills the container)', async () => {
    await sleeper('deleted', 3600);
    await cluster.settle();
    const deleteIt = () => void raw(cluster, token, 'DELETE', '/api/v1/namespaces/apps/pods/deleted');
    const { endedAfter, text } = await follow('deleted', '&tailLines=1', deleteIt);
    expect(text).toBe('}\n');
    expect(endedAfter).toBeLessThan(5000);
  });

  it('keeps the lines of the last sinceSeconds', async () => {
    expect((await log('done', '?sinceSeconds=3600')).text).toBe(NODE_IDENTITY);
    const invalid = await log('done', '?sinceSeconds=0');
    expect(invalid.status).toBe(422);
    expect(invalid.json().message).toBe(
      'PodLogOptions "done" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0',
    );
  });

  it('comes back from a snapshot with its lines and times, and from an older one holding plain text', async () => {
    const snapshot = cluster.snapshot() as { logs: Record<string, Record<string, unknown>> };
    const stamped = (await log('done', '?timestamps=true')).text;
    const again = await startCluster(new FakeSts(), { restoreFrom: structuredClone(snapshot) });
    try {
      const after = await raw(again, token, 'GET', '/api/v1/namespaces/apps/pods/done/log?timestamps=true');
      expect(after.text).toBe(stamped);
      // Before timestamps, a state file kept each container's log as one string.
      const legacy = structuredClone(snapshot);
      for (const byContainer of Object.values(legacy.logs))
        for (const name of Object.keys(byContainer)) byContainer[name] = NODE_IDENTITY;
      const old = await startCluster(new FakeSts(), { restoreFrom: legacy });
      try {
        const plain = await raw(old, token, 'GET', '/api/v1/namespaces/apps/pods/done/log');
        expect(plain).toMatchObject({ status: 200, text: NODE_IDENTITY });
      } finally {
        await old.stop();
      }
    } finally {
      await again.stop();
    }
  });

  describe('through the real kubectl', () => {
    const binary = findKubectl();
    let kubectl: Kubectl;
    beforeAll(() => {
      if (!binary) console.warn('skipping kubectl logs tests: no kubectl binary on PATH or in /usr/bin');
      else kubectl = kubectlFor(binary, cluster, token);
    });
    afterAll(() => kubectl?.dispose());
    const run = (...args: string[]) => kubectl.run('logs', '-n', 'apps', ...args);

    (binary ? it : it.skip)(
      'kubectl logs prints the log; -c picks a container; without -c it defaults to the first',
      async () => {
        expect(await run('done')).toMatchObject({ code: 0, stdout: NODE_IDENTITY, stderr: '' });
        expect(await run('two', '-c', 'a')).toMatchObject({ code: 0, stdout: NODE_IDENTITY, stderr: '' });
        expect(await run('two', '-c', 'b')).toMatchObject({ code: 0, stdout: '', stderr: '' });
        const defaulted = await run('two');
        expect(defaulted).toMatchObject({ code: 0, stdout: NODE_IDENTITY });
        expect(defaulted.stderr).toContain('Defaulted container "a" out of: a, b, init (init)');
      },
    );

    (binary ? it : it.skip)('kubectl logs --tail=1 and --timestamps', async () => {
      expect(await run('done', '--tail=1')).toMatchObject({ code: 0, stdout: '}\n' });
      const stamped = await run('done', '--timestamps');
      expect(stamped.code).toBe(0);
      const lines = stamped.stdout.trimEnd().split('\n');
      expect(lines.map((line) => TIMESTAMPED.exec(line)?.[2]).join('\n')).toBe(NODE_IDENTITY.trimEnd());
      expect((await run('done', '--timestamps', '--tail=1')).stdout).toMatch(/^\S+Z }\n$/);
    });

    (binary ? it : it.skip)('kubectl logs --limit-bytes and --since', async () => {
      expect(await run('done', '--limit-bytes=1')).toMatchObject({ code: 0, stdout: '{' });
      expect(await run('done', '--since=1h')).toMatchObject({ code: 0, stdout: NODE_IDENTITY });
      const future = new Date(Date.now() + 60_000).toISOString();
      expect(await run('done', `--since-time=${future}`)).toMatchObject({ code: 0, stdout: '' });
    });

    (binary ? it : it.skip)(
      'kubectl logs -f on a running pod returns once the container exits, with its lines',
      async () => {
        await sleeper('follow-me', 3);
        await cluster.settle();
        expect(await phase('follow-me')).toBe('Running');
        const started = Date.now();
        const followed = await run('-f', 'follow-me');
        const took = Date.now() - started;
        expect(followed).toMatchObject({ code: 0, stdout: NODE_IDENTITY, stderr: '' });
        expect(took).toBeGreaterThan(1000);
        expect(await phase('follow-me')).toBe('Succeeded');
      },
    );

    (binary ? it : it.skip)('kubectl logs --previous says no previous terminated container', async () => {
      const previous = await run('done', '--previous');
      expect(previous.code).not.toBe(0);
      expect(previous.stdout).toBe('');
      expect(previous.stderr).toBe(
        'Error from server (BadRequest): previous terminated container "cli" in pod "done" not found\n',
      );
    });
  });
});
