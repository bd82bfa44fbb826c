// Builds the DynamoDB client and binding store once per cold start; AWS_ENDPOINT_URL_DYNAMODB points it elsewhere locally.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { BindingStore } from '../../ports/binding-store.js';
import { DynamoDbBindingStore } from './dynamodb-binding-store.js';

export function createDynamoDbBindingStore(config: { region: string; bindingsTable: string }): BindingStore {
  return new DynamoDbBindingStore({
    client: new DynamoDBClient({ region: config.region }),
    tableName: config.bindingsTable,
  });
}
