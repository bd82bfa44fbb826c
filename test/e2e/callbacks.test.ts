// Callbacks end to end on the local system: a binding with a callbackUrl on loopback (allowed on the local
// stage) gets each status event POSTed with a signature the receiver verifies with the shared secret; a
// receiver that fails is tried again; a host off the operator's allow-list is refused at POST.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

/** serverless.yml's local stage signs with this public development secret. */
const LOCAL_SECRET = 'irsa-broker-local-callback-secret';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let system: TestSystem;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** Answers for the next requests, then 204. */
const answers: number[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      received.push({ headers: request.headers, body });
      response.writeHead(answers.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/irsa-events`;
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** What a portal does with a callback: check the MAC over `<t>.<raw body>`. */
function verified(callback: Received): boolean {
  const header = String(callback.headers['x-irsa-broker-signature'] ?? '');
  const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
  if (!t || !mac) return false;
  const expected = createHmac('sha256', LOCAL_SECRET).update(`${t}.${callback.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(mac, 'hex'));
}

async function callbacksOf(id: string, status: string, timeoutMs = 20_000): Promise<Received[]> {
  const deadline = Date.now() + timeoutMs;
  const mine = () =>
    received.filter((r) => (JSON.parse(r.body) as { detail: { id: string } }).detail.id === id);
  for (;;) {
    const got = mine();
    if (got.some((r) => (JSON.parse(r.body) as { detail: { status: string } }).detail.status === status)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return mine();
    }
    if (Date.now() > deadline) throw new Error(`no ${status} callback for ${id}: ${JSON.stringify(got)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('callbacks on the local system', () => {
  it('POSTs PENDING, RUNNING and SUCCEEDED to the callback URL, signed, retrying a receiver that failed', async () => {
    // Prepare: the receiver fails its first call.
    answers.push(503);

    // Act
    const created = await system.post(bindingRequest({ clusterName: 'demo', callbackUrl: receiverUrl }));
    const done = await system.waitFor(created.json.id);
    const callbacks = await callbacksOf(created.json.id, 'SUCCEEDED');

    // Assess
    expect(created.status).toBe(202);
    expect(done.status).toBe('SUCCEEDED');
    expect(callbacks.every(verified)).toBe(true);
    const events = callbacks.map((c) => JSON.parse(c.body) as { id: string; 'detail-type': string });
    // The PENDING event twice: refused with 503, then delivered; the same id both times.
    expect(events.map((e) => e['detail-type'])).toEqual([
      'Binding Pending',
      'Binding Pending',
      'Binding Running',
      'Binding Succeeded',
    ]);
    expect(events[0]?.id).toBe(events[1]?.id);
    expect(callbacks.map((c) => c.headers['x-irsa-broker-event-id'])).toEqual(events.map((e) => e.id));
    expect(callbacks[0]?.headers['content-type']).toBe('application/json');
  });

  it('refuses a callback host the operator does not allow, naming the field', async () => {
    const refused = await system.post(
      bindingRequest({ clusterName: 'demo', callbackUrl: 'https://portal.example.org/irsa' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      errors: [
        {
          path: 'callbackUrl',
          message:
            'callbackUrl host portal.example.org is not one the operator allows (127.0.0.1, localhost)',
        },
      ],
    });
  });
});
