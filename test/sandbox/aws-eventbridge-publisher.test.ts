// The production EventBridge publisher against the sandbox account over HTTP: status events land on the
// bus as 'Binding <Status>' events with their detail, more than 10 go in several calls, and a bus that
// refuses them is reported from the first event not accepted.
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventBridgePublisher } from '../../lib/adapters/aws/eventbridge-publisher.js';
import { EventPublishFailedError } from '../../lib/domain/errors.js';
import { type StatusEvent, statusEventOf } from '../../lib/domain/status-event.js';
import {
  createSandboxAccount,
  type ListeningEndpoint,
  type SandboxAccount,
} from '../../lib/sandbox/aws/index.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { failure } from './aws-fixtures.js';

const BUS = 'irsa-broker-test-status';

function events(count: number): StatusEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const binding = { ...pendingBinding({ id: `b-${i}` }), status: 'RUNNING' as const };
    return statusEventOf({
      sequence: String(1000 + i),
      before: pendingBinding({ id: `b-${i}` }),
      after: binding,
    })!;
  });
}

describe('EventBridge publisher against the sandbox', () => {
  let account: SandboxAccount;
  let server: ListeningEndpoint;
  let client: EventBridgeClient;

  beforeAll(async () => {
    account = createSandboxAccount();
    server = await account.listen();
    client = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: account.brokerCredentials,
      maxAttempts: 1,
    });
    await client.send(new CreateEventBusCommand({ Name: BUS }));
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('puts every event on the bus in order, ten per call', async () => {
    // Prepare
    const publisher = new EventBridgePublisher({ client, eventBusName: BUS });
    const before = account.publishedEvents().length;
    const batch = events(12);
    // Act
    await publisher.publish(batch);
    // Assess
    const kept = account.publishedEvents().slice(before);
    expect(kept.map((e) => (e.event.detail as { eventId: string }).eventId)).toEqual(
      batch.map((e) => e.detail.eventId),
    );
    expect(kept[0]).toMatchObject({
      eventBusName: BUS,
      event: { source: 'irsa-broker', 'detail-type': 'Binding Running', detail: batch[0]!.detail },
    });
  });

  it('reports the first event not accepted when the bus refuses them', async () => {
    const publisher = new EventBridgePublisher({
      client,
      eventBusName: 'no-such-bus',
      maxAttempts: 2,
      sleep: async () => undefined,
    });
    const refused = await failure(publisher.publish(events(3)));
    expect(refused).toBeInstanceOf(EventPublishFailedError);
    expect(refused.firstUnpublished).toBe(0);
    expect(refused.message).toBe(
      'EventBridge refused 3 of 3 events after 2 attempts (ResourceNotFoundException: Event bus no-such-bus does not exist.)',
    );
  });
});
