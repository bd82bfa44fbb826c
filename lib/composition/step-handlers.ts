// The bind workflow's Lambda handlers, built over a set of step dependencies: parse the execution state,
// run one use case inside the step frame, return its result for ResultPath. functions/steps/* export them.
import middy from '@middy/core';
import type { BindStepName, WorkflowStepName } from '../domain/binding.js';
import { InputError } from '../domain/errors.js';
import { applyServiceAccount } from '../use-cases/bind/apply-service-account.js';
import { type ApproveCsrResult, approveCsr } from '../use-cases/bind/approve-csr.js';
import type {
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
import { ensureRole } from '../use-cases/bind/ensure-role.js';
import { type EnsureWebhookResult, ensureWebhook } from '../use-cases/bind/ensure-webhook.js';
import { type OutcomeResult, recordOutcome } from '../use-cases/bind/record-outcome.js';
import { parseBindState, requireFact, runStep, type StepContext } from '../use-cases/bind/run-step.js';
import { verifyIdentity } from '../use-cases/bind/verify-identity.js';
import type { StepDependencies } from './step-dependencies.js';

export function stepHandler<R extends StepOutcome>(
  deps: StepDependencies,
  step: WorkflowStepName,
  work: (state: BindState, context: StepContext) => Promise<R>,
) {
  return middy<unknown, R>().handler(async (event) => {
    const state = parseBindState(event);
    return runStep(step, state.bindingId, deps, (context) => work(state, context));
  });
}

/** `$.removedTagKeys`: tag keys the update (PATCH) that started this run removed from the binding. */
function removedTagKeysOf(state: BindState): { removedTagKeys?: string[] } {
  const keys = (state as { removedTagKeys?: unknown }).removedTagKeys;
  if (keys === undefined) return {};
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'string')) {
    throw new InputError(
      `EnsureRole needs $.removedTagKeys to be a list of tag keys, got ${JSON.stringify(keys)}`,
    );
  }
  return { removedTagKeys: keys };
}

export function createStepHandlers(deps: StepDependencies) {
  const connection = (state: BindState, step: BindStepName) => requireFact(state, 'cluster', step);
  return {
    describeCluster: stepHandler<ClusterFacts>(deps, 'DescribeCluster', (_state, { binding }) =>
      describeCluster(binding, deps),
    ),
    ensureOidcProvider: stepHandler<OidcProviderFacts>(deps, 'EnsureOidcProvider', (state, { binding }) =>
      ensureOidcProvider(binding, connection(state, 'EnsureOidcProvider'), deps),
    ),
    ensureRole: stepHandler<RoleFacts>(deps, 'EnsureRole', (state, { binding }) =>
      ensureRole(
        binding,
        connection(state, 'EnsureRole'),
        requireFact(state, 'oidcProvider', 'EnsureRole'),
        deps,
        removedTagKeysOf(state),
      ),
    ),
    ensureWebhook: stepHandler<EnsureWebhookResult>(deps, 'EnsureWebhook', (state, { binding }) =>
      ensureWebhook({ bindingId: binding.id, cluster: connection(state, 'EnsureWebhook') }, deps),
    ),
    approveCsr: stepHandler<ApproveCsrResult>(deps, 'ApproveCsr', (state, { binding }) =>
      approveCsr(
        {
          bindingId: binding.id,
          cluster: connection(state, 'ApproveCsr'),
          webhook: requireFact(state, 'webhook', 'ApproveCsr') as EnsureWebhookResult,
        },
        deps,
      ),
    ),
    applyServiceAccount: stepHandler<ServiceAccountFacts>(deps, 'ApplyServiceAccount', (state, { binding }) =>
      applyServiceAccount(
        binding,
        connection(state, 'ApplyServiceAccount'),
        requireFact(state, 'role', 'ApplyServiceAccount'),
        deps,
      ),
    ),
    verifyIdentity: stepHandler<VerificationFacts>(deps, 'VerifyIdentity', (state, context) =>
      verifyIdentity(
        context.binding,
        connection(state, 'VerifyIdentity'),
        requireFact(state, 'role', 'VerifyIdentity'),
        context,
        deps,
      ),
    ),
    recordOutcome: middy<unknown, OutcomeResult>().handler(async (event) =>
      recordOutcome(parseBindState(event), deps),
    ),
  };
}

export type StepHandlers = ReturnType<typeof createStepHandlers>;
