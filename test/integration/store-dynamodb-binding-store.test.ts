import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { SLOT, slotPk } from '../../lib/adapters/dynamodb/binding-item.js';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { BIND_STEPS } from '../../lib/domain/binding.js';
import {
  ConflictError,
  IdempotencyKeyReusedError,
  InputError,
  NotFoundError,
  StatusConflictError,
} from '../../lib/domain/errors.js';
import { dynamoDbLocalClient, freshTable, newBinding } from './store-fixtures.js';

const client = dynamoDbLocalClient();
let tableName: string;
let store: DynamoDbBindingStore;

beforeAll(async () => {
  tableName = await freshTable(client, 'store');
  store = new DynamoDbBindingStore({ client, tableName });
});

async function settled<T>(promises: Promise<T>[]) {
  const results = await Promise.allSettled(promises);
  return {
    values: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    errors: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}

describe('DynamoDbBindingStore.create and get', () => {
  it('stores a binding that reads back whole, steps in workflow order, with a creation event', async () => {
    const binding = newBinding({ description: 'ledger', tokenExpirationSeconds: 3600 });

    const result = await store.create(binding);

    expect(result).toEqual({ binding, created: true });
    const stored = await store.get(binding.id);
    expect(stored).toEqual(binding);
    expect(stored?.steps.map((s) => s.name)).toEqual([...BIND_STEPS]);
    const events = await store.listEvents(binding.id);
    expect(events).toEqual([
      {
        bindingId: binding.id,
        at: binding.createdAt,
        actor: 'alice',
        from: null,
        to: 'PENDING',
        detail: 'created',
      },
    ]);
  });

  it('answers undefined for an unknown id', async () => {
    expect(await store.get('b-00000000000000000000000000')).toBeUndefined();
  });

  it('refuses a second binding for the same service account, naming the holder', async () => {
    const first = newBinding();
    await store.create(first);

    const second = store.create(newBinding({ serviceAccountName: first.serviceAccountName }));

    await expect(second).rejects.toBeInstanceOf(ConflictError);
    await expect(second).rejects.toMatchObject({ existingId: first.id });
  });

  it('lets exactly one of 20 concurrent creates for one service account win', async () => {
    const serviceAccountName = 'contended';
    const bindings = Array.from({ length: 20 }, () => newBinding({ serviceAccountName, namespace: 'race' }));

    const { values, errors } = await settled(bindings.map((b) => store.create(b)));

    expect(values).toHaveLength(1);
    expect(errors).toHaveLength(19);
    const winner = values[0]?.binding.id;
    for (const error of errors) expect(error).toMatchObject({ name: 'ConflictError', existingId: winner });
    const stored = await Promise.all(bindings.map((b) => store.get(b.id)));
    expect(stored.filter(Boolean)).toHaveLength(1);
  });

  it('turns 30 concurrent creates with one idempotency key and body into one binding', async () => {
    const serviceAccountName = 'idempotent';
    const claim = { key: 'order-42', requestHash: 'hash-a' };
    const bindings = Array.from({ length: 30 }, () => newBinding({ serviceAccountName, namespace: 'idem' }));

    const { values, errors } = await settled(bindings.map((b) => store.create(b, claim)));

    expect(errors).toEqual([]);
    const ids = new Set(values.map((v) => v.binding.id));
    expect(ids.size).toBe(1);
    expect(values.filter((v) => v.created)).toHaveLength(1);
  });

  it('refuses the same idempotency key with another body, and scopes keys per caller', async () => {
    const first = newBinding({ namespace: 'keys' });
    await store.create(first, { key: 'k1', requestHash: 'hash-a' });

    const reuse = store
      .create(newBinding({ namespace: 'keys' }), { key: 'k1', requestHash: 'hash-b' })
      .catch((error: unknown) => error);
    const otherCaller = await store.create(newBinding({ namespace: 'keys', createdBy: 'bob' }), {
      key: 'k1',
      requestHash: 'hash-b',
    });

    expect(await reuse).toBeInstanceOf(IdempotencyKeyReusedError);
    expect(otherCaller.created).toBe(true);
  });

  it('replays an idempotent request even after its binding moved on', async () => {
    const first = newBinding();
    await store.create(first, { key: 'k2', requestHash: 'h' });
    await store.transition(first.id, {
      from: ['PENDING'],
      to: 'RUNNING',
      actor: 'workflow',
      at: first.createdAt,
    });

    const replay = await store.create(newBinding({ serviceAccountName: first.serviceAccountName }), {
      key: 'k2',
      requestHash: 'h',
    });

    expect(replay.created).toBe(false);
    expect(replay.binding).toMatchObject({ id: first.id, status: 'RUNNING' });
  });
});

describe('DynamoDbBindingStore.transition', () => {
  it('moves the status, records outputs, error and an event', async () => {
    const binding = newBinding();
    await store.create(binding);

    await store.transition(binding.id, {
      from: ['PENDING'],
      to: 'RUNNING',
      actor: 'workflow',
      at: '2025-02-01T00:00:00.000Z',
    });
    const failed = await store.transition(binding.id, {
      from: ['RUNNING'],
      to: 'FAILED',
      actor: 'workflow',
      at: '2025-02-01T00:00:01.000Z',
      outputs: { roleArn: 'arn:aws:iam::123456789012:role/x' },
      error: { step: 'EnsureRole', code: 'RoleConflict', message: 'taken' },
      detail: 'role conflict',
    });

    expect(failed).toMatchObject({
      status: 'FAILED',
      updatedAt: '2025-02-01T00:00:01.000Z',
      outputs: { roleArn: 'arn:aws:iam::123456789012:role/x' },
      error: { step: 'EnsureRole', code: 'RoleConflict', message: 'taken' },
    });
    const events = await store.listEvents(binding.id);
    expect(events.map((e) => [e.from, e.to])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'RUNNING'],
      ['RUNNING', 'FAILED'],
    ]);
    expect(events[2]?.detail).toBe('role conflict');
  });

  it('does not let a stale writer move FAILED back to RUNNING', async () => {
    const binding = newBinding();
    await store.create(binding);
    await store.transition(binding.id, {
      from: ['PENDING'],
      to: 'FAILED',
      actor: 'api',
      at: binding.createdAt,
    });

    const stale = store.transition(binding.id, {
      from: ['PENDING'],
      to: 'RUNNING',
      actor: 'workflow',
      at: binding.createdAt,
    });

    await expect(stale).rejects.toBeInstanceOf(StatusConflictError);
    expect((await store.get(binding.id))?.status).toBe('FAILED');
    expect(await store.listEvents(binding.id)).toHaveLength(2);
  });

  it('lets one of several racing writers win a PENDING binding', async () => {
    const binding = newBinding();
    await store.create(binding);

    const { values, errors } = await settled(
      ['RUNNING', 'FAILED', 'RUNNING', 'FAILED'].map((to) =>
        store.transition(binding.id, {
          from: ['PENDING'],
          to: to as 'RUNNING' | 'FAILED',
          actor: 'w',
          at: binding.createdAt,
        }),
      ),
    );

    expect(values).toHaveLength(1);
    for (const error of errors) expect(error).toBeInstanceOf(StatusConflictError);
    expect(await store.listEvents(binding.id)).toHaveLength(2);
  });

  it('frees the service account when a binding fails, so a new binding can take it', async () => {
    const failed = newBinding();
    await store.create(failed);
    await store.transition(failed.id, {
      from: ['PENDING'],
      to: 'FAILED',
      actor: 'api',
      at: failed.createdAt,
    });

    const next = await store.create(newBinding({ serviceAccountName: failed.serviceAccountName }));

    expect(next.created).toBe(true);
  });

  it('takes over a slot left behind by a binding that is no longer active', async () => {
    const failed = newBinding();
    await store.create(failed);
    await store.transition(failed.id, {
      from: ['PENDING'],
      to: 'FAILED',
      actor: 'api',
      at: failed.createdAt,
    });
    // A slot an older version left behind (it released slots after the status change) names the FAILED binding.
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          pk: { S: slotPk(failed) },
          sk: { S: SLOT },
          type: { S: 'slot' },
          bindingId: { S: failed.id },
        },
      }),
    );

    const next = await store.create(newBinding({ serviceAccountName: failed.serviceAccountName }));

    expect(next.created).toBe(true);
  });

  it('keeps the service account held while DELETING and frees it with DELETED in the same transition', async () => {
    const bound = newBinding();
    await store.create(bound);
    await store.transition(bound.id, { from: ['PENDING'], to: 'SUCCEEDED', actor: 'w', at: bound.createdAt });
    await store.transition(bound.id, {
      from: ['SUCCEEDED'],
      to: 'DELETING',
      actor: 'api',
      at: bound.createdAt,
    });

    const whileDeleting = store.create(newBinding({ serviceAccountName: bound.serviceAccountName }));
    await expect(whileDeleting).rejects.toBeInstanceOf(ConflictError);
    await store.transition(bound.id, { from: ['DELETING'], to: 'DELETED', actor: 'w', at: bound.createdAt });
    const slot = await client.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: slotPk(bound) }, sk: { S: SLOT } } }),
    );
    const next = await store.create(newBinding({ serviceAccountName: bound.serviceAccountName }));

    expect(slot.Item).toBeUndefined();
    expect(next.created).toBe(true);
    expect((await store.get(bound.id))?.status).toBe('DELETED');
  });

  it('reports an unknown binding as not found', async () => {
    const missing = store.transition('b-00000000000000000000000001', {
      from: ['PENDING'],
      to: 'RUNNING',
      actor: 'w',
      at: 'x',
    });

    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('DynamoDbBindingStore.recordStep', () => {
  it('updates one step in place while others update concurrently', async () => {
    const binding = newBinding();
    await store.create(binding);

    await Promise.all(
      BIND_STEPS.map((name, i) =>
        store.recordStep(binding.id, { name, status: 'SUCCEEDED', startedAt: `2025-03-01T00:00:0${i}.000Z` }),
      ),
    );

    const stored = await store.get(binding.id);
    expect(stored?.steps.map((s) => [s.name, s.status])).toEqual(BIND_STEPS.map((n) => [n, 'SUCCEEDED']));
    expect(stored?.updatedAt.startsWith('2025-03-01')).toBe(true);
  });

  it('writes a step to the binding alone: no index is rewritten, only a status change reaches them', async () => {
    // Units by command and part (table, gsi1, ...), as DynamoDB reports them with ReturnConsumedCapacity.
    const units = new Map<string, number>();
    type Consumed = {
      Table?: { CapacityUnits?: number };
      GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
    };
    const metered = dynamoDbLocalClient();
    metered.middlewareStack.add(
      (next, context) => async (args) => {
        (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'INDEXES';
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
        const add = (part: string, n = 0) => {
          const key = `${context.commandName} ${part}`;
          units.set(key, (units.get(key) ?? 0) + n);
        };
        for (const c of ([] as Consumed[]).concat(consumed ?? [])) {
          add('table', c.Table?.CapacityUnits);
          for (const [name, index] of Object.entries(c.GlobalSecondaryIndexes ?? {}))
            add(name, index.CapacityUnits);
        }
        return result;
      },
      { step: 'initialize' },
    );
    const meteredStore = new DynamoDbBindingStore({ client: metered, tableName });
    const binding = newBinding();
    await meteredStore.create(binding);
    units.clear();

    await meteredStore.recordStep(binding.id, {
      name: 'EnsureRole',
      status: 'RUNNING',
      startedAt: binding.createdAt,
    });
    expect([...units.keys()]).toEqual(['UpdateItemCommand table']);
    expect(units.get('UpdateItemCommand table')).toBeGreaterThan(0);

    units.clear();
    await meteredStore.transition(binding.id, {
      from: ['PENDING'],
      to: 'RUNNING',
      actor: 'w',
      at: binding.createdAt,
    });
    // A status change reaches both indexes the binding is in, and lists see it.
    expect(units.get('TransactWriteItemsCommand gsi1')).toBeGreaterThan(0);
    expect(units.get('TransactWriteItemsCommand gsi2')).toBeGreaterThan(0);
    expect((await meteredStore.list({ status: 'RUNNING', limit: 100 })).items.map((b) => b.id)).toContain(
      binding.id,
    );
  });

  it('writes a settled step end only while no run holds the step RUNNING', async () => {
    const binding = newBinding();
    await store.create(binding);
    const skipped = { name: 'ApproveCsr', status: 'SKIPPED' as const, detail: 'nothing to approve' };

    await store.recordStep(binding.id, {
      name: 'ApproveCsr',
      status: 'RUNNING',
      startedAt: binding.createdAt,
    });
    expect(await store.recordStep(binding.id, skipped, { ifNotRunning: true })).toBe(false);
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'ApproveCsr')?.status).toBe('RUNNING');

    await store.recordStep(binding.id, {
      name: 'ApproveCsr',
      status: 'FAILED',
      startedAt: binding.createdAt,
    });
    expect(await store.recordStep(binding.id, skipped, { ifNotRunning: true })).toBe(true);
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'ApproveCsr')).toEqual(skipped);
  });

  it('reports an unknown binding as not found', async () => {
    const missing = store.recordStep('b-00000000000000000000000002', {
      name: 'EnsureRole',
      status: 'RUNNING',
    });

    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('DynamoDbBindingStore.list', () => {
  let listStore: DynamoDbBindingStore;
  let listTable: string;
  const ids: Record<string, string[]> = { alpha: [], beta: [] };

  beforeAll(async () => {
    listTable = await freshTable(client, 'store-list');
    listStore = new DynamoDbBindingStore({ client, tableName: listTable });
    for (let i = 0; i < 25; i++) {
      const clusterName = i % 2 === 0 ? 'alpha' : 'beta';
      const binding = newBinding({ clusterName, namespace: i % 3 === 0 ? 'team-a' : 'team-b' });
      await listStore.create(binding);
      if (i % 5 === 0) {
        await listStore.transition(binding.id, {
          from: ['PENDING'],
          to: 'FAILED',
          actor: 'w',
          at: binding.createdAt,
        });
      }
      ids[clusterName]?.unshift(binding.id); // newest first
    }
  });

  async function all(query: Parameters<DynamoDbBindingStore['list']>[0]) {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await listStore.list({ ...query, cursor });
      expect(page.items.length).toBeLessThanOrEqual(query.limit);
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    return { seen, pages };
  }

  it('pages through all bindings newest first without gaps or repeats', async () => {
    const { seen, pages } = await all({ limit: 10 });

    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(pages).toBe(3);
  });

  it('pages one cluster through gsi1', async () => {
    const { seen } = await all({ clusterName: 'alpha', limit: 4 });

    expect(seen).toEqual(ids.alpha);
  });

  it('fills pages across filters on namespace and status', async () => {
    const expected = (await all({ limit: 100 })).seen;
    const bindings = await Promise.all(expected.map((id) => listStore.get(id)));
    const wanted = bindings
      .filter((b) => b?.namespace === 'team-a' && b.status === 'PENDING')
      .map((b) => b?.id);

    const first = await listStore.list({ namespace: 'team-a', status: 'PENDING', limit: 2 });
    const { seen } = await all({ namespace: 'team-a', status: 'PENDING', limit: 2 });

    expect(first.items).toHaveLength(2);
    expect(seen).toEqual(wanted);
    expect(wanted.length).toBeGreaterThan(2);
  });

  it('ends without a cursor when the last page is exactly full', async () => {
    const page = await listStore.list({ clusterName: 'beta', limit: ids.beta?.length ?? 0 });

    expect(page.items).toHaveLength(12);
    expect(page.nextCursor).toBeUndefined();
  });

  it('refuses tampered cursors and cursors of another query', async () => {
    const page = await listStore.list({ clusterName: 'alpha', limit: 2 });
    const cursor = page.nextCursor ?? '';
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, string>;
    const tampered = Buffer.from(JSON.stringify({ ...decoded, pk: 'SLOT#x' })).toString('base64url');

    for (const bad of [tampered, 'not*base64', Buffer.from('[1]').toString('base64url'), `${cursor}xx`]) {
      await expect(listStore.list({ clusterName: 'alpha', limit: 2, cursor: bad })).rejects.toBeInstanceOf(
        InputError,
      );
    }
    await expect(listStore.list({ clusterName: 'beta', limit: 2, cursor })).rejects.toBeInstanceOf(
      InputError,
    );
    await expect(listStore.list({ limit: 2, cursor })).rejects.toBeInstanceOf(InputError);
  });

  it('serves every list with Query on an index, never a Scan', async () => {
    const watched = dynamoDbLocalClient();
    const commands: string[] = [];
    watched.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(`${context.commandName}:${String((args.input as { IndexName?: string }).IndexName)}`);
        return next(args);
      },
      { step: 'initialize' },
    );
    const watchedStore = new DynamoDbBindingStore({ client: watched, tableName: listTable });

    await watchedStore.list({ limit: 5, status: 'FAILED' });
    await watchedStore.list({ clusterName: 'alpha', namespace: 'team-b', limit: 5 });

    // The index finds the page; the bindings themselves are read by key, consistently.
    expect(new Set(commands)).toEqual(
      new Set(['QueryCommand:gsi2', 'QueryCommand:gsi1', 'BatchGetItemCommand:undefined']),
    );
  });
});

describe('the binding item layout', () => {
  it('stores each step under its name without repeating the name (billed at every write), and reads it back', async () => {
    const table = await freshTable(client, 'store-layout');
    const store = new DynamoDbBindingStore({ client, tableName: table });
    const binding = newBinding();
    await store.create(binding);
    await store.recordStep(binding.id, { name: 'EnsureRole', status: 'RUNNING', startedAt: 't1' });

    const raw = await client.send(
      new GetItemCommand({ TableName: table, Key: marshall({ pk: `BINDING#${binding.id}`, sk: 'META' }) }),
    );
    const steps = raw.Item?.steps?.M ?? {};
    expect(Object.keys(steps).sort()).toEqual(binding.steps.map((s) => s.name).sort());
    expect(Object.values(steps).every((step) => step.M?.name === undefined)).toBe(true);
    expect(steps.EnsureRole?.M?.status?.S).toBe('RUNNING');
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'EnsureRole')).toEqual({
      name: 'EnsureRole',
      status: 'RUNNING',
      startedAt: 't1',
    });
  });
});

