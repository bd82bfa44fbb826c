// A metering proxy in front of DynamoDB Local: the runtime points at it instead of DynamoDB Local, so
// every DynamoDB call (API handlers, step handlers, the state machine's integrations) passes through
// without touching production code. It asks DynamoDB Local for the consumed capacity of each call
// and hands the caller the answer it would have had without that request.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
/** DynamoDB bills transactional requests twice the units of the same plain requests; DynamoDB Local reports the plain units. */
const TRANSACTIONAL = new Set(['TransactGetItems', 'TransactWriteItems']);

export interface DynamoDbUsage {
  /** Calls by operation (X-Amz-Target), every operation counted. */
  calls: Record<string, number>;
  /** Read request units as on-demand DynamoDB bills them (table and indexes). */
  readUnits: number;
  /** Write request units as on-demand DynamoDB bills them (table and indexes). */
  writeUnits: number;
  /** Units by `<operation> <table|index name>` (transactions doubled), to see where they go. */
  unitsBy: Record<string, number>;
}

export interface DynamoDbMeter {
  endpoint: string;
  usage(): DynamoDbUsage;
  reset(): void;
  stop(): Promise<void>;
}

type Capacity = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };
type ConsumedCapacity = Capacity & {
  Table?: Capacity;
  GlobalSecondaryIndexes?: Record<string, Capacity>;
  LocalSecondaryIndexes?: Record<string, Capacity>;
};

/** Units of one ConsumedCapacity entry: its total, else the sum of table and index parts. */
function unitsOf(consumed: ConsumedCapacity): number {
  if (typeof consumed.CapacityUnits === 'number') return consumed.CapacityUnits;
  let sum = consumed.Table?.CapacityUnits ?? 0;
  for (const index of Object.values(consumed.GlobalSecondaryIndexes ?? {})) sum += index.CapacityUnits ?? 0;
  for (const index of Object.values(consumed.LocalSecondaryIndexes ?? {})) sum += index.CapacityUnits ?? 0;
  return sum;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startDynamoDbMeter(target: string): Promise<DynamoDbMeter> {
  let calls: Record<string, number> = {};
  let readUnits = 0;
  let writeUnits = 0;
  let unitsBy: Record<string, number> = {};
  const addBy = (operation: string, part: string, units: number) => {
    const key = `${operation} ${part}`;
    unitsBy[key] = (unitsBy[key] ?? 0) + units;
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      calls[operation] = (calls[operation] ?? 0) + 1;
      let body = await readBody(request);
      const metered = READS.has(operation) || WRITES.has(operation);
      let callerAskedForCapacity = false;
      if (metered) {
        const json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        callerAskedForCapacity = json.ReturnConsumedCapacity !== undefined;
        if (!callerAskedForCapacity) {
          json.ReturnConsumedCapacity = 'INDEXES';
          body = Buffer.from(JSON.stringify(json));
        }
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
      }
      const upstream = await fetch(target, { method: request.method ?? 'POST', headers, body });
      let answer = Buffer.from(await upstream.arrayBuffer());
      if (metered && upstream.ok) {
        const json = JSON.parse(answer.toString('utf8')) as { ConsumedCapacity?: unknown };
        const consumed = ([] as ConsumedCapacity[]).concat(
          (json.ConsumedCapacity as ConsumedCapacity | ConsumedCapacity[] | undefined) ?? [],
        );
        const units =
          consumed.reduce((sum, c) => sum + unitsOf(c), 0) * (TRANSACTIONAL.has(operation) ? 2 : 1);
        if (READS.has(operation)) readUnits += units;
        else writeUnits += units;
        const factor = TRANSACTIONAL.has(operation) ? 2 : 1;
        for (const c of consumed) {
          if (!c.Table && !c.GlobalSecondaryIndexes)
            addBy(operation, 'table', (c.CapacityUnits ?? 0) * factor);
          if (c.Table) addBy(operation, 'table', (c.Table.CapacityUnits ?? 0) * factor);
          for (const [name, index] of Object.entries(c.GlobalSecondaryIndexes ?? {}))
            addBy(operation, name, (index.CapacityUnits ?? 0) * factor);
        }
        if (!callerAskedForCapacity) {
          delete json.ConsumedCapacity;
          answer = Buffer.from(JSON.stringify(json));
        }
      }
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (name !== 'content-length' && name !== 'content-encoding' && name !== 'transfer-encoding')
          out[name] = value;
      });
      // The SDK checks the body against x-amz-crc32: it must describe the body we send.
      out['x-amz-crc32'] = String(crc32(answer));
      out['content-length'] = String(answer.length);
      response.writeHead(upstream.status, out);
      response.end(answer);
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({ __type: 'InternalServerError', message: `bench meter: ${String(error)}` }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    usage: () => ({ calls: { ...calls }, readUnits, writeUnits, unitsBy: { ...unitsBy } }),
    reset() {
      calls = {};
      unitsBy = {};
      readUnits = 0;
      writeUnits = 0;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
