// Rendering a binding's steps: terminal frames, plain change lines, the outcome; and following a
// binding with a fake API and a fake clock.
import { describe, expect, it } from '@jest/globals';
import type { Binding, BrokerApi } from '../../lib/cli/api-client.js';
import { bindingLines, eventLines } from '../../lib/cli/binding-text.js';
import { ApiProblemError } from '../../lib/cli/cli-errors.js';
import { type Clock, followBinding } from '../../lib/cli/follow-binding.js';
import {
  formatDuration,
  HIDE_CURSOR,
  outcomeLines,
  progressFrame,
  progressLines,
  redraw,
  SHOW_CURSOR,
  SPINNER,
} from '../../lib/cli/step-progress.js';

const T0 = Date.parse('2026-12-04T22:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function binding(overrides: Partial<Binding> = {}): Binding {
  return {
    id: 'b-01test',
    status: 'RUNNING',
    clusterName: 'demo',
    region: 'us-east-1',
    namespace: 'team-a',
    serviceAccountName: 'app',
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    createServiceAccount: true,
    verify: true,
    tags: {},
    roleName: 'irsa-demo-team-a-app',
    createdAt: at(0),
    updatedAt: at(0),
    createdBy: 'local-team-a',
    steps: [
      {
        name: 'DescribeCluster',
        status: 'SUCCEEDED',
        startedAt: at(0),
        finishedAt: at(400),
        detail: 'demo 1.31',
      },
      { name: 'EnsureRole', status: 'RUNNING', startedAt: at(500) },
      { name: 'VerifyIdentity', status: 'PENDING' },
    ],
    ...overrides,
  };
}

const succeeded = binding({
  status: 'SUCCEEDED',
  steps: [
    {
      name: 'DescribeCluster',
      status: 'SUCCEEDED',
      startedAt: at(0),
      finishedAt: at(400),
      detail: 'demo 1.31',
    },
    { name: 'EnsureRole', status: 'SUCCEEDED', startedAt: at(500), finishedAt: at(2500), detail: 'created' },
    { name: 'VerifyIdentity', status: 'SKIPPED' },
  ],
  outputs: {
    roleArn: 'arn:aws:iam::111122223333:role/irsa-demo-team-a-app',
    verification: {
      arn: 'arn:aws:sts::111122223333:assumed-role/irsa-demo-team-a-app/s',
      account: '1',
      userId: 'u',
    },
  },
});

