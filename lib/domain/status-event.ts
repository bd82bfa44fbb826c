// The event a binding's status change becomes for subscribers (portals): what changed, on which binding,
// and an id that stays the same however often the same change is delivered.
import {
  type Binding,
  type BindingError,
  type BindingMode,
  type BindingStatus,
  type DriftItem,
  UNBIND_STEPS,
} from './binding.js';

export const STATUS_EVENT_SOURCE = 'irsa-broker';
/** Bumped when the detail changes incompatibly; consumers may match on it. */
export const STATUS_EVENT_SCHEMA_VERSION = '1';

/** `Binding Pending` … `Binding Deleted`: one detail-type per status a binding can reach. */
export type StatusEventDetailType = `Binding ${Capitalize<Lowercase<BindingStatus>>}`;

/** Which workflow the change belongs to. */
export type StatusEventWorkflow = 'bind' | 'update' | 'verify' | 'unbind';

/**
 * One write of a binding as the store's change log reports it: the binding before and after, and the
 * log's position of that write. A replayed log entry carries the same sequence.
 */
export interface BindingChange {
  /** Position in the change log; grows with each write of the same binding. */
  sequence: string;
  /** Absent when the write created the binding. */
  before?: Binding;
  /** Absent when the write removed the item (bindings are never removed: DELETED is a status). */
  after?: Binding;
}

export interface StatusEventDetail {
  /** Deterministic: `<binding id>/<sequence>`. The same change delivered twice has the same id. */
  eventId: string;
  /** The change log's position of the write; orders one binding's events. */
  sequence: string;
  schemaVersion: string;
  id: string;
  tenant?: string;
  region: string;
  clusterName: string;
  namespace: string;
  serviceAccountName: string;
  status: BindingStatus;
  /** null when the binding was created with this status. */
  previousStatus: BindingStatus | null;
  workflow: StatusEventWorkflow;
  /** When the status changed (the binding's updatedAt). */
  at: string;
  roleArn?: string;
  /** How pods get the role (irsa, pod-identity, both), once a workflow settled it. */
  mode?: BindingMode;
  /** Why the binding FAILED (absent otherwise). */
  error?: BindingError;
  /** What the drift check found still differing (verify outcomes only; empty: none). */
  drift?: DriftItem[];
  /** The API path of the binding. */
  link: string;
}

export interface StatusEvent {
  source: typeof STATUS_EVENT_SOURCE;
  detailType: StatusEventDetailType;
  time: string;
  /** ARNs the event is about: the binding's role once it has one. */
  resources: string[];
  detail: StatusEventDetail;
}

export function detailTypeOf(status: BindingStatus): StatusEventDetailType {
  return `Binding ${status[0]}${status.slice(1).toLowerCase()}` as StatusEventDetailType;
}

const UNBIND_STEP_NAMES: readonly string[] = UNBIND_STEPS;

/**
 * The workflow a status belongs to, read from the steps the binding records: every run replaces them
 * (bind and retry: all the bind steps, EnsureWebhook among them; an update or a migration: its own, without
 * EnsureWebhook; a drift check: its own, with CheckDrift), and an unbind adds its own.
 */
export function workflowOf(binding: Binding): StatusEventWorkflow {
  const names = binding.steps.map((step) => step.name);
  if (binding.status === 'DELETING' || binding.status === 'DELETED') return 'unbind';
  if (names.some((name) => UNBIND_STEP_NAMES.includes(name))) return 'unbind';
  if (names.includes('CheckDrift')) return 'verify';
  if (names.length > 0 && !names.includes('EnsureWebhook')) return 'update';
  return 'bind';
}

/** The event for one write, or undefined when the write did not change the binding's status. */
export function statusEventOf(change: BindingChange): StatusEvent | undefined {
  const { before, after } = change;
  if (!after || before?.status === after.status) return undefined;
  const workflow = workflowOf(after);
  const roleArn = after.outputs?.roleArn;
  const detail: StatusEventDetail = {
    eventId: `${after.id}/${change.sequence}`,
    sequence: change.sequence,
    schemaVersion: STATUS_EVENT_SCHEMA_VERSION,
    id: after.id,
    ...(after.tenant !== undefined ? { tenant: after.tenant } : {}),
    region: after.region,
    clusterName: after.clusterName,
    namespace: after.namespace,
    serviceAccountName: after.serviceAccountName,
    status: after.status,
    previousStatus: before?.status ?? null,
    workflow,
    at: after.updatedAt,
    ...(roleArn ? { roleArn } : {}),
    ...(after.outputs?.mode ? { mode: after.outputs.mode } : {}),
    ...(after.status === 'FAILED' && after.error ? { error: after.error } : {}),
    ...(workflow === 'verify' && (after.status === 'SUCCEEDED' || after.status === 'FAILED') && after.drift
      ? { drift: after.drift }
      : {}),
    link: `/v1/bindings/${after.id}`,
  };
  return {
    source: STATUS_EVENT_SOURCE,
    detailType: detailTypeOf(after.status),
    time: after.updatedAt,
    resources: roleArn ? [roleArn] : [],
    detail,
  };
}
