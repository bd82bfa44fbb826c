// Use case: PATCH /v1/bindings/{id} — change the role's policies, tags or session duration, then run the
// update workflow: EnsureRole reconciles the role this binding owns (attaches added policies, detaches
// removed ones, tags, session duration) and VerifyIdentity proves the binding again. The ServiceAccount and
// the trust policy's subject are not touched: namespace and service account are the binding's identity.
import { type Binding, UPDATE_STEPS } from '../domain/binding.js';
import { NotFoundError } from '../domain/errors.js';
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
  return rerunBinding(
    {
      id: command.id,
      actor: command.actor,
      from: ['SUCCEEDED'],
      otherwise:
        'Update a binding once it SUCCEEDED: wait for a running one, retry a FAILED one (POST /v1/bindings/{id}/retry), or create a new binding.',
      steps: UPDATE_STEPS,
      kind: 'u',
      detail: describeChange(before, change),
      // EnsureRole removes from the role only the tag keys the binding dropped, never others' tags. They
      // are kept on the binding, so a retry after this update failed removes them too.
      ...(change.tags ? { droppedTagKeys: droppedTagKeys(before, change.tags) } : {}),
      request: {
        ...(change.policyArns ? { policyArns: change.policyArns } : {}),
        ...(change.tags ? { tags: change.tags } : {}),
        ...(change.maxSessionDuration !== undefined ? { maxSessionDuration: change.maxSessionDuration } : {}),
      },
    },
    deps,
  );
}
