// The account's EventBridge: event buses (CreateEventBus, DescribeEventBus, DeleteEventBus; each region
// has its `default` bus) and PutEvents, which accepts or refuses each entry on its own, as AWS does, and
// keeps what it accepted for GET /_sandbox/events.
import { randomUUID } from 'node:crypto';
import type { AccountState, EventBusRecord, PublishedEventRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';

export interface EventsDeps {
  state(): AccountState;
  accountId: string;
  now(): number;
  /** Told of each accepted event before PutEvents answers (EventBridge keeps what it accepted). */
  onPublished?(record: PublishedEventRecord): void;
}

/** One awsJson1_1 operation: the JSON body in, the JSON result out; `region` is the signed region. */
export type EventsOperation = (body: Record<string, unknown>, region: string) => unknown;

export interface EventsService {
  operations: ReadonlyMap<string, EventsOperation>;
  /** The ARNs a request acts on (its buses), each authorized. */
  resourcesOf(operation: string, body: Record<string, unknown>, region: string): string[];
}

/** PutEvents limits: 10 entries and 256 KiB per request. */
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
/** The sandbox keeps the newest events only; enough for any local session. */
export const EVENTS_KEPT = 10_000;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const BUS_ARN = /^arn:aws[a-z-]*:events:([a-z0-9-]+):(\d{12}):event-bus\/(.+)$/;

function validation(message: string): AwsServiceError {
  return new AwsServiceError('ValidationException', message, 400);
}

/** The size AWS counts for an entry: Source, DetailType, Detail, Resources (UTF-8), Time 14 bytes. */
function entrySize(entry: Record<string, unknown>): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    14 +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce<number>((sum, r) => sum + bytes(r), 0)
  );
}

