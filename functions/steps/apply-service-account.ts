// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { kubernetesDependencies } from '../../lib/composition/kubernetes-step-dependencies.js';
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { applyServiceAccountHandler } from '../../lib/composition/step-handlers.js';

export const handler = applyServiceAccountHandler({ ...coreDependencies(), ...kubernetesDependencies() });
