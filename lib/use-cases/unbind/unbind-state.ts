// The state the unbind steps read: the unbind workflow's start input `{ bindingId }`, or, when they run
// as the bind workflow's rollback, the bind execution state marked `phase: rollback`.
import type { BindState } from '../bind/bind-state.js';

export type UnbindPhase = 'unbind' | 'rollback';

export interface UnbindState extends BindState {
  /** Absent in the unbind workflow; the bind workflow's rollback branch sets `rollback`. */
  phase?: UnbindPhase;
}

/** $.testPods, $.associationRemoval, $.serviceAccountRemoval, $.roleRemoval — what each step did. */
export interface UnbindOutcome {
  status: 'SUCCEEDED' | 'SKIPPED';
  detail: string;
}

export function phaseOf(state: UnbindState): UnbindPhase {
  return state.phase === 'rollback' ? 'rollback' : 'unbind';
}
