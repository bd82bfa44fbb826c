// How a binding, its listing, service-account slot, idempotency claim and events are laid out in the
// single table.
//
// Layout since 0.2: the binding (META) carries no index keys; a small LISTING item in the same partition
// does, with the attributes lists filter on. The indexes project ALL, so an item with index keys is
// rewritten in every index at each update: steps now update META alone (one write instead of three),
// and only status changes touch the indexes, through the small LISTING item. Bindings written before
// 0.2 (META with index keys, no LISTING) are still read, listed and updated as they are.
// Since 0.3 a step is stored under its name without repeating it (see stepValue); steps written before
// carry their name inside and read the same.
import {
  BIND_STEPS,
  type Binding,
  type BindingEvent,
  ROLLBACK_STEPS,
  type StepRecord,
  UNBIND_STEPS,
} from '../../domain/binding.js';

export type Item = Record<string, unknown>;

export const META = 'META';
export const LISTING = 'LISTING';
export const SLOT = 'SLOT';
export const IDEMPOTENCY = 'IDEMPOTENCY';
export const ALL_BINDINGS = 'BINDING';
/** Idempotency claims outlive retries of one request by a wide margin. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export const bindingPk = (id: string) => `BINDING#${id}`;
export const clusterPk = (clusterName: string) => `CLUSTER#${clusterName}`;
export const tenantPk = (tenant: string) => `TENANT#${tenant}`;
export const timelineSk = (createdAt: string, id: string) => `${createdAt}#${id}`;

export function slotPk(
  b: Pick<Binding, 'region' | 'clusterName' | 'namespace' | 'serviceAccountName'>,
): string {
  return `SLOT#${b.region}#${b.clusterName}#${b.namespace}#${b.serviceAccountName}`;
}

// Caller ids and keys may contain `#`; encoding keeps (`a#b`, `c`) apart from (`a`, `b#c`).
export function idempotencyPk(createdBy: string, key: string): string {
  return `IDEMPOTENCY#${encodeURIComponent(createdBy)}#${encodeURIComponent(key)}`;
}

const KEY_ATTRIBUTES = [
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'gsi3pk',
  'gsi3sk',
  'type',
] as const;

/** The index keys of a binding: by cluster (gsi1), all (gsi2), by tenant (gsi3, sparse). */
function indexKeys(binding: Binding): Item {
  return {
    gsi1pk: clusterPk(binding.clusterName),
    gsi1sk: timelineSk(binding.createdAt, binding.id),
    gsi2pk: ALL_BINDINGS,
    gsi2sk: timelineSk(binding.createdAt, binding.id),
    // Sparse: only bindings that belong to a tenant are in the tenant index.
    ...(binding.tenant === undefined
      ? {}
      : { gsi3pk: tenantPk(binding.tenant), gsi3sk: timelineSk(binding.createdAt, binding.id) }),
  };
}

/**
 * A step as stored under its name in the steps map: without the name, which the key holds (every byte of
 * the binding item is billed again at each of its writes). Items written before 0.3 carry it; read alike.
 */
export function stepValue(step: StepRecord): Omit<StepRecord, 'name'> {
  const { name: _name, ...value } = step;
  return value;
}

/** The steps map of a binding item: step name → stepValue. */
export function stepsMap(steps: readonly StepRecord[]): Record<string, Omit<StepRecord, 'name'>> {
  return Object.fromEntries(steps.map((step) => [step.name, stepValue(step)]));
}

/** Steps live in a map keyed by name so one step is updated in place without a read-modify-write. */
export function bindingToItem(binding: Binding): Item {
  const { steps, outputs, ...rest } = binding;
  return {
    ...rest,
    pk: bindingPk(binding.id),
    sk: META,
    type: 'binding',
    steps: stepsMap(steps),
    outputs: outputs ?? {},
  };
}

/** The binding's entry in the indexes: its keys and what list filters read (status changes with it). */
export function listingItem(binding: Binding): Item {
  return {
    pk: bindingPk(binding.id),
    sk: LISTING,
    ...indexKeys(binding),
    type: 'listing',
    bindingId: binding.id,
    clusterName: binding.clusterName,
    namespace: binding.namespace,
    status: binding.status,
  };
}

/** A binding item written before 0.2 carries its own index keys (and has no LISTING item). */
export function isIndexedBindingItem(item: Item): boolean {
  return item.type === 'binding' && item.gsi2pk !== undefined;
}

/** Bind steps in workflow order; CheckDrift (drift check) runs between DescribeCluster and VerifyIdentity. */
// Then a rollback's steps, then an unbind's.
const STEP_ORDER: readonly string[] = [
  ...BIND_STEPS.slice(0, -1),
  'CheckDrift',
  ...BIND_STEPS.slice(-1),
  ...ROLLBACK_STEPS,
  ...UNBIND_STEPS,
];

function stepOrder(name: string): number {
  const index = STEP_ORDER.indexOf(name);
  return index === -1 ? STEP_ORDER.length : index;
}

export function itemToBinding(item: Item): Binding {
  const record: Item = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  const steps = Object.entries((item.steps ?? {}) as Record<string, Omit<StepRecord, 'name'>>)
    .map(([name, value]): StepRecord => ({ ...value, name }))
    .sort((a, b) => stepOrder(a.name) - stepOrder(b.name) || a.name.localeCompare(b.name));
  const outputs = item.outputs as Binding['outputs'];
  const binding = { ...record, steps } as unknown as Binding;
  if (!outputs || Object.keys(outputs).length === 0) delete binding.outputs;
  return binding;
}

export function eventToItem(event: BindingEvent, seq: string): Item {
  return { ...event, pk: bindingPk(event.bindingId), sk: `EVENT#${event.at}#${seq}`, type: 'event' };
}

export function itemToEvent(item: Item): BindingEvent {
  const event: Item = { ...item };
  for (const key of KEY_ATTRIBUTES) delete event[key];
  return event as unknown as BindingEvent;
}