describe('terminal frames', () => {
  it('shows each step with an icon, its state, elapsed time and detail; a spinner on the running one', () => {
    const frame = progressFrame(binding(), { now: T0 + 3700, tick: 3 });

    expect(frame).toEqual([
      `${SPINNER[3]} b-01test  RUNNING  demo/team-a/app`,
      `  ✓ DescribeCluster      SUCCEEDED    0.4s  demo 1.31`,
      `  ${SPINNER[3]} EnsureRole           RUNNING      3.2s`,
      '  · VerifyIdentity       PENDING',
    ]);
    // The spinner moves with the tick; a settled binding's header has its outcome instead.
    expect(progressFrame(binding(), { now: T0 + 3700, tick: 4 })[2]).toContain(SPINNER[4]);
    expect(progressFrame(succeeded, { now: T0, tick: 4 })[0]).toBe('✓ b-01test  SUCCEEDED  demo/team-a/app');
  });

  it('cuts rows to the terminal width so none wraps, and colours only the icon', () => {
    const frame = progressFrame(binding(), { now: T0 + 3700, tick: 0, columns: 30 });
    for (const row of frame) expect([...row].length).toBeLessThanOrEqual(30);
    expect(frame[1]).toBe('  ✓ DescribeCluster      SUCC…');

    const coloured = progressFrame(binding(), { now: T0 + 3700, tick: 0, color: true });
    expect(coloured[1]).toBe('  \u001b[32m✓\u001b[0m DescribeCluster      SUCCEEDED    0.4s  demo 1.31');
  });

  it('redraws in place: up over the previous rows, each row cleared, the rest below cleared', () => {
    expect(redraw(0, ['a', 'b'])).toBe('\u001b[2Ka\n\u001b[2Kb\n\u001b[J');
    expect(redraw(2, ['c'])).toBe('\u001b[2A\r\u001b[2Kc\n\u001b[J');
  });

  it('formats durations for people', () => {
    expect(formatDuration(420)).toBe('0.4s');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});

describe('plain lines', () => {
  it('prints a start before its steps and an end after them, one line per step state change, nothing for what stayed', () => {
    const first = binding();
    expect(progressLines(undefined, first, T0 + 1000)).toEqual([
      'b-01test  RUNNING',
      'DescribeCluster      SUCCEEDED    0.4s demo 1.31',
      'EnsureRole           RUNNING',
    ]);
    expect(progressLines(first, first, T0 + 2000)).toEqual([]);
    expect(progressLines(first, succeeded, T0 + 3000)).toEqual([
      'EnsureRole           SUCCEEDED    2.0s created',
      'VerifyIdentity       SKIPPED',
      'b-01test  SUCCEEDED',
    ]);
  });
});

describe('plain lines after a call that starts another workflow', () => {
  it("leaves out the first answer's finished steps, then lines up the longer unbind step names", () => {
    const deleting = { ...succeeded, status: 'DELETING' as const };
    expect(progressLines(undefined, deleting, T0, false)).toEqual(['b-01test  DELETING']);

    const unbinding = binding({
      status: 'DELETING',
      steps: [
        { name: 'DeleteTestPods', status: 'SKIPPED', startedAt: at(0), finishedAt: at(100) },
        { name: 'RemoveServiceAccountBinding', status: 'SUCCEEDED', startedAt: at(100), finishedAt: at(300) },
        { name: 'DeleteRole', status: 'RUNNING', startedAt: at(300) },
      ],
    });
    expect(progressLines(deleting, unbinding, T0 + 400, false)).toEqual([
      'DeleteTestPods              SKIPPED      0.1s',
      'RemoveServiceAccountBinding SUCCEEDED    0.2s',
      'DeleteRole                  RUNNING',
    ]);
  });
});

describe('outcome', () => {
  it('SUCCEEDED: the role ARN and the identity the test pod saw', () => {
    expect(outcomeLines(succeeded)).toEqual({
      out: [
        'SUCCEEDED  b-01test',
        'role      arn:aws:iam::111122223333:role/irsa-demo-team-a-app',
        'identity  arn:aws:sts::111122223333:assumed-role/irsa-demo-team-a-app/s',
      ],
      err: [],
    });
  });

  it('FAILED: the step, error code and message on stderr, and what to do next', () => {
    const failed = binding({
      status: 'FAILED',
      error: { step: 'EnsureRole', code: 'RoleConflict', message: 'role x exists and is not ours' },
    });
    expect(outcomeLines(failed)).toEqual({
      out: [],
      err: [
        'FAILED at EnsureRole: RoleConflict: role x exists and is not ours',
        'Retry it with irsa-broker retry b-01test, or remove it with irsa-broker unbind b-01test.',
      ],
    });
  });

  it('a drift check lists what differs', () => {
    const drifted = { ...succeeded, drift: [{ what: 'trustPolicy', expected: 'a', actual: 'b' }] };
    expect(outcomeLines(drifted).out).toContain('  trustPolicy: expected "a", found "b"');
  });
});

describe('get and events text', () => {
  it('get shows the binding, its role and its steps', () => {
    const lines = bindingLines(succeeded, T0 + 5000);
    expect(lines).toContain('  service account  team-a/app');
    expect(lines).toContain('  role             arn:aws:iam::111122223333:role/irsa-demo-team-a-app');
    expect(lines).toContain('  - VerifyIdentity       SKIPPED');
    expect(lines).toContain('  mode             auto');
    const chained = bindingLines(
      {
        ...succeeded,
        targetRoleArn: 'arn:aws:iam::444455556666:role/reader',
        outputs: { ...succeeded.outputs, mode: 'pod-identity' },
      },
      T0,
    );
    expect(chained).toContain(
      '  mode             pod-identity → target arn:aws:iam::444455556666:role/reader',
    );
  });

  it('events: a status change, and a call that changed nothing said once', () => {
    const lines = eventLines([
      { bindingId: 'b-1', at: at(0), actor: 'alice', from: null, to: 'PENDING', detail: 'created' },
      {
        bindingId: 'b-1',
        at: at(10),
        actor: 'alice',
        from: 'PENDING',
        to: 'PENDING',
        detail: 'POST /v1/bindings → 202',
        request: { method: 'POST', path: '/v1/bindings', requestId: 'r' },
        outcome: { status: 202 },
      },
    ]);
    expect(lines).toEqual([
      `${at(0)}  alice  created → PENDING  created`,
      `${at(10)}  alice  PENDING            POST /v1/bindings → 202`,
    ]);
  });
});

/** A clock that only moves when slept on. */
function fakeClock(): Clock & { slept: number } {
  let now = T0;
  return {
    slept: 0,
    now: () => now,
    async sleep(ms) {
      now += ms;
      this.slept += ms;
    },
  };
}

/** An API whose GET returns the given readings in turn (an Error is thrown). */
function readings(...items: (Binding | Error)[]): Pick<BrokerApi, 'getBinding'> & { reads: number } {
  const api = {
    reads: 0,
    async getBinding() {
      const item = items[Math.min(api.reads++, items.length - 1)] as Binding | Error;
      if (item instanceof Error) throw item;
      return item;
    },
  };
  return api;
}

describe('followBinding', () => {
  it('on a terminal: redraws frames with the spinner until SUCCEEDED, hiding and restoring the cursor', async () => {
    const written: string[] = [];
    const api = readings(binding(), succeeded);

    const final = await followBinding(
      binding({ status: 'PENDING' }),
      { api, clock: fakeClock(), screen: { isTTY: true, columns: 100, write: (text) => written.push(text) } },
      { pollMs: 500, frameMs: 100 },
    );

    expect(final.status).toBe('SUCCEEDED');
    expect(written[0]).toBe(HIDE_CURSOR);
    expect(written.at(-1)).toBe(SHOW_CURSOR);
    const frames = written.slice(1, -1);
    expect(frames.length).toBeGreaterThan(5); // redrawn between polls, not only on a change
    expect(frames.slice(1).every((frame) => frame.startsWith('\u001b[4A\r'))).toBe(true);
    const spinners = new Set(
      frames.map((frame) => SPINNER.find((glyph) => frame.includes(glyph))).filter(Boolean),
    );
    expect(spinners.size).toBeGreaterThan(1);
    expect(frames.at(-1)).toContain('EnsureRole           SUCCEEDED    2.0s');
  });

  it('not a terminal: only the changed lines; rides out a busy API; gives up on a lasting refusal', async () => {
    const written: string[] = [];
    const busy = new ApiProblemError(
      { type: 'urn:irsa-broker:problem:Throttled', title: 'Service busy', status: 503, detail: 'busy' },
      'GET /v1/bindings/b-01test',
    );
    const api = readings(busy, binding(), succeeded);

    const final = await followBinding(
      binding({ status: 'PENDING', steps: [] }),
      { api, clock: fakeClock(), screen: { isTTY: false, write: (text) => written.push(text) } },
      { pollMs: 500 },
    );

    expect(final.status).toBe('SUCCEEDED');
    expect(written.join('')).toBe(
      [
        'b-01test  PENDING',
        'b-01test  RUNNING',
        'DescribeCluster      SUCCEEDED    0.4s demo 1.31',
        'EnsureRole           RUNNING',
        'EnsureRole           SUCCEEDED    2.0s created',
        'VerifyIdentity       SKIPPED',
        'b-01test  SUCCEEDED',
        '',
      ].join('\n'),
    );

    const notFound = new ApiProblemError(
      { type: 'urn:irsa-broker:problem:NotFoundError', title: 'Not found', status: 404, detail: 'gone' },
      'GET /v1/bindings/b-01test',
    );
    await expect(followBinding(binding(), { api: readings(notFound), clock: fakeClock() })).rejects.toBe(
      notFound,
    );
  });
});
