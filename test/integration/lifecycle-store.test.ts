// The store's re-run transition on DynamoDB Local: a FAILED binding goes back to PENDING with fresh steps,
// no error and its service account slot taken back — or a ConflictError when another binding holds it.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { UPDATE_STEPS } from '../../lib/domain/binding.js';
import { ConflictError, NotFoundError, StatusConflictError } from '../../lib/domain/errors.js';
import { dynamoDbLocalClient, freshTable, newBinding } from './store-fixtures.js';

const client = dynamoDbLocalClient();
let store: DynamoDbBindingStore;

beforeAll(async () => {
  store = new DynamoDbBindingStore({ client, tableName: await freshTable(client, 'lifecycle') });
});

const at = (s: number) => new Date(Date.UTC(2025, 5, 1, 0, 0, s)).toISOString();

async function failedBinding(overrides = {}) {
  const binding = newBinding(overrides);
  await store.create(binding);
  await store.transition(binding.id, {
    from: ['PENDING'],
    to: 'FAILED',
    actor: 'wf',
    at: at(1),
    error: { step: 'ApplyServiceAccount', code: 'NotFoundError', message: 'no namespace' },
  });
  return binding;
}

const rerun = (id: string, extra = {}) =>
  store.transition(id, {
    from: ['FAILED'],
    to: 'PENDING',
    actor: 'alice',
    at: at(2),
    detail: 'retry',
    steps: UPDATE_STEPS.map((name) => ({ name, status: 'PENDING' as const })),
    clearError: true,
    claimSlot: true,
    ...extra,
  });

describe('DynamoDbBindingStore re-run transition', () => {
  it('keeps the tag keys an update dropped with the error cleared, and removes them on request', async () => {
    const binding = await failedBinding();

    const pending = await rerun(binding.id, { droppedTagKeys: ['team', 'owner'] });
    expect(pending).toMatchObject({ status: 'PENDING', droppedTagKeys: ['team', 'owner'] });
    expect(pending.error).toBeUndefined();
    expect((await store.get(binding.id))?.droppedTagKeys).toEqual(['team', 'owner']);

    const done = await store.transition(binding.id, {
      from: ['PENDING'],
      to: 'SUCCEEDED',
      actor: 'wf',
      at: at(3),
      droppedTagKeys: null,
    });
    expect(done.droppedTagKeys).toBeUndefined();
    expect((await store.get(binding.id))?.droppedTagKeys).toBeUndefined();
  });

  it('resets steps, clears the error, changes request fields and takes the slot back', async () => {
    const binding = await failedBinding({ tags: { team: 'a' } });

    const pending = await rerun(binding.id, { request: { policyArns: [], tags: { team: 'b' } } });

    expect(pending).toMatchObject({ status: 'PENDING', policyArns: [], tags: { team: 'b' } });
    expect(pending.error).toBeUndefined();
    expect(pending.steps).toEqual(UPDATE_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect((await store.listEvents(binding.id)).at(-1)).toMatchObject({
      actor: 'alice',
      from: 'FAILED',
      to: 'PENDING',
      detail: 'retry',
    });
    // The slot is held again: a second binding for the same service account is refused.
    await expect(
      store.create(newBinding({ serviceAccountName: binding.serviceAccountName })),
    ).rejects.toThrow(ConflictError);
  });

  it('refuses with ConflictError naming the binding that took the service account meanwhile', async () => {
    const binding = await failedBinding();
    const other = newBinding({ serviceAccountName: binding.serviceAccountName });
    await store.create(other);

    const error = await rerun(binding.id).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).existingId).toBe(other.id);
    expect((await store.get(binding.id))?.status).toBe('FAILED');
    expect((await store.get(binding.id))?.error?.code).toBe('NotFoundError');
  });

  it('lets one of two concurrent re-runs win; the other is a StatusConflict', async () => {
    const binding = await failedBinding();

    const results = await Promise.allSettled([rerun(binding.id), rerun(binding.id)]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(
      StatusConflictError,
    );
    const events = await store.listEvents(binding.id);
    expect(events.filter((e) => e.to === 'PENDING' && e.from === 'FAILED')).toHaveLength(1);
  });

  it('records drift on the binding and refuses an unknown id', async () => {
    const binding = newBinding();
    await store.create(binding);
    const drift = [{ what: 'trustPolicy', expected: { a: 1 }, actual: { a: 2 } }];

    await store.recordDrift(binding.id, drift, at(3));

    expect(await store.get(binding.id)).toMatchObject({ drift, driftCheckedAt: at(3), updatedAt: at(3) });
    await expect(store.recordDrift('b-none', [], at(3))).rejects.toThrow(NotFoundError);
  });
});

describe('DynamoDbBindingStore step records', () => {
  it('writes a guarded step record only over the RUNNING record it started', async () => {
    const binding = newBinding();
    await store.create(binding);
    const running = { name: 'VerifyIdentity', status: 'RUNNING' as const, startedAt: at(1) };
    expect(await store.recordStep(binding.id, running)).toBe(true);

    const done = { ...running, status: 'SUCCEEDED' as const, finishedAt: at(3), detail: 'ok' };
    expect(await store.recordStep(binding.id, done, { ifRunningSince: at(2) })).toBe(false);
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'VerifyIdentity')).toEqual(running);

    expect(await store.recordStep(binding.id, done, { ifRunningSince: at(1) })).toBe(true);
    const late = { ...done, status: 'FAILED' as const, detail: 'late' };
    expect(await store.recordStep(binding.id, late, { ifRunningSince: at(1) })).toBe(false);
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'VerifyIdentity')).toEqual(done);

    await expect(
      store.recordStep('b-01kabcdefghjkmnpqrstvwxyz0', done, { ifRunningSince: at(1) }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});
