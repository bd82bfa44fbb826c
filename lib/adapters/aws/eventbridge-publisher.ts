// EventPublisher on EventBridge PutEvents: at most 10 entries per call, entries the bus refused are put
// again with backoff, and what still fails is reported from the first event not accepted.
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EventPublishFailedError } from '../../domain/errors.js';
import type { StatusEvent } from '../../domain/status-event.js';
import type { EventPublisher } from '../../ports/events.js';
import { translateAwsError } from './aws-error.js';

/** PutEvents takes at most 10 entries. */
const ENTRIES_PER_CALL = 10;

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  /** Name or ARN of the bus. */
  eventBusName: string;
  /** Calls per chunk while the bus refuses some entries (throttled, internal failure). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export function statusEventEntry(event: StatusEvent, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: event.source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    Resources: event.resources,
    Time: new Date(event.time),
  };
}

export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly bus: string;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: EventBridgePublisherOptions) {
    this.client = options.client;
    this.bus = options.eventBusName;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async publish(events: readonly StatusEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += ENTRIES_PER_CALL) {
      await this.publishChunk(events.slice(start, start + ENTRIES_PER_CALL), start);
    }
  }

  /** Puts one chunk; `offset` is the chunk's position among all the events being published. */
  private async publishChunk(chunk: readonly StatusEvent[], offset: number): Promise<void> {
    // Indexes (within the chunk) of the events the bus has not accepted yet.
    let pending = chunk.map((_, i) => i);
    let lastRefusal = '';
    for (let attempt = 1; ; attempt++) {
      let refused: number[];
      try {
        const { Entries = [], FailedEntryCount = 0 } = await this.client.send(
          new PutEventsCommand({ Entries: pending.map((i) => statusEventEntry(chunk[i]!, this.bus)) }),
        );
        refused = FailedEntryCount === 0 ? [] : pending.filter((_, k) => Entries[k]?.EventId === undefined);
        const first = Entries.find((e) => e.ErrorCode !== undefined);
        if (first) lastRefusal = `${first.ErrorCode}: ${first.ErrorMessage ?? ''}`;
      } catch (error) {
        const translated = translateAwsError(error, `events:PutEvents on ${this.bus}`);
        throw new EventPublishFailedError(
          `EventBridge did not take the events: ${translated instanceof Error ? translated.message : String(translated)}`,
          offset + (pending[0] ?? 0),
          { cause: error },
        );
      }
      if (refused.length === 0) return;
      if (attempt >= this.maxAttempts) {
        throw new EventPublishFailedError(
          `EventBridge refused ${refused.length} of ${chunk.length} events after ${attempt} attempts (${lastRefusal})`,
          offset + refused[0]!,
        );
      }
      pending = refused;
      await this.sleep(Math.random() * 100 * 2 ** attempt);
    }
  }
}

/** The publisher of a Lambda: the client built once per cold start; AWS_ENDPOINT_URL_EVENTBRIDGE points it elsewhere locally. */
export function createEventBridgePublisher(config: { region: string; eventBusName: string }): EventPublisher {
  return new EventBridgePublisher({
    client: new EventBridgeClient({ region: config.region }),
    eventBusName: config.eventBusName,
  });
}
