// Use case: the status events of bindings that name a callbackUrl, POSTed there signed with HMAC-SHA256,
// in the change log's order, retried with backoff while the receiver is unreachable or answers 5xx, 408
// or 429. Callbacks are the best-effort path: one that still fails is given up (and reported) instead of
// holding back every later callback; EventBridge is where delivery is at least once.
import { createHmac } from 'node:crypto';
import { type CallbackPolicy, callbackUrlProblem } from '../domain/callback-url.js';
import type { BindingChange, StatusEvent } from '../domain/status-event.js';
import { statusEventOf } from '../domain/status-event.js';
import type { CallbackTransport, SigningSecret } from '../ports/callbacks.js';
import type { Clock } from '../ports/clock.js';

export const SIGNATURE_HEADER = 'x-irsa-broker-signature';
export const EVENT_ID_HEADER = 'x-irsa-broker-event-id';

export interface CallbackDeliveryOptions {
  /** Tries per event (first try included). */
  maxAttempts: number;
  /** Wait before the second try; doubled for each further one, with jitter. */
  baseDelayMs: number;
}

export const DEFAULT_DELIVERY: CallbackDeliveryOptions = { maxAttempts: 4, baseDelayMs: 1000 };

export interface CallbackOutcome {
  eventId: string;
  url: string;
  outcome: 'delivered' | 'rejected' | 'refused' | 'gave-up';
  attempts: number;
  status?: number;
  reason?: string;
}

/** The body a receiver gets: the event as EventBridge would carry it, without the AWS envelope. */
export function callbackBody(event: StatusEvent): string {
  return JSON.stringify({
    id: event.detail.eventId,
    source: event.source,
    'detail-type': event.detailType,
    time: event.time,
    detail: event.detail,
  });
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. A receiver recomputes it with the shared
 * secret, compares in constant time and refuses stale timestamps (replays).
 */
export function callbackSignature(secret: string, body: string, atSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${atSeconds}.${body}`).digest('hex');
  return `t=${atSeconds},v1=${mac}`;
}

const retryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

export async function deliverCallbacks(
  changes: readonly BindingChange[],
  deps: {
    transport: CallbackTransport;
    secret: SigningSecret;
    clock: Clock;
    policy: CallbackPolicy;
    delivery?: CallbackDeliveryOptions;
    random?: () => number;
  },
): Promise<CallbackOutcome[]> {
  const delivery = deps.delivery ?? DEFAULT_DELIVERY;
  const random = deps.random ?? Math.random;
  const outcomes: CallbackOutcome[] = [];
  for (const change of changes) {
    const url = change.after?.callbackUrl;
    const event = url === undefined ? undefined : statusEventOf(change);
    if (!url || !event) continue;
    const base = { eventId: event.detail.eventId, url };
    // The operator may have narrowed the allow-list since the binding was created.
    const problem = callbackUrlProblem(url, deps.policy);
    if (problem) {
      outcomes.push({ ...base, outcome: 'refused', attempts: 0, reason: problem });
      continue;
    }
    const body = callbackBody(event);
    const secret = await deps.secret.value();
    let outcome: CallbackOutcome | undefined;
    for (let attempt = 1; !outcome; attempt++) {
      const at = Math.floor(deps.clock.now().getTime() / 1000);
      const response = await deps.transport.post({
        url,
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'irsa-broker',
          [EVENT_ID_HEADER]: event.detail.eventId,
          [SIGNATURE_HEADER]: callbackSignature(secret, body, at),
        },
      });
      if (response.kind === 'refused') {
        outcome = { ...base, outcome: 'refused', attempts: attempt, reason: response.reason };
      } else if (response.kind === 'answered' && response.status >= 200 && response.status < 300) {
        outcome = { ...base, outcome: 'delivered', attempts: attempt, status: response.status };
      } else if (response.kind === 'answered' && !retryableStatus(response.status)) {
        outcome = { ...base, outcome: 'rejected', attempts: attempt, status: response.status };
      } else if (attempt >= delivery.maxAttempts) {
        outcome = {
          ...base,
          outcome: 'gave-up',
          attempts: attempt,
          ...(response.kind === 'answered' ? { status: response.status } : { reason: response.reason }),
        };
      } else {
        const delay = delivery.baseDelayMs * 2 ** (attempt - 1);
        await deps.clock.sleep(delay / 2 + random() * (delay / 2));
      }
    }
    outcomes.push(outcome);
  }
  return outcomes;
}
