// EventBridge → Lambda: a workflow execution ended FAILED, TIMED_OUT or ABORTED; composition root.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { executionEndedHandler } from '../../lib/composition/execution-ended-handler.js';
import { loadStoreConfig } from '../../lib/config/api-config.js';

export const handler = executionEndedHandler({
  store: createDynamoDbBindingStore(loadStoreConfig()),
  clock: systemClock,
});
