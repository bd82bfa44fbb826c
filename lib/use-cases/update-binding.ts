// Use case: PATCH /v1/bindings/{id} — change the role's policies, tags or session duration, then run the
// update workflow: EnsureRole reconciles the role this binding owns (attaches added policies, detaches
// removed ones, tags, session duration) and VerifyIdentity proves the binding again. The trust policy's
// subject is never touched: namespace and service account are the binding's identity.
// A new `mode` is a migration step (irsa → both → pod-identity, or back): the same workflow also gives the
// role the new mode's trust, creates or removes the Pod Identity association, adds or removes the
// ServiceAccount's annotation, and the test pod proves the new mode.
import {
  type Binding,
  effectiveMode,
  MIGRATE_STEPS,
  migrationAllowed,
  UPDATE_STEPS,
} from '../domain/binding.js';
import { InputError, NotFoundError } from '../domain/errors.js';
import { assertNoDeniedPolicy } from '../domain/guardrails.js';
import { parseUpdateBindingRequest } from '../domain/update-rules.js';
import { type RerunDeps, rerunBinding } from './retry-binding.js';

export interface UpdateBindingCommand {
  id: string;
  body: unknown;
  actor: string;
}

/** One line for the audit event: what the PATCH changes. */
function describeChange(before: Binding, change: ReturnType<typeof parseUpdateBindingRequest>): string {
  const parts: string[] = [];
  if (change.policyArns) {
    const added = change.policyArns.filter((a) => !before.policyArns.includes(a));
    const removed = before.policyArns.filter((a) => !change.policyArns?.includes(a));
    parts.push(
      `policyArns${added.length ? ` +${added.join(' +')}` : ''}${removed.length ? ` -${removed.join(' -')}` : ''}${added.length + removed.length === 0 ? ' unchanged' : ''}`,
    );
  }
  if (change.tags) parts.push(`tags ${JSON.stringify(change.tags)}`);
  if (change.maxSessionDuration !== undefined) {
    parts.push(`maxSessionDuration ${before.maxSessionDuration ?? 3600} → ${change.maxSessionDuration}`);
  }
  if (change.mode !== undefined) parts.push(`mode ${effectiveMode(before)} → ${change.mode}`);
  return `update: ${parts.join('; ')}`;
}

/**
 * Tag keys the role may carry that the binding no longer wants: those this update drops, and those an
 * earlier update dropped that no run has removed yet; a key the update sets again is wanted.
 */
function droppedTagKeys(before: Binding, tags: Record<string, string>): string[] {
  const dropped = new Set(before.droppedTagKeys ?? []);
  for (const key of Object.keys(before.tags)) dropped.add(key);
  return [...dropped].filter((key) => !(key in tags)).sort();
}

export async function updateBinding(command: UpdateBindingCommand, deps: RerunDeps): Promise<Binding> {
  const change = parseUpdateBindingRequest(command.body);
  // The deny-list holds for changes too (EnsureRole checks it again, with DENIED_POLICY_ARNS, before IAM).
  if (change.policyArns) assertNoDeniedPolicy(change.policyArns);
  const before = await deps.store.get(command.id);
  if (!before) throw new NotFoundError(`Binding ${command.id} does not exist`);
  const current = effectiveMode(before);
  const migrate = change.mode !== undefined && change.mode !== current;
  if (change.mode !== undefined && migrate && !migrationAllowed(current, change.mode)) {
    throw new InputError(
      `Binding ${command.id} is bound in mode ${current}; a migration goes one step at a time, so go to mode "both" first, then to "${change.mode}" once that is verified.`,
      [{ path: 'mode', message: `from ${current}, mode may only become both` }],
    );
  }
  if (migrate && before.targetRoleArn !== undefined) {
    throw new InputError(
      `Binding ${command.id} chains into target role ${before.targetRoleArn}, which only EKS Pod Identity can do; it stays in mode pod-identity.`,
      [{ path: 'mode', message: 'a binding with a targetRoleArn stays pod-identity' }],
    );
  }
  return rerunBinding(
    {
      id: command.id,
      actor: command.actor,
      from: ['SUCCEEDED'],
      otherwise:
        'Update a binding once it SUCCEEDED: wait for a running one, retry a FAILED one (POST /v1/bindings/{id}/retry), or create a new binding.',
      steps: migrate ? MIGRATE_STEPS : UPDATE_STEPS,
      kind: 'u',
      ...(migrate ? { input: { migrate: true } } : {}),
      detail: describeChange(before, change),
      // EnsureRole removes from the role only the tag keys the binding dropped, never others' tags. They
      // are kept on the binding, so a retry after this update failed removes them too.
      ...(change.tags ? { droppedTagKeys: droppedTagKeys(before, change.tags) } : {}),
      request: {
        ...(change.policyArns ? { policyArns: change.policyArns } : {}),
        ...(change.tags ? { tags: change.tags } : {}),
        ...(change.maxSessionDuration !== undefined ? { maxSessionDuration: change.maxSessionDuration } : {}),
        ...(migrate ? { mode: change.mode } : {}),
      },
    },
    deps,
  );
}
