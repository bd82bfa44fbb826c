// Step Lambda of the bind workflow; the handler lives with the others in lib/composition/step-handlers.ts.
import { stepDependencies } from '../../lib/composition/step-dependencies.js';
import { createStepHandlers } from '../../lib/composition/step-handlers.js';

export const handler = createStepHandlers(stepDependencies()).recordOutcome;
