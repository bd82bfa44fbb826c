// The sandbox's EventBridge through the real @aws-sdk/client-eventbridge over HTTP (awsJson1_1,
// AWSEvents.* targets): buses, PutEvents answering per entry as AWS does, and the accepted events as a
// rule's target would receive them.
import {
  CreateEventBusCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  createSandboxAccount,
  type ListeningEndpoint,
  type SandboxAccount,
} from '../../lib/sandbox/aws/index.js';
import { failure, statusOf } from './aws-fixtures.js';

const ACCOUNT = '111122223333';
const BUS = 'irsa-broker-test-events';
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/${BUS}`;

describe('sandbox EventBridge', () => {
  let account: SandboxAccount;
  let server: ListeningEndpoint;
  let events: EventBridgeClient;

  beforeAll(async () => {
    account = createSandboxAccount();
    server = await account.listen();
    events = new EventBridgeClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: account.brokerCredentials,
      maxAttempts: 1,
    });
    await events.send(new CreateEventBusCommand({ Name: BUS }));
  });

  afterAll(async () => {
    events.destroy();
    await server.close();
  });

  it('creates a bus once and describes it', async () => {
    // Act
    const described = await events.send(new DescribeEventBusCommand({ Name: BUS }));
    const again = await failure(events.send(new CreateEventBusCommand({ Name: BUS })));
    const missing = await failure(events.send(new DescribeEventBusCommand({ Name: 'nope' })));
    // Assess
    expect(described).toMatchObject({ Name: BUS, Arn: BUS_ARN });
    expect(described.CreationTime).toBeInstanceOf(Date);
    expect(again).toBeInstanceOf(ResourceAlreadyExistsException);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.message).toBe('Event bus nope does not exist.');
  });

  it('accepts events on a bus, answers their ids and keeps them as a target receives them', async () => {
    // Prepare
    const before = account.publishedEvents().length;
    // Act
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: BUS,
            Source: 'irsa-broker',
            DetailType: 'Binding Succeeded',
            Detail: JSON.stringify({ id: 'b-1', status: 'SUCCEEDED' }),
            Resources: ['arn:aws:iam::111122223333:role/irsa-x'],
            Time: new Date('2026-01-01T00:00:01.500Z'),
          },
          { EventBusName: BUS_ARN, Source: 'irsa-broker', DetailType: 'Binding Failed', Detail: '{}' },
        ],
      }),
    );
    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toHaveLength(2);
    const ids = result.Entries!.map((e) => e.EventId);
    expect(ids.every((id) => /^[0-9a-f-]{36}$/.test(id ?? ''))).toBe(true);
    const kept = account.publishedEvents().slice(before);
    expect(kept.map((e) => e.event.id)).toEqual(ids);
    expect(kept[0]).toEqual({
      eventBusName: BUS,
      event: {
        version: '0',
        id: ids[0],
        'detail-type': 'Binding Succeeded',
        source: 'irsa-broker',
        account: ACCOUNT,
        time: '2026-01-01T00:00:01Z',
        region: 'us-east-1',
        resources: ['arn:aws:iam::111122223333:role/irsa-x'],
        detail: { id: 'b-1', status: 'SUCCEEDED' },
      },
    });
  });

  it('refuses bad entries one by one and still accepts the good ones', async () => {
    const before = account.publishedEvents().length;
    const result = await events.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: BUS, Source: 'irsa-broker', DetailType: 'Binding Running', Detail: 'not json' },
          { EventBusName: BUS, Source: 'aws.states', DetailType: 'Binding Running', Detail: '{}' },
          { EventBusName: BUS, DetailType: 'Binding Running', Detail: '{}' },
          { EventBusName: 'no-such-bus', Source: 'irsa-broker', DetailType: 'Binding Running', Detail: '{}' },
          { EventBusName: BUS, Source: 'irsa-broker', DetailType: 'Binding Running', Detail: '{"ok":true}' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries?.map((e) => e.ErrorCode ?? 'accepted')).toEqual([
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'InvalidArgument',
      'ResourceNotFoundException',
      'accepted',
    ]);
    expect(result.Entries?.[2]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(
      account
        .publishedEvents()
        .slice(before)
        .map((e) => e.event.detail),
    ).toEqual([{ ok: true }]);
  });

  it('refuses a request of more than 10 entries whole', async () => {
    const entry = { EventBusName: BUS, Source: 'irsa-broker', DetailType: 'Binding Running', Detail: '{}' };
    const refused = await failure(
      events.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })),
    );
    expect(refused.name).toBe('ValidationException');
    expect(statusOf(refused)).toBe(400);
  });

  it('puts events without a bus name on the default bus', async () => {
    const result = await events.send(
      new PutEventsCommand({
        Entries: [{ Source: 'irsa-broker', DetailType: 'Binding Running', Detail: '{}' }],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    expect(account.publishedEvents().at(-1)?.eventBusName).toBe('default');
  });
});
