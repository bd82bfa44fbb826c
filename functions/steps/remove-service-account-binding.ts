// Step Lambda of the unbind workflow (and the bind workflow's rollback); see lib/composition/unbind-step-handlers.ts.
import { stepDependencies } from '../../lib/composition/step-dependencies.js';
import { createUnbindStepHandlers } from '../../lib/composition/unbind-step-handlers.js';

export const handler = createUnbindStepHandlers(stepDependencies()).removeServiceAccountBinding;
