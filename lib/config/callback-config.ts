// The operator's callback settings, shared by POST /v1/bindings (which refuses other hosts) and the
// callback deliverer (which checks again before every call).
import * as z from 'zod/mini';
import type { CallbackPolicy } from '../domain/callback-url.js';
import '../domain/validation-locale.js';

const HOST_ENTRY = /^(\*\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const callbackEnv = {
  /** Comma-separated hosts (or `*.example.com`) callback URLs may name; absent, empty or `none`: no callbacks. */
  CALLBACK_ALLOWED_HOSTS: z
    .pipe(
      z._default(z.string(), ''),
      z.transform((text) =>
        text === 'none'
          ? []
          : text
              .split(',')
              .map((host) => host.trim().toLowerCase())
              .filter(Boolean),
      ),
    )
    .check(
      z.refine((hosts) => hosts.every((host) => HOST_ENTRY.test(host)), {
        message:
          'CALLBACK_ALLOWED_HOSTS must be comma-separated host names (or *.example.com), e.g. portal.example.com',
      }),
    ),
  /** `true` on the local stage only: plain HTTP to loopback (a portal developer's laptop). */
  CALLBACK_ALLOW_LOOPBACK_HTTP: z._default(
    z.pipe(
      z.enum(['true', 'false'], { error: 'CALLBACK_ALLOW_LOOPBACK_HTTP must be "true" or "false"' }),
      z.transform((v) => v === 'true'),
    ),
    false,
  ),
};

export function callbackPolicyOf(parsed: {
  CALLBACK_ALLOWED_HOSTS: string[];
  CALLBACK_ALLOW_LOOPBACK_HTTP: boolean;
}): CallbackPolicy {
  return {
    allowedHosts: parsed.CALLBACK_ALLOWED_HOSTS,
    allowLoopbackHttp: parsed.CALLBACK_ALLOW_LOOPBACK_HTTP,
  };
}
