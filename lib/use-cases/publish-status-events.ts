// Use case: the store's change log → status events, published in log order. Publishing is at-least-once:
// a batch that fails part-way reports where it stopped, the log hands that record and the rest back, and
// the deterministic event ids let consumers drop what they already saw.
import { BrokerError, EventPublishFailedError } from '../domain/errors.js';
import { type BindingChange, type StatusEvent, statusEventOf } from '../domain/status-event.js';
import type { EventPublisher } from '../ports/events.js';

export interface PublishStatusEventsResult {
  /** Events accepted by the bus. */
  published: StatusEvent[];
  /** Writes that changed no status (step progress, drift reports): nothing to publish. */
  skipped: number;
  /**
   * The sequence of the first change whose event was not accepted; it and every later change must be
   * delivered again. Absent when all were published.
   */
  failedFrom?: string;
  /** Why publishing stopped (with failedFrom). */
  failure?: { code: string; message: string };
}

/** The events of a batch of changes, in the batch's order, each with the change it came from. */
export function statusEventsOf(
  changes: readonly BindingChange[],
): { change: BindingChange; event: StatusEvent }[] {
  return changes.flatMap((change) => {
    const event = statusEventOf(change);
    return event ? [{ change, event }] : [];
  });
}

/** Index of the first event the bus did not accept, as the publisher reports it; 0 when unknown. */
function firstUnpublished(error: unknown): number {
  return error instanceof EventPublishFailedError && error.firstUnpublished >= 0 ? error.firstUnpublished : 0;
}

export async function publishStatusEvents(
  changes: readonly BindingChange[],
  deps: { publisher: EventPublisher },
): Promise<PublishStatusEventsResult> {
  const mapped = statusEventsOf(changes);
  const skipped = changes.length - mapped.length;
  if (mapped.length === 0) return { published: [], skipped };
  try {
    await deps.publisher.publish(mapped.map((m) => m.event));
    return { published: mapped.map((m) => m.event), skipped };
  } catch (error) {
    // Whatever the failure, the change log hands the first unpublished change and the rest back.
    const index = Math.min(firstUnpublished(error), mapped.length - 1);
    const failed = mapped[index]!;
    return {
      published: mapped.slice(0, index).map((m) => m.event),
      skipped,
      failedFrom: failed.change.sequence,
      failure: {
        code: error instanceof BrokerError ? error.code : 'EventPublishFailed',
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
}
