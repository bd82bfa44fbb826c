// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { eksDependencies } from '../../lib/composition/aws-step-dependencies.js';
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { deletePodIdentityAssociationHandler } from '../../lib/composition/unbind-step-handlers.js';

export const handler = deletePodIdentityAssociationHandler({ ...coreDependencies(), ...eksDependencies() });
