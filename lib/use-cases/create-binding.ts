// Use case: accept a binding request, store it as PENDING and start the bind workflow.
import { createHash } from 'node:crypto';
import { BIND_STEPS, type Binding } from '../domain/binding.js';
import { parseCreateBindingRequest } from '../domain/binding-rules.js';
import { type CallbackPolicy, callbackUrlProblem } from '../domain/callback-url.js';
import { InputError, StatusConflictError, WorkflowStartFailedError } from '../domain/errors.js';
import { assertNoDeniedPolicy } from '../domain/guardrails.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../domain/names.js';
import { deriveRoleName } from '../domain/role-name.js';
import type { ApiPorts } from '../ports/api-ports.js';
import type { CreateResult } from '../ports/binding-store.js';

export interface CreateBindingCommand {
  /** The parsed JSON body, not yet validated. */
  body: unknown;
  createdBy: string;
  idempotencyKey?: string;
  /**
   * Access check of the validated request, before anything is stored: returns the tenant the binding
   * belongs to, or throws NotAllowedError. The HTTP edge always passes it.
   */
  authorize?: (request: ParsedBindingRequest) => string | undefined;
  /**
   * Whether the binding (of `tenant`) may use a target role irsa-broker did not create; absent: it may
   * not (irsa-broker then creates the target role, and refuses an existing one that is not its own).
   */
  mayUseExistingTargetRole?: (targetRoleArn: string, tenant: string | undefined) => boolean;
}

export type ParsedBindingRequest = ReturnType<typeof parseCreateBindingRequest>;

export const BIND_WORKFLOW_ACTOR = 'irsa-broker';

/** JSON with object keys sorted at every level, so equal requests hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function createBinding(
  command: CreateBindingCommand,
  deps: Pick<ApiPorts, 'store' | 'workflow' | 'clock' | 'ids'> & {
    /** DENIED_POLICY_ARNS: refused besides the built-in deny-list. */
    deniedPolicyArns?: readonly string[];
    /** Which callback URLs a request may name; absent: none (no callbacks). */
    callbacks?: CallbackPolicy;
  },
): Promise<CreateResult> {
  if (command.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(command.idempotencyKey)) {
    throw new InputError('The Idempotency-Key header must be 1-128 printable ASCII characters.', [
      { path: 'Idempotency-Key', message: 'use 1-128 printable ASCII characters, e.g. a UUID' },
    ]);
  }
  const request = parseCreateBindingRequest(command.body);
  if (request.callbackUrl !== undefined) {
    const problem = callbackUrlProblem(
      request.callbackUrl,
      deps.callbacks ?? { allowedHosts: [], allowLoopbackHttp: false },
    );
    if (problem) {
      throw new InputError(`The binding request is invalid: callbackUrl: ${problem}`, [
        { path: 'callbackUrl', message: problem },
      ]);
    }
  }
  // Before any tenant rule: the deny-list holds for every caller, admins included.
  assertNoDeniedPolicy(request.policyArns, deps.deniedPolicyArns);
  const tenant = command.authorize?.(request);
  // Hash after defaults: `{verify: true}` and an omitted `verify` are the same request.
  const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
  const now = deps.clock.now();
  const at = now.toISOString();
  const binding: Binding = {
    ...request,
    roleName: request.roleName ?? deriveRoleName(request),
    id: deps.ids.bindingId(now),
    status: 'PENDING',
    createdAt: at,
    updatedAt: at,
    createdBy: command.createdBy,
    ...(tenant === undefined ? {} : { tenant }),
    ...(request.targetRoleArn !== undefined &&
    command.mayUseExistingTargetRole?.(request.targetRoleArn, tenant)
      ? { allowExistingTargetRole: true }
      : {}),
    steps: BIND_STEPS.map((name) => ({ name, status: 'PENDING' })),
  };

  const result = await deps.store.create(
    binding,
    command.idempotencyKey === undefined ? undefined : { key: command.idempotencyKey, requestHash },
  );
  // A replay starts nothing, unless the first request died between storing and starting:
  // StartExecution is idempotent for the same name and input, so starting again is safe.
  if (!result.created && result.binding.status !== 'PENDING') return result;

  const stored = result.binding;
  try {
    await deps.workflow.start(stored.id, { bindingId: stored.id });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    try {
      const failed = await deps.store.transition(stored.id, {
        from: ['PENDING'],
        to: 'FAILED',
        actor: BIND_WORKFLOW_ACTOR,
        at: deps.clock.now().toISOString(),
        detail: 'the bind workflow could not be started',
        error: { step: 'Start', code: 'WorkflowStartFailed', message },
      });
      throw new WorkflowStartFailedError(
        `Binding ${failed.id} was stored but its workflow could not be started (${message}); it is now FAILED. Retry with a new request.`,
        { cause: error },
      );
    } catch (transitionError) {
      // Moved on meanwhile: a concurrent replay started the workflow after all.
      if (transitionError instanceof StatusConflictError) {
        const current = await deps.store.get(stored.id);
        if (current) return { binding: current, created: result.created };
      }
      throw transitionError;
    }
  }
  return result;
}
