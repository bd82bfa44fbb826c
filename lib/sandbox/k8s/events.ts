// Events as the scheduler and the kubelet record them (core/v1 `Event`, the API server's storage
// form), and their events.k8s.io/v1 form, which the API server converts to and from on the fly.
import { child, type JsonObject, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { resourceTypeOfKind } from './resource-types.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSource {
  component: 'default-scheduler' | 'kubelet';
  host?: string;
}

export interface RecordedEvent {
  type: EventType;
  reason: string;
  message: string;
  /** The container the event is about, e.g. `spec.containers{app}`. */
  fieldPath?: string;
  source: EventSource;
}

function seconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * client-go's event recorder: one Event per (object, reason, message, source); a repeat within the
 * object's life bumps `count` and `lastTimestamp` instead of adding another.
 */
export class EventRecorder {
  private lastNanos = 0n;

  constructor(
    private readonly store: ObjectStore,
    private readonly now: () => number,
  ) {}

  /** Nanoseconds never repeat (the millisecond clock alone would name two events alike). */
  private nanosAt(ms: number): bigint {
    const nanos = BigInt(ms) * 1_000_000n;
    this.lastNanos = nanos > this.lastNanos ? nanos : this.lastNanos + 1n;
    return this.lastNanos;
  }

  record(regarding: JsonObject, event: RecordedEvent): void {
    const metadata = child(regarding, 'metadata') ?? {};
    const namespace = stringAt(metadata, 'namespace') ?? 'default';
    const uid = stringAt(metadata, 'uid') ?? '';
    const type = resourceTypeOfKind('Event');
    const at = this.now();
    const repeated = this.store
      .list(type, namespace)
      .find(
        (e) =>
          stringAt(child(e, 'involvedObject'), 'uid') === uid &&
          stringAt(e, 'reason') === event.reason &&
          stringAt(e, 'message') === event.message &&
          stringAt(child(e, 'involvedObject'), 'fieldPath') === event.fieldPath &&
          stringAt(child(e, 'source'), 'component') === event.source.component,
      );
    if (repeated) {
      const count = typeof repeated.count === 'number' ? repeated.count : 1;
      this.store.replace(type, repeated, { ...repeated, count: count + 1, lastTimestamp: seconds(at) });
      return;
    }
    const name = stringAt(metadata, 'name') ?? '';
    const involvedObject: JsonObject = {
      kind: stringAt(regarding, 'kind') ?? 'Pod',
      namespace,
      name,
      uid,
      apiVersion: stringAt(regarding, 'apiVersion') ?? 'v1',
    };
    const resourceVersion = stringAt(metadata, 'resourceVersion');
    if (resourceVersion) involvedObject.resourceVersion = resourceVersion;
    if (event.fieldPath) involvedObject.fieldPath = event.fieldPath;
    const source: JsonObject = { component: event.source.component };
    if (event.source.host) source.host = event.source.host;
    this.store.create(type, {
      apiVersion: 'v1',
      kind: 'Event',
      // client-go names an event after its object and the time in hex nanoseconds.
      metadata: {
        name: `${name}.${this.nanosAt(at).toString(16)}`,
        namespace,
      },
      involvedObject,
      reason: event.reason,
      message: event.message,
      source,
      firstTimestamp: seconds(at),
      lastTimestamp: seconds(at),
      count: 1,
      type: event.type,
      eventTime: null,
      reportingComponent: event.source.component,
      reportingInstance: event.source.host ?? '',
    });
  }
}

/** core/v1 Event → events.k8s.io/v1 Event (as the API server converts between the two). */
export function toEventsV1(event: JsonObject): JsonObject {
  const source = child(event, 'source');
  const out: JsonObject = {
    metadata: child(event, 'metadata') ?? {},
    eventTime: event.eventTime ?? null,
    reportingController: stringAt(event, 'reportingComponent') || stringAt(source, 'component') || '',
    reportingInstance: stringAt(event, 'reportingInstance') || stringAt(source, 'host') || '',
    action: stringAt(event, 'action') ?? '',
    reason: stringAt(event, 'reason') ?? '',
    regarding: child(event, 'involvedObject') ?? {},
    note: stringAt(event, 'message') ?? '',
    type: stringAt(event, 'type') ?? '',
  };
  if (child(event, 'related')) out.related = event.related!;
  if (child(event, 'series')) out.series = event.series!;
  if (source) out.deprecatedSource = source;
  if (event.firstTimestamp) out.deprecatedFirstTimestamp = event.firstTimestamp;
  if (event.lastTimestamp) out.deprecatedLastTimestamp = event.lastTimestamp;
  if (typeof event.count === 'number') out.deprecatedCount = event.count;
  return out;
}

/** events.k8s.io/v1 Event → core/v1 Event (the storage form). */
export function fromEventsV1(event: JsonObject): JsonObject {
  const out: JsonObject = {
    metadata: child(event, 'metadata') ?? {},
    involvedObject: child(event, 'regarding') ?? {},
    reason: stringAt(event, 'reason') ?? '',
    message: stringAt(event, 'note') ?? '',
    type: stringAt(event, 'type') ?? '',
    eventTime: event.eventTime ?? null,
    reportingComponent: stringAt(event, 'reportingController') ?? '',
    reportingInstance: stringAt(event, 'reportingInstance') ?? '',
    action: stringAt(event, 'action') ?? '',
  };
  if (child(event, 'related')) out.related = event.related!;
  if (child(event, 'series')) out.series = event.series!;
  if (child(event, 'deprecatedSource')) out.source = event.deprecatedSource!;
  if (event.deprecatedFirstTimestamp) out.firstTimestamp = event.deprecatedFirstTimestamp;
  if (event.deprecatedLastTimestamp) out.lastTimestamp = event.deprecatedLastTimestamp;
  if (typeof event.deprecatedCount === 'number') out.count = event.deprecatedCount;
  return out;
}
