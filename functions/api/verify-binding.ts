// POST /v1/bindings/{id}/verify: composition root, built once per cold start.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { createSfnWorkflowStarter } from '../../lib/adapters/sfn/create-sfn-workflow-starter.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { loadAccessPolicy } from '../../lib/config/access-config.js';
import { loadVerifyBindingConfig } from '../../lib/config/api-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { verifyBindingHandler } from '../../lib/http/handlers/verify-binding-handler.js';

const config = loadVerifyBindingConfig();

export const handler = verifyBindingHandler({
  store: createDynamoDbBindingStore(config),
  workflow: createSfnWorkflowStarter({
    region: config.region,
    stateMachineArn: config.verifyStateMachineArn,
  }),
  clock: systemClock,
  access: policyAccessControl(loadAccessPolicy()),
});
