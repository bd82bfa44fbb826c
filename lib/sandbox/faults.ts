// A seeded fault injector: rules pick calls by service/operation glob, a private PRNG decides, so a
// run replays exactly from its seed and call sequence.
import type { FaultDecision, FaultInjector, FaultKind } from './contracts.js';

export interface FaultRule {
  /** Glob over the service, e.g. "iam", "sts", "eks", "k8s:*". `*` matches any run of characters. */
  service: string;
  /** Glob over the operation, e.g. "CreateRole", "Describe*", "POST pods"; default "*". */
  operation?: string;
  kind: FaultKind;
  /** Probability in [0, 1] that a matching call gets the fault; default 1. */
  rate?: number;
  latencyMs?: number;
  retryAfterSeconds?: number;
}

export interface SeededFaultInjector extends FaultInjector {
  readonly seed: number;
  setRules(rules: FaultRule[]): void;
  getRules(): FaultRule[];
  /** How many faults were injected since the last reset, by kind. */
  injected(): Partial<Record<FaultKind, number>>;
  /** Clears the rules and restarts the random sequence (from `seed` when given, else the current seed). */
  reset(seed?: number): void;
}

/** mulberry32: tiny, fast and good enough to spread fault decisions; not for cryptography. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`);
}

function validateRule(rule: FaultRule): void {
  const rate = rule.rate ?? 1;
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`Fault rule rate must be between 0 and 1, got ${rule.rate}; use e.g. 0.2 for 20%.`);
  }
  if (rule.latencyMs !== undefined && !(rule.latencyMs >= 0)) {
    throw new RangeError(`Fault rule latencyMs must be >= 0, got ${rule.latencyMs}.`);
  }
}

export function createFaultInjector(
  options: { seed?: number; rules?: FaultRule[] } = {},
): SeededFaultInjector {
  let seed = options.seed ?? 1;
  let random = mulberry32(seed);
  let rules: { rule: FaultRule; service: RegExp; operation: RegExp }[] = [];
  let injected: Partial<Record<FaultKind, number>> = {};

  const setRules = (next: FaultRule[]): void => {
    for (const rule of next) validateRule(rule);
    rules = next.map((rule) => ({
      rule: { ...rule },
      service: globToRegExp(rule.service),
      operation: globToRegExp(rule.operation ?? '*'),
    }));
  };
  setRules(options.rules ?? []);

  return {
    get seed() {
      return seed;
    },
    setRules,
    getRules: () => rules.map(({ rule }) => ({ ...rule })),
    reset(nextSeed?: number) {
      seed = nextSeed ?? seed;
      random = mulberry32(seed);
      rules = [];
      injected = {};
    },
    injected: () => ({ ...injected }),
    decide(service: string, operation: string): FaultDecision | undefined {
      for (const { rule, service: servicePattern, operation: operationPattern } of rules) {
        if (!servicePattern.test(service) || !operationPattern.test(operation)) continue;
        // One draw per matching rule keeps decisions a pure function of seed + call sequence.
        if (random() >= (rule.rate ?? 1)) continue;
        injected[rule.kind] = (injected[rule.kind] ?? 0) + 1;
        const decision: FaultDecision = { kind: rule.kind };
        if (rule.latencyMs !== undefined) decision.latencyMs = rule.latencyMs;
        if (rule.retryAfterSeconds !== undefined) decision.retryAfterSeconds = rule.retryAfterSeconds;
        return decision;
      }
      return undefined;
    },
  };
}
