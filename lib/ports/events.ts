// Port: where binding status events are published (EventBridge in AWS, the sandbox's EventBridge locally).
import type { StatusEvent } from '../domain/status-event.js';

export interface EventPublisher {
  /**
   * Publishes the events in order. Resolves once every one was accepted; otherwise throws
   * EventPublishFailedError with the index of the first event not accepted, so the rest can be retried.
   */
  publish(events: readonly StatusEvent[]): Promise<void>;
}
