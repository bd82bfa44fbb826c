// Use case: DELETE /v1/bindings/{id}. Moves a SUCCEEDED or FAILED binding to DELETING and starts the unbind
// workflow; a DELETING binding gets its (idempotent) start again; a DELETED one comes back unchanged.
import { type Binding, type BindingStatus, UNBIND_STEPS } from '../domain/binding.js';
import { NotFoundError, StatusConflictError, WorkflowStartFailedError } from '../domain/errors.js';
import { isBindingId } from '../domain/names.js';
import type { BindingStore } from '../ports/binding-store.js';
import type { Clock } from '../ports/clock.js';
import type { WorkflowStarter } from '../ports/workflow-starter.js';

export interface DeleteBindingDeps {
  store: BindingStore;
  /** Starts the unbind state machine. */
  unbindWorkflow: WorkflowStarter;
  clock: Pick<Clock, 'now'>;
}

export interface DeleteBindingResult {
  binding: Binding;
  /** false when the binding was DELETED already: nothing was started. */
  accepted: boolean;
}

const DELETABLE: readonly BindingStatus[] = ['SUCCEEDED', 'FAILED'];
const MAX_RACES = 5;

/** One execution per DELETE that moved the binding to DELETING: a repeat of that DELETE restarts the same one. */
export function unbindExecutionName(bindingId: string, attempt: number): string {
  return `${bindingId}-unbind-${attempt}`;
}

async function attemptOf(store: BindingStore, id: string): Promise<number> {
  const events = await store.listEvents(id);
  // Audit records of API calls (with `request`) are not status changes and do not count.
  return Math.max(1, events.filter((e) => e.request === undefined && e.to === 'DELETING').length);
}

async function startUnbind(binding: Binding, deps: DeleteBindingDeps): Promise<void> {
  const attempt = await attemptOf(deps.store, binding.id);
  await deps.unbindWorkflow.start(unbindExecutionName(binding.id, attempt), { bindingId: binding.id });
}

export async function deleteBinding(
  id: string,
  actor: string,
  deps: DeleteBindingDeps,
): Promise<DeleteBindingResult> {
  for (let race = 0; ; race++) {
    const binding = isBindingId(id) ? await deps.store.get(id) : undefined;
    if (!binding) {
      throw new NotFoundError(
        `No binding with id "${id}"; ids look like b-01j…, as returned by POST /v1/bindings.`,
      );
    }
    if (binding.status === 'DELETED') return { binding, accepted: false };
    if (binding.status === 'DELETING') {
      // An earlier DELETE may have died before starting the workflow; the same name makes this harmless.
      await startUnbind(binding, deps);
      return { binding, accepted: true };
    }
    if (!DELETABLE.includes(binding.status)) {
      throw new StatusConflictError(
        `Binding ${id} is ${binding.status}: its bind workflow is still running. Wait until it is SUCCEEDED or FAILED, then delete it.`,
      );
    }

    let deleting: Binding;
    try {
      deleting = await deps.store.transition(id, {
        from: [binding.status],
        to: 'DELETING',
        actor,
        at: deps.clock.now().toISOString(),
        detail: 'unbind requested',
      });
    } catch (error) {
      // Someone else moved it first (another DELETE, a retry): decide again on what it is now.
      if (error instanceof StatusConflictError && race < MAX_RACES) continue;
      throw error;
    }
    for (const name of UNBIND_STEPS) await deps.store.recordStep(id, { name, status: 'PENDING' });
    try {
      await startUnbind(deleting, deps);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Nothing was removed: put the binding back as it was, so it neither looks half-deleted nor stays stuck.
      await deps.store.transition(id, {
        from: ['DELETING'],
        to: binding.status,
        actor,
        at: deps.clock.now().toISOString(),
        detail: `unbind workflow could not be started (${message}); back to ${binding.status}`,
      });
      throw new WorkflowStartFailedError(
        `The unbind workflow of binding ${id} could not be started (${message}); the binding is ${binding.status} again. Send DELETE again.`,
        { cause: error },
      );
    }
    return { binding: (await deps.store.get(id)) ?? deleting, accepted: true };
  }
}
