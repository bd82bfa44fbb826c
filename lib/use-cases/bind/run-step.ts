// The step frame every bind step runs in: load the binding, show the step RUNNING, run it, record how it
// ended, and hand the result (or the error, under its ASL name) back to the state machine.
import type { Binding, WorkflowStepName } from '../../domain/binding.js';
import { InputError, isBrokerError, NotFoundError, StatusConflictError } from '../../domain/errors.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import type { BindState, StepOutcome } from './bind-state.js';

export const WORKFLOW_ACTOR = 'bind-workflow';
/** Step details are one line in the API; long error messages are cut. */
export const MAX_DETAIL_CHARS = 300;

export interface StepFrameDeps {
  store: BindingStore;
  clock: Clock;
}

export interface StepContext {
  binding: Binding;
  /** When the step first started: kept across ASL retries, so time windows span the whole step. */
  startedAt: Date;
}

export function shortDetail(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL_CHARS ? `${flat.slice(0, MAX_DETAIL_CHARS - 1)}…` : flat;
}

const BINDING_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Validates the part of the execution state every step needs. */
export function parseBindState(event: unknown): BindState {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new InputError('The step input must be the bind execution state, an object with bindingId');
  }
  const bindingId = (event as { bindingId?: unknown }).bindingId;
  if (typeof bindingId !== 'string' || !BINDING_ID.test(bindingId)) {
    throw new InputError(`The step input needs bindingId (a binding id), got ${JSON.stringify(bindingId)}`);
  }
  return event as BindState;
}

/** A result an earlier step should have left in the state; its absence is a wiring fault in the ASL. */
export function requireFact<K extends keyof BindState>(
  state: BindState,
  key: K,
  step: WorkflowStepName,
): NonNullable<BindState[K]> {
  const value = state[key];
  if (value === undefined || value === null) {
    throw new InputError(
      `${step} needs $.${String(key)} in its input; the state machine must run the step that produces it first`,
    );
  }
  return value as NonNullable<BindState[K]>;
}

/** The binding, RUNNING; the first step moves it there, showing itself RUNNING in the same write. */
async function runningBinding(id: string, step: WorkflowStepName, deps: StepFrameDeps): Promise<Binding> {
  const binding = await deps.store.get(id);
  if (!binding) throw new NotFoundError(`Binding ${id} does not exist (deleted while its workflow ran?)`);
  if (binding.status === 'RUNNING') return binding;
  if (binding.status === 'PENDING') {
    const at = deps.clock.now().toISOString();
    try {
      return await deps.store.transition(id, {
        from: ['PENDING'],
        to: 'RUNNING',
        actor: WORKFLOW_ACTOR,
        at,
        detail: 'bind workflow started',
        step: { name: step, status: 'RUNNING', startedAt: at },
      });
    } catch (error) {
      // A retried first step may find its own earlier transition done.
      if (!(error instanceof StatusConflictError)) throw error;
      return runningBinding(id, step, deps);
    }
  }
  throw new StatusConflictError(
    `Binding ${id} is ${binding.status}; the bind workflow runs only PENDING or RUNNING bindings`,
  );
}

function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** Errors the state machine retries: the step is still in progress, not failed. */
function willBeRetried(error: unknown): boolean {
  return isBrokerError(error) && error.retryable;
}

/**
 * Runs `work` as step `step` of the binding. `settled`, when given, may decide the step from the
 * execution state alone (ApproveCsr after an EnsureWebhook that installed nothing): the step then never
 * shows RUNNING, and only its end is written, while no run holds the step RUNNING.
 */
export async function runStep<R extends StepOutcome>(
  step: WorkflowStepName,
  bindingId: string,
  deps: StepFrameDeps,
  work: (context: StepContext) => Promise<R>,
  settled?: () => R | undefined,
): Promise<R> {
  const binding = await runningBinding(bindingId, step, deps);
  const previous = binding.steps.find((s) => s.name === step);
  const resumed = previous?.status === 'RUNNING' && previous.startedAt !== undefined;
  const decided = resumed ? undefined : settled?.();
  if (decided) {
    const at = deps.clock.now().toISOString();
    await deps.store.recordStep(
      bindingId,
      {
        name: step,
        status: decided.status,
        startedAt: at,
        finishedAt: at,
        detail: shortDetail(decided.detail),
      },
      { ifNotRunning: true },
    );
    return decided;
  }
  const startedAt = resumed ? new Date(previous.startedAt as string) : deps.clock.now();
  const startedIso = startedAt.toISOString();
  if (!resumed)
    await deps.store.recordStep(bindingId, { name: step, status: 'RUNNING', startedAt: startedIso });
  /** Later records of this attempt land only on its own RUNNING record (see BindingStore.recordStep). */
  const guard = { ifRunningSince: startedIso };

  let result: R;
  try {
    result = await work({ binding, startedAt });
  } catch (error) {
    const { name, message } = describeError(error);
    const record = willBeRetried(error)
      ? {
          status: 'RUNNING' as const,
          detail: shortDetail(name === 'NotYet' ? message : `${name}, retrying: ${message}`),
        }
      : {
          status: 'FAILED' as const,
          detail: shortDetail(`${name}: ${message}`),
          finishedAt: deps.clock.now().toISOString(),
        };
    // The error matters more than this record; RecordOutcome settles any step left RUNNING.
    await deps.store
      .recordStep(bindingId, { name: step, startedAt: startedIso, ...record }, guard)
      .catch(() => undefined);
    throw error;
  }
  // Refused only when this run was stopped or superseded meanwhile: its result then goes nowhere either.
  await deps.store.recordStep(
    bindingId,
    {
      name: step,
      status: result.status,
      startedAt: startedIso,
      finishedAt: deps.clock.now().toISOString(),
      detail: shortDetail(result.detail),
    },
    guard,
  );
  return result;
}
