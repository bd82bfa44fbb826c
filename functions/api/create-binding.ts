// POST /v1/bindings: composition root, built once per cold start.
import { createDynamoDbBindingStore } from '../../lib/adapters/dynamodb/create-dynamodb-binding-store.js';
import { createSfnWorkflowStarter } from '../../lib/adapters/sfn/create-sfn-workflow-starter.js';
import { randomIdGenerator } from '../../lib/adapters/system/random-id-generator.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { loadAccessPolicy } from '../../lib/config/access-config.js';
import { loadCreateBindingConfig } from '../../lib/config/api-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { createBindingHandler } from '../../lib/http/handlers/create-binding-handler.js';

const config = loadCreateBindingConfig();

export const handler = createBindingHandler({
  store: createDynamoDbBindingStore(config),
  workflow: createSfnWorkflowStarter({ region: config.region, stateMachineArn: config.bindStateMachineArn }),
  clock: systemClock,
  ids: randomIdGenerator,
  access: policyAccessControl(loadAccessPolicy()),
  deniedPolicyArns: config.deniedPolicyArns,
  callbacks: config.callbacks,
});
