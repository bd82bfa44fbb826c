import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { bindingsTableSpec, ensureTable } from '../../lib/adapters/dynamodb/table-definition.js';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { dynamoDbLocalClient } from './store-fixtures.js';

const client = dynamoDbLocalClient();

describe('bindingsTableSpec', () => {
  it('takes keys and indexes from serverless.yml and leaves out what CreateTable does not accept', () => {
    const spec = bindingsTableSpec('my-table');

    expect(spec.createTable.TableName).toBe('my-table');
    expect(spec.createTable.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(spec.createTable.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual([
      'gsi1',
      'gsi2',
      'gsi3',
    ]);
    expect(spec.createTable).not.toHaveProperty('PointInTimeRecoverySpecification');
    expect(spec.createTable).not.toHaveProperty('TimeToLiveSpecification');
    expect(spec.timeToLiveAttribute).toBe('expiresAt');
    expect(spec.createTable.StreamSpecification).toEqual({
      StreamEnabled: true,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    });
  });
});

describe('ensureTable', () => {
  it('creates the table once with TTL on, and leaves an existing table alone', async () => {
    const name = `table-def-${Date.now()}`;

    const created = await ensureTable(client, name);
    const again = await ensureTable(client, name);

    expect([created, again]).toEqual([true, false]);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(3);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(Table?.LatestStreamArn).toContain(`table/${name}/stream/`);
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('turns on the stream of a table kept from before serverless.yml declared it', async () => {
    const name = `table-nostream-${Date.now()}`;
    const { StreamSpecification: _stream, ...spec } = bindingsTableSpec(name).createTable;
    await client.send(new CreateTableCommand(spec));

    expect(await ensureTable(client, name)).toBe(false);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('leaves the stream off with stream: false, where nothing reads it (the bench, an API-only runtime)', async () => {
    const name = `table-quiet-${Date.now()}`;

    expect(await ensureTable(client, name, undefined, { stream: false })).toBe(true);
    expect(await ensureTable(client, name, undefined, { stream: false })).toBe(false);

    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
    expect(Table?.GlobalSecondaryIndexes).toHaveLength(3);
  });

  it('adds the indexes serverless.yml gained since a kept table was created', async () => {
    // A DynamoDB Local of its own, like `npm start`'s: on the run's shared instance, busy with every other
    // suite's tables, DynamoDB Local can take minutes to build an index.
    const local = await startDynamoDbLocal();
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: local.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      await addsMissingIndexes(client);
    } finally {
      client.destroy();
      await local.stop();
    }
  }, 120_000);
});

/** A table made before gsi3 existed gets it from ensureTable, ACTIVE. */
async function addsMissingIndexes(client: DynamoDBClient) {
  const name = `table-old-${Date.now()}`;
  const spec = bindingsTableSpec(name).createTable;
  await client.send(
    new CreateTableCommand({
      ...spec,
      AttributeDefinitions: spec.AttributeDefinitions?.filter((a) => !a.AttributeName?.startsWith('gsi3')),
      GlobalSecondaryIndexes: spec.GlobalSecondaryIndexes?.filter((i) => i.IndexName !== 'gsi3'),
    }),
  );

  expect(await ensureTable(client, name)).toBe(false);

  const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
  expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus]).sort()).toEqual([
    ['gsi1', 'ACTIVE'],
    ['gsi2', 'ACTIVE'],
    ['gsi3', 'ACTIVE'],
  ]);
}
