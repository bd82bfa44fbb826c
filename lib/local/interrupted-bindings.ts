// Recovery at start-up: the local state machine runner keeps executions in memory, so a process that
// died (SIGKILL, power loss) takes its running workflows with it. Bindings it left PENDING or RUNNING
// would otherwise wait forever; they are closed as FAILED with code `Interrupted` so callers see what
// happened and may retry. Conditional transitions keep a writer that is still alive the winner.
import type { Binding, BindingError, BindingStatus } from '../domain/binding.js';
import { StatusConflictError } from '../domain/errors.js';
import type { BindingStore } from '../ports/binding-store.js';

export const RECOVERY_ACTOR = 'local-runtime-recovery';
const IN_FLIGHT: readonly BindingStatus[] = ['PENDING', 'RUNNING'];
const PAGE = 100;

export interface InterruptedRecoveryDeps {
  store: BindingStore;
  /** True when this process runs an execution for the binding (it is then left alone). */
  hasExecution(bindingId: string): boolean;
  now(): Date;
  log?: (line: string) => void;
}

/** Where the workflow stood: the step left RUNNING, else the first one that never ran. */
function interruptedStep(binding: Binding) {
  return (
    binding.steps.find((s) => s.status === 'RUNNING') ?? binding.steps.find((s) => s.status === 'PENDING')
  );
}

async function inFlight(store: BindingStore): Promise<Binding[]> {
  const found: Binding[] = [];
  for (const status of IN_FLIGHT) {
    let cursor: string | undefined;
    do {
      const page = await store.list({ status, limit: PAGE, ...(cursor ? { cursor } : {}) });
      found.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return found;
}

/** Marks every in-flight binding without an execution FAILED/Interrupted; returns their ids. */
export async function failInterruptedBindings(deps: InterruptedRecoveryDeps): Promise<string[]> {
  const failed: string[] = [];
  for (const binding of await inFlight(deps.store)) {
    if (deps.hasExecution(binding.id)) continue;
    const at = deps.now().toISOString();
    const step = interruptedStep(binding);
    const error: BindingError = {
      step: step?.name ?? 'Workflow',
      code: 'Interrupted',
      message:
        'The process running the workflow stopped before it finished (no execution is left for this binding); create the binding again or retry it',
    };
    try {
      // The transition first: if another writer finished the binding meanwhile, its steps stay as they are.
      await deps.store.transition(binding.id, {
        from: IN_FLIGHT,
        to: 'FAILED',
        actor: RECOVERY_ACTOR,
        at,
        error,
        detail: `${error.step} interrupted`,
      });
    } catch (caught) {
      if (caught instanceof StatusConflictError) continue;
      throw caught;
    }
    if (step) {
      await deps.store.recordStep(binding.id, {
        name: step.name,
        status: 'FAILED',
        ...(step.startedAt ? { startedAt: step.startedAt } : {}),
        finishedAt: at,
        detail: 'Interrupted: the workflow stopped with the process that ran it',
      });
    }
    failed.push(binding.id);
  }
  if (failed.length > 0) {
    deps.log?.(`${failed.length} binding(s) left in flight by an earlier run marked FAILED (Interrupted)`);
  }
  return failed;
}
