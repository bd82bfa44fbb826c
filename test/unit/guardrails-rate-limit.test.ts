import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type HttpGateway, startHttpGateway } from '../../lib/local/http-gateway.js';
import { tokenBucketLimiter, validateRateLimit } from '../../lib/local/rate-limiter.js';

describe('token bucket per caller', () => {
  it('allows the burst, then refuses with the seconds until a token is back', () => {
    const limiter = tokenBucketLimiter({ ratePerSecond: 0.5, burst: 2 });

    expect(limiter.take('a', 0)).toEqual({ allowed: true });
    expect(limiter.take('a', 0)).toEqual({ allowed: true });
    expect(limiter.take('a', 0)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(limiter.take('a', 1000)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('a', 2000)).toEqual({ allowed: true });
  });

  it('keeps callers apart and never refills beyond the burst', () => {
    const limiter = tokenBucketLimiter({ ratePerSecond: 1, burst: 1 });

    expect(limiter.take('a', 0).allowed).toBe(true);
    expect(limiter.take('a', 0).allowed).toBe(false);
    expect(limiter.take('b', 0).allowed).toBe(true);
    expect(limiter.take('a', 60_000).allowed).toBe(true);
    expect(limiter.take('a', 60_000).allowed).toBe(false);
  });

  it('refuses settings that would never let a request through', () => {
    expect(() => validateRateLimit({ ratePerSecond: 0, burst: 5 })).toThrow(
      /ratePerSecond must be a positive/,
    );
    expect(() => validateRateLimit({ ratePerSecond: 1, burst: 0.5 })).toThrow(/burst must be a whole number/);
  });
});

describe('local gateway rate limiting', () => {
  let gateway: HttpGateway;
  let invocations = 0;

  beforeAll(async () => {
    gateway = await startHttpGateway({
      routes: [{ method: 'GET', path: '/v1/things', functionName: 'things', authorizer: 'jwt' }],
      invoke: async () => {
        invocations += 1;
        return { statusCode: 200, body: '{}' };
      },
      authorizer: (authorization) =>
        authorization?.startsWith('Bearer ')
          ? { claims: { sub: authorization.slice('Bearer '.length) }, scopes: null }
          : undefined,
      rateLimiter: tokenBucketLimiter({ ratePerSecond: 0.01, burst: 2 }),
    });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  const call = (token: string) =>
    fetch(`${gateway.url}/v1/things`, { headers: { authorization: `Bearer ${token}` } });

  it('answers 429 problem+json with Retry-After once a caller spent its burst, without running the function', async () => {
    expect((await call('alice')).status).toBe(200);
    expect((await call('alice')).status).toBe(200);
    const before = invocations;

    const refused = await call('alice');

    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(invocations).toBe(before);
    expect((await call('bob')).status).toBe(200);
  });
});