/** EventBridge prints event times to the second, in UTC. */
function eventTime(epochMs: number): string {
  return `${new Date(Math.floor(epochMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export function createEventsService(deps: EventsDeps): EventsService {
  const { accountId } = deps;
  const arnOf = (region: string, name: string) => `arn:aws:events:${region}:${accountId}:event-bus/${name}`;

  /** The bus a request names (name or ARN; none: default), whether or not it exists. */
  const busRef = (value: unknown, region: string, field = 'name'): { name: string; arn: string } => {
    if (value === undefined || value === null || value === '')
      return { name: 'default', arn: arnOf(region, 'default') };
    if (typeof value !== 'string') throw validation(`Value at '${field}' must be a string.`);
    const arn = BUS_ARN.exec(value);
    if (arn) return { name: arn[3]!, arn: value };
    if (!BUS_NAME.test(value)) {
      throw validation(
        `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+`,
      );
    }
    return { name: value, arn: arnOf(region, value) };
  };

  const findBus = (ref: { name: string; arn: string }, region: string): EventBusRecord | undefined => {
    if (ref.arn === arnOf(region, 'default')) {
      return { name: 'default', arn: ref.arn, createdAt: new Date(0).toISOString() };
    }
    return deps.state().eventBuses[ref.arn];
  };

  const existingBus = (value: unknown, region: string, field?: string): EventBusRecord => {
    const ref = busRef(value, region, field);
    const bus = findBus(ref, region);
    if (!bus)
      throw new AwsServiceError('ResourceNotFoundException', `Event bus ${ref.name} does not exist.`, 400);
    return bus;
  };

  const describe = (bus: EventBusRecord) => ({
    Name: bus.name,
    Arn: bus.arn,
    ...(bus.description !== undefined ? { Description: bus.description } : {}),
    CreationTime: Date.parse(bus.createdAt) / 1000,
    LastModifiedTime: Date.parse(bus.createdAt) / 1000,
  });

  const createEventBus: EventsOperation = (body, region) => {
    const name = body.Name;
    if (typeof name !== 'string' || name === '') throw validation('Name is required.');
    if (name === 'default' || name.startsWith('aws.') || name.includes('/') || !BUS_NAME.test(name)) {
      throw validation(
        `Event bus name ${name} is not valid: use 1..256 letters, digits, . - _ and not default.`,
      );
    }
    const arn = arnOf(region, name);
    if (deps.state().eventBuses[arn]) {
      throw new AwsServiceError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`, 400);
    }
    const record: EventBusRecord = {
      name,
      arn,
      ...(typeof body.Description === 'string' ? { description: body.Description } : {}),
      createdAt: new Date(deps.now()).toISOString(),
    };
    deps.state().eventBuses[arn] = record;
    return { EventBusArn: arn };
  };

  const describeEventBus: EventsOperation = (body, region) => describe(existingBus(body.Name, region));

  const deleteEventBus: EventsOperation = (body, region) => {
    const ref = busRef(body.Name, region);
    if (ref.name === 'default') throw validation('Cannot delete event bus default.');
    delete deps.state().eventBuses[ref.arn];
    return {};
  };

  /** Accepts or refuses one entry; refusals are per entry, in the entry's result. */
  const putEntry = (entry: Record<string, unknown>, region: string, received: number): EntryResult => {
    const invalid = (parameter: string, reason: string): EntryResult => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${parameter} is not valid. Reason: ${reason}`,
    });
    if (typeof entry.Source !== 'string' || entry.Source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '')
      return invalid('DetailType', 'DetailType is a required argument.');
    if (typeof entry.Detail !== 'string' || entry.Detail === '')
      return invalid('Detail', 'Detail is a required argument.');
    if (entry.Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    const resources = entry.Resources === undefined ? [] : entry.Resources;
    if (!Array.isArray(resources) || resources.some((r) => typeof r !== 'string')) {
      return invalid('Resources', 'Resources must be a list of ARNs.');
    }
    let bus: EventBusRecord;
    try {
      bus = existingBus(entry.EventBusName, region, 'eventBusName');
    } catch (error) {
      if (!(error instanceof AwsServiceError)) throw error;
      return { ErrorCode: error.code, ErrorMessage: error.message };
    }
    const time = typeof entry.Time === 'number' ? entry.Time * 1000 : received;
    const record: PublishedEventRecord = {
      eventBusName: bus.name,
      event: {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: accountId,
        time: eventTime(time),
        region,
        resources: resources as string[],
        detail,
      },
    };
    deps.onPublished?.(record);
    const events = deps.state().publishedEvents;
    events.push(record);
    if (events.length > EVENTS_KEPT) events.splice(0, events.length - EVENTS_KEPT);
    return { EventId: record.event.id };
  };

  const putEvents: EventsOperation = (body, region) => {
    const entries = body.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw validation(
        "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > MAX_ENTRIES) {
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    const records = entries.map((e) =>
      typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Record<string, unknown>) : {},
    );
    if (records.reduce((sum, e) => sum + entrySize(e), 0) > MAX_REQUEST_BYTES) {
      throw validation('Total size of the entries in the request is over the limit.');
    }
    const received = deps.now();
    const results = records.map((entry) => putEntry(entry, region, received));
    return {
      FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length,
      Entries: results,
    };
  };

  const operations = new Map<string, EventsOperation>([
    ['CreateEventBus', createEventBus],
    ['DescribeEventBus', describeEventBus],
    ['DeleteEventBus', deleteEventBus],
    ['PutEvents', putEvents],
  ]);

  return {
    operations,
    resourcesOf(operation, body, region) {
      const arnOrAny = (value: unknown, field?: string) => {
        try {
          return busRef(value, region, field).arn;
        } catch {
          return '*';
        }
      };
      if (operation === 'PutEvents') {
        const entries = Array.isArray(body.Entries) ? (body.Entries as unknown[]) : [];
        const buses = entries.map((e) =>
          arnOrAny((e as Record<string, unknown> | null)?.EventBusName, 'eventBusName'),
        );
        return [...new Set(buses.length > 0 ? buses : [arnOf(region, 'default')])];
      }
      return [arnOrAny(body.Name)];
    },
  };
}
