// BindingStore on one DynamoDB table: transactions keep binding, service-account slot, idempotency claim
// and audit events consistent under concurrent requests.
import { randomBytes } from 'node:crypto';
import {
  type CancellationReason,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ACTIVE_STATUSES,
  type Binding,
  type BindingEvent,
  type DriftItem,
  type StepRecord,
} from '../../domain/binding.js';
import {
  ConflictError,
  IdempotencyKeyReusedError,
  NotFoundError,
  StatusConflictError,
  TransientError,
} from '../../domain/errors.js';
import type {
  BindingStore,
  CreateResult,
  IdempotencyClaim,
  ListPage,
  ListQuery,
  StepGuard,
  Transition,
} from '../../ports/binding-store.js';
import {
  ALL_BINDINGS,
  bindingPk,
  bindingToItem,
  clusterPk,
  eventToItem,
  IDEMPOTENCY,
  IDEMPOTENCY_TTL_SECONDS,
  type Item,
  idempotencyPk,
  isIndexedBindingItem,
  itemToBinding,
  itemToEvent,
  LISTING,
  listingItem,
  META,
  SLOT,
  slotPk,
  stepsMap,
  stepValue,
  tenantPk,
} from './binding-item.js';
import { cursorKeyOf, decodeCursor, encodeCursor, type IndexName } from './list-cursor.js';
import { translateDynamoDbError } from './translate-dynamodb-error.js';

export interface DynamoDbBindingStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Attempts when concurrent transactions touch the same items (TransactionConflict). */
  maxConflictRetries?: number;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const BINDING_ITEM = 0;
const SLOT_ITEM = 1;
const IDEMPOTENCY_ITEM = 2;
/** Pages read while a filter leaves few matches; a full page is 100 items. */
const FILTERED_PAGE_SIZE = 100;
/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_LIMIT = 100;

const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let eventCounter = 0;
/** Orders events written in the same millisecond by one process; the random part keeps writers apart. */
const nextEventSeq = () =>
  `${(eventCounter++ % 1e6).toString().padStart(6, '0')}-${randomBytes(3).toString('hex')}`;

/** A string attribute of an item DynamoDB returned with a failed condition (raw AttributeValue form). */
function rawString(reason: CancellationReason | undefined, name: string): string | undefined {
  return reason?.Item?.[name]?.S;
}

/** The item that holds a service account for one binding. */
function slotItem(binding: Binding): Record<string, unknown> {
  return {
    pk: slotPk(binding),
    sk: SLOT,
    type: 'slot',
    bindingId: binding.id,
    region: binding.region,
    clusterName: binding.clusterName,
    namespace: binding.namespace,
    serviceAccountName: binding.serviceAccountName,
  };
}

