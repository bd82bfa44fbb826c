// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import {
  eksDependencies,
  iamDependencies,
  targetAccountDependencies,
} from '../../lib/composition/aws-step-dependencies.js';
import { checkDriftHandler } from '../../lib/composition/drift-step-handlers.js';
import { kubernetesDependencies } from '../../lib/composition/kubernetes-step-dependencies.js';
import { coreDependencies } from '../../lib/composition/step-dependencies.js';

export const handler = checkDriftHandler({
  ...coreDependencies(),
  ...iamDependencies(),
  ...targetAccountDependencies(),
  ...eksDependencies(),
  ...kubernetesDependencies(),
});
