// The API under load: idempotent replays at volume, a stampede on one service account, and thousands
// of generated malformed requests. One system per file.
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { bindingRequest, startTestSystem, type TestSystem } from '../e2e/system.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  agent.destroy();
  await system?.stop();
});

/**
 * Every request is issued at once; like a fleet of clients behind a proxy they share 16 keep-alive
 * connections (the bench's c=16), so the local gateway (one process, two cores) is not asked to serve 1,000 at once
 * — API Gateway fronts that part in a deployment.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

function post(
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { id?: string } }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${system.url}/v1/bindings`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            json: text ? (JSON.parse(text) as { id?: string }) : {},
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Every binding the API lists for a namespace (all pages). */
async function listed(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const response = await fetch(
      `${system.url}/v1/bindings?${query}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(response.status).toBe(200);
    const page = (await response.json()) as { items: { id: string }[]; nextCursor?: string };
    ids.push(...page.items.map((b) => b.id));
    cursor = page.nextCursor;
  } while (cursor);
  return ids;
}

describe('load', () => {
  it('1,000 concurrent POSTs carrying 100 distinct Idempotency-Keys make exactly 100 bindings and 100 executions', async () => {
    const executionsBefore = system.runtime.sfn.executions().length;
    // A cluster the sandbox lacks: each workflow ends quickly, the API is what is under test.
    const bodies = Array.from({ length: 100 }, (_, key) =>
      JSON.stringify(
        bindingRequest({ clusterName: 'idem-load', namespace: 'idem', serviceAccountName: `idem-${key}` }),
      ),
    );

    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        post(bodies[i % 100] ?? '', { 'idempotency-key': `load-key-${i % 100}` }).then((a) => ({
          key: i % 100,
          ...a,
        })),
      ),
    );

    expect(answers.filter((a) => a.status !== 202).map((a) => [a.status, a.json])).toEqual([]);
    const idsByKey = new Map<number, Set<string>>();
    for (const answer of answers) {
      const ids = idsByKey.get(answer.key) ?? new Set<string>();
      ids.add(String(answer.json.id));
      idsByKey.set(answer.key, ids);
    }
    expect([...idsByKey.values()].every((ids) => ids.size === 1)).toBe(true);
    const ids = new Set(answers.map((a) => String(a.json.id)));
    expect(ids.size).toBe(100);
    expect((await listed('clusterName=idem-load')).sort()).toEqual([...ids].sort());
    const executions = system.runtime.sfn.executions().slice(executionsBefore);
    expect(executions).toHaveLength(100);
    expect(new Set(executions.map((e) => e.name))).toEqual(ids);
  }, 240_000);

  it('200 concurrent POSTs for one service account make one binding; the other 199 get 409 naming it', async () => {
    const body = JSON.stringify(bindingRequest({ namespace: 'stampede', serviceAccountName: 'one-slot' }));

    const answers = await Promise.all(Array.from({ length: 200 }, () => post(body)));

    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(1);
    const conflicts = answers.filter((a) => a.status === 409);
    expect(conflicts).toHaveLength(199);
    const id = String(created[0]?.json.id);
    expect(conflicts.every((c) => JSON.stringify(c.json).includes(id))).toBe(true);
    expect(await listed('clusterName=demo&namespace=stampede')).toEqual([id]);
    await system.waitFor(id, undefined, 120_000);
  }, 240_000);
});

describe('malformed input at volume', () => {
  const valid = bindingRequest({ namespace: 'fuzz' });
  const notAString = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { minLength: 1, maxLength: 3 }),
  );
  // An empty list is a valid policyArns (a role with no managed policies), so it is not among these.
  const notAnArray = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.string(), fc.constant({}));
  /** A valid request with one field broken, a field added, or a required one removed. */
  const brokenRequest = fc.oneof(
    fc
      .record({
        field: fc.constantFrom('clusterName', 'region', 'namespace', 'serviceAccountName'),
        value: fc.oneof(
          notAString,
          fc.constant(''),
          fc.string({ minLength: 1, maxLength: 20 }).map((s) => `Bad:${s}*`),
          fc.string({ minLength: 300, maxLength: 400 }),
        ),
      })
      .map(({ field, value }) => ({ ...valid, [field]: value })),
    fc
      .record({
        value: fc.oneof(
          notAnArray,
          fc.array(
            fc.string({ maxLength: 30 }).map((s) => `arn:nope:${s}`),
            { minLength: 1, maxLength: 3 },
          ),
          fc.array(fc.constant('arn:aws:iam::aws:policy/ReadOnlyAccess'), { minLength: 11, maxLength: 15 }),
        ),
      })
      .map(({ value }) => ({ ...valid, policyArns: value })),
    fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((k) => !(k in valid))
      .map((k) => ({ ...valid, [`x${k}`]: 1 })),
    fc.constantFrom('clusterName', 'region', 'namespace', 'serviceAccountName', 'policyArns').map((field) => {
      const copy: Record<string, unknown> = { ...valid };
      delete copy[field];
      return copy;
    }),
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.jsonValue(), { maxLength: 3 })),
  );
  const malformed = fc.oneof(
    brokenRequest.map((body) => ({ body: JSON.stringify(body), contentType: 'application/json' })),
    // Not JSON at all, or cut short.
    fc.string({ maxLength: 200 }).map((body) => ({ body: `{${body}`, contentType: 'application/json' })),
    fc.constant({ body: JSON.stringify(valid).slice(0, 40), contentType: 'application/json' }),
    // A valid body under a media type the API does not take.
    fc
      .constantFrom('text/plain', 'application/xml', 'multipart/form-data; boundary=x')
      .map((contentType) => ({
        body: JSON.stringify(valid),
        contentType,
      })),
    // Over the body limit.
    fc.constant({
      body: JSON.stringify({ ...valid, description: 'x'.repeat(70 * 1024) }),
      contentType: 'application/json',
    }),
  );

  it('answers thousands of malformed requests with 4xx only, stays up and stores nothing', async () => {
    const before = (await listed('')).length;
    const executionsBefore = system.runtime.sfn.executions().length;
    const cases = fc.sample(malformed, { numRuns: 3000, seed: 2026 });

    const statuses = new Map<number, number>();
    const unexpected: { status: number; body: string }[] = [];
    for (let i = 0; i < cases.length; i += 25) {
      await Promise.all(
        cases.slice(i, i + 25).map(async ({ body, contentType }) => {
          const response = await fetch(`${system.url}/v1/bindings`, {
            method: 'POST',
            headers: { 'content-type': contentType },
            body,
          });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status < 400 || response.status >= 500) {
            unexpected.push({ status: response.status, body: body.slice(0, 200) });
          }
        }),
      );
    }

    expect(unexpected.slice(0, 5)).toEqual([]);
    expect([...statuses.keys()].every((s) => s >= 400 && s < 500)).toBe(true);
    const health = await fetch(`${system.url}/v1/health`);
    expect(health.status).toBe(200);
    expect((await listed('')).length).toBe(before);
    expect(system.runtime.sfn.executions().length).toBe(executionsBefore);
  }, 300_000);
});
