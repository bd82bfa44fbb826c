// Who is calling and what the access policy lets them do: the caller comes only from the authorizer context.
import type { Binding } from '../../domain/binding.js';
import { NotFoundError, UnauthenticatedError } from '../../domain/errors.js';
import {
  type Caller,
  type CallerClaims,
  canSee,
  resolveCaller,
  type TenantPolicy,
} from '../../domain/tenant-policy.js';
import type { BindingStore } from '../../ports/binding-store.js';

export interface AccessControl {
  policy: TenantPolicy;
  /** The caller of an API Gateway v2 event; UnauthenticatedError without a verified subject. */
  callerOf(event: { requestContext?: unknown }): Caller;
}

type Claims = Record<string, unknown>;

const READABLE_ID = /^[\w-]{1,128}$/;

function claimsOf(event: { requestContext?: unknown }): Claims | undefined {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Claims } } } | undefined;
  return context?.authorizer?.jwt?.claims;
}

/**
 * Group names from a claim. API Gateway's JWT authorizer hands array claims over flattened to a
 * string, `[a b c]`; a plain string is one group (or a comma/space separated list).
 */
export function groupsFrom(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.length > 0);
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  const inner = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  return inner.split(/[\s,]+/).filter((group) => group.length > 0);
}

export function claimsFromEvent(event: { requestContext?: unknown }, groupsClaim: string): CallerClaims {
  const claims = claimsOf(event);
  if (claims === undefined) {
    // Deployed, the route's JWT authorizer never lets such a request through; locally, the runtime's does not either.
    throw new UnauthenticatedError(
      'The request carries no verified identity; send Authorization: Bearer <token> from your identity provider.',
    );
  }
  const sub = claims.sub;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    throw new UnauthenticatedError(
      'The access token has no subject (sub claim); use a token issued to a user or client.',
    );
  }
  return { subject: sub, groups: groupsFrom(claims[groupsClaim]) };
}

export function policyAccessControl(policy: TenantPolicy): AccessControl {
  return {
    policy,
    callerOf: (event) => resolveCaller(claimsFromEvent(event, policy.groupsClaim), policy),
  };
}

/** The binding when the caller may see it; others' bindings are "not found", so ids leak nothing. */
export function visibleOr404(caller: Caller, id: string, binding: Binding | undefined): Binding {
  if (binding && canSee(caller, binding)) return binding;
  throw new NotFoundError(
    `No binding with id "${id}"; ids look like b-01j…, as returned by POST /v1/bindings.`,
  );
}

/**
 * For handlers that act on `/v1/bindings/{id}`: the caller and the binding, or 401 / 404 (also for a
 * binding of another tenant). The tenant of a binding never changes, so checking before the change holds.
 */
export async function visibleBinding(
  deps: { access: AccessControl; store: Pick<BindingStore, 'get'> },
  event: { requestContext?: unknown; pathParameters?: Record<string, string | undefined> },
): Promise<{ caller: Caller; binding: Binding }> {
  const caller = deps.access.callerOf(event);
  const id = event.pathParameters?.id ?? '';
  // Ids are checked by the use cases; only what cannot be a key is answered without a read.
  const binding = READABLE_ID.test(id) ? await deps.store.get(id) : undefined;
  return { caller, binding: visibleOr404(caller, id, binding) };
}
