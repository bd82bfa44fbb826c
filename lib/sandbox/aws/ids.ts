// Identifiers shaped like the ones AWS mints (unique-id prefixes, access keys, request ids).
import { randomBytes, randomUUID } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomFrom(alphabet: string, length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** IAM unique ids are a 4-letter type prefix plus 17 characters: 21 in all (AROA… roles, ANPA… policies). */
export function uniqueId(prefix: 'AROA' | 'ANPA' | 'AIDA'): string {
  return prefix + randomFrom(UPPER_ALNUM, 17);
}

/** AKIA… long-term keys, ASIA… temporary ones; 20 characters. */
export function accessKeyId(kind: 'long-term' | 'temporary'): string {
  return (kind === 'long-term' ? 'AKIA' : 'ASIA') + randomFrom(UPPER_ALNUM, 16);
}

export function secretAccessKey(): string {
  return randomBytes(30).toString('base64');
}

export function sessionToken(): string {
  return `IQoJb3JpZ2luX2Vj${randomBytes(96).toString('base64')}`;
}

export function requestId(): string {
  return randomUUID();
}
