// PATCH /v1/bindings/{id}: composition root, built once per cold start.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { createSfnWorkflowStarter } from '../../lib/adapters/sfn/create-sfn-workflow-starter.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { loadAccessPolicy } from '../../lib/config/access-config.js';
import { loadUpdateBindingConfig } from '../../lib/config/api-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { updateBindingHandler } from '../../lib/http/handlers/update-binding-handler.js';

const config = loadUpdateBindingConfig();

export const handler = updateBindingHandler({
  store: createDynamoDbBindingStore(config),
  workflow: createSfnWorkflowStarter({
    region: config.region,
    stateMachineArn: config.updateStateMachineArn,
  }),
  clock: systemClock,
  access: policyAccessControl(loadAccessPolicy()),
});
