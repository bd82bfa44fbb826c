// Configuration of the callback deliverer Lambda, validated once at cold start: the operator's callback
// policy and where the signing secret is (an SSM parameter; a literal only on the local stage).
import * as z from 'zod/mini';
import type { CallbackPolicy } from '../domain/callback-url.js';
import { REGION_PATTERN } from '../domain/names.js';
import { callbackEnv, callbackPolicyOf } from './callback-config.js';
import '../domain/validation-locale.js';

const optional = (name: string, pattern: RegExp, what: string) =>
  z.optional(
    z.pipe(
      z.string().check(z.regex(pattern, { error: `${name} must be ${what} (or none)` })),
      z.transform((value) => (value === 'none' ? undefined : value)),
    ),
  );

const deliveryEnv = z
  .object({
    AWS_REGION: z
      .string({ error: 'set AWS_REGION (Lambda sets it; locally export it, e.g. us-east-1)' })
      .check(z.regex(REGION_PATTERN, { error: 'AWS_REGION must be a region code such as us-east-1' })),
    ...callbackEnv,
    CALLBACK_SECRET_PARAMETER: optional(
      'CALLBACK_SECRET_PARAMETER',
      /^(none|\/[a-zA-Z0-9_.\-/]{1,1010})$/,
      'an SSM parameter name such as /irsa-broker/callback-signing-secret',
    ),
    CALLBACK_SECRET: optional('CALLBACK_SECRET', /^(none|.{16,4096})$/, 'at least 16 characters'),
  })
  .check(
    z.refine((env) => (env.CALLBACK_SECRET_PARAMETER === undefined) !== (env.CALLBACK_SECRET === undefined), {
      message:
        'set exactly one of CALLBACK_SECRET_PARAMETER (the SSM SecureString holding the callback signing secret) and CALLBACK_SECRET (local stage only)',
    }),
  );

export interface CallbackDeliveryConfig {
  region: string;
  policy: CallbackPolicy;
  secret: { parameterName: string } | { value: string };
}

export function loadCallbackDeliveryConfig(
  env: Record<string, string | undefined> = process.env,
): CallbackDeliveryConfig {
  const result = deliveryEnv.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`);
    throw new Error(`Invalid irsa-broker callback deliverer configuration:\n  ${problems.join('\n  ')}`);
  }
  const parsed = result.data;
  return {
    region: parsed.AWS_REGION,
    policy: callbackPolicyOf(parsed),
    secret: parsed.CALLBACK_SECRET_PARAMETER
      ? { parameterName: parsed.CALLBACK_SECRET_PARAMETER }
      : { value: parsed.CALLBACK_SECRET ?? '' },
  };
}
