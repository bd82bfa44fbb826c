// Binding ids from the clock time and 80 bits of cryptographic randomness.
import { randomBytes } from 'node:crypto';
import { bindingIdFrom } from '../../domain/names.js';
import type { IdGenerator } from '../../ports/id-generator.js';

export const randomIdGenerator: IdGenerator = {
  bindingId: (at) => bindingIdFrom(at.getTime(), randomBytes(10)),
};
