import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import type { BindState } from '../../lib/use-cases/bind/bind-state.js';
import { recordOutcome } from '../../lib/use-cases/bind/record-outcome.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const roleArn = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-demo-payments-api-1a2b3c4d';
const providerArn =
  'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';
const trustPolicy = { Version: '2012-10-17' as const, Statement: [] };
const identity = {
  arn: 'arn:aws:sts::111122223333:assumed-role/irsa-demo-payments-api-1a2b3c4d/botocore-session-1',
  account: '111122223333',
  userId: 'AROAEXAMPLE:botocore-session-1',
};

function running(binding: Binding = pendingBinding()): Binding {
  return { ...binding, status: 'RUNNING' };
}

function doneState(bindingId: string): BindState {
  return {
    bindingId,
    oidcProvider: { status: 'SUCCEEDED', detail: '', arn: providerArn },
    role: {
      status: 'SUCCEEDED',
      detail: '',
      name: 'irsa-demo-payments-api-1a2b3c4d',
      arn: roleArn,
      trustPolicy,
    },
    verification: { status: 'SUCCEEDED', detail: '', identity, podName: 'irsa-verify-x-1', attempt: 1 },
  };
}

describe('RecordOutcome', () => {
  it('ends a finished workflow SUCCEEDED with roleArn, oidcProviderArn, trustPolicy and the verified identity', async () => {
    // Prepare
    const binding = running();
    const store = new InMemoryBindingStore(binding);

    // Act
    const result = await recordOutcome(doneState(binding.id), { store, clock: new FakeClock() });

    // Assess
    const stored = await store.get(binding.id);
    expect(result).toEqual({ bindingId: binding.id, status: 'SUCCEEDED' });
    expect(stored?.status).toBe('SUCCEEDED');
    expect(stored?.outputs).toEqual({
      mode: 'irsa',
      roleArn,
      oidcProviderArn: providerArn,
      trustPolicy,
      verification: identity,
    });
    expect(stored?.error).toBeUndefined();
  });

  it('ends a caught failure FAILED with the failed step, the ASL error name and the Lambda error message', async () => {
    // Prepare
    const binding = running();
    binding.steps = binding.steps.map((s) =>
      s.name === 'DescribeCluster'
        ? { ...s, status: 'FAILED', detail: 'ClusterNotFound: No cluster nope' }
        : s,
    );
    const store = new InMemoryBindingStore(binding);
    const state: BindState = {
      bindingId: binding.id,
      error: {
        Error: 'ClusterNotFound',
        Cause: JSON.stringify({
          errorType: 'ClusterNotFound',
          errorMessage: 'No cluster nope in us-east-1',
          trace: [],
        }),
      },
    };

    // Act
    const result = await recordOutcome(state, { store, clock: new FakeClock() });

    // Assess
    const error = {
      step: 'DescribeCluster',
      code: 'ClusterNotFound',
      message: 'No cluster nope in us-east-1',
    };
    expect(result).toEqual({ bindingId: binding.id, status: 'FAILED', error });
    expect((await store.get(binding.id))?.error).toEqual(error);
    expect((await store.get(binding.id))?.status).toBe('FAILED');
  });

  it('closes a step left RUNNING by a timeout as FAILED and leaves the steps that never ran PENDING', async () => {
    // Prepare
    const binding = running();
    binding.steps = binding.steps.map((s, i) =>
      i < 6
        ? { ...s, status: 'SUCCEEDED' }
        : {
            ...s,
            status: s.name === 'VerifyIdentity' ? 'RUNNING' : 'PENDING',
            startedAt: '2026-01-01T00:00:00.000Z',
          },
    );
    const store = new InMemoryBindingStore(binding);
    const state: BindState = {
      ...doneState(binding.id),
      verification: undefined,
      error: { Error: 'States.Timeout', Cause: 'Task timed out after 310 seconds' },
    };
    delete state.verification;

    // Act
    await recordOutcome(state, { store, clock: new FakeClock() });

    // Assess
    const stored = await store.get(binding.id);
    expect(stored?.error).toEqual({
      step: 'VerifyIdentity',
      code: 'States.Timeout',
      message: 'Task timed out after 310 seconds',
    });
    expect(stored?.steps.find((s) => s.name === 'VerifyIdentity')).toMatchObject({
      status: 'FAILED',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: expect.any(String),
      detail: 'States.Timeout: Task timed out after 310 seconds',
    });
    // What was produced before the failure is kept for whoever cleans up.
    expect(stored?.outputs?.roleArn).toBe(roleArn);
  });

  it('names the first step that never ran when a binding fails before any step started', async () => {
    const binding = pendingBinding();
    const store = new InMemoryBindingStore(binding);

    await recordOutcome(
      { bindingId: binding.id, error: { Error: 'Lambda.ServiceException', Cause: 'Lambda is unavailable' } },
      { store, clock: new FakeClock() },
    );

    const stored = await store.get(binding.id);
    expect(stored?.status).toBe('FAILED');
    expect(stored?.error).toEqual({
      step: 'DescribeCluster',
      code: 'Lambda.ServiceException',
      message: 'Lambda is unavailable',
    });
    expect(stored?.steps.slice(1).every((s) => s.status === 'PENDING')).toBe(true);
  });

  it('is idempotent: a retried RecordOutcome finds the outcome recorded and changes nothing', async () => {
    const binding = running();
    const store = new InMemoryBindingStore(binding);
    await recordOutcome(doneState(binding.id), { store, clock: new FakeClock() });

    const again = await recordOutcome(doneState(binding.id), { store, clock: new FakeClock() });

    expect(again).toEqual({ bindingId: binding.id, status: 'SUCCEEDED' });
    expect(store.events.map((e) => e.to)).toEqual(['SUCCEEDED']);
  });

  it('does not resurrect a binding deleted while its workflow ran', async () => {
    const binding = { ...pendingBinding(), status: 'DELETING' as const };
    const store = new InMemoryBindingStore(binding);

    const result = await recordOutcome(doneState(binding.id), { store, clock: new FakeClock() });

    expect(result.status).toBe('DELETING');
    expect((await store.get(binding.id))?.status).toBe('DELETING');
  });
});
