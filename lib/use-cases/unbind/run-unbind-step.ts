// The frame every unbind step runs in, in either phase: an unbind runs on a DELETING binding, a rollback
// on the RUNNING (or PENDING) binding whose bind just failed. It records the step as RUNNING, then
// SUCCEEDED, SKIPPED or FAILED, and hands errors on under their ASL names.
import type { Binding, UnbindStepName } from '../../domain/binding.js';
import { isBrokerError, NotFoundError, StatusConflictError } from '../../domain/errors.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import { shortDetail } from '../bind/run-step.js';
import type { UnbindOutcome, UnbindPhase } from './unbind-state.js';

export const UNBIND_ACTOR = 'unbind-workflow';
export const ROLLBACK_ACTOR = 'bind-workflow (rollback)';

export interface UnbindFrameDeps {
  store: BindingStore;
  clock: Clock;
}

/** The removals, each recorded under its own name in either phase. */
export type UnbindTask = 'testPods' | 'association' | 'serviceAccount' | 'role';

const STEP_NAMES: Record<UnbindPhase, Record<UnbindTask, UnbindStepName>> = {
  unbind: {
    testPods: 'DeleteTestPods',
    association: 'DeletePodIdentityAssociation',
    serviceAccount: 'RemoveServiceAccountBinding',
    role: 'DeleteRole',
  },
  rollback: {
    testPods: 'RollbackTestPods',
    association: 'RollbackPodIdentityAssociation',
    serviceAccount: 'RollbackServiceAccount',
    role: 'RollbackRole',
  },
};

export function stepNameOf(phase: UnbindPhase, task: UnbindTask): UnbindStepName {
  return STEP_NAMES[phase][task];
}

const EXPECTED_STATUS: Record<UnbindPhase, readonly Binding['status'][]> = {
  unbind: ['DELETING'],
  rollback: ['RUNNING', 'PENDING'],
};

async function bindingFor(id: string, phase: UnbindPhase, deps: UnbindFrameDeps): Promise<Binding> {
  const binding = await deps.store.get(id);
  if (!binding) throw new NotFoundError(`Binding ${id} does not exist`);
  if (!EXPECTED_STATUS[phase].includes(binding.status)) {
    throw new StatusConflictError(
      phase === 'unbind'
        ? `Binding ${id} is ${binding.status}; the unbind workflow runs only on a DELETING binding (DELETE /v1/bindings/${id})`
        : `Binding ${id} is ${binding.status}; a rollback runs only inside the bind workflow that failed`,
    );
  }
  return binding;
}

export async function runUnbindStep(
  phase: UnbindPhase,
  task: UnbindTask,
  bindingId: string,
  deps: UnbindFrameDeps,
  work: (binding: Binding) => Promise<UnbindOutcome>,
): Promise<UnbindOutcome> {
  const name = stepNameOf(phase, task);
  const binding = await bindingFor(bindingId, phase, deps);
  const previous = binding.steps.find((s) => s.name === name);
  const startedAt =
    previous?.status === 'RUNNING' && previous.startedAt
      ? previous.startedAt
      : deps.clock.now().toISOString();
  if (previous?.status !== 'RUNNING')
    await deps.store.recordStep(bindingId, { name, status: 'RUNNING', startedAt });
  /** Later records of this attempt land only on its own RUNNING record (see BindingStore.recordStep). */
  const guard = { ifRunningSince: startedAt };

  let outcome: UnbindOutcome;
  if (phase === 'rollback' && binding.keepOnFailure === true) {
    outcome = { status: 'SKIPPED', detail: 'keepOnFailure: true; what the bind created is kept' };
  } else {
    try {
      outcome = await work(binding);
    } catch (error) {
      const errorName = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : String(error);
      const retried = isBrokerError(error) && error.retryable;
      await deps.store
        .recordStep(
          bindingId,
          {
            name,
            startedAt,
            ...(retried
              ? { status: 'RUNNING' as const, detail: shortDetail(`${errorName}, retrying: ${message}`) }
              : {
                  status: 'FAILED' as const,
                  finishedAt: deps.clock.now().toISOString(),
                  detail: shortDetail(`${errorName}: ${message}`),
                }),
          },
          guard,
        )
        .catch(() => undefined);
      throw error;
    }
  }
  await deps.store.recordStep(
    bindingId,
    {
      name,
      status: outcome.status,
      startedAt,
      finishedAt: deps.clock.now().toISOString(),
      detail: shortDetail(outcome.detail),
    },
    guard,
  );
  return outcome;
}
