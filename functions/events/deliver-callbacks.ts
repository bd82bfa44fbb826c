// DynamoDB stream → Lambda → the bindings' callback URLs (signed HTTPS POSTs); composition root.
import { createSsmSigningSecret } from '../../lib/adapters/aws/ssm-signing-secret.js';
import { NodeCallbackTransport } from '../../lib/adapters/callbacks/node-callback-transport.js';
import { systemClock } from '../../lib/adapters/system/system-clock.js';
import { callbacksHandler } from '../../lib/composition/callbacks-handler.js';
import { loadCallbackDeliveryConfig } from '../../lib/config/callback-delivery-config.js';

const config = loadCallbackDeliveryConfig();
const { secret } = config;

export const handler = callbacksHandler({
  transport: new NodeCallbackTransport({ allowLoopback: config.policy.allowLoopbackHttp }),
  secret:
    'parameterName' in secret
      ? createSsmSigningSecret({ region: config.region, parameterName: secret.parameterName })
      : { value: async () => secret.value },
  clock: systemClock,
  policy: config.policy,
});
