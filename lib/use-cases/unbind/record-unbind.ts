// RecordUnbind: ends the unbind. DELETED when every removal step finished (the record stays for audit and
// the service account is free for a new binding); FAILED with the error of the step that stopped it
// otherwise, so DELETE can be sent again.
import { type Binding, type BindingError, UNBIND_STEPS } from '../../domain/binding.js';
import { StatusConflictError } from '../../domain/errors.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import { messageOf } from '../bind/record-outcome.js';
import { shortDetail } from '../bind/run-step.js';
import { UNBIND_ACTOR } from './run-unbind-step.js';
import type { UnbindState } from './unbind-state.js';

export interface RecordUnbindResult {
  bindingId: string;
  status: Binding['status'] | 'MISSING';
  error?: BindingError;
}

function stoppedAt(binding: Binding): string {
  const steps = binding.steps.filter((s) => (UNBIND_STEPS as readonly string[]).includes(s.name));
  return (
    (steps.find((s) => s.status === 'FAILED') ?? steps.find((s) => s.status === 'RUNNING'))?.name ?? 'Unbind'
  );
}

export async function recordUnbind(
  state: UnbindState,
  deps: { store: BindingStore; clock: Clock },
): Promise<RecordUnbindResult> {
  const binding = await deps.store.get(state.bindingId);
  if (!binding) return { bindingId: state.bindingId, status: 'MISSING' };
  const at = deps.clock.now().toISOString();

  let error: BindingError | undefined;
  if (state.error) {
    const step = stoppedAt(binding);
    error = { step, code: state.error.Error, message: messageOf(state.error) };
    const record = binding.steps.find((s) => s.name === step);
    if (record && record.status !== 'FAILED') {
      // Left RUNNING by a timeout or exhausted retries: close it with the error.
      await deps.store.recordStep(binding.id, {
        name: step,
        status: 'FAILED',
        ...(record.startedAt ? { startedAt: record.startedAt } : {}),
        finishedAt: at,
        detail: shortDetail(`${error.code}: ${error.message}`),
      });
    }
  }
  // The step first: once the binding reads DELETED (or FAILED), its record is complete.
  const step = {
    name: 'RecordUnbind',
    startedAt: at,
    finishedAt: at,
    status: error ? ('FAILED' as const) : ('SUCCEEDED' as const),
    detail: error
      ? shortDetail(`binding FAILED: ${error.step} stopped the unbind (${error.code}); DELETE again to retry`)
      : 'binding DELETED; the record stays for audit and the service account is free',
  };
  await deps.store.recordStep(binding.id, step);
  try {
    await deps.store.transition(binding.id, {
      from: ['DELETING'],
      actor: UNBIND_ACTOR,
      at,
      ...(error
        ? {
            to: 'FAILED',
            error,
            detail: `unbind stopped at ${error.step}: ${error.code}; DELETE again to retry`,
          }
        : {
            to: 'DELETED',
            detail: 'unbound: what the binding created is removed; the service account is free',
          }),
    });
  } catch (caught) {
    // A retried RecordUnbind finds its own earlier write done.
    if (!(caught instanceof StatusConflictError)) {
      await deps.store
        .recordStep(binding.id, {
          name: step.name,
          startedAt: at,
          status: 'RUNNING',
          detail: 'recording the outcome, retrying',
        })
        .catch(() => undefined);
      throw caught;
    }
    const current = await deps.store.get(binding.id);
    return { bindingId: binding.id, status: current?.status ?? 'MISSING' };
  }
  return { bindingId: binding.id, status: error ? 'FAILED' : 'DELETED', ...(error ? { error } : {}) };
}
