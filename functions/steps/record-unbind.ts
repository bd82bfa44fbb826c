// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { recordUnbindHandler } from '../../lib/composition/unbind-step-handlers.js';

export const handler = recordUnbindHandler({ ...coreDependencies() });