describe('DynamoDbBindingStore on bindings written before 0.2', () => {
  // Before 0.2 the binding item itself carried the index keys and there was no LISTING item.
  function legacyItem(binding: ReturnType<typeof newBinding>) {
    const timeline = `${binding.createdAt}#${binding.id}`;
    const { steps, ...rest } = binding;
    return marshall(
      {
        ...rest,
        pk: `BINDING#${binding.id}`,
        sk: 'META',
        gsi1pk: `CLUSTER#${binding.clusterName}`,
        gsi1sk: timeline,
        gsi2pk: 'BINDING',
        gsi2sk: timeline,
        type: 'binding',
        steps: Object.fromEntries(steps.map((step) => [step.name, step])),
        outputs: {},
      },
      { removeUndefinedValues: true },
    );
  }

  it('reads, lists, pages, records steps on and moves them, next to bindings written today', async () => {
    const table = await freshTable(client, 'store-legacy');
    const mixed = new DynamoDbBindingStore({ client, tableName: table });
    const written: string[] = [];
    for (let i = 0; i < 6; i++) {
      const binding = newBinding({ clusterName: 'mixed' });
      if (i % 2 === 0) await client.send(new PutItemCommand({ TableName: table, Item: legacyItem(binding) }));
      else await mixed.create(binding);
      written.unshift(binding.id); // newest first
    }
    const legacyId = written[1] ?? '';

    expect((await mixed.get(legacyId))?.status).toBe('PENDING');
    // Its steps carry their names inside (the layout before 0.3): read the same as today's.
    expect((await mixed.get(legacyId))?.steps).toEqual((await mixed.get(written[0] ?? ''))?.steps);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await mixed.list({ clusterName: 'mixed', limit: 4, cursor });
      seen.push(...page.items.map((b) => b.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(written);

    expect(await mixed.recordStep(legacyId, { name: 'EnsureRole', status: 'RUNNING', startedAt: 'x' })).toBe(
      true,
    );
    await mixed.transition(legacyId, {
      from: ['PENDING'],
      to: 'FAILED',
      actor: 'w',
      at: new Date().toISOString(),
    });
    const failed = await mixed.list({ clusterName: 'mixed', status: 'FAILED', limit: 10 });
    expect(failed.items.map((b) => [b.id, b.steps.find((s) => s.name === 'EnsureRole')?.status])).toEqual([
      [legacyId, 'RUNNING'],
    ]);
    // No LISTING item was invented for it: the binding stays its own index entry.
    const listing = await client.send(
      new GetItemCommand({ TableName: table, Key: marshall({ pk: `BINDING#${legacyId}`, sk: 'LISTING' }) }),
    );
    expect(listing.Item).toBeUndefined();
  });
});
