// The HTTP API end to end on the local runtime: real handlers, DynamoDB Local, the Step Functions emulator.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LocalRuntime } from '../../lib/local/runtime.js';
import {
  bindingRequest,
  call,
  createdRecordCount,
  postBinding,
  startApi,
  uniqueTableName,
} from './api-support.js';

const tableName = uniqueTableName('api-http');
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startApi(tableName);
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
});

/** A cluster name of its own per test, so tests do not see each other's bindings. */
function cluster(): string {
  return `c-${randomBytes(4).toString('hex')}`;
}

describe('POST, GET and list', () => {
  it('accepts a binding with 202 and Location, serves it back, lists it and starts its execution', async () => {
    const request = bindingRequest({ clusterName: cluster() });
    const before = await createdRecordCount(tableName);

    const created = await postBinding(runtime, request);

    expect(created.status).toBe(202);
    expect(await createdRecordCount(tableName)).toBe(before + 1);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/v1/bindings/${id}`);
    expect(created.body).toMatchObject({ ...request, status: 'PENDING', createdBy: 'anonymous' });
    const read = await call(runtime, 'GET', created.headers.get('location') ?? '');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, ...request, createdAt: created.body.createdAt });
    const listed = await call(runtime, 'GET', `/v1/bindings?clusterName=${request.clusterName}`);
    expect((listed.body.items as { id: string }[]).map((b) => b.id)).toEqual([id]);
    expect(listed.body.nextCursor).toBeNull();
    expect(runtime.sfn.executions().map((e) => e.name)).toContain(id);
  });

  it('pages newest first through the cursor and filters by namespace and status', async () => {
    const clusterName = cluster();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const created = await postBinding(
        runtime,
        bindingRequest({
          clusterName,
          namespace: i % 2 === 0 ? 'even' : 'odd',
          serviceAccountName: `sa-${i}`,
        }),
      );
      expect(created.status).toBe(202);
      ids.push(created.body.id as string);
    }

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ clusterName, limit: '3', ...(cursor ? { cursor } : {}) });
      const page = await call(runtime, 'GET', `/v1/bindings?${query}`);
      expect(page.status).toBe(200);
      const items = page.body.items as { id: string }[];
      sizes.push(items.length);
      seen.push(...items.map((b) => b.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);

    expect(seen).toEqual([...ids].reverse());
    expect(sizes.slice(0, 2)).toEqual([3, 3]);
    const even = await call(
      runtime,
      'GET',
      `/v1/bindings?clusterName=${clusterName}&namespace=even&limit=100`,
    );
    expect((even.body.items as { id: string }[]).map((b) => b.id)).toEqual(
      ids.filter((_, i) => i % 2 === 0).reverse(),
    );
    for (const status of ['PENDING', 'RUNNING', 'FAILED', 'DELETED']) {
      const page = await call(runtime, 'GET', `/v1/bindings?clusterName=${clusterName}&status=${status}`);
      expect(page.status).toBe(200);
      for (const item of page.body.items as { status: string }[]) expect(item.status).toBe(status);
    }
    const deleted = await call(runtime, 'GET', `/v1/bindings?clusterName=${clusterName}&status=DELETED`);
    expect(deleted.body.items).toEqual([]);
    const overall = await call(runtime, 'GET', '/v1/bindings?limit=100');
    expect((overall.body.items as { id: string }[]).map((b) => b.id)).toEqual(expect.arrayContaining(ids));
  });

  it('refuses cursors that were not issued for the query', async () => {
    const clusterName = cluster();
    for (let i = 0; i < 2; i++) {
      await postBinding(runtime, bindingRequest({ clusterName, serviceAccountName: `sa-${i}` }));
    }
    const first = await call(runtime, 'GET', `/v1/bindings?clusterName=${clusterName}&limit=1`);
    const cursor = first.body.nextCursor as string;
    expect(typeof cursor).toBe('string');

    const otherQuery = await call(runtime, 'GET', `/v1/bindings?clusterName=${cluster()}&cursor=${cursor}`);
    const garbage = await call(runtime, 'GET', '/v1/bindings?cursor=not-a-cursor');

    for (const response of [otherQuery, garbage]) {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.errors).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    }
  });

  it('answers 404 problem for unknown and malformed ids', async () => {
    for (const id of ['b-00000000000000000000000000', 'nope', '%F0%9F%92%A9']) {
      const response = await call(runtime, 'GET', `/v1/bindings/${id}`);
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).toMatchObject({ status: 404, type: 'urn:irsa-broker:problem:NotFoundError' });
    }
  });

  it('answers 400 problem for a path that is not validly percent-encoded', async () => {
    for (const path of ['/v1/bindings/%E0%A4%A', '/v1/bindings/%']) {
      const response = await call(runtime, 'GET', path);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('serves the OpenAPI document and health', async () => {
    const openapi = await call(runtime, 'GET', '/v1/openapi.json');
    const health = await call(runtime, 'GET', '/v1/health');

    expect(openapi.status).toBe(200);
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths as object)).toContain('/v1/bindings/{id}');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});

describe('idempotency and conflicts under concurrent requests', () => {
  it('turns 20 parallel replays of one keyed request into one binding', async () => {
    const request = bindingRequest({ clusterName: cluster() });
    const key = `key-${randomBytes(8).toString('hex')}`;

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postBinding(runtime, request, { 'idempotency-key': key })),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const listed = await call(runtime, 'GET', `/v1/bindings?clusterName=${request.clusterName}`);
    expect((listed.body.items as unknown[]).length).toBe(1);
    const [id] = [...ids];
    expect(runtime.sfn.executions().filter((e) => e.name === id)).toHaveLength(1);
  });

  it('lets exactly one of 20 parallel requests for one service account win; the rest get 409 naming it', async () => {
    const request = bindingRequest({ clusterName: cluster() });

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => postBinding(runtime, { ...request, roleName: `role-${i}` })),
    );

    const winners = responses.filter((r) => r.status === 202);
    const losers = responses.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers) {
      expect(loser.headers.get('content-type')).toBe('application/problem+json');
      expect(loser.body.existingBindingId).toBe(winners[0]?.body.id);
      expect(loser.body.detail).toContain(String(winners[0]?.body.id));
    }
  });

  it('answers 422 to every parallel reuse of one key with other bodies, and keeps one binding', async () => {
    const clusterName = cluster();
    const key = `key-${randomBytes(8).toString('hex')}`;

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        postBinding(runtime, bindingRequest({ clusterName, serviceAccountName: `sa-${i}` }), {
          'idempotency-key': key,
        }),
      ),
    );

    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    const refused = responses.filter((r) => r.status === 422);
    expect(refused).toHaveLength(19);
    for (const response of refused) {
      expect(response.body.type).toBe('urn:irsa-broker:problem:IdempotencyKeyReused');
    }
    const listed = await call(runtime, 'GET', `/v1/bindings?clusterName=${clusterName}`);
    expect((listed.body.items as unknown[]).length).toBe(1);
  });
});

describe('malformed input gets 4xx problem+json and stores nothing', () => {
  const cases: [
    string,
    () => Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>,
    number,
  ][] = [
    ['broken JSON', () => postBinding(runtime, '{"clusterName":'), 400],
    ['an empty body', () => postBinding(runtime, ''), 400],
    ['a JSON array', () => postBinding(runtime, '[]'), 400],
    [
      'an unknown field',
      () => postBinding(runtime, bindingRequest({ clusterName: cluster(), admin: true })),
      400,
    ],
    ['a bad namespace', () => postBinding(runtime, bindingRequest({ namespace: 'Payments_Team' })), 400],
    [
      'a service account name with a colon',
      () => postBinding(runtime, bindingRequest({ serviceAccountName: 'ledger:*' })),
      400,
    ],
    [
      'a 65-character role name',
      () => postBinding(runtime, bindingRequest({ roleName: 'r'.repeat(65) })),
      400,
    ],
    [
      'a bad policy ARN',
      () => postBinding(runtime, bindingRequest({ policyArns: ['arn:aws:s3:::bucket'] })),
      400,
    ],
    [
      'an unprintable idempotency key',
      () => postBinding(runtime, bindingRequest(), { 'idempotency-key': ' '.repeat(129) }),
      400,
    ],
    [
      'a body over 64 KiB',
      () => postBinding(runtime, bindingRequest({ clusterName: cluster(), description: 'd'.repeat(70_000) })),
      413,
    ],
    [
      'plain text',
      () =>
        call(runtime, 'POST', '/v1/bindings', {
          body: JSON.stringify(bindingRequest({ clusterName: cluster() })),
          headers: { 'content-type': 'text/plain' },
        }),
      415,
    ],
    [
      'binary',
      () =>
        call(runtime, 'POST', '/v1/bindings', {
          body: '\u0000\u0001\u0002',
          headers: { 'content-type': 'application/octet-stream' },
        }),
      415,
    ],
  ];

  it.each(cases)('%s', async (_, send, status) => {
    const before = await createdRecordCount(tableName);

    const response = await send();

    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status, type: expect.stringMatching(/^urn:irsa-broker:problem:/) });
    expect(typeof response.body.title).toBe('string');
    expect(typeof response.body.detail).toBe('string');
    if (status === 400) expect(Array.isArray(response.body.errors)).toBe(true);
    expect(await createdRecordCount(tableName)).toBe(before);
  });
});
