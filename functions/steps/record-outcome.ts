// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { recordOutcomeHandler } from '../../lib/composition/step-handlers.js';

export const handler = recordOutcomeHandler({ ...coreDependencies() });
