// DELETE /v1/bindings/{id}: composition root, built once per cold start.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { createSfnWorkflowStarter } from '../../lib/adapters/sfn/create-sfn-workflow-starter.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { loadAccessPolicy } from '../../lib/config/access-config.js';
import { loadDeleteBindingConfig } from '../../lib/config/api-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { deleteBindingHandler } from '../../lib/http/handlers/delete-binding-handler.js';

const config = loadDeleteBindingConfig();

export const handler = deleteBindingHandler({
  store: createDynamoDbBindingStore(config),
  unbindWorkflow: createSfnWorkflowStarter({
    region: config.region,
    stateMachineArn: config.unbindStateMachineArn,
  }),
  clock: systemClock,
  access: policyAccessControl(loadAccessPolicy()),
});
