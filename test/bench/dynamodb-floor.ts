// What DynamoDB Local alone does at the API run's concurrency: consistent GetItems of a binding-sized
// item, and a create's DynamoDB calls (a four-item TransactWriteItems: binding, listing, service-account
// slot, creation event; then the POST's audit record, one PutItem), with the production SDK client and
// nothing else in the path. The API cannot be faster than its database; this row says how
// fast that is on the machine the figures come from.
import { randomUUID } from 'node:crypto';
import {
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../lib/adapters/dynamodb/table-definition.js';

export interface FloorResult {
  operation: 'GetItem (consistent)' | 'create: TransactWriteItems (4 puts) + PutItem';
  connections: number;
  p50Ms: number;
  p99Ms: number;
  operationsPerSecond: number;
}

const percentile = (sorted: number[], q: number) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN).toFixed(1));

async function closedLoop(connections: number, seconds: number, once: () => Promise<unknown>) {
  const latencies: number[] = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const started = performance.now();
        await once();
        latencies.push(performance.now() - started);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    operationsPerSecond: Number((latencies.length / seconds).toFixed(0)),
  };
}

export async function measureDynamoDbFloor(
  endpoint: string,
  options: { connections: number; durationSeconds: number; warmupSeconds: number },
  progress: (line: string) => void,
): Promise<FloorResult[]> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const table = `bench-floor-${randomUUID()}`;
  try {
    // As the API run's table: no stream, since nothing reads it there.
    await ensureTable(client, table, undefined, { stream: false });
    const padding = 'x'.repeat(2400); // about a stored binding with its steps
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'BINDING#read' }, sk: { S: 'META' }, v: { S: padding } },
      }),
    );
    const read = () =>
      client.send(
        new GetItemCommand({
          TableName: table,
          Key: { pk: { S: 'BINDING#read' }, sk: { S: 'META' } },
          ConsistentRead: true,
        }),
      );
    let sequence = 0;
    const write = async () => {
      const id = `${sequence++}`;
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            ['BINDING#', 'META', padding],
            ['BINDING#', 'LISTING', 'listing'],
            ['SLOT#', 'SLOT', 'slot'],
            ['BINDING#', 'EVENT#0', 'created'],
          ].map(([prefix, sk, value]) => ({
            Put: {
              TableName: table,
              Item: { pk: { S: `${prefix}${id}` }, sk: { S: String(sk) }, v: { S: String(value) } },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          })),
        }),
      );
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `BINDING#${id}` }, sk: { S: 'EVENT#1' }, v: { S: 'POST /v1/bindings → 202' } },
        }),
      );
    };
    const results: FloorResult[] = [];
    for (const [operation, once] of [
      ['GetItem (consistent)', read],
      ['create: TransactWriteItems (4 puts) + PutItem', write],
    ] as const) {
      if (options.warmupSeconds > 0) {
        progress(`dynamodb floor: warming up ${operation} for ${options.warmupSeconds} s`);
        await closedLoop(options.connections, options.warmupSeconds, once);
      }
      progress(`dynamodb floor: ${operation} with ${options.connections} concurrent requests`);
      const measured = await closedLoop(options.connections, options.durationSeconds, once);
      progress(`dynamodb floor: ${operation}: p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms`);
      results.push({ operation, connections: options.connections, ...measured });
    }
    return results;
  } finally {
    client.destroy();
  }
}
