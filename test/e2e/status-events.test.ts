// Status events end to end, as `npm start` runs them: the API and workflows write the table, the
// publisher reads DynamoDB Local's stream and puts events on the sandbox's EventBridge bus, and a portal
// developer reads them at GET /_sandbox/events: each status change once, in order, with the binding's facts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

const BUS = 'irsa-broker-local-events';

interface SandboxEvent {
  eventBusName: string;
  event: {
    id: string;
    source: string;
    'detail-type': string;
    account: string;
    region: string;
    resources: string[];
    detail: Record<string, unknown> & { id: string; eventId: string; status: string; sequence: string };
  };
}

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

async function eventsOf(id: string): Promise<SandboxEvent[]> {
  const response = await fetch(`${system.url}/_sandbox/events?source=irsa-broker`);
  expect(response.status).toBe(200);
  const { items } = (await response.json()) as { items: SandboxEvent[] };
  return items.filter((item) => item.event.detail.id === id);
}

/**
 * Waits until the binding has at least `count` events and the last is `status`, then a little longer: a
 * duplicate would show.
 */
async function settledEvents(
  id: string,
  status: string,
  count = 1,
  timeoutMs = 20_000,
): Promise<SandboxEvent[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await eventsOf(id);
    if (events.length >= count && events.at(-1)?.event.detail.status === status) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return eventsOf(id);
    }
    if (Date.now() > deadline) {
      throw new Error(`no ${status} event of ${id} in ${timeoutMs} ms: ${JSON.stringify(events)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('status events on the local system', () => {
  it('publishes PENDING, RUNNING and SUCCEEDED of a bind exactly once each, with the role once known', async () => {
    // Prepare
    const request = bindingRequest({ clusterName: 'demo' });

    // Act
    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);
    const events = await settledEvents(created.json.id, 'SUCCEEDED');

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(events.map((e) => [e.event['detail-type'], e.event.detail.previousStatus])).toEqual([
      ['Binding Pending', null],
      ['Binding Running', 'PENDING'],
      ['Binding Succeeded', 'RUNNING'],
    ]);
    expect(new Set(events.map((e) => e.event.detail.eventId)).size).toBe(3);
    const sequences = events.map((e) => BigInt(e.event.detail.sequence));
    expect([...sequences].sort((a, b) => (a < b ? -1 : 1))).toEqual(sequences);
    for (const e of events) {
      expect(e).toMatchObject({
        eventBusName: BUS,
        event: { source: 'irsa-broker', account: '111122223333', region: 'us-east-1' },
      });
      expect(e.event.detail).toMatchObject({
        id: done.id,
        clusterName: 'demo',
        namespace: request.namespace,
        serviceAccountName: request.serviceAccountName,
        workflow: 'bind',
        link: `/v1/bindings/${done.id}`,
      });
      expect(e.event.detail.eventId).toBe(`${done.id}/${e.event.detail.sequence}`);
    }
    const succeeded = events[2]!.event;
    expect(succeeded.detail.roleArn).toBe(done.outputs?.roleArn);
    expect(succeeded.resources).toEqual([done.outputs?.roleArn]);
  });

  it('publishes DELETING and DELETED when the binding is deleted', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'demo' }));
    await system.waitFor(created.json.id);

    const response = await fetch(`${system.url}/v1/bindings/${created.json.id}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    await system.waitFor(created.json.id, (b) => b.status === 'DELETED');
    const events = await settledEvents(created.json.id, 'DELETED');

    expect(events.map((e) => [e.event['detail-type'], e.event.detail.workflow])).toEqual([
      ['Binding Pending', 'bind'],
      ['Binding Running', 'bind'],
      ['Binding Succeeded', 'bind'],
      ['Binding Deleting', 'unbind'],
      ['Binding Deleted', 'unbind'],
    ]);
  });

  it('publishes the runs of an update and of a drift check, each named by its workflow', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'demo' }));
    const bound = await system.waitFor(created.json.id);
    const send = (method: string, path: string, body: unknown) =>
      fetch(`${system.url}/v1/bindings/${bound.id}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    expect((await send('PATCH', '', { tags: { cost: 'events' } })).status).toBe(202);
    const afterUpdate = await settledEvents(bound.id, 'SUCCEEDED', 6);
    expect((await send('POST', '/verify', {})).status).toBe(202);
    const events = await settledEvents(bound.id, 'SUCCEEDED', 9);

    expect(afterUpdate).toHaveLength(6);
    expect(events.map((e) => [e.event['detail-type'], e.event.detail.workflow])).toEqual([
      ['Binding Pending', 'bind'],
      ['Binding Running', 'bind'],
      ['Binding Succeeded', 'bind'],
      ['Binding Pending', 'update'],
      ['Binding Running', 'update'],
      ['Binding Succeeded', 'update'],
      ['Binding Pending', 'verify'],
      ['Binding Running', 'verify'],
      ['Binding Succeeded', 'verify'],
    ]);
    expect(events.at(-1)?.event.detail.drift).toEqual([]);
    expect(new Set(events.map((e) => e.event.detail.eventId)).size).toBe(events.length);
  });

  it('publishes a FAILED binding with its error', async () => {
    const created = await system.post(
      bindingRequest({ clusterName: 'demo', policyArns: ['arn:aws:iam::aws:policy/NoSuchPolicyAnywhere'] }),
    );
    const done = await system.waitFor(created.json.id);
    const events = await settledEvents(created.json.id, 'FAILED');

    expect(done.status).toBe('FAILED');
    const failed = events.at(-1)!.event;
    expect(failed['detail-type']).toBe('Binding Failed');
    expect(failed.detail.error).toEqual(done.error);
  });
});
