// Typed fakes of the API ports for use-case tests.

import type { DriftItem, StepRecord } from '../../lib/domain/binding.js';
import { ACTIVE_STATUSES, type Binding, type BindingEvent } from '../../lib/domain/binding.js';
import {
  ConflictError,
  IdempotencyKeyReusedError,
  NotFoundError,
  StatusConflictError,
} from '../../lib/domain/errors.js';
import { bindingIdFrom } from '../../lib/domain/names.js';
import { type AccessControl, claimsFromEvent } from '../../lib/http/auth/access-control.js';
import type { ApiPorts } from '../../lib/ports/api-ports.js';
import type {
  BindingStore,
  CreateResult,
  IdempotencyClaim,
  ListPage,
  ListQuery,
  Transition,
} from '../../lib/ports/binding-store.js';

export class InMemoryBindingStore implements BindingStore {
  readonly bindings = new Map<string, Binding>();
  readonly events: BindingEvent[] = [];
  private readonly claims = new Map<string, { hash: string; id: string }>();

  async create(binding: Binding, claim?: IdempotencyClaim): Promise<CreateResult> {
    const claimKey = claim && `${binding.createdBy}\n${claim.key}`;
    const previous = claimKey ? this.claims.get(claimKey) : undefined;
    if (previous) {
      if (previous.hash !== claim?.requestHash) throw new IdempotencyKeyReusedError('reused');
      return { binding: structuredClone(this.bindings.get(previous.id) as Binding), created: false };
    }
    for (const other of this.bindings.values()) {
      const same =
        other.region === binding.region &&
        other.clusterName === binding.clusterName &&
        other.namespace === binding.namespace &&
        other.serviceAccountName === binding.serviceAccountName;
      if (same && ACTIVE_STATUSES.includes(other.status)) throw new ConflictError('taken', other.id);
    }
    this.bindings.set(binding.id, structuredClone(binding));
    if (claimKey && claim) this.claims.set(claimKey, { hash: claim.requestHash, id: binding.id });
    return { binding, created: true };
  }

  async get(id: string) {
    const binding = this.bindings.get(id);
    return binding && structuredClone(binding);
  }

  async list(query: ListQuery): Promise<ListPage> {
    const items = [...this.bindings.values()].filter(
      (b) => query.tenant === undefined || b.tenant === query.tenant,
    );
    return { items: items.slice(0, query.limit) };
  }

  async transition(id: string, change: Transition): Promise<Binding> {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(id);
    if (!change.from.includes(binding.status)) throw new StatusConflictError(binding.status);
    if (change.claimSlot) {
      for (const other of this.bindings.values()) {
        const same =
          other.id !== id &&
          other.region === binding.region &&
          other.clusterName === binding.clusterName &&
          other.namespace === binding.namespace &&
          other.serviceAccountName === binding.serviceAccountName;
        if (same && ACTIVE_STATUSES.includes(other.status)) throw new ConflictError('taken', other.id);
      }
    }
    this.events.push({
      bindingId: id,
      at: change.at,
      actor: change.actor,
      from: binding.status,
      to: change.to,
      ...(change.detail ? { detail: change.detail } : {}),
    });
    Object.assign(
      binding,
      { status: change.to, updatedAt: change.at },
      change.error ? { error: change.error } : {},
      change.steps ? { steps: structuredClone(change.steps) } : {},
      structuredClone(change.request ?? {}),
    );
    const step = change.step;
    if (step) binding.steps = binding.steps.map((s) => (s.name === step.name ? structuredClone(step) : s));
    if (change.clearError && !change.error) delete binding.error;
    if (change.droppedTagKeys === null) delete binding.droppedTagKeys;
    else if (change.droppedTagKeys) binding.droppedTagKeys = [...change.droppedTagKeys];
    return structuredClone(binding);
  }

  async recordStep(id: string, step: StepRecord) {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(id);
    binding.steps = binding.steps.map((s) => (s.name === step.name ? step : s));
    return true;
  }

  async listEvents(id: string) {
    return this.events.filter((e) => e.bindingId === id);
  }

  async recordDrift(id: string, drift: DriftItem[], at: string) {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(id);
    Object.assign(binding, { drift: structuredClone(drift), driftCheckedAt: at });
  }

  async appendEvent(event: BindingEvent) {
    if (!this.bindings.has(event.bindingId)) throw new NotFoundError(event.bindingId);
    this.events.push(structuredClone(event));
  }
}

export class RecordingWorkflowStarter {
  readonly started: { name: string; input: unknown }[] = [];
  failWith: Error | undefined;

  async start(name: string, input: unknown) {
    if (this.failWith) throw this.failWith;
    this.started.push({ name, input });
    return { executionArn: `arn:aws:states:eu-west-1:123456789012:execution:bind:${name}` };
  }
}

/**
 * Access for handler tests that are not about access: every caller is an admin; a request without an
 * authorizer context is "anonymous", one with claims is its subject (and must have one).
 */
export const everyoneAdmin: AccessControl = {
  policy: { groupsClaim: 'groups', admins: { subjects: [], groups: [] }, tenants: [] },
  callerOf: (event) => {
    const context = event.requestContext as { authorizer?: unknown } | undefined;
    const subject =
      context?.authorizer === undefined ? 'anonymous' : claimsFromEvent(event, 'groups').subject;
    return { subject, admin: true, tenants: [] };
  },
};

export function fakePorts(): ApiPorts & {
  store: InMemoryBindingStore;
  workflow: RecordingWorkflowStarter;
  access: AccessControl;
} {
  let tick = Date.UTC(2025, 5, 1);
  let n = 0;
  return {
    store: new InMemoryBindingStore(),
    workflow: new RecordingWorkflowStarter(),
    clock: {
      now: () => {
        tick += 1000;
        return new Date(tick);
      },
    },
    ids: { bindingId: (at) => bindingIdFrom(at.getTime(), new Uint8Array(10).fill(n++)) },
    access: everyoneAdmin,
  };
}
