// Drives the real local runtime over HTTP for the API integration tests.
import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/runtime.js';
import { dynamoDbLocalClient } from './store-fixtures.js';

export function uniqueTableName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export async function startApi(tableName: string): Promise<LocalRuntime> {
  const endpoint = process.env.IRSA_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('IRSA_TEST_DYNAMODB_ENDPOINT is not set; run the tests through jest');
  // preload: false keeps start-up quiet while the bind steps are still being written.
  return startLocalRuntime({ port: 0, dynamodb: { endpoint }, tableName, preload: false });
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(
  runtime: LocalRuntime,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text) {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { unparsed: text };
    }
  }
  return { status: response.status, headers: response.headers, body };
}

export function postBinding(
  runtime: LocalRuntime,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  return call(runtime, 'POST', '/v1/bindings', {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * Bindings and idempotency claims in the table: what a POST writes and nothing else does or removes,
 * so workflows still running in the background cannot change it. "Nothing stored" is checked against it.
 */
export async function createdRecordCount(tableName: string): Promise<number> {
  const client = dynamoDbLocalClient();
  try {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          Select: 'COUNT',
          FilterExpression: 'sk IN (:meta, :idempotency)',
          ExpressionAttributeValues: { ':meta': { S: 'META' }, ':idempotency': { S: 'IDEMPOTENCY' } },
          ...(start ? { ExclusiveStartKey: start as never } : {}),
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  } finally {
    client.destroy();
  }
}

export function bindingRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    clusterName: 'prod',
    region: 'eu-west-1',
    namespace: 'payments',
    serviceAccountName: 'ledger',
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    ...overrides,
  };
}
