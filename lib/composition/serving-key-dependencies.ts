// The serving keys of the webhook steps (EnsureWebhook, ApproveCsr): X.509 code only they bundle.
import { WebCryptoServingKeyGenerator } from '../adapters/crypto/webcrypto-serving-key-generator.js';
import type { ServingKeyGenerator } from '../ports/serving-key-generator.js';
import { processShared } from './step-dependencies.js';

export function servingKeyDependencies(): { keys: ServingKeyGenerator } {
  return processShared('keys', () => ({ keys: new WebCryptoServingKeyGenerator() }));
}