export class DynamoDbBindingStore implements BindingStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly maxConflictRetries: number;

  constructor(options: DynamoDbBindingStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    });
    this.table = options.tableName;
    this.maxConflictRetries = options.maxConflictRetries ?? 8;
  }

  async create(binding: Binding, idempotency?: IdempotencyClaim): Promise<CreateResult> {
    let staleHolder: string | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.doc.send(
          new TransactWriteCommand({ TransactItems: this.createItems(binding, idempotency, staleHolder) }),
        );
        return { binding, created: true };
      } catch (error) {
        if (!(error instanceof TransactionCanceledException))
          throw translateDynamoDbError(error, 'create a binding');
        const reasons = error.CancellationReasons ?? [];
        const failed = (index: number) => reasons[index]?.Code === 'ConditionalCheckFailed';

        if (idempotency && (failed(IDEMPOTENCY_ITEM) || failed(SLOT_ITEM))) {
          const replay = await this.replay(binding, idempotency, reasons[IDEMPOTENCY_ITEM]);
          if (replay) return replay;
        }
        if (failed(SLOT_ITEM)) {
          const holderId = rawString(reasons[SLOT_ITEM], 'bindingId');
          const holder = holderId ? await this.get(holderId) : undefined;
          if (holderId && holder && ACTIVE_STATUSES.includes(holder.status)) {
            throw new ConflictError(
              `Binding ${holderId} (${holder.status}) already binds service account ${binding.namespace}/${binding.serviceAccountName} on cluster ${binding.clusterName} in ${binding.region}; use it, or delete it before creating another.`,
              holderId,
            );
          }
          // The holder failed or was deleted without releasing the slot (e.g. a crash): take the slot over.
          if (attempt < this.maxConflictRetries) {
            staleHolder = holderId;
            continue;
          }
        } else if (failed(BINDING_ITEM)) {
          throw new ConflictError(
            `Binding id ${binding.id} is already taken; retry the request.`,
            binding.id,
          );
        } else if (
          reasons.some((r) => r.Code === 'TransactionConflict') &&
          attempt < this.maxConflictRetries
        ) {
          await sleep(Math.random() * 20 * 2 ** Math.min(attempt, 5));
          continue;
        }
        throw new TransientError(`Could not store binding ${binding.id}: ${error.message}`, { cause: error });
      }
    }
  }

  /** The earlier result of the same idempotent request, or undefined when the key is free. */
  private async replay(
    binding: Binding,
    claim: IdempotencyClaim,
    reason: CancellationReason | undefined,
  ): Promise<CreateResult | undefined> {
    let requestHash = rawString(reason, 'requestHash');
    let bindingId = rawString(reason, 'bindingId');
    if (!requestHash) {
      // DynamoDB need not report every failed condition; read the claim to be sure.
      const { Item } = await this.send('read an idempotency key', () =>
        this.doc.send(
          new GetCommand({
            TableName: this.table,
            Key: { pk: idempotencyPk(binding.createdBy, claim.key), sk: IDEMPOTENCY },
            ConsistentRead: true,
          }),
        ),
      );
      if (!Item || Number(Item.expiresAt) < epochSeconds(binding.createdAt)) return undefined;
      requestHash = String(Item.requestHash);
      bindingId = String(Item.bindingId);
    }
    if (requestHash !== claim.requestHash) {
      throw new IdempotencyKeyReusedError(
        `Idempotency-Key "${claim.key}" was already used with a different request body (binding ${bindingId}); send a new key for a new request.`,
      );
    }
    const existing = bindingId ? await this.get(bindingId) : undefined;
    if (!existing)
      throw new TransientError(`Binding ${bindingId} of idempotency key "${claim.key}" is not readable yet`);
    return { binding: existing, created: false };
  }

  private createItems(
    binding: Binding,
    claim: IdempotencyClaim | undefined,
    staleHolder?: string,
  ): TransactItem[] {
    const now = epochSeconds(binding.createdAt);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.table,
          Item: bindingToItem(binding),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: slotItem(binding),
          ConditionExpression: staleHolder
            ? 'attribute_not_exists(pk) OR bindingId = :stale'
            : 'attribute_not_exists(pk)',
          ExpressionAttributeValues: staleHolder ? { ':stale': staleHolder } : undefined,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ];
    if (claim) {
      items.push({
        Put: {
          TableName: this.table,
          Item: {
            pk: idempotencyPk(binding.createdBy, claim.key),
            sk: IDEMPOTENCY,
            type: 'idempotency',
            requestHash: claim.requestHash,
            bindingId: binding.id,
            expiresAt: now + IDEMPOTENCY_TTL_SECONDS,
          },
          // TTL deletion lags expiry by up to days; an expired claim is free.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }
    const event: BindingEvent = {
      bindingId: binding.id,
      at: binding.createdAt,
      actor: binding.createdBy,
      from: null,
      to: binding.status,
      detail: 'created',
    };
    items.push({ Put: { TableName: this.table, Item: eventToItem(event, nextEventSeq()) } });
    // Last, so the positions above stay what the cancellation reasons are read by.
    items.push({ Put: { TableName: this.table, Item: listingItem(binding) } });
    return items;
  }

  async get(id: string): Promise<Binding | undefined> {
    const item = await this.getItem(id);
    return item ? itemToBinding(item) : undefined;
  }

  private async getItem(id: string): Promise<Item | undefined> {
    const { Item } = await this.send('read a binding', () =>
      this.doc.send(
        new GetCommand({ TableName: this.table, Key: { pk: bindingPk(id), sk: META }, ConsistentRead: true }),
      ),
    );
    return Item;
  }

  /**
   * The bindings behind one page of index entries, in the same order: a pre-0.2 binding is its own entry;
   * a LISTING entry is read back (consistently) from its binding. A binding whose status moved past the
   * list's status filter since the index saw it is left out.
   */
  private async bindingsOf(entries: Item[], status: string | undefined): Promise<Binding[]> {
    const wanted = entries.filter((e) => e.sk === LISTING).map((e) => String(e.bindingId));
    const fetched = new Map<string, Item>();
    for (let i = 0; i < wanted.length; i += BATCH_GET_LIMIT) {
      let keys: Record<string, unknown>[] | undefined = wanted
        .slice(i, i + BATCH_GET_LIMIT)
        .map((id) => ({ pk: bindingPk(id), sk: META }));
      for (let attempt = 0; keys && keys.length > 0; attempt++) {
        if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt));
        const page = await this.send('read listed bindings', () =>
          this.doc.send(
            new BatchGetCommand({
              RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } },
            }),
          ),
        );
        for (const item of page.Responses?.[this.table] ?? []) fetched.set(String(item.id), item);
        keys = page.UnprocessedKeys?.[this.table]?.Keys;
        if (keys?.length && attempt >= this.maxConflictRetries)
          throw new TransientError('DynamoDB left listed bindings unread; retry the request');
      }
    }
    const bindings: Binding[] = [];
    for (const entry of entries) {
      const item = entry.sk === LISTING ? fetched.get(String(entry.bindingId)) : entry;
      if (!item) continue;
      if (status !== undefined && item.status !== status) continue;
      bindings.push(itemToBinding(item));
    }
    return bindings;
  }

  async list(query: ListQuery): Promise<ListPage> {
    // A tenant's list reads the tenant index; the cluster, if any, is then a filter.
    const index: IndexName = query.tenant !== undefined ? 'gsi3' : query.clusterName ? 'gsi1' : 'gsi2';
    const partition =
      query.tenant !== undefined
        ? tenantPk(query.tenant)
        : query.clusterName
          ? clusterPk(query.clusterName)
          : ALL_BINDINGS;
    const filters: string[] = [];
    const names: Record<string, string> = { '#pk': `${index}pk` };
    const values: Record<string, unknown> = { ':pk': partition };
    if (index === 'gsi3' && query.clusterName !== undefined) {
      filters.push('#clusterName = :clusterName');
      names['#clusterName'] = 'clusterName';
      values[':clusterName'] = query.clusterName;
    }
    if (query.namespace !== undefined) {
      filters.push('#namespace = :namespace');
      names['#namespace'] = 'namespace';
      values[':namespace'] = query.namespace;
    }
    if (query.status !== undefined) {
      filters.push('#status = :status');
      names['#status'] = 'status';
      values[':status'] = query.status;
    }
    const base: QueryCommandInput = {
      TableName: this.table,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      FilterExpression: filters.length ? filters.join(' AND ') : undefined,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: false,
    };

    const items: Item[] = [];
    let startKey: Record<string, string> | undefined = query.cursor
      ? decodeCursor(query.cursor, index, partition)
      : undefined;
    for (;;) {
      const remaining = query.limit - items.length;
      // One item more than needed tells whether another page exists without an empty trailing page.
      const pageSize = filters.length ? Math.max(FILTERED_PAGE_SIZE, remaining + 1) : remaining + 1;
      const page = await this.send('list bindings', () =>
        this.doc.send(new QueryCommand({ ...base, Limit: pageSize, ExclusiveStartKey: startKey })),
      );
      for (const item of page.Items ?? []) {
        if (items.length === query.limit) {
          return {
            items: await this.bindingsOf(items, query.status),
            nextCursor: encodeCursor(cursorKeyOf(items.at(-1) ?? item, index)),
          };
        }
        items.push(item);
      }
      if (!page.LastEvaluatedKey) return { items: await this.bindingsOf(items, query.status) };
      if (items.length === query.limit) {
        return {
          items: await this.bindingsOf(items, query.status),
          nextCursor: encodeCursor(cursorKeyOf(page.LastEvaluatedKey, index)),
        };
      }
      startKey = cursorKeyOf(page.LastEvaluatedKey, index);
    }
  }

  async transition(id: string, change: Transition): Promise<Binding> {
    if (change.from.length === 0)
      throw new StatusConflictError(`Transition of ${id} allows no source status`);
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':to': change.to, ':at': change.at };
    const sets = ['#status = :to', 'updatedAt = :at'];
    change.from.forEach((status, i) => {
      values[`:from${i}`] = status;
    });
    Object.entries(change.outputs ?? {}).forEach(([key, value], i) => {
      if (value === undefined) return;
      names[`#out${i}`] = key;
      values[`:out${i}`] = value;
      sets.push(`outputs.#out${i} = :out${i}`);
    });
    if (change.error) {
      names['#error'] = 'error';
      values[':error'] = change.error;
      sets.push('#error = :error');
    }
    if (change.steps && change.step)
      throw new StatusConflictError(`Transition of ${id} gives both steps and step; give one`);
    if (change.steps) {
      values[':steps'] = stepsMap(change.steps);
      sets.push('steps = :steps');
    }
    if (change.step) {
      names['#stepName'] = change.step.name;
      values[':step'] = stepValue(change.step);
      sets.push('steps.#stepName = :step');
    }
    Object.entries(change.request ?? {}).forEach(([key, value], i) => {
      if (value === undefined) return;
      names[`#req${i}`] = key;
      values[`:req${i}`] = value;
      sets.push(`#req${i} = :req${i}`);
    });
    const removes: string[] = [];
    if (change.clearError && !change.error) {
      names['#error'] = 'error';
      removes.push('#error');
    }
    if (change.droppedTagKeys === null) {
      removes.push('droppedTagKeys');
    } else if (change.droppedTagKeys) {
      values[':droppedTagKeys'] = change.droppedTagKeys;
      sets.push('droppedTagKeys = :droppedTagKeys');
    }
    const update = `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`;
    let staleSlotHolder: string | undefined;
    for (let attempt = 0; ; attempt++) {
      const currentItem = await this.getItem(id);
      if (!currentItem) throw new NotFoundError(`Binding ${id} does not exist`);
      const current = itemToBinding(currentItem);
      if (!change.from.includes(current.status)) {
        throw new StatusConflictError(
          `Binding ${id} is ${current.status}; it can move to ${change.to} only from ${change.from.join(', ')}`,
        );
      }
      const event: BindingEvent = {
        bindingId: id,
        at: change.at,
        actor: change.actor,
        from: current.status,
        to: change.to,
        detail: change.detail,
      };
      const slotClaim = change.claimSlot ? [this.slotClaimItem(current, staleSlotHolder)] : [];
      // FAILED and DELETED free the service account in the same write, unless another binding took it over.
      const slotRelease =
        change.to === 'FAILED' || change.to === 'DELETED' ? await this.slotReleaseItems(current) : [];
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.table,
                  Key: { pk: bindingPk(id), sk: META },
                  UpdateExpression: update,
                  // Pinning the status just read keeps the event's `from` true; `from` stops stale writers.
                  ConditionExpression: `#status IN (${change.from.map((_, i) => `:from${i}`).join(', ')}) AND #status = :seen`,
                  ExpressionAttributeNames: names,
                  ExpressionAttributeValues: { ...values, ':seen': current.status },
                },
              },
              { Put: { TableName: this.table, Item: eventToItem(event, nextEventSeq()) } },
              ...slotClaim,
              ...slotRelease,
              // The index entry follows the status; a pre-0.2 binding is its own entry.
              ...(isIndexedBindingItem(currentItem) ? [] : [this.listingStatusItem(id, change.to)]),
            ],
          }),
        );
        break;
      } catch (error) {
        const slotReason =
          error instanceof TransactionCanceledException ? error.CancellationReasons?.[2] : undefined;
        if (change.claimSlot && slotReason?.Code === 'ConditionalCheckFailed') {
          const holderId = rawString(slotReason, 'bindingId');
          const holder = holderId ? await this.get(holderId) : undefined;
          if (holderId && holder && ACTIVE_STATUSES.includes(holder.status)) {
            throw new ConflictError(
              `Binding ${holderId} (${holder.status}) now binds service account ${current.namespace}/${current.serviceAccountName} on cluster ${current.clusterName}; binding ${id} can run again only after it is deleted.`,
              holderId,
            );
          }
          // A holder that failed or was deleted without releasing the slot: take it over.
          if (attempt < this.maxConflictRetries) {
            staleSlotHolder = holderId;
            continue;
          }
        }
        const retry =
          error instanceof TransactionCanceledException &&
          error.CancellationReasons?.some(
            (r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict',
          ) &&
          attempt < this.maxConflictRetries;
        if (retry) continue; // the status moved meanwhile: re-read and decide again
        if (error instanceof TransactionCanceledException) {
          throw new StatusConflictError(`Binding ${id} kept changing; retry the move to ${change.to}`, {
            cause: error,
          });
        }
        throw translateDynamoDbError(error, `move binding ${id} to ${change.to}`);
      }
    }
    const updated = await this.get(id);
    if (!updated) throw new NotFoundError(`Binding ${id} does not exist`);
    return updated;
  }

  private listingStatusItem(id: string, status: string): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: { pk: bindingPk(id), sk: LISTING },
        UpdateExpression: 'SET #status = :status',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      },
    };
  }

  /** Puts the binding's service-account slot back: free, already its own, or left by `staleHolder`. */
  private slotClaimItem(binding: Binding, staleHolder: string | undefined): TransactItem {
    return {
      Put: {
        TableName: this.table,
        Item: slotItem(binding),
        ConditionExpression: staleHolder
          ? 'attribute_not_exists(pk) OR bindingId = :id OR bindingId = :stale'
          : 'attribute_not_exists(pk) OR bindingId = :id',
        ExpressionAttributeValues: staleHolder
          ? { ':id': binding.id, ':stale': staleHolder }
          : { ':id': binding.id },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  async recordDrift(id: string, drift: DriftItem[], at: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: bindingPk(id), sk: META },
          UpdateExpression: 'SET drift = :drift, driftCheckedAt = :at, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':drift': drift, ':at': at },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new NotFoundError(`Binding ${id} does not exist`);
      throw translateDynamoDbError(error, `record the drift of ${id}`);
    }
  }

  /** Deletes the binding's slot; nothing when the slot is not (or no longer) its own. */
  private async slotReleaseItems(binding: Binding): Promise<TransactItem[]> {
    const key = { pk: slotPk(binding), sk: SLOT };
    const { Item } = await this.send(`read the service account slot of ${binding.id}`, () =>
      this.doc.send(new GetCommand({ TableName: this.table, Key: key, ConsistentRead: true })),
    );
    if (Item?.bindingId !== binding.id) return [];
    // A takeover between this read and the write fails the condition; the transition then reads again.
    return [
      {
        Delete: {
          TableName: this.table,
          Key: key,
          ConditionExpression: 'bindingId = :id',
          ExpressionAttributeValues: { ':id': binding.id },
        },
      },
    ];
  }

  async recordStep(id: string, step: StepRecord, guard?: StepGuard): Promise<boolean> {
    const at = step.finishedAt ?? step.startedAt;
    const names: Record<string, string> = { '#name': step.name };
    const value = stepValue(step);
    const values: Record<string, unknown> = at ? { ':step': value, ':at': at } : { ':step': value };
    let condition = 'attribute_exists(pk)';
    if (guard) {
      names['#stepStatus'] = 'status';
      values[':running'] = 'RUNNING';
      if ('ifRunningSince' in guard) {
        values[':since'] = guard.ifRunningSince;
        condition += ' AND steps.#name.#stepStatus = :running AND steps.#name.startedAt = :since';
      } else {
        condition += ' AND (attribute_not_exists(steps.#name) OR steps.#name.#stepStatus <> :running)';
      }
    }
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: bindingPk(id), sk: META },
          UpdateExpression: at ? 'SET steps.#name = :step, updatedAt = :at' : 'SET steps.#name = :step',
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        if (!error.Item) throw new NotFoundError(`Binding ${id} does not exist`);
        return false;
      }
      throw translateDynamoDbError(error, `record step ${step.name} of ${id}`);
    }
  }

  async listEvents(id: string): Promise<BindingEvent[]> {
    const events: BindingEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send('list binding events', () =>
        this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': bindingPk(id), ':prefix': 'EVENT#' },
            ExclusiveStartKey: startKey,
            ConsistentRead: true,
          }),
        ),
      );
      for (const item of page.Items ?? []) events.push(itemToEvent(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  async appendEvent(event: BindingEvent, options: { bindingSeen?: boolean } = {}): Promise<void> {
    if (options.bindingSeen) {
      await this.send(`record an event of ${event.bindingId}`, () =>
        this.doc.send(new PutCommand({ TableName: this.table, Item: eventToItem(event, nextEventSeq()) })),
      );
      return;
    }
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.table,
                Key: { pk: bindingPk(event.bindingId), sk: META },
                ConditionExpression: 'attribute_exists(pk)',
              },
            },
            { Put: { TableName: this.table, Item: eventToItem(event, nextEventSeq()) } },
          ],
        }),
      );
    } catch (error) {
      if (
        error instanceof TransactionCanceledException &&
        error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed'
      ) {
        throw new NotFoundError(`Binding ${event.bindingId} does not exist`);
      }
      throw translateDynamoDbError(error, `record an event of ${event.bindingId}`);
    }
  }

  private async send<T>(action: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw translateDynamoDbError(error, action);
    }
  }
}
