// What Lambda's event source mapping does for a DynamoDB stream, on DynamoDB Local's stream: reads each
// shard in order (a child only after its parent), filters records by the subscription's patterns, invokes
// the function with Lambda's event shape, and moves on only past what the function reported processed
// (ReportBatchItemFailures), retrying the rest with backoff. Checkpoints survive restarts when a file is
// given, so a restarted `npm start` does not deliver again what it already delivered.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import type { StreamSubscription } from './serverless-config.js';

export interface StreamPollerOptions {
  dynamodb: DynamoDBClient;
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  tableName: string;
  subscription: StreamSubscription;
  /** Runs the subscribed function with a Lambda DynamoDB stream event; resolves to its response. */
  invoke(event: unknown): Promise<unknown>;
  /** Where the last delivered sequence number of each shard is kept between runs; none: memory only. */
  checkpointFile?: string;
  /** Between polls of a quiet stream (Lambda polls about 4 times a second). */
  pollIntervalMs?: number;
  log?: (line: string) => void;
}

export interface StreamPoller {
  /** Finishes the batch in flight, then stops polling. */
  stop(): Promise<void>;
}

type Checkpoints = Record<string, string>;

/**
 * Whether a value matches an event pattern of exact values and existence tests, the part of Lambda's
 * filter syntax serverless.yml uses: `{ a: { b: ['x', 'y'] }, c: { S: [{ exists: true }] } }`.
 */
export function matchesPattern(value: unknown, pattern: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) =>
      typeof allowed === 'object' && allowed !== null && 'exists' in allowed
        ? (value !== undefined) === Boolean((allowed as { exists: unknown }).exists)
        : allowed === value,
    );
  }
  if (typeof pattern !== 'object' || pattern === null) return pattern === value;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, inner]) =>
    matchesPattern((value as Record<string, unknown>)[key], inner),
  );
}

/**
 * An attribute value as DynamoDB's stream carries it. DynamoDB Local writes an empty map as `{}` in stream
 * images where DynamoDB writes `{"M": {}}`; the function must see what it would see in AWS.
 */
function asDynamoDbWrites(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const attribute = value as Record<string, unknown>;
  if (Object.keys(attribute).length === 0) return { M: {} };
  if (typeof attribute.M === 'object' && attribute.M !== null)
    return { M: imageAsDynamoDbWrites(attribute.M) };
  if (Array.isArray(attribute.L)) return { L: attribute.L.map(asDynamoDbWrites) };
  return attribute;
}

function imageAsDynamoDbWrites(image: object | undefined): Record<string, unknown> | undefined {
  if (!image) return undefined;
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, asDynamoDbWrites(value)]));
}

/** A record as Lambda hands it to the function (times in epoch seconds, the stream's ARN). */
function lambdaRecord(record: StreamRecord, streamArn: string, region: string) {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb: {
      ...record.dynamodb,
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      ...(record.dynamodb?.NewImage ? { NewImage: imageAsDynamoDbWrites(record.dynamodb.NewImage) } : {}),
      ...(record.dynamodb?.OldImage ? { OldImage: imageAsDynamoDbWrites(record.dynamodb.OldImage) } : {}),
    },
    eventSourceARN: streamArn,
  };
}

