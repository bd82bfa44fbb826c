// The stream handler: DynamoDB stream records of the bindings table in, one event per status change out;
// records of other items are ignored, and a failed publish is answered as the batch item failure Lambda
// redelivers from.

import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from '@jest/globals';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { bindingToItem, listingItem } from '../../lib/adapters/dynamodb/binding-item.js';
import { statusEventsHandler } from '../../lib/composition/status-events-handler.js';
import type { Binding } from '../../lib/domain/binding.js';
import { EventPublishFailedError } from '../../lib/domain/errors.js';
import type { StatusEvent } from '../../lib/domain/status-event.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const image = (item: Record<string, unknown>) =>
  marshall(item, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];

function record(sequence: string, before: Binding | undefined, after: Binding): DynamoDBRecord {
  return {
    eventName: before ? 'MODIFY' : 'INSERT',
    dynamodb: {
      SequenceNumber: sequence,
      NewImage: image(bindingToItem(after)),
      ...(before ? { OldImage: image(bindingToItem(before)) } : {}),
    },
  };
}

const pending = pendingBinding({ id: 'b-stream' });
const running: Binding = { ...pending, status: 'RUNNING', updatedAt: '2026-01-01T00:00:02.000Z' };
const batch: DynamoDBStreamEvent = {
  Records: [
    record('111', undefined, pending),
    { eventName: 'INSERT', dynamodb: { SequenceNumber: '112', NewImage: image(listingItem(pending)) } },
    record('113', pending, running),
  ],
};

describe('status events stream handler', () => {
  it('publishes one event per status change of a binding item, in stream order', async () => {
    const published: StatusEvent[] = [];
    const handler = statusEventsHandler({
      publisher: { publish: async (events) => void published.push(...events) },
      log: () => undefined,
    });
    const response = await handler(batch);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(published.map((e) => [e.detailType, e.detail.eventId, e.detail.previousStatus])).toEqual([
      ['Binding Pending', 'b-stream/111', null],
      ['Binding Running', 'b-stream/113', 'PENDING'],
    ]);
    expect(published[1]?.detail).toMatchObject({
      clusterName: 'demo',
      namespace: 'payments',
      serviceAccountName: 'api',
    });
  });

  it('answers the first record not published as the batch item failure', async () => {
    const lines: string[] = [];
    const handler = statusEventsHandler({
      publisher: {
        publish: async () => {
          throw new EventPublishFailedError('EventBridge refused 1 of 2 events', 1);
        },
      },
      log: (line) => lines.push(line),
    });
    const response = await handler(batch);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '113' }] });
    expect(JSON.parse(lines[0]!)).toEqual({
      statusEvents: {
        published: ['b-stream/111'],
        failedFrom: '113',
        failure: { code: 'EventPublishFailed', message: 'EventBridge refused 1 of 2 events' },
      },
    });
  });
});
