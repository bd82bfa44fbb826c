// All of the bind workflow's handlers over one set of dependencies, for tests and tools. The Lambdas
// (functions/steps/*) import only their own handler, so each bundle carries only what its step uses.
import type { StepDependencies } from './step-dependencies.js';
import {
  applyServiceAccountHandler,
  describeClusterHandler,
  ensureOidcProviderHandler,
  ensurePodIdentityAssociationHandler,
  ensureRoleHandler,
  recordOutcomeHandler,
  verifyIdentityHandler,
} from './step-handlers.js';
import { approveCsrHandler, ensureWebhookHandler } from './webhook-step-handlers.js';

export function createStepHandlers(deps: StepDependencies) {
  return {
    describeCluster: describeClusterHandler(deps),
    ensureOidcProvider: ensureOidcProviderHandler(deps),
    ensureRole: ensureRoleHandler(deps),
    ensureWebhook: ensureWebhookHandler(deps),
    approveCsr: approveCsrHandler(deps),
    ensurePodIdentityAssociation: ensurePodIdentityAssociationHandler(deps),
    applyServiceAccount: applyServiceAccountHandler(deps),
    verifyIdentity: verifyIdentityHandler(deps),
    recordOutcome: recordOutcomeHandler(deps),
  };
}

export type StepHandlers = ReturnType<typeof createStepHandlers>;
