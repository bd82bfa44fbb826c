// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { iamDependencies, targetAccountDependencies } from '../../lib/composition/aws-step-dependencies.js';
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { deleteRoleHandler } from '../../lib/composition/unbind-step-handlers.js';

export const handler = deleteRoleHandler({
  ...coreDependencies(),
  ...iamDependencies(),
  ...targetAccountDependencies(),
});
