// Use case: POST /v1/bindings/{id}/verify — start the drift check of a bound binding: re-check trust policy,
// attachments, annotation and OIDC provider against the live account and cluster, run a fresh test pod,
// and repair what irsa-broker owns only when the body says {"repair": true}.
import { type Binding, VERIFY_STEPS } from '../domain/binding.js';
import { fieldIssues } from '../domain/binding-rules.js';
import { InputError, NotFoundError, StatusConflictError } from '../domain/errors.js';
import { VerifyBindingRequestSchema } from '../domain/update-rules.js';
import { type RerunDeps, rerunBinding } from './retry-binding.js';

export interface CheckDriftCommand {
  id: string;
  /** The parsed JSON body; undefined when the request had none (a plain check). */
  body: unknown;
  actor: string;
}

export async function startDriftCheck(command: CheckDriftCommand, deps: RerunDeps): Promise<Binding> {
  const parsed = VerifyBindingRequestSchema.safeParse(command.body ?? {});
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error);
    throw new InputError(
      `The verify request is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const { repair } = parsed.data;
  const binding = await deps.store.get(command.id);
  if (!binding) throw new NotFoundError(`Binding ${command.id} does not exist`);
  // A binding that failed after it was bound (e.g. a drift check found it broken) may be checked and
  // repaired again; one that never got a role has nothing to check.
  if (binding.status === 'FAILED' && !binding.outputs?.roleArn) {
    throw new StatusConflictError(
      `Binding ${command.id} is FAILED and was never bound to a role; retry it (POST /v1/bindings/${command.id}/retry) instead.`,
    );
  }
  return rerunBinding(
    {
      id: command.id,
      actor: command.actor,
      from: ['SUCCEEDED', 'FAILED'],
      otherwise: 'Wait until the running workflow ends, then check again.',
      steps: VERIFY_STEPS,
      kind: 'v',
      detail: repair ? 'drift check with repair' : 'drift check',
      input: { repair },
    },
    deps,
  );
}
