// The webhook steps' Lambda handlers (EnsureWebhook, ApproveCsr): apart from the other bind steps
// because they alone parse CSRs and certificates (X.509), which the other steps need not bundle.

import { type ApproveCsrResult, approveCsr, approveCsrSettled } from '../use-cases/bind/approve-csr.js';
import { type EnsureWebhookResult, ensureWebhook } from '../use-cases/bind/ensure-webhook.js';
import { requireFact } from '../use-cases/bind/run-step.js';
import { connection, type StepDeps, stepHandler } from './step-handlers.js';

export const ensureWebhookHandler = (deps: StepDeps<'config' | 'kubernetes' | 'keys'>) =>
  stepHandler<EnsureWebhookResult>(
    deps,
    'EnsureWebhook',
    (state, { binding }) =>
      ensureWebhook({ bindingId: binding.id, cluster: connection(state, 'EnsureWebhook') }, deps),
    (state) =>
      state.cluster?.mode === 'pod-identity'
        ? {
            status: 'SKIPPED',
            detail: 'pod-identity mode: EKS mutates the pods itself, no pod identity webhook needed',
          }
        : undefined,
  );

export const approveCsrHandler = (deps: StepDeps<'config' | 'kubernetes' | 'keys'>) =>
  stepHandler<ApproveCsrResult>(
    deps,
    'ApproveCsr',
    (state, { binding }) =>
      approveCsr(
        {
          bindingId: binding.id,
          cluster: connection(state, 'ApproveCsr'),
          webhook: requireFact(state, 'webhook', 'ApproveCsr') as EnsureWebhookResult,
        },
        deps,
      ),
    (state) => approveCsrSettled(state.webhook as EnsureWebhookResult | undefined),
  );
