// GET /v1/bindings: composition root, built once per cold start.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { loadAccessPolicy } from '../../lib/config/access-config.js';
import { loadStoreConfig } from '../../lib/config/api-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { listBindingsHandler } from '../../lib/http/handlers/list-bindings-handler.js';

export const handler = listBindingsHandler({
  store: createDynamoDbBindingStore(loadStoreConfig()),
  access: policyAccessControl(loadAccessPolicy()),
});
