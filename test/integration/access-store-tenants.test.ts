// The DynamoDB store's side of access control on DynamoDB Local: the tenant index (no scan) and audit events.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { NotFoundError } from '../../lib/domain/errors.js';
import { dynamoDbLocalClient, freshTable, newBinding } from './store-fixtures.js';

const client = dynamoDbLocalClient();
let store: DynamoDbBindingStore;
let tableName: string;

beforeAll(async () => {
  tableName = await freshTable(client, 'access-store');
  store = new DynamoDbBindingStore({ client, tableName });
});

describe('listing by tenant', () => {
  it("pages through one tenant's bindings newest first, filtered by cluster and status", async () => {
    const tenant = `t-${randomBytes(3).toString('hex')}`;
    const other = `o-${randomBytes(3).toString('hex')}`;
    const mine = [];
    for (let i = 0; i < 5; i++) {
      const binding = newBinding({ tenant, clusterName: i % 2 === 0 ? 'east' : 'west' });
      await store.create(binding);
      mine.push(binding.id);
    }
    await store.create(newBinding({ tenant: other }));
    await store.create(newBinding({ clusterName: 'east' }));

    const first = await store.list({ tenant, limit: 3 });
    expect(first.items.map((b) => b.id)).toEqual(mine.slice(-3).reverse());
    expect(first.items.every((b) => b.tenant === tenant)).toBe(true);
    const second = await store.list({
      tenant,
      limit: 3,
      ...(first.nextCursor ? { cursor: first.nextCursor } : {}),
    });
    expect(second.items.map((b) => b.id)).toEqual(mine.slice(0, 2).reverse());
    expect(second.nextCursor).toBeUndefined();

    const east = await store.list({ tenant, clusterName: 'east', limit: 10 });
    expect(east.items.map((b) => b.id)).toEqual([mine[4], mine[2], mine[0]]);
    expect((await store.list({ tenant, status: 'FAILED', limit: 10 })).items).toEqual([]);
  });

  it("refuses a cursor of another tenant's list", async () => {
    const tenant = `t-${randomBytes(3).toString('hex')}`;
    await store.create(newBinding({ tenant }));
    await store.create(newBinding({ tenant }));
    const page = await store.list({ tenant, limit: 1 });
    expect(page.nextCursor).toBeDefined();
    await expect(
      store.list({ tenant: 'someone-else', limit: 1, cursor: page.nextCursor as string }),
    ).rejects.toThrow(/issued for another query/);
  });

  it('keeps bindings without a tenant out of the tenant index but in the overall list', async () => {
    const binding = newBinding({ clusterName: `c-${randomBytes(3).toString('hex')}` });
    await store.create(binding);
    expect((await store.list({ clusterName: binding.clusterName, limit: 5 })).items.map((b) => b.id)).toEqual(
      [binding.id],
    );
    expect((await store.get(binding.id))?.tenant).toBeUndefined();
  });
});

describe('appendEvent', () => {
  it("adds an audit record to the binding's events, after its creation event", async () => {
    const binding = newBinding({ tenant: 'team-a' });
    await store.create(binding);
    await store.appendEvent({
      bindingId: binding.id,
      at: new Date(Date.parse(binding.createdAt) + 1000).toISOString(),
      actor: 'local-team-b',
      from: 'PENDING',
      to: 'PENDING',
      detail: 'DELETE → 404',
      request: { method: 'DELETE', path: `/v1/bindings/${binding.id}`, requestId: 'r-1' },
      outcome: { status: 404, code: 'NotFoundError' },
    });

    const events = await store.listEvents(binding.id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ from: null, to: 'PENDING', actor: 'alice' });
    expect(events[1]).toMatchObject({
      actor: 'local-team-b',
      request: { method: 'DELETE', requestId: 'r-1' },
      outcome: { status: 404, code: 'NotFoundError' },
    });
  });

  it('writes the record of a binding the caller has just seen with one plain write, no transaction', async () => {
    const binding = newBinding();
    await store.create(binding);
    const watched = dynamoDbLocalClient();
    const commands: string[] = [];
    watched.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const watchedStore = new DynamoDbBindingStore({ client: watched, tableName });

    await watchedStore.appendEvent(
      {
        bindingId: binding.id,
        at: binding.createdAt,
        actor: 'alice',
        from: 'PENDING',
        to: 'PENDING',
        detail: 'POST /v1/bindings → 202',
      },
      { bindingSeen: true },
    );

    expect(commands).toEqual(['PutItemCommand']);
    expect((await store.listEvents(binding.id)).map((e) => e.detail)).toEqual([
      'created',
      'POST /v1/bindings → 202',
    ]);
  });

  it('refuses an event for a binding that does not exist, storing nothing', async () => {
    const ghost = newBinding();
    await expect(
      store.appendEvent({
        bindingId: ghost.id,
        at: ghost.createdAt,
        actor: 'x',
        from: 'PENDING',
        to: 'PENDING',
      }),
    ).rejects.toThrow(NotFoundError);
    expect(await store.listEvents(ghost.id)).toEqual([]);
  });
});
