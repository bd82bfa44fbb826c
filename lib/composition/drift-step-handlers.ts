// The verify (drift check) workflow's own step: CheckDrift. Its other steps are the bind workflow's
// DescribeCluster, VerifyIdentity and RecordOutcome handlers.
import { InputError } from '../domain/errors.js';
import { requireFact } from '../use-cases/bind/run-step.js';
import { checkDrift, type DriftFacts } from '../use-cases/drift/check-drift.js';
import type { StepDependencies } from './step-dependencies.js';
import { type StepDeps, stepHandler } from './step-handlers.js';

function repairOf(state: unknown): boolean {
  const repair = (state as { repair?: unknown }).repair;
  if (repair === undefined) return false;
  if (typeof repair !== 'boolean') {
    throw new InputError(`CheckDrift needs $.repair to be true or false, got ${JSON.stringify(repair)}`);
  }
  return repair;
}

export const checkDriftHandler = (
  deps: StepDeps<'config' | 'roles' | 'oidcProviders' | 'podIdentity' | 'kubernetes' | 'targetAccounts'>,
) =>
  stepHandler<DriftFacts>(deps, 'CheckDrift', (state, { binding, startedAt }) =>
    checkDrift(
      binding,
      requireFact(state, 'cluster', 'CheckDrift'),
      { repair: repairOf(state), startedAt },
      deps,
    ),
  );

export function createDriftStepHandlers(deps: StepDependencies) {
  return { checkDrift: checkDriftHandler(deps) };
}
