// Step Lambda of the verify (drift check) workflow; the handler lives in lib/composition/drift-step-handlers.ts.
import { createDriftStepHandlers } from '../../lib/composition/drift-step-handlers.js';
import { stepDependencies } from '../../lib/composition/step-dependencies.js';

export const handler = createDriftStepHandlers(stepDependencies()).checkDrift;
