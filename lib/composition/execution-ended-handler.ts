// The Lambda handler behind the EventBridge rule on Step Functions' "Execution Status Change" events for
// irsa-broker's state machines (FAILED, TIMED_OUT, ABORTED): reads the event, closes a binding its workflow
// left open (lib/use-cases/close-ended-execution.ts) and logs each binding it closes as one JSON line (the
// other events, whose workflows recorded their own outcome, are the common case and stay quiet).
import type { BindingStore } from '../ports/binding-store.js';
import type { Clock } from '../ports/clock.js';
import {
  type CloseEndedExecutionResult,
  closeEndedExecution,
  type EndedExecution,
} from '../use-cases/close-ended-execution.js';

const ENDED = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** The event's detail as the use case needs it; undefined for anything else (e.g. a SUCCEEDED execution). */
export function endedExecutionOf(event: unknown): EndedExecution | undefined {
  const detail = (event as { detail?: Record<string, unknown> } | null)?.detail;
  if (!detail || typeof detail.name !== 'string' || !ENDED.has(String(detail.status))) return undefined;
  if (typeof detail.startDate !== 'number') return undefined;
  let input: unknown;
  try {
    input = typeof detail.input === 'string' ? JSON.parse(detail.input) : undefined;
  } catch {
    input = undefined;
  }
  return {
    name: detail.name,
    status: detail.status as EndedExecution['status'],
    startDate: detail.startDate,
    input,
    ...(typeof detail.error === 'string' ? { error: detail.error } : {}),
    ...(typeof detail.cause === 'string' ? { cause: detail.cause } : {}),
  };
}

export function executionEndedHandler(deps: {
  store: BindingStore;
  clock: Pick<Clock, 'now'>;
  log?: (line: string) => void;
}) {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (event: unknown): Promise<CloseEndedExecutionResult> => {
    const ended = endedExecutionOf(event);
    const result: CloseEndedExecutionResult = ended
      ? await closeEndedExecution(ended, deps)
      : { action: 'ignored', reason: 'not the end of a failed, timed-out or aborted execution' };
    if (result.action === 'closed') {
      log(JSON.stringify({ executionEnded: { execution: ended?.name, status: ended?.status, ...result } }));
    }
    return result;
  };
}
