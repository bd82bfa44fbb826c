// The binding store in memory, with the store's conditional transitions and per-step records.
import type {
  Binding,
  BindingEvent,
  BindingRequest,
  DriftItem,
  StepRecord,
} from '../../../lib/domain/binding.js';
import { BIND_STEPS } from '../../../lib/domain/binding.js';
import { NotFoundError, StatusConflictError } from '../../../lib/domain/errors.js';
import type {
  BindingStore,
  CreateResult,
  ListPage,
  ListQuery,
  StepGuard,
  Transition,
} from '../../../lib/ports/binding-store.js';

export function pendingBinding(overrides: Partial<BindingRequest> & { id?: string } = {}): Binding {
  const { id = 'bnd_01JABCDEFGHJKMNPQRSTVWXYZ0', ...request } = overrides;
  return {
    id,
    clusterName: 'demo',
    region: 'us-east-1',
    namespace: 'payments',
    serviceAccountName: 'api',
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    roleName: 'irsa-demo-payments-api-1a2b3c4d',
    createServiceAccount: true,
    verify: true,
    tags: { team: 'payments' },
    ...request,
    status: 'PENDING',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    createdBy: 'tester',
    steps: BIND_STEPS.map((name) => ({ name, status: 'PENDING' })),
  };
}

export class InMemoryBindingStore implements BindingStore {
  readonly bindings = new Map<string, Binding>();
  readonly events: BindingEvent[] = [];
  /** Every step record written, in order: shows RUNNING before the final status. */
  readonly stepLog: (StepRecord & { bindingId: string })[] = [];

  constructor(...bindings: Binding[]) {
    for (const binding of bindings) this.bindings.set(binding.id, structuredClone(binding));
  }

  async create(binding: Binding): Promise<CreateResult> {
    this.bindings.set(binding.id, structuredClone(binding));
    return { binding, created: true };
  }

  async get(id: string): Promise<Binding | undefined> {
    const binding = this.bindings.get(id);
    return binding && structuredClone(binding);
  }

  async list(query: ListQuery): Promise<ListPage> {
    return { items: [...this.bindings.values()].slice(0, query.limit).map((b) => structuredClone(b)) };
  }

  async transition(id: string, change: Transition): Promise<Binding> {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(`Binding ${id} does not exist`);
    if (!change.from.includes(binding.status)) {
      throw new StatusConflictError(`Binding ${id} is ${binding.status}, not ${change.from.join('/')}`);
    }
    this.events.push({
      bindingId: id,
      at: change.at,
      actor: change.actor,
      from: binding.status,
      to: change.to,
      ...(change.detail ? { detail: change.detail } : {}),
    });
    binding.status = change.to;
    binding.updatedAt = change.at;
    if (change.outputs) binding.outputs = { ...binding.outputs, ...structuredClone(change.outputs) };
    if (change.error) binding.error = { ...change.error };
    else if (change.clearError) delete binding.error;
    if (change.steps) binding.steps = structuredClone(change.steps);
    const step = change.step;
    if (step) {
      this.stepLog.push({ bindingId: id, ...step });
      binding.steps = binding.steps.map((s) => (s.name === step.name ? structuredClone(step) : s));
    }
    Object.assign(binding, structuredClone(change.request ?? {}));
    if (change.droppedTagKeys === null) delete binding.droppedTagKeys;
    else if (change.droppedTagKeys) binding.droppedTagKeys = [...change.droppedTagKeys];
    return structuredClone(binding);
  }

  async recordStep(id: string, step: StepRecord, guard?: StepGuard): Promise<boolean> {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(`Binding ${id} does not exist`);
    const current = binding.steps.find((s) => s.name === step.name);
    if (guard && 'ifRunningSince' in guard) {
      if (current?.status !== 'RUNNING' || current.startedAt !== guard.ifRunningSince) return false;
    } else if (guard && current?.status === 'RUNNING') {
      return false;
    }
    this.stepLog.push({ bindingId: id, ...step });
    // Like the table's steps map: a step not recorded before is added (rollback and unbind steps).
    binding.steps = binding.steps.some((s) => s.name === step.name)
      ? binding.steps.map((s) => (s.name === step.name ? { ...step } : s))
      : [...binding.steps, { ...step }];
    return true;
  }

  async listEvents(id: string): Promise<BindingEvent[]> {
    return this.events.filter((e) => e.bindingId === id);
  }

  async recordDrift(id: string, drift: DriftItem[], at: string): Promise<void> {
    const binding = this.bindings.get(id);
    if (!binding) throw new NotFoundError(`Binding ${id} does not exist`);
    binding.drift = structuredClone(drift);
    binding.driftCheckedAt = at;
  }

  async appendEvent(event: BindingEvent): Promise<void> {
    if (!this.bindings.has(event.bindingId))
      throw new NotFoundError(`Binding ${event.bindingId} does not exist`);
    this.events.push(structuredClone(event));
  }

  step(id: string, name: string): StepRecord | undefined {
    return this.bindings.get(id)?.steps.find((s) => s.name === name);
  }
}
