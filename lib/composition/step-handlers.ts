// The bind workflow's Lambda handlers, built over a set of step dependencies: parse the execution state,
// run one use case inside the step frame, return its result for ResultPath. functions/steps/* export them.
// The webhook steps (CSR parsing, X.509) live in webhook-step-handlers.ts so other steps do not bundle them.
import middy from '@middy/core';
import type { BindStepName, WorkflowStepName } from '../domain/binding.js';
import { applyServiceAccount } from '../use-cases/bind/apply-service-account.js';
import type {
  AssociationFacts,
  BindState,
  ClusterFacts,
  OidcProviderFacts,
  RoleFacts,
  ServiceAccountFacts,
  StepOutcome,
  VerificationFacts,
} from '../use-cases/bind/bind-state.js';
import { describeCluster } from '../use-cases/bind/describe-cluster.js';
import { ensureOidcProvider } from '../use-cases/bind/ensure-oidc-provider.js';
import {
  associationSettled,
  ensurePodIdentityAssociation,
} from '../use-cases/bind/ensure-pod-identity-association.js';
import { ensureRole } from '../use-cases/bind/ensure-role.js';
import { type OutcomeResult, recordOutcome } from '../use-cases/bind/record-outcome.js';
import { parseBindState, requireFact, runStep, type StepContext } from '../use-cases/bind/run-step.js';
import { verifyIdentity } from '../use-cases/bind/verify-identity.js';
import type { StepDependencies } from './step-dependencies.js';

/** What every step's frame needs: the store to record the step in and a clock. */
type FrameDeps = Pick<StepDependencies, 'store' | 'clock'>;
/** Deps of a step: the frame's plus the named ones. Each step function builds only these (smaller bundles). */
export type StepDeps<K extends keyof StepDependencies> = FrameDeps & Pick<StepDependencies, K>;

export function stepHandler<R extends StepOutcome>(
  deps: FrameDeps,
  step: WorkflowStepName,
  work: (state: BindState, context: StepContext) => Promise<R>,
  /** Decides the step from the state alone, when it can: see runStep. */
  settled?: (state: BindState) => R | undefined,
) {
  return middy<unknown, R>().handler(async (event) => {
    const state = parseBindState(event);
    return runStep(
      step,
      state.bindingId,
      deps,
      (context) => work(state, context),
      settled && (() => settled(state)),
    );
  });
}

export const connection = (state: BindState, step: BindStepName) => requireFact(state, 'cluster', step);

export const describeClusterHandler = (deps: StepDeps<'clusters' | 'podIdentity' | 'config'>) =>
  stepHandler<ClusterFacts>(deps, 'DescribeCluster', (_state, { binding }) => describeCluster(binding, deps));

export const ensureOidcProviderHandler = (deps: StepDeps<'config' | 'oidcProviders'>) =>
  stepHandler<OidcProviderFacts>(
    deps,
    'EnsureOidcProvider',
    (state, { binding }) => ensureOidcProvider(binding, connection(state, 'EnsureOidcProvider'), deps),
    (state) =>
      state.cluster?.mode === 'pod-identity'
        ? { status: 'SKIPPED', detail: 'pod-identity mode: EKS Pod Identity needs no OIDC provider', arn: '' }
        : undefined,
  );

export const ensureRoleHandler = (deps: StepDeps<'config' | 'roles' | 'policies' | 'targetAccounts'>) =>
  stepHandler<RoleFacts>(deps, 'EnsureRole', (state, { binding }) => {
    const cluster = connection(state, 'EnsureRole');
    const irsa = (cluster.mode ?? 'irsa') !== 'pod-identity';
    return ensureRole(
      binding,
      cluster,
      irsa ? requireFact(state, 'oidcProvider', 'EnsureRole') : undefined,
      deps,
    );
  });

export const ensurePodIdentityAssociationHandler = (deps: StepDeps<'config' | 'podIdentity'>) =>
  stepHandler<AssociationFacts>(
    deps,
    'EnsurePodIdentityAssociation',
    (state, { binding, startedAt }) =>
      ensurePodIdentityAssociation(
        binding,
        connection(state, 'EnsurePodIdentityAssociation'),
        requireFact(state, 'role', 'EnsurePodIdentityAssociation'),
        { startedAt },
        deps,
      ),
    // A migration step runs it in every mode: leaving Pod Identity removes the association.
    (state) =>
      (state as { migrate?: unknown }).migrate === true ? undefined : associationSettled(state.cluster),
  );

export const applyServiceAccountHandler = (deps: StepDeps<'config' | 'kubernetes'>) =>
  stepHandler<ServiceAccountFacts>(deps, 'ApplyServiceAccount', (state, { binding }) =>
    applyServiceAccount(
      binding,
      connection(state, 'ApplyServiceAccount'),
      requireFact(state, 'role', 'ApplyServiceAccount'),
      deps,
    ),
  );

export const verifyIdentityHandler = (deps: StepDeps<'config' | 'kubernetes'>) =>
  stepHandler<VerificationFacts>(deps, 'VerifyIdentity', (state, context) =>
    verifyIdentity(
      context.binding,
      connection(state, 'VerifyIdentity'),
      requireFact(state, 'role', 'VerifyIdentity'),
      context,
      deps,
    ),
  );

export const recordOutcomeHandler = (deps: FrameDeps) =>
  middy<unknown, OutcomeResult>().handler(async (event) => recordOutcome(parseBindState(event), deps));
