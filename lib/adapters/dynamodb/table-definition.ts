// The bindings table as declared in serverless.yml, turned into CreateTable input for DynamoDB Local and tests.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type StreamViewType,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { type CollectionTag, parse, type ScalarTag, type YAMLSeq } from 'yaml';

const DEFAULT_SERVERLESS_YML = fileURLToPath(new URL('../../../serverless.yml', import.meta.url));
const TABLE_RESOURCE = 'BindingsTable';

// CloudFormation short-form intrinsics, kept as their long form so the YAML parses.
const INTRINSICS = ['Ref', 'GetAtt', 'Sub', 'Join', 'Select', 'Split', 'If', 'Equals', 'Not', 'And', 'Or'];
const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = INTRINSICS.flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  const scalar: ScalarTag = { tag: `!${name}`, resolve: (value: string) => ({ [key]: value }) };
  const seq: CollectionTag = {
    tag: `!${name}`,
    collection: 'seq',
    resolve: (value) => ({ [key]: (value as YAMLSeq).toJSON() }) as unknown as YAMLSeq,
  };
  return [scalar, seq];
});

export interface TableSpec {
  createTable: CreateTableCommandInput;
  /** The TTL attribute, enabled with a separate UpdateTimeToLive call (CreateTable does not take it). */
  timeToLiveAttribute?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `resources.Resources.BindingsTable` from serverless.yml for a table called `tableName`. */
export function bindingsTableSpec(tableName: string, serverlessYmlPath = DEFAULT_SERVERLESS_YML): TableSpec {
  const document: unknown = parse(readFileSync(serverlessYmlPath, 'utf8'), {
    customTags: CLOUDFORMATION_TAGS,
  });
  const resources =
    isRecord(document) && isRecord(document.resources) ? document.resources.Resources : undefined;
  const table = isRecord(resources) ? resources[TABLE_RESOURCE] : undefined;
  if (!isRecord(table) || !isRecord(table.Properties)) {
    throw new Error(`${serverlessYmlPath} has no resources.Resources.${TABLE_RESOURCE}.Properties`);
  }
  // CreateTable takes neither the name from the template nor the settings applied by separate calls.
  const {
    TableName: _name,
    PointInTimeRecoverySpecification: _pitr,
    TimeToLiveSpecification: ttl,
    StreamSpecification: stream,
    ...properties
  } = table.Properties;
  // CloudFormation names only the view type; CreateTable also wants the stream switched on.
  const streamViewType =
    isRecord(stream) && typeof stream.StreamViewType === 'string' ? stream.StreamViewType : undefined;
  const ttlAttribute =
    isRecord(ttl) && ttl.Enabled === true && typeof ttl.AttributeName === 'string'
      ? ttl.AttributeName
      : undefined;
  return {
    createTable: {
      ...(properties as Omit<CreateTableCommandInput, 'TableName'>),
      TableName: tableName,
      ...(streamViewType
        ? {
            StreamSpecification: {
              StreamEnabled: true,
              StreamViewType: streamViewType as StreamViewType,
            },
          }
        : {}),
    },
    timeToLiveAttribute: ttlAttribute,
  };
}

/**
 * Creates the bindings table if it does not exist yet and enables its TTL; returns whether it created it.
 * `stream: false` leaves the template's stream off: for a runtime where nothing reads it (DynamoDB Local
 * keeps every change record, which slows its writes and fills its memory under load).
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  serverlessYmlPath?: string,
  options: { stream?: boolean } = {},
): Promise<boolean> {
  const full = bindingsTableSpec(tableName, serverlessYmlPath);
  const { StreamSpecification: _stream, ...withoutStream } = full.createTable;
  const spec = options.stream === false ? { ...full, createTable: withoutStream } : full;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table) {
      await addMissingIndexes(client, spec, Table);
      await enableMissingStream(client, spec, Table);
    }
    return false;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await client.send(new CreateTableCommand(spec.createTable));
  } catch (error) {
    if (error instanceof ResourceInUseException) return false; // someone else created it meanwhile
    throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  if (spec.timeToLiveAttribute) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: spec.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
  return true;
}

/** A table kept from before serverless.yml declared the stream gets it (and its change records from then on). */
async function enableMissingStream(client: DynamoDBClient, spec: TableSpec, table: TableDescription) {
  const wanted = spec.createTable.StreamSpecification;
  if (!wanted?.StreamEnabled || table.StreamSpecification?.StreamEnabled) return;
  await client.send(
    new UpdateTableCommand({ TableName: spec.createTable.TableName, StreamSpecification: wanted }),
  );
}

/**
 * A table kept from an earlier version (`npm start` keeps its data) gets the indexes serverless.yml added
 * since, one at a time as DynamoDB requires, each waited for until ACTIVE.
 */
async function addMissingIndexes(client: DynamoDBClient, spec: TableSpec, table: TableDescription) {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const tableName = spec.createTable.TableName;
  for (const index of spec.createTable.GlobalSecondaryIndexes ?? []) {
    if (!index.IndexName || present.has(index.IndexName)) continue;
    const keyNames = new Set(index.KeySchema?.map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: spec.createTable.AttributeDefinitions?.filter((a) =>
          keyNames.has(a.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
            },
          },
        ],
      }),
    );
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      const status = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName)?.IndexStatus;
      if (status === 'ACTIVE') break;
      if (Date.now() > deadline) {
        throw new Error(`Index ${index.IndexName} of table ${tableName} is still ${status} after 120 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
