// Bindings and DynamoDB Local tables for the store and API tests.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../lib/adapters/dynamodb/table-definition.js';
import { BIND_STEPS, type Binding } from '../../lib/domain/binding.js';
import { bindingIdFrom } from '../../lib/domain/names.js';

export function dynamoDbLocalClient(): DynamoDBClient {
  const endpoint = process.env.IRSA_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('IRSA_TEST_DYNAMODB_ENDPOINT is not set; run the tests through jest');
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** A fresh table built from serverless.yml, named after the test file. */
export async function freshTable(client: DynamoDBClient, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  await ensureTable(client, name);
  return name;
}

let clockMs = Date.UTC(2025, 0, 1);

export function newBinding(overrides: Partial<Binding> = {}): Binding {
  clockMs += 1000;
  const createdAt = overrides.createdAt ?? new Date(clockMs).toISOString();
  return {
    id: bindingIdFrom(Date.parse(createdAt), randomBytes(10)),
    status: 'PENDING',
    clusterName: 'prod',
    region: 'eu-west-1',
    namespace: 'payments',
    serviceAccountName: `sa-${randomBytes(3).toString('hex')}`,
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    roleName: 'irsa-prod-payments-ledger',
    createServiceAccount: true,
    verify: true,
    tags: { team: 'payments' },
    createdAt,
    updatedAt: createdAt,
    createdBy: 'alice',
    steps: BIND_STEPS.map((name) => ({ name, status: 'PENDING' as const })),
    ...overrides,
  };
}
