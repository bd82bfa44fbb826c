// Counts every call the sandbox serves, by service and operation, so tests and the local runtime can
// see how hard irsa-broker drives each API.
import type { CallCounter } from './contracts.js';

export type CallCounts = Record<string, Record<string, number>>;

export interface SandboxCallCounter extends CallCounter {
  get(service: string, operation: string): number;
  /** All calls of a service, or of every service when omitted. */
  total(service?: string): number;
  snapshot(): CallCounts;
  reset(): void;
}

export function createCallCounter(): SandboxCallCounter {
  let counts = new Map<string, Map<string, number>>();
  return {
    count(service, operation) {
      let byOperation = counts.get(service);
      if (!byOperation) {
        byOperation = new Map();
        counts.set(service, byOperation);
      }
      byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    },
    get: (service, operation) => counts.get(service)?.get(operation) ?? 0,
    total(service) {
      const services = service === undefined ? [...counts.values()] : [counts.get(service) ?? new Map()];
      let sum = 0;
      for (const byOperation of services) for (const n of byOperation.values()) sum += n;
      return sum;
    },
    snapshot() {
      const out: CallCounts = {};
      for (const [service, byOperation] of counts) out[service] = Object.fromEntries(byOperation);
      return out;
    },
    reset() {
      counts = new Map();
    },
  };
}