function failedItem(response: unknown): string | undefined {
  const failures = (response as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)
    ?.batchItemFailures;
  const first = Array.isArray(failures) ? failures[0]?.itemIdentifier : undefined;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startStreamPoller(options: StreamPollerOptions): Promise<StreamPoller> {
  const log = options.log ?? (() => undefined);
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const { subscription } = options;
  const streams = new DynamoDBStreamsClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
  });
  const checkpoints: Checkpoints = await readCheckpoints(options.checkpointFile);
  const iterators = new Map<string, string>();
  /** Shards read to their end (closed and drained). */
  const finished = new Set<string>();
  let stopped = false;
  let failures = 0;

  const saveCheckpoints = async () => {
    if (!options.checkpointFile) return;
    const temporary = `${options.checkpointFile}.tmp`;
    await writeFile(temporary, JSON.stringify(checkpoints));
    await rename(temporary, options.checkpointFile);
  };

  let knownStreamArn: string | undefined;
  const streamArn = async (): Promise<string | undefined> => {
    if (knownStreamArn) return knownStreamArn;
    const { Table } = await options.dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
    knownStreamArn = Table?.LatestStreamArn;
    return knownStreamArn;
  };

  const shardsOf = async (arn: string): Promise<Shard[]> => {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(
        new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  };

  const iteratorFor = async (arn: string, shardId: string): Promise<string | undefined> => {
    const known = iterators.get(shardId);
    if (known) return known;
    const after = checkpoints[shardId];
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: arn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: subscription.startingPosition }),
      }),
    );
    if (ShardIterator) iterators.set(shardId, ShardIterator);
    return ShardIterator;
  };

  const wanted = (record: StreamRecord) =>
    subscription.filterPatterns.length === 0 ||
    subscription.filterPatterns.some((pattern) => matchesPattern(record, pattern));

  /**
   * Delivers the records in batches and moves the shard's checkpoint past what was delivered; false when
   * a batch failed (the shard is then read again from its first record not delivered).
   */
  const deliver = async (arn: string, shardId: string, records: StreamRecord[]): Promise<boolean> => {
    for (let start = 0; start < records.length; start += subscription.batchSize) {
      const batch = records.slice(start, start + subscription.batchSize);
      const delivered = batch.filter(wanted);
      let failedFrom: string | undefined;
      if (delivered.length > 0) {
        try {
          const response = await options.invoke({
            Records: delivered.map((r) => lambdaRecord(r, arn, options.region)),
          });
          failedFrom = subscription.reportBatchItemFailures ? failedItem(response) : undefined;
        } catch (error) {
          failedFrom = delivered[0]?.dynamodb?.SequenceNumber;
          log(
            `${subscription.functionName} failed on a stream batch: ${error instanceof Error ? error.message : error}`,
          );
        }
      }
      const failedIndex =
        failedFrom === undefined ? -1 : batch.findIndex((r) => r.dynamodb?.SequenceNumber === failedFrom);
      const done = failedIndex === -1 ? batch : batch.slice(0, failedIndex);
      const last = done.at(-1)?.dynamodb?.SequenceNumber;
      if (last) {
        checkpoints[shardId] = last;
        await saveCheckpoints();
      }
      if (failedIndex !== -1) {
        // Read again from the first record not delivered, as Lambda does.
        iterators.delete(shardId);
        return false;
      }
    }
    return true;
  };

  /** One pass over the stream: nothing new, records delivered, or a batch the function failed. */
  const pollOnce = async (): Promise<'idle' | 'delivered' | 'failed'> => {
    const arn = await streamArn();
    if (!arn) return 'idle';
    const shards = await shardsOf(arn);
    const known = new Set(shards.map((s) => s.ShardId));
    let found: 'idle' | 'delivered' = 'idle';
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (!shardId || finished.has(shardId)) continue;
      // A child shard waits until its parent has been read to its end.
      if (shard.ParentShardId && known.has(shard.ParentShardId) && !finished.has(shard.ParentShardId))
        continue;
      for (;;) {
        if (stopped) return found;
        const iterator = await iteratorFor(arn, shardId);
        if (!iterator) break;
        let page: { Records?: StreamRecord[]; NextShardIterator?: string };
        try {
          page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        } catch (error) {
          iterators.delete(shardId);
          if (error instanceof ExpiredIteratorException) continue;
          if (error instanceof TrimmedDataAccessException) {
            delete checkpoints[shardId];
            continue;
          }
          throw error;
        }
        const records = page.Records ?? [];
        if (records.length > 0) {
          found = 'delivered';
          if (!(await deliver(arn, shardId, records))) return 'failed';
        }
        if (page.NextShardIterator) iterators.set(shardId, page.NextShardIterator);
        else {
          iterators.delete(shardId);
          finished.add(shardId);
        }
        if (records.length === 0 || !page.NextShardIterator) break;
      }
    }
    return found;
  };

  const loop = (async () => {
    while (!stopped) {
      let idle = false;
      try {
        const outcome = await pollOnce();
        idle = outcome === 'idle';
        failures = outcome === 'failed' ? failures + 1 : 0;
      } catch (error) {
        failures++;
        log(`stream of ${options.tableName}: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (stopped) break;
      // Backoff after failures (Lambda retries a failing batch the same way), else the poll interval.
      await sleep(
        failures > 0 ? Math.min(5000, 100 * 2 ** Math.min(failures, 6)) : idle ? pollIntervalMs : 0,
      );
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
}

async function readCheckpoints(file: string | undefined): Promise<Checkpoints> {
  if (!file) return {};
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Checkpoints) : {};
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}
