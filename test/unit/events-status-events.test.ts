// Status events from the store's change log: one event per status change with the binding's facts and a
// deterministic id, nothing for writes that changed no status, and a partial failure reported from the
// first change not published so the log delivers it again.
import { describe, expect, it } from '@jest/globals';
import {
  BIND_STEPS,
  type Binding,
  type BindingStatus,
  MIGRATE_STEPS,
  UNBIND_STEPS,
  UPDATE_STEPS,
  VERIFY_STEPS,
} from '../../lib/domain/binding.js';
import { EventPublishFailedError } from '../../lib/domain/errors.js';
import {
  type BindingChange,
  type StatusEvent,
  statusEventOf,
  workflowOf,
} from '../../lib/domain/status-event.js';
import type { EventPublisher } from '../../lib/ports/events.js';
import { publishStatusEvents, statusEventsOf } from '../../lib/use-cases/publish-status-events.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const ID = 'b-01kabcdefghjkmnpqrstvwxyz0';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-demo-payments-api-1a2b3c4d';

function binding(status: BindingStatus, overrides: Partial<Binding> = {}): Binding {
  return { ...pendingBinding({ id: ID }), tenant: 'payments', status, ...overrides };
}

function change(sequence: string, before: Binding | undefined, after: Binding | undefined): BindingChange {
  return { sequence, ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

/** A bus that takes events until it has taken `capacity` of them, then refuses the rest. */
class RecordingPublisher implements EventPublisher {
  readonly accepted: StatusEvent[] = [];
  constructor(private capacity = Number.POSITIVE_INFINITY) {}
  async publish(events: readonly StatusEvent[]): Promise<void> {
    for (const [index, event] of events.entries()) {
      if (this.accepted.length >= this.capacity) {
        throw new EventPublishFailedError('the bus refused the event: ThrottlingException', index);
      }
      this.accepted.push(event);
    }
  }
}

describe('status events', () => {
  it('turns the creation of a binding into Binding Pending with no previous status', () => {
    // Prepare
    const created = binding('PENDING');
    // Act
    const event = statusEventOf(change('100', undefined, created));
    // Assess
    expect(event).toEqual({
      source: 'irsa-broker',
      detailType: 'Binding Pending',
      time: created.updatedAt,
      resources: [],
      detail: {
        eventId: `${ID}/100`,
        sequence: '100',
        schemaVersion: '1',
        id: ID,
        tenant: 'payments',
        region: 'us-east-1',
        clusterName: 'demo',
        namespace: 'payments',
        serviceAccountName: 'api',
        status: 'PENDING',
        previousStatus: null,
        workflow: 'bind',
        at: created.updatedAt,
        link: `/v1/bindings/${ID}`,
      },
    });
  });

  it('names the role of a SUCCEEDED binding in the detail and as the resource', () => {
    const before = binding('RUNNING');
    const after = binding('SUCCEEDED', {
      updatedAt: '2026-01-01T00:01:00.000Z',
      outputs: { roleArn: ROLE_ARN },
    });
    const event = statusEventOf(change('300', before, after));
    expect(event?.detailType).toBe('Binding Succeeded');
    expect(event?.resources).toEqual([ROLE_ARN]);
    expect(event?.detail).toMatchObject({
      status: 'SUCCEEDED',
      previousStatus: 'RUNNING',
      roleArn: ROLE_ARN,
      at: '2026-01-01T00:01:00.000Z',
    });
    expect(event?.detail).not.toHaveProperty('error');
    expect(event?.detail).not.toHaveProperty('mode');
    const podIdentity = statusEventOf(
      change('301', before, { ...after, outputs: { roleArn: ROLE_ARN, mode: 'pod-identity' } }),
    );
    expect(podIdentity?.detail).toMatchObject({ mode: 'pod-identity' });
  });

  it('carries the error of a FAILED binding', () => {
    const error = { step: 'EnsureRole', code: 'PolicyNotFound', message: 'no such policy' };
    const event = statusEventOf(change('400', binding('RUNNING'), binding('FAILED', { error })));
    expect(event?.detailType).toBe('Binding Failed');
    expect(event?.detail.error).toEqual(error);
  });

  it('publishes nothing for a write that changed no status (step progress, drift report)', () => {
    const running = binding('RUNNING');
    const progressed = binding('RUNNING', {
      steps: BIND_STEPS.map((name, i) => ({ name, status: i === 0 ? 'SUCCEEDED' : 'PENDING' })),
    });
    expect(statusEventOf(change('200', running, progressed))).toBeUndefined();
    expect(statusEventOf(change('201', running, undefined))).toBeUndefined();
  });

  it('gives a replayed change the same event id, and another change of the binding another', () => {
    const pending = change('100', undefined, binding('PENDING'));
    const running = change('200', binding('PENDING'), binding('RUNNING'));
    const first = statusEventOf(pending);
    expect(statusEventOf(structuredClone(pending))?.detail.eventId).toBe(first?.detail.eventId);
    expect(statusEventOf(running)?.detail.eventId).not.toBe(first?.detail.eventId);
  });

  it('tells which workflow a status belongs to from the steps the run records', () => {
    const steps = (names: readonly string[]) => names.map((name) => ({ name, status: 'PENDING' as const }));
    expect(workflowOf(binding('RUNNING', { steps: steps(BIND_STEPS) }))).toBe('bind');
    expect(workflowOf(binding('RUNNING', { steps: steps(UPDATE_STEPS) }))).toBe('update');
    expect(workflowOf(binding('RUNNING', { steps: steps(MIGRATE_STEPS) }))).toBe('update');
    expect(workflowOf(binding('RUNNING', { steps: steps(VERIFY_STEPS) }))).toBe('verify');
    expect(workflowOf(binding('DELETING', { steps: steps(BIND_STEPS) }))).toBe('unbind');
    expect(workflowOf(binding('FAILED', { steps: steps([...BIND_STEPS, ...UNBIND_STEPS]) }))).toBe('unbind');
  });

  it('reports the drift a verify run found with its outcome', () => {
    const drift = [{ what: 'trust policy', expected: 'sub', actual: 'none' }];
    const steps = VERIFY_STEPS.map((name) => ({ name, status: 'SUCCEEDED' as const }));
    const event = statusEventOf(
      change(
        '500',
        binding('RUNNING', { steps }),
        binding('SUCCEEDED', { steps, drift, outputs: { roleArn: ROLE_ARN } }),
      ),
    );
    expect(event?.detail).toMatchObject({ workflow: 'verify', status: 'SUCCEEDED', drift });
  });

  it('names each status with its own detail-type', () => {
    const types = (['RUNNING', 'SUCCEEDED', 'FAILED', 'DELETING', 'DELETED'] as const).map(
      (status) => statusEventOf(change('1', binding('PENDING'), binding(status)))?.detailType,
    );
    expect(types).toEqual([
      'Binding Running',
      'Binding Succeeded',
      'Binding Failed',
      'Binding Deleting',
      'Binding Deleted',
    ]);
  });
});

describe('publishing status events', () => {
  const log: BindingChange[] = [
    change('100', undefined, binding('PENDING')),
    change('150', binding('PENDING'), binding('PENDING', { updatedAt: '2026-01-01T00:00:01.000Z' })),
    change('200', binding('PENDING'), binding('RUNNING')),
    change('300', binding('RUNNING'), binding('SUCCEEDED', { outputs: { roleArn: ROLE_ARN } })),
  ];

  it('publishes the status changes of a batch in order and skips the other writes', async () => {
    const publisher = new RecordingPublisher();
    const result = await publishStatusEvents(log, { publisher });
    expect(publisher.accepted.map((e) => e.detail.status)).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED']);
    expect(result).toEqual({ published: publisher.accepted, skipped: 1 });
  });

  it('reports the first change not published when the bus takes only part of the batch', async () => {
    const publisher = new RecordingPublisher(1);
    const result = await publishStatusEvents(log, { publisher });
    expect(result.published.map((e) => e.detail.status)).toEqual(['PENDING']);
    expect(result.failedFrom).toBe('200');
    expect(result.failure).toEqual({
      code: 'EventPublishFailed',
      message: 'the bus refused the event: ThrottlingException',
    });
  });

  it('publishes the same ids again when the log delivers the rest again', async () => {
    const publisher = new RecordingPublisher(1);
    const first = await publishStatusEvents(log, { publisher });
    const again = log.slice(log.findIndex((c) => c.sequence === first.failedFrom));
    const retried = await publishStatusEvents(again, { publisher: new RecordingPublisher() });
    expect(retried.published.map((e) => e.detail.eventId)).toEqual(
      statusEventsOf(log)
        .slice(1)
        .map((m) => m.event.detail.eventId),
    );
  });

  it('publishes nothing for a batch without status changes', async () => {
    const publisher = new RecordingPublisher(0);
    const result = await publishStatusEvents([log[1]!], { publisher });
    expect(result).toEqual({ published: [], skipped: 1 });
  });
});
