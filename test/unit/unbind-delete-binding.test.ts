// DELETE /v1/bindings/{id} as a use case over the in-memory store: which statuses it accepts, the unbind
// execution it starts, and what it leaves when the start fails.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Binding, BindingStatus } from '../../lib/domain/binding.js';
import {
  NotFoundError,
  StatusConflictError,
  TransientError,
  WorkflowStartFailedError,
} from '../../lib/domain/errors.js';
import { bindingIdFrom } from '../../lib/domain/names.js';
import { deleteBinding } from '../../lib/use-cases/delete-binding.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { RecordingWorkflowStarter } from './api-fakes.js';

function bindingIn(status: BindingStatus): Binding {
  const binding = pendingBinding({ id: bindingIdFrom(Date.parse('2026-11-01T00:00:00Z'), randomBytes(10)) });
  return { ...binding, status };
}

function world(status: BindingStatus) {
  const binding = bindingIn(status);
  const store = new InMemoryBindingStore(binding);
  const unbindWorkflow = new RecordingWorkflowStarter();
  const deps = { store, unbindWorkflow, clock: new FakeClock() };
  return { binding, store, unbindWorkflow, deps };
}

describe('deleteBinding', () => {
  it.each(['SUCCEEDED', 'FAILED'] as const)(
    'moves a %s binding to DELETING, shows the unbind steps PENDING and starts the unbind workflow',
    async (status) => {
      const { binding, store, unbindWorkflow, deps } = world(status);

      const result = await deleteBinding(binding.id, 'alice', deps);

      expect(result.accepted).toBe(true);
      expect(result.binding.status).toBe('DELETING');
      expect(unbindWorkflow.started).toEqual([
        { name: `${binding.id}-unbind-1`, input: { bindingId: binding.id } },
      ]);
      expect(store.events.at(-1)).toMatchObject({ from: status, to: 'DELETING', actor: 'alice' });
      const steps = Object.fromEntries(result.binding.steps.map((s) => [s.name, s.status]));
      expect(steps).toMatchObject({
        DeleteTestPods: 'PENDING',
        RemoveServiceAccountBinding: 'PENDING',
        DeleteRole: 'PENDING',
        RecordUnbind: 'PENDING',
      });
    },
  );

  it.each(['PENDING', 'RUNNING'] as const)(
    'refuses a %s binding with StatusConflict and starts nothing',
    async (status) => {
      const { binding, store, unbindWorkflow, deps } = world(status);

      const attempt = deleteBinding(binding.id, 'alice', deps);

      await expect(attempt).rejects.toBeInstanceOf(StatusConflictError);
      await expect(attempt).rejects.toThrow(`is ${status}`);
      expect(unbindWorkflow.started).toEqual([]);
      expect((await store.get(binding.id))?.status).toBe(status);
    },
  );

  it('returns a DELETED binding unchanged and starts nothing', async () => {
    const { binding, store, unbindWorkflow, deps } = world('DELETED');
    const before = await store.get(binding.id);

    const result = await deleteBinding(binding.id, 'alice', deps);

    expect(result).toEqual({ binding: before, accepted: false });
    expect(unbindWorkflow.started).toEqual([]);
    expect(store.events).toEqual([]);
  });

  it('starts the same execution again for a DELETING binding (a DELETE that died before starting)', async () => {
    const { binding, unbindWorkflow, deps } = world('SUCCEEDED');
    await deleteBinding(binding.id, 'alice', deps);

    const again = await deleteBinding(binding.id, 'bob', deps);

    expect(again.accepted).toBe(true);
    expect(again.binding.status).toBe('DELETING');
    expect(unbindWorkflow.started.map((s) => s.name)).toEqual([
      `${binding.id}-unbind-1`,
      `${binding.id}-unbind-1`,
    ]);
  });

  it('names a later unbind attempt (after a FAILED unbind) with the next number', async () => {
    const { binding, store, unbindWorkflow, deps } = world('SUCCEEDED');
    await deleteBinding(binding.id, 'alice', deps);
    await store.transition(binding.id, {
      from: ['DELETING'],
      to: 'FAILED',
      actor: 'unbind-workflow',
      at: 'x',
    });

    await deleteBinding(binding.id, 'alice', deps);

    expect(unbindWorkflow.started.map((s) => s.name)).toEqual([
      `${binding.id}-unbind-1`,
      `${binding.id}-unbind-2`,
    ]);
  });

  it('puts the binding back as it was when the unbind workflow cannot start', async () => {
    const { binding, store, unbindWorkflow, deps } = world('SUCCEEDED');
    unbindWorkflow.failWith = new TransientError('Step Functions is unavailable');

    const attempt = deleteBinding(binding.id, 'alice', deps);

    await expect(attempt).rejects.toBeInstanceOf(WorkflowStartFailedError);
    await expect(attempt).rejects.toThrow('SUCCEEDED again');
    expect((await store.get(binding.id))?.status).toBe('SUCCEEDED');
    expect(store.events.map((e) => `${e.from}→${e.to}`)).toEqual([
      'SUCCEEDED→DELETING',
      'DELETING→SUCCEEDED',
    ]);
  });

  it('answers NotFound for an unknown or malformed id without reading junk', async () => {
    const { deps } = world('SUCCEEDED');
    const unknown = bindingIdFrom(Date.parse('2026-11-02T00:00:00Z'), randomBytes(10));

    await expect(deleteBinding(unknown, 'alice', deps)).rejects.toBeInstanceOf(NotFoundError);
    await expect(deleteBinding('../etc', 'alice', deps)).rejects.toBeInstanceOf(NotFoundError);
  });
});
