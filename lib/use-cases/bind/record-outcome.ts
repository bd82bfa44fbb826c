// RecordOutcome: ends the binding SUCCEEDED with its outputs, or FAILED with the error a Catch handed
// over, so no binding stays RUNNING once its execution ends. Steps that never ran stay PENDING: the
// API shows where the workflow stopped, and SKIPPED keeps meaning "did not apply".
import {
  BIND_STEPS,
  type Binding,
  type BindingError,
  type BindingMode,
  type BindingOutputs,
  type StepRecord,
  VERIFY_STEPS,
} from '../../domain/binding.js';
import { StatusConflictError } from '../../domain/errors.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import type { BindState, CaughtError } from './bind-state.js';
import { shortDetail, WORKFLOW_ACTOR } from './run-step.js';

export interface RecordOutcomeDeps {
  store: BindingStore;
  clock: Clock;
}

export interface OutcomeResult {
  bindingId: string;
  /** The binding's status after this step; `MISSING` when it was deleted meanwhile. */
  status: 'SUCCEEDED' | 'FAILED' | 'MISSING' | Binding['status'];
  error?: BindingError;
}

/** The step the failure belongs to: the one marked FAILED, else the one left RUNNING (timed out). */
const WORKFLOW_STEPS: readonly string[] = [...BIND_STEPS, ...VERIFY_STEPS];

function failedStep(binding: Binding): StepRecord | undefined {
  // Only workflow steps (bind, update, drift check): a rollback step that failed after them is not where
  // the binding failed.
  const steps = binding.steps.filter((s) => WORKFLOW_STEPS.includes(s.name));
  return (
    steps.find((s) => s.status === 'FAILED') ??
    steps.find((s) => s.status === 'RUNNING') ??
    steps.find((s) => s.status === 'PENDING')
  );
}

/** Lambda errors carry `{ errorType, errorMessage }` JSON as Cause; States.* errors plain text. */
export function messageOf(caught: CaughtError): string {
  const cause = caught.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string' && parsed.errorMessage !== '') return parsed.errorMessage;
  } catch {
    // Not JSON: use it as it is.
  }
  return cause || `The step failed with ${caught.Error}`;
}

function outputsOf(state: BindState): BindingOutputs | undefined {
  if (!state.role) return undefined;
  const mode = state.cluster?.mode ?? 'irsa';
  if (mode !== 'pod-identity' && !state.oidcProvider?.arn) return undefined;
  return {
    roleArn: state.role.arn,
    ...(state.oidcProvider?.arn ? { oidcProviderArn: state.oidcProvider.arn } : {}),
    trustPolicy: state.role.trustPolicy,
    mode,
    ...(state.association?.association ? { podIdentityAssociation: state.association.association } : {}),
    ...(state.verification?.identity ? { verification: state.verification.identity } : {}),
    ...(state.serviceAccount ? { serviceAccountCreated: state.serviceAccount.created } : {}),
  };
}

/** Why a bind step the state machine did not enter was not needed. */
export function notRunDetail(step: string, mode: BindingMode): string {
  if (step === 'ApproveCsr') return 'no webhook was installed, so there is no CSR to approve';
  if (step === 'EnsurePodIdentityAssociation') return `${mode} mode: no Pod Identity association`;
  return `not needed in ${mode} mode`;
}

export async function recordOutcome(state: BindState, deps: RecordOutcomeDeps): Promise<OutcomeResult> {
  const binding = await deps.store.get(state.bindingId);
  if (!binding) return { bindingId: state.bindingId, status: 'MISSING' };
  const at = deps.clock.now().toISOString();
  const outputs = outputsOf(state);
  if (outputs) {
    // A migration step reuses the ServiceAccount the bind created: it stays the binding's to delete.
    if (outputs.serviceAccountCreated === false && binding.outputs?.serviceAccountCreated) {
      outputs.serviceAccountCreated = true;
    }
    // Back in irsa mode, the association the binding had is gone (EnsurePodIdentityAssociation deleted it).
    if (outputs.mode === 'irsa' && binding.outputs?.podIdentityAssociation && state.association) {
      outputs.podIdentityAssociation = null;
    }
  }

  let change: {
    to: 'SUCCEEDED' | 'FAILED';
    outputs?: BindingOutputs;
    error?: BindingError;
    detail: string;
    droppedTagKeys?: null;
    steps?: StepRecord[];
  };
  if (!state.error && outputs) {
    const mode = outputs.mode ?? 'irsa';
    // Steps the state machine routed around (no CSR to approve, no association in irsa mode) end SKIPPED
    // in this same write.
    const notRun = binding.steps.filter(
      (s) => s.status === 'PENDING' && BIND_STEPS.includes(s.name as never),
    );
    change = {
      to: 'SUCCEEDED',
      outputs,
      detail: `bound to ${outputs.roleArn} (${mode})`,
      ...(notRun.length > 0
        ? {
            steps: binding.steps.map((s) =>
              notRun.includes(s)
                ? {
                    name: s.name,
                    status: 'SKIPPED' as const,
                    finishedAt: at,
                    detail: notRunDetail(s.name, mode),
                  }
                : s,
            ),
          }
        : {}),
      // The run's EnsureRole removed the tag keys an update dropped: nothing is left to remove.
      ...(binding.droppedTagKeys ? { droppedTagKeys: null } : {}),
    };
  } else {
    const caught: CaughtError = state.error ?? {
      Error: 'Interrupted',
      Cause: 'The workflow ended before the role was ensured',
    };
    const step = failedStep(binding);
    const error: BindingError = {
      step: step?.name ?? 'Workflow',
      code: caught.Error,
      message: messageOf(caught),
    };
    if (step && step.status !== 'FAILED') {
      // Left RUNNING by a timeout or exhausted retries, or never started: close it with the error.
      await deps.store.recordStep(binding.id, {
        name: step.name,
        status: 'FAILED',
        ...(step.startedAt ? { startedAt: step.startedAt } : {}),
        finishedAt: at,
        detail: shortDetail(`${error.code}: ${error.message}`),
      });
    }
    change = {
      to: 'FAILED',
      error,
      ...(outputs ? { outputs } : {}),
      detail: `${error.step} failed: ${error.code}`,
    };
  }

  try {
    await deps.store.transition(binding.id, {
      from: ['RUNNING', 'PENDING'],
      actor: WORKFLOW_ACTOR,
      at,
      ...change,
    });
  } catch (error) {
    // A retried RecordOutcome finds its own earlier write done; a deleted binding stays deleted.
    if (!(error instanceof StatusConflictError)) throw error;
    const current = await deps.store.get(binding.id);
    return { bindingId: binding.id, status: current?.status ?? 'MISSING' };
  }
  return { bindingId: binding.id, status: change.to, ...(change.error ? { error: change.error } : {}) };
}
