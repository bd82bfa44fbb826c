// Per-caller token buckets for the local HTTP API: the 429 + Retry-After API Gateway's throttling gives
// a deployed stack, so clients meet it under `npm start` too.

export interface RateLimit {
  /** Tokens added per second (sustained requests per second). */
  ratePerSecond: number;
  /** Bucket size: requests a caller may make at once after being idle. */
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from `caller`'s bucket at `nowMs`. */
  take(caller: string, nowMs?: number): RateDecision;
}

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** At most this many callers are tracked; the longest idle ones (full buckets by then) are forgotten. */
const MAX_TRACKED_CALLERS = 10_000;

export function validateRateLimit(limit: RateLimit): RateLimit {
  if (!Number.isFinite(limit.ratePerSecond) || limit.ratePerSecond <= 0) {
    throw new RangeError(`rate limit: ratePerSecond must be a positive number, got ${limit.ratePerSecond}`);
  }
  if (!Number.isInteger(limit.burst) || limit.burst < 1) {
    throw new RangeError(`rate limit: burst must be a whole number of at least 1, got ${limit.burst}`);
  }
  return limit;
}

export function tokenBucketLimiter(limit: RateLimit): RateLimiter {
  const { ratePerSecond, burst } = validateRateLimit(limit);
  const buckets = new Map<string, Bucket>();
  return {
    take(caller, nowMs = Date.now()) {
      let bucket = buckets.get(caller);
      if (bucket) {
        buckets.delete(caller);
        const refill = ((nowMs - bucket.updatedMs) / 1000) * ratePerSecond;
        bucket = { tokens: Math.min(burst, bucket.tokens + Math.max(0, refill)), updatedMs: nowMs };
      } else {
        bucket = { tokens: burst, updatedMs: nowMs };
        if (buckets.size >= MAX_TRACKED_CALLERS) {
          const oldest = buckets.keys().next().value;
          if (oldest !== undefined) buckets.delete(oldest);
        }
      }
      // Re-inserted last: the map's order is least recently seen first.
      buckets.set(caller, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / ratePerSecond));
      return { allowed: false, retryAfterSeconds };
    },
  };
}
