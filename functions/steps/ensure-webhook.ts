// Step Lambda: its handler and only the dependencies it calls (lib/composition).
import { kubernetesDependencies } from '../../lib/composition/kubernetes-step-dependencies.js';
import { servingKeyDependencies } from '../../lib/composition/serving-key-dependencies.js';
import { coreDependencies } from '../../lib/composition/step-dependencies.js';
import { ensureWebhookHandler } from '../../lib/composition/webhook-step-handlers.js';

export const handler = ensureWebhookHandler({
  ...coreDependencies(),
  ...kubernetesDependencies(),
  ...servingKeyDependencies(),
});
