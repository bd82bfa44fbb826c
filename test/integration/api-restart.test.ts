// A runtime stopped and started again on the same DynamoDB serves the bindings it stored before.
import { afterAll, describe, expect, it } from '@jest/globals';
import type { LocalRuntime } from '../../lib/local/runtime.js';
import { bindingRequest, call, postBinding, startApi, uniqueTableName } from './api-support.js';

const tableName = uniqueTableName('api-restart');
let running: LocalRuntime | undefined;

afterAll(async () => {
  await running?.stop();
});

describe('restart', () => {
  it('keeps bindings, their conflict slot and idempotency claims across a restart', async () => {
    running = await startApi(tableName);
    const request = bindingRequest({ clusterName: 'restart' });
    const created = await postBinding(running, request, { 'idempotency-key': 'restart-1' });
    expect(created.status).toBe(202);
    await running.stop();
    running = undefined;
    const stopped = await fetch(`${created.headers.get('location')}`, { method: 'GET' }).catch(
      () => undefined,
    );
    expect(stopped).toBeUndefined();

    running = await startApi(tableName);

    const read = await call(running, 'GET', `/v1/bindings/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: created.body.id, ...request, createdAt: created.body.createdAt });
    const listed = await call(running, 'GET', '/v1/bindings?clusterName=restart');
    expect((listed.body.items as { id: string }[]).map((b) => b.id)).toEqual([created.body.id]);
    const replay = await postBinding(running, request, { 'idempotency-key': 'restart-1' });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(created.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });
});
