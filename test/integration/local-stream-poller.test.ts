// The local event source mapping on DynamoDB Local's stream: records reach the function in write order,
// filtered by the subscription's patterns; a reported batch item failure is delivered again with what
// follows it; a restart with the same checkpoint file delivers only what is new.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startStreamPoller } from '../../lib/local/dynamodb-stream-poller.js';
import type { StreamSubscription } from '../../lib/local/serverless-config.js';
import { dynamoDbLocalClient, freshTable } from './store-fixtures.js';

const client = dynamoDbLocalClient();
const endpoint = process.env.IRSA_TEST_DYNAMODB_ENDPOINT ?? '';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const subscription: StreamSubscription = {
  functionName: 'publisher',
  tableLogicalId: 'BindingsTable',
  startingPosition: 'TRIM_HORIZON',
  batchSize: 100,
  reportBatchItemFailures: true,
  filterPatterns: [{ dynamodb: { NewImage: { sk: { S: ['META'] } } } }],
};

interface DeliveredRecord {
  eventName: string;
  eventSourceARN: string;
  dynamodb: { SequenceNumber: string; NewImage: Record<string, { S?: string; M?: unknown }> };
}

async function put(table: string, pk: string, sk: string) {
  await client.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: sk }, outputs: { M: {} } } }),
  );
}

async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dirs: string[] = [];
afterAll(async () => {
  client.destroy();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('local DynamoDB stream event source', () => {
  it('delivers matching records in order, again from a reported failure, and once across a restart', async () => {
    // Prepare
    const table = await freshTable(client, 'stream-poller');
    const dir = await mkdtemp(join(tmpdir(), 'irsa-stream-'));
    dirs.push(dir);
    const checkpointFile = join(dir, 'checkpoints.json');
    const delivered: string[] = [];
    let failOnce: string | undefined = 'b';
    const invoke = async (event: unknown) => {
      const records = (event as { Records: DeliveredRecord[] }).Records;
      for (const record of records) {
        expect(record.eventSourceARN).toContain(`table/${table}/stream/`);
        // DynamoDB Local's `{}` for an empty map reaches the function as DynamoDB writes it.
        expect(record.dynamodb.NewImage.outputs).toEqual({ M: {} });
      }
      const failing = records.find((r) => r.dynamodb.NewImage.pk?.S === failOnce);
      const accepted = failing ? records.slice(0, records.indexOf(failing)) : records;
      delivered.push(...accepted.map((r) => r.dynamodb.NewImage.pk?.S ?? '?'));
      if (!failing) return { batchItemFailures: [] };
      failOnce = undefined;
      return { batchItemFailures: [{ itemIdentifier: failing.dynamodb.SequenceNumber }] };
    };
    const start = () =>
      startStreamPoller({
        dynamodb: client,
        endpoint,
        region: 'us-east-1',
        credentials,
        tableName: table,
        subscription,
        invoke,
        checkpointFile,
        pollIntervalMs: 50,
      });

    // Act
    const first = await start();
    await put(table, 'a', 'META');
    await put(table, 'a', 'LISTING');
    await put(table, 'b', 'META');
    await put(table, 'c', 'META');
    await until(() => delivered.length >= 3);
    await first.stop();
    const second = await start();
    await put(table, 'd', 'META');
    await until(() => delivered.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await second.stop();

    // Assess
    expect(delivered).toEqual(['a', 'b', 'c', 'd']);
  });
});
