// Port: where bindings, their steps and their audit events are kept.
import type {
  Binding,
  BindingError,
  BindingEvent,
  BindingOutputs,
  BindingRequest,
  BindingStatus,
  DriftItem,
  StepRecord,
} from '../domain/binding.js';

export interface IdempotencyClaim {
  /** Caller-scoped key from the Idempotency-Key header. */
  key: string;
  /** Hash of the canonical request body; the same key with another hash is refused. */
  requestHash: string;
}

export interface CreateResult {
  binding: Binding;
  /** false when an earlier request with the same idempotency key and body created it. */
  created: boolean;
}

export interface ListQuery {
  /** Only this tenant's bindings (served from the tenant index). */
  tenant?: string;
  clusterName?: string;
  namespace?: string;
  status?: BindingStatus;
  limit: number;
  cursor?: string;
}

export interface ListPage {
  items: Binding[];
  nextCursor?: string;
}

export interface Transition {
  /** The change applies only if the binding is in one of these statuses (stale writers lose). */
  from: readonly BindingStatus[];
  to: BindingStatus;
  actor: string;
  at: string;
  detail?: string;
  outputs?: BindingOutputs;
  error?: BindingError;
  /** Replaces every step record: a new workflow run starts from these. */
  steps?: StepRecord[];
  /** Records one step in the same write (the first step shown RUNNING as the workflow starts); not with `steps`. */
  step?: StepRecord;
  /** Removes the error an earlier run left. */
  clearError?: boolean;
  /**
   * Takes the service-account slot back in the same write (re-running a FAILED binding, which released
   * it). Throws ConflictError naming the binding that holds it meanwhile.
   */
  claimSlot?: boolean;
  /** Request fields a PATCH changed. */
  request?: Partial<Pick<BindingRequest, 'policyArns' | 'tags' | 'maxSessionDuration' | 'mode'>>;
  /** Replaces the binding's droppedTagKeys; `null` removes them (a run that succeeded removed the tags). */
  droppedTagKeys?: string[] | null;
}

/** When a step record may be written; see BindingStore.recordStep. */
export type StepGuard = { ifRunningSince: string } | { ifNotRunning: true };

export interface BindingStore {
  /**
   * Stores a new binding atomically with its service-account slot and idempotency claim.
   * Throws ConflictError (naming the holder) when an active binding holds the slot, and
   * IdempotencyKeyReusedError when the key was used with another body.
   */
  create(binding: Binding, idempotency?: IdempotencyClaim): Promise<CreateResult>;
  get(id: string): Promise<Binding | undefined>;
  list(query: ListQuery): Promise<ListPage>;
  /** Conditional status change, recorded as an event. Throws StatusConflictError if `from` does not hold. */
  transition(id: string, change: Transition): Promise<Binding>;
  /**
   * Records one step's progress on the binding; false when `guard` refused it. With
   * `guard.ifRunningSince`, the record is written only while the step's record is still the RUNNING one
   * started at that time: a Lambda of a stopped execution, or of an attempt a later one replaced, finishing
   * late, must not overwrite what the monitor or a newer run recorded since. With `guard.ifNotRunning`,
   * only while no run holds the step RUNNING (a step settled without ever running writes just its end).
   */
  recordStep(id: string, step: StepRecord, guard?: StepGuard): Promise<boolean>;
  listEvents(id: string): Promise<BindingEvent[]>;
  /** Records what a drift check found (replacing the previous report). Throws NotFoundError. */
  recordDrift(id: string, drift: DriftItem[], at: string): Promise<void>;
  /**
   * Adds an audit record (an API call on the binding) to its events. Throws NotFoundError for an unknown
   * id, unless `bindingSeen`: the caller has just read or written the binding, and bindings are never
   * removed (DELETED is a status), so it is not checked again and the record is one plain write.
   */
  appendEvent(event: BindingEvent, options?: { bindingSeen?: boolean }): Promise<void>;
}
