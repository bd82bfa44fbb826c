// Who is calling: the `sub` claim the API Gateway JWT authorizer verified, or 'anonymous' without one.
import { UnauthenticatedError } from '../domain/errors.js';

export const ANONYMOUS_CALLER = 'anonymous';

/** Accepts any API Gateway v2 event; the authorizer block is present only behind a JWT authorizer. */
export function callerOf(event: { requestContext?: unknown }): string {
  const context = event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  const jwt = context?.authorizer?.jwt;
  if (jwt === undefined) return ANONYMOUS_CALLER;
  const sub = jwt.claims?.sub;
  // An authorizer that let a token without a subject through is misconfigured: refuse rather than guess.
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) {
    throw new UnauthenticatedError(
      'The access token has no subject (sub claim); use a token issued to a user or client.',
    );
  }
  return sub;
}
