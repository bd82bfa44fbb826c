// Use case: POST /v1/bindings/{id}/retry — re-run the bind workflow of a FAILED binding under the same id.
// Also the frame every re-run (retry, update, drift check) starts through: one conditional status change
// picks the single winner among concurrent callers, then the workflow starts under a new execution name.
import {
  BIND_STEPS,
  type Binding,
  type BindingStatus,
  effectiveMode,
  type StepRecord,
} from '../domain/binding.js';
import { NotFoundError, StatusConflictError, WorkflowStartFailedError } from '../domain/errors.js';
import type { ApiPorts } from '../ports/api-ports.js';
import type { Transition } from '../ports/binding-store.js';
import { BIND_WORKFLOW_ACTOR } from './create-binding.js';

export type RerunDeps = Pick<ApiPorts, 'store' | 'workflow' | 'clock'>;

export interface Rerun {
  id: string;
  /** Who asks: recorded on the binding's event. */
  actor: string;
  /** Statuses the run may start from; any other → StatusConflict (409). */
  from: readonly BindingStatus[];
  /** What the caller may do instead, appended to a 409's message. */
  otherwise: string;
  /** The steps the new run records, all PENDING. */
  steps: readonly string[];
  /** Execution name suffix letter: `<id>-<kind><n>` (r: retry, u: update, v: verify). */
  kind: 'r' | 'u' | 'v';
  /** The event's detail: what this run is for. */
  detail: string;
  /** Extra start input besides bindingId. */
  input?: Record<string, unknown>;
  request?: Transition['request'];
  /** Tag keys the run's EnsureRole must remove from the role (an update that drops tags). */
  droppedTagKeys?: string[];
}

/**
 * A run started from a status other than the first creation: one per PENDING event after `created`.
 * Audit records of API calls (with `request`) are not status changes and do not count.
 */
function runNumber(events: { from: BindingStatus | null; to: BindingStatus; request?: unknown }[]): number {
  return events.filter((e) => e.request === undefined && e.from !== null && e.to === 'PENDING').length;
}

export async function rerunBinding(run: Rerun, deps: RerunDeps): Promise<Binding> {
  const current = await deps.store.get(run.id);
  if (!current) throw new NotFoundError(`Binding ${run.id} does not exist`);
  const refuse = (status: BindingStatus) =>
    new StatusConflictError(
      `Binding ${run.id} is ${status}; this needs it ${run.from.join(' or ')}. ${run.otherwise}`,
    );
  if (!run.from.includes(current.status)) throw refuse(current.status);

  const steps: StepRecord[] = run.steps.map((name) => ({ name, status: 'PENDING' }));
  let pending: Binding;
  try {
    pending = await deps.store.transition(run.id, {
      from: run.from,
      to: 'PENDING',
      actor: run.actor,
      at: deps.clock.now().toISOString(),
      detail: run.detail,
      steps,
      clearError: true,
      // A FAILED binding released its service account; take it back or learn who holds it now.
      claimSlot: current.status === 'FAILED',
      ...(run.request ? { request: run.request } : {}),
      ...(run.droppedTagKeys ? { droppedTagKeys: run.droppedTagKeys } : {}),
    });
  } catch (error) {
    // Lost the race (another retry, a DELETE): report the status the winner left.
    if (error instanceof StatusConflictError) {
      const now = await deps.store.get(run.id);
      throw refuse(now?.status ?? current.status);
    }
    throw error;
  }

  try {
    // Inside the try: a binding left PENDING without a workflow could be neither retried nor deleted.
    const name = `${run.id}-${run.kind}${runNumber(await deps.store.listEvents(run.id))}`;
    await deps.workflow.start(name, { bindingId: run.id, ...run.input });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = deps.clock.now().toISOString();
    if (current.status === 'SUCCEEDED') {
      // An update or drift check of a working binding that never started changed nothing in AWS or the
      // cluster: the binding goes back to what it was, steps and request fields included.
      await deps.store.transition(run.id, {
        from: ['PENDING'],
        to: 'SUCCEEDED',
        actor: BIND_WORKFLOW_ACTOR,
        at,
        detail: `the workflow could not be started (${message}); nothing was changed`,
        steps: current.steps,
        ...(run.request
          ? {
              request: {
                policyArns: current.policyArns,
                tags: current.tags,
                ...(current.maxSessionDuration !== undefined
                  ? { maxSessionDuration: current.maxSessionDuration }
                  : {}),
                ...(run.request.mode !== undefined ? { mode: effectiveMode(current) } : {}),
              },
            }
          : {}),
      });
      throw new WorkflowStartFailedError(
        `Binding ${run.id} could not start its workflow (${message}); it is SUCCEEDED and unchanged. Try again later.`,
        { cause: error },
      );
    }
    await deps.store.transition(run.id, {
      from: ['PENDING'],
      to: 'FAILED',
      actor: BIND_WORKFLOW_ACTOR,
      at,
      detail: 'the workflow could not be started',
      error: { step: 'Start', code: 'WorkflowStartFailed', message },
    });
    throw new WorkflowStartFailedError(
      `Binding ${run.id} could not start its workflow (${message}); it is FAILED again. Retry later.`,
      { cause: error },
    );
  }
  return pending;
}

export async function retryBinding(
  command: { id: string; actor: string },
  deps: RerunDeps,
): Promise<Binding> {
  return rerunBinding(
    {
      ...command,
      from: ['FAILED'],
      otherwise: 'Only a FAILED binding can be retried; GET it to see where it is.',
      steps: BIND_STEPS,
      kind: 'r',
      detail: 'retry',
    },
    deps,
  );
}
