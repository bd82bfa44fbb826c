// Callback delivery: a binding with a callbackUrl gets each status event POSTed, signed so the receiver
// can verify it with the shared secret; retried with backoff while unreachable or 5xx/429, given up after
// the last try; never sent where the operator no longer allows the host, nor to a refused address.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { isPublicAddress } from '../../lib/domain/callback-url.js';
import type { BindingChange } from '../../lib/domain/status-event.js';
import type { CallbackRequest, CallbackResponse, CallbackTransport } from '../../lib/ports/callbacks.js';
import {
  deliverCallbacks,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
} from '../../lib/use-cases/deliver-callbacks.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const SECRET = 'shared-callback-secret';
const URL = 'https://portal.example.com/irsa';
const policy = { allowedHosts: ['portal.example.com'], allowLoopbackHttp: false };

/** A receiver that answers from a script (the last entry repeats) and keeps what it got. */
class ScriptedReceiver implements CallbackTransport {
  readonly received: CallbackRequest[] = [];
  constructor(private readonly answers: CallbackResponse[]) {}
  async post(request: CallbackRequest): Promise<CallbackResponse> {
    this.received.push(request);
    return this.answers[Math.min(this.received.length - 1, this.answers.length - 1)]!;
  }
}

const withCallback = (overrides: Partial<Binding> = {}): Binding => ({
  ...pendingBinding({ id: 'b-callback' }),
  callbackUrl: URL,
  ...overrides,
});
const change = (sequence: string, before: Binding | undefined, after: Binding): BindingChange => ({
  sequence,
  ...(before ? { before } : {}),
  after,
});

function deps(receiver: CallbackTransport, clock = new FakeClock()) {
  return {
    transport: receiver,
    secret: { value: async () => SECRET },
    clock,
    policy,
    random: () => 1,
  };
}

describe('callback delivery', () => {
  it('POSTs each status change signed with HMAC-SHA256 over the timestamp and the body', async () => {
    const receiver = new ScriptedReceiver([{ kind: 'answered', status: 204 }]);
    const clock = new FakeClock(new Date('2026-12-06T21:00:00Z'));
    const running = withCallback({ status: 'RUNNING' });
    const outcomes = await deliverCallbacks(
      [
        change('10', undefined, withCallback()),
        change('11', withCallback(), running),
        change('12', running, running),
      ],
      deps(receiver, clock),
    );

    expect(outcomes.map((o) => [o.eventId, o.outcome, o.attempts])).toEqual([
      ['b-callback/10', 'delivered', 1],
      ['b-callback/11', 'delivered', 1],
    ]);
    const first = receiver.received[0]!;
    expect(first.url).toBe(URL);
    expect(first.headers[EVENT_ID_HEADER]).toBe('b-callback/10');
    const body = JSON.parse(first.body) as { id: string; 'detail-type': string; detail: { status: string } };
    expect(body).toMatchObject({
      id: 'b-callback/10',
      'detail-type': 'Binding Pending',
      detail: { status: 'PENDING' },
    });
    // What a receiver does: recompute the MAC from t and the raw body with the shared secret.
    const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(first.headers[SIGNATURE_HEADER] ?? '') ?? [];
    expect(Number(t)).toBe(Date.parse('2026-12-06T21:00:00Z') / 1000);
    expect(mac).toBe(createHmac('sha256', SECRET).update(`${t}.${first.body}`).digest('hex'));
  });

  it('retries an unreachable or failing receiver with growing waits, then delivers', async () => {
    const receiver = new ScriptedReceiver([
      { kind: 'unreachable', reason: 'ECONNREFUSED' },
      { kind: 'answered', status: 503 },
      { kind: 'answered', status: 200 },
    ]);
    const clock = new FakeClock();
    const [outcome] = await deliverCallbacks(
      [change('10', undefined, withCallback())],
      deps(receiver, clock),
    );
    expect(outcome).toMatchObject({ outcome: 'delivered', attempts: 3, status: 200 });
    expect(clock.slept).toBe(1000 + 2000);
  });

  it('gives up after the last try and goes on with the next event', async () => {
    const receiver = new ScriptedReceiver([{ kind: 'answered', status: 500 }]);
    const outcomes = await deliverCallbacks(
      [
        change('10', undefined, withCallback()),
        change('11', withCallback(), withCallback({ status: 'RUNNING' })),
      ],
      deps(receiver),
    );
    expect(outcomes.map((o) => [o.outcome, o.attempts, o.status])).toEqual([
      ['gave-up', 4, 500],
      ['gave-up', 4, 500],
    ]);
  });

  it('does not retry a receiver that refuses the event (4xx)', async () => {
    const receiver = new ScriptedReceiver([{ kind: 'answered', status: 401 }]);
    const [outcome] = await deliverCallbacks([change('10', undefined, withCallback())], deps(receiver));
    expect(outcome).toMatchObject({ outcome: 'rejected', attempts: 1, status: 401 });
  });

  it('sends nothing to a host the operator no longer allows, or that resolves to a refused address', async () => {
    const receiver = new ScriptedReceiver([
      { kind: 'refused', reason: 'portal.example.com resolves to 10.0.0.7' },
    ]);
    const [moved] = await deliverCallbacks(
      [change('10', undefined, withCallback({ callbackUrl: 'https://old.example.com/x' }))],
      deps(receiver),
    );
    const [refused] = await deliverCallbacks([change('11', undefined, withCallback())], deps(receiver));
    expect(moved).toMatchObject({ outcome: 'refused', attempts: 0 });
    expect(moved?.reason).toMatch(/not one the operator allows/);
    expect(refused).toMatchObject({
      outcome: 'refused',
      attempts: 1,
      reason: 'portal.example.com resolves to 10.0.0.7',
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('sends nothing for bindings without a callbackUrl', async () => {
    const receiver = new ScriptedReceiver([{ kind: 'answered', status: 200 }]);
    const plain = pendingBinding({ id: 'b-plain' });
    expect(await deliverCallbacks([change('10', undefined, plain)], deps(receiver))).toEqual([]);
    expect(receiver.received).toEqual([]);
  });
});

describe('addresses a callback may reach', () => {
  it('refuses private, loopback, link-local, CGNAT, multicast and their IPv6 kin; allows public unicast', () => {
    const refused = [
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '127.0.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:10.0.0.1',
    ];
    const allowed = ['93.184.216.34', '172.32.0.1', '8.8.8.8', '2600:1f18::1'];
    expect(refused.filter(isPublicAddress)).toEqual([]);
    expect(allowed.filter((a) => !isPublicAddress(a))).toEqual([]);
  });
});
