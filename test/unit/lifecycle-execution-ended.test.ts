// The execution monitor: a workflow execution that ended FAILED, TIMED_OUT or ABORTED without recording
// its outcome closes its binding FAILED; an outcome already recorded, another run's late event or an event
// that names no binding change nothing.
import { describe, expect, it } from '@jest/globals';
import { endedExecutionOf, executionEndedHandler } from '../../lib/composition/execution-ended-handler.js';
import type { Binding, BindingStatus } from '../../lib/domain/binding.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const NOW = new Date('2026-01-01T00:10:00.000Z');
const clock = { now: () => NOW };
const started = Date.parse('2026-01-01T00:00:01.000Z');

function world(status: BindingStatus, overrides: Partial<Binding> = {}) {
  const binding: Binding = {
    ...pendingBinding({ id: 'b-01kabcdefghjkmnpqrstvwxyz0' }),
    status,
    ...overrides,
  };
  const store = new InMemoryBindingStore(binding);
  const lines: string[] = [];
  const handler = executionEndedHandler({ store, clock, log: (line) => lines.push(line) });
  return { binding, store, handler, lines };
}

/** The EventBridge event Step Functions sends when an execution ends. */
function statusChange(binding: Binding, status: string, extra: Record<string, unknown> = {}) {
  return {
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: {
      name: binding.id,
      status,
      startDate: started,
      input: JSON.stringify({ bindingId: binding.id }),
      error: null,
      cause: null,
      ...extra,
    },
  };
}

describe('execution monitor', () => {
  it('closes a RUNNING binding FAILED at the step it stopped in, naming the execution', async () => {
    const { binding, store, handler, lines } = world('RUNNING');
    await store.recordStep(binding.id, {
      name: 'EnsureRole',
      status: 'RUNNING',
      startedAt: '2026-01-01T00:00:02.000Z',
    });

    const result = await handler(
      statusChange(binding, 'FAILED', { error: 'States.Runtime', cause: 'bad path' }),
    );

    expect(result).toEqual({
      bindingId: binding.id,
      action: 'closed',
      reason: 'RUNNING → FAILED ExecutionFailed',
    });
    const closed = await store.get(binding.id);
    expect(closed).toMatchObject({
      status: 'FAILED',
      error: { step: 'EnsureRole', code: 'ExecutionFailed' },
    });
    expect(closed?.error?.message).toMatch(
      /ended FAILED \(States\.Runtime: bad path\) before it recorded an outcome/,
    );
    expect(closed?.steps.find((s) => s.name === 'EnsureRole')).toMatchObject({
      status: 'FAILED',
      finishedAt: NOW.toISOString(),
    });
    expect(store.events.at(-1)).toMatchObject({ actor: 'execution-monitor', from: 'RUNNING', to: 'FAILED' });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
      executionEnded: { execution: binding.id, status: 'FAILED', action: 'closed' },
    });
  });

  it.each([
    ['TIMED_OUT', 'PENDING', 'ExecutionTimedOut'],
    ['ABORTED', 'DELETING', 'ExecutionAborted'],
  ] as const)('closes a %s execution of a %s binding with code %s', async (status, from, code) => {
    const { binding, store, handler } = world(from);
    await handler(statusChange(binding, status));
    expect(await store.get(binding.id)).toMatchObject({
      status: 'FAILED',
      error: { step: 'Workflow', code },
    });
  });

  it.each(['SUCCEEDED', 'FAILED', 'DELETED'] as const)(
    'leaves a binding whose workflow recorded its outcome (%s) as it is',
    async (status) => {
      const { binding, store, handler } = world(status);
      const result = await handler(statusChange(binding, 'FAILED'));
      expect(result.action).toBe('ignored');
      expect((await store.get(binding.id))?.status).toBe(status);
      expect(store.events).toEqual([]);
    },
  );

  it("ignores an earlier run's late event: the current run began after that execution started", async () => {
    const { binding, store, handler } = world('FAILED');
    await store.transition(binding.id, {
      from: ['FAILED'],
      to: 'PENDING',
      actor: 'alice',
      at: '2026-01-01T00:05:00.000Z',
      detail: 'retry',
    });

    const result = await handler(statusChange(binding, 'FAILED'));

    expect(result).toMatchObject({ action: 'ignored', reason: expect.stringMatching(/earlier run/) });
    expect((await store.get(binding.id))?.status).toBe('PENDING');
  });

  it('ignores events that are not a failed end or name no binding', async () => {
    const { binding, store, handler } = world('RUNNING');
    expect(endedExecutionOf(statusChange(binding, 'SUCCEEDED'))).toBeUndefined();
    expect(endedExecutionOf({ detail: { name: 'x', status: 'FAILED' } })).toBeUndefined();
    expect((await handler(statusChange(binding, 'RUNNING'))).action).toBe('ignored');
    expect((await handler(statusChange(binding, 'FAILED', { input: '{"other":1}' }))).action).toBe('ignored');
    expect((await handler(statusChange(binding, 'FAILED', { input: 'not json' }))).action).toBe('ignored');
    expect((await store.get(binding.id))?.status).toBe('RUNNING');
  });
});
