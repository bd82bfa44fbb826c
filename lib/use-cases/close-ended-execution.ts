// Use case: a workflow execution ended FAILED, TIMED_OUT or ABORTED (Step Functions' status-change event).
// Normally the workflow records its own outcome first (RecordOutcome, RecordFailure, RecordUnbind) and the
// binding is FAILED, SUCCEEDED or DELETED already. When it could not (the recording step itself failed,
// an operator stopped the execution, a runtime error), the binding would stay PENDING, RUNNING or DELETING
// for good: neither retry nor DELETE accept those. This closes it FAILED, naming the execution, so the
// caller can retry or delete it. What the run created stays; DELETE removes what the binding owns.
import type { Binding, BindingStatus } from '../domain/binding.js';
import {
  ExecutionAbortedError,
  ExecutionFailedError,
  ExecutionTimedOutError,
  StatusConflictError,
} from '../domain/errors.js';
import { isBindingId } from '../domain/names.js';
import type { BindingStore } from '../ports/binding-store.js';
import type { Clock } from '../ports/clock.js';
import { shortDetail } from './bind/run-step.js';

export interface EndedExecution {
  name: string;
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** When the execution started (ms since the epoch). */
  startDate: number;
  /** The execution's input: every irsa-broker workflow starts with `{ bindingId, … }`. */
  input: unknown;
  error?: string;
  cause?: string;
}

export interface CloseEndedExecutionResult {
  bindingId?: string;
  action: 'closed' | 'ignored';
  reason: string;
}

export const EXECUTION_MONITOR_ACTOR = 'execution-monitor';

const OPEN: readonly BindingStatus[] = ['PENDING', 'RUNNING', 'DELETING'];
const ERRORS = {
  FAILED: ExecutionFailedError,
  TIMED_OUT: ExecutionTimedOutError,
  ABORTED: ExecutionAbortedError,
} as const;

/** When the binding's current run began: its last move to PENDING or DELETING (its creation included). */
async function currentRunStart(store: BindingStore, binding: Binding): Promise<number> {
  const events = await store.listEvents(binding.id);
  const starts = events.filter((e) => e.request === undefined && (e.to === 'PENDING' || e.to === 'DELETING'));
  const last = starts.at(-1);
  return last ? Date.parse(last.at) : Date.parse(binding.createdAt);
}

export async function closeEndedExecution(
  ended: EndedExecution,
  deps: { store: BindingStore; clock: Pick<Clock, 'now'> },
): Promise<CloseEndedExecutionResult> {
  const bindingId = (ended.input as { bindingId?: unknown } | null)?.bindingId;
  if (typeof bindingId !== 'string' || !isBindingId(bindingId)) {
    return { action: 'ignored', reason: `execution ${ended.name} names no binding in its input` };
  }
  const binding = await deps.store.get(bindingId);
  if (!binding) return { bindingId, action: 'ignored', reason: 'no such binding' };
  if (!OPEN.includes(binding.status)) {
    return { bindingId, action: 'ignored', reason: `the workflow recorded its outcome (${binding.status})` };
  }
  // An earlier run's late event must not close the run now in progress. The current run's execution
  // started after the run's status change; an earlier one before it.
  if (ended.startDate < (await currentRunStart(deps.store, binding))) {
    return { bindingId, action: 'ignored', reason: `execution ${ended.name} belongs to an earlier run` };
  }

  const at = deps.clock.now().toISOString();
  const running = binding.steps.find((step) => step.status === 'RUNNING');
  const why = [ended.error, ended.cause].filter(Boolean).join(': ');
  const { code, message } = new ERRORS[ended.status](
    `The workflow execution ${ended.name} ended ${ended.status}${why ? ` (${why})` : ''} before it recorded an ` +
      'outcome. What the run created stays: retry the binding, or DELETE it to remove what it owns.',
  );
  if (running) {
    await deps.store.recordStep(binding.id, {
      ...running,
      status: 'FAILED',
      finishedAt: at,
      detail: shortDetail(`${code}: ${message}`),
    });
  }
  try {
    await deps.store.transition(binding.id, {
      from: [binding.status],
      to: 'FAILED',
      actor: EXECUTION_MONITOR_ACTOR,
      at,
      detail: `execution ${ended.name} ended ${ended.status}`,
      error: { step: running?.name ?? 'Workflow', code, message },
    });
  } catch (error) {
    if (error instanceof StatusConflictError) {
      return { bindingId, action: 'ignored', reason: 'the binding moved on meanwhile' };
    }
    throw error;
  }
  return { bindingId, action: 'closed', reason: `${binding.status} → FAILED ${code}` };
}
