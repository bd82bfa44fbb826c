// Start-up recovery of the local runtime: bindings an earlier process left in flight end FAILED/Interrupted.
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { failInterruptedBindings, RECOVERY_ACTOR } from '../../lib/local/interrupted-bindings.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const NOW = new Date('2026-02-01T10:00:00.000Z');

function withStatus(id: string, status: Binding['status'], runningStep?: string): Binding {
  const binding = pendingBinding({ id, serviceAccountName: id });
  binding.status = status;
  binding.steps = binding.steps.map((s, i) =>
    s.name === runningStep
      ? { ...s, status: 'RUNNING', startedAt: '2026-02-01T09:59:00.000Z' }
      : i === 0 && runningStep
        ? { ...s, status: 'SUCCEEDED' }
        : s,
  );
  return binding;
}

describe('failInterruptedBindings', () => {
  it('fails RUNNING and PENDING bindings that have no execution, naming the step they stopped in', async () => {
    const store = new InMemoryBindingStore(
      withStatus('b-running', 'RUNNING', 'EnsureRole'),
      withStatus('b-pending', 'PENDING'),
      withStatus('b-done', 'SUCCEEDED'),
    );

    const failed = await failInterruptedBindings({ store, hasExecution: () => false, now: () => NOW });

    expect(failed.sort()).toEqual(['b-pending', 'b-running']);
    const running = await store.get('b-running');
    expect(running?.status).toBe('FAILED');
    expect(running?.error).toMatchObject({ step: 'EnsureRole', code: 'Interrupted' });
    expect(running?.steps.find((s) => s.name === 'EnsureRole')).toMatchObject({
      status: 'FAILED',
      startedAt: '2026-02-01T09:59:00.000Z',
      finishedAt: NOW.toISOString(),
    });
    const pending = await store.get('b-pending');
    expect(pending?.error).toMatchObject({ step: 'DescribeCluster', code: 'Interrupted' });
    expect((await store.get('b-done'))?.status).toBe('SUCCEEDED');
    expect(store.events.map((e) => [e.bindingId, e.from, e.to, e.actor])).toEqual(
      expect.arrayContaining([
        ['b-running', 'RUNNING', 'FAILED', RECOVERY_ACTOR],
        ['b-pending', 'PENDING', 'FAILED', RECOVERY_ACTOR],
      ]),
    );
  });

  it('leaves bindings alone whose execution still runs in this process', async () => {
    const store = new InMemoryBindingStore(withStatus('b-live', 'RUNNING', 'VerifyIdentity'));

    const failed = await failInterruptedBindings({
      store,
      hasExecution: (id) => id === 'b-live',
      now: () => NOW,
    });

    expect(failed).toEqual([]);
    expect((await store.get('b-live'))?.status).toBe('RUNNING');
    expect(store.events).toEqual([]);
  });
});
