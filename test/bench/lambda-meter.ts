// Times every handler invocation of a local runtime: a module importer (the runtime's own seam) that
// wraps each exported function, keyed by the serverless.yml function key the invoker reports.
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { ModuleImporter } from '../../lib/local/lambda-invoker.js';

export interface FunctionUsage {
  invocations: number;
  /** Sum of durations, each rounded up to 1 ms as Lambda bills them. */
  billedMs: number;
}

export interface LambdaMeter {
  importModule: ModuleImporter;
  usage(): Record<string, FunctionUsage>;
  reset(): void;
}

let generation = 0;

/** `functionPrefix` is `<service>-<stage>-`: what the invoker puts before the key in context.functionName. */
export function createLambdaMeter(functionPrefix: string): LambdaMeter {
  let usage: Record<string, FunctionUsage> = {};
  const record = (functionName: string, ms: number) => {
    const key = functionName.startsWith(functionPrefix)
      ? functionName.slice(functionPrefix.length)
      : functionName;
    const entry = usage[key] ?? { invocations: 0, billedMs: 0 };
    entry.invocations += 1;
    entry.billedMs += Math.max(1, Math.ceil(ms));
    usage[key] = entry;
  };
  const thisRun = ++generation;
  return {
    async importModule(absolutePath) {
      const module = (await import(`${pathToFileURL(absolutePath).href}?bench=${thisRun}`)) as Record<
        string,
        unknown
      >;
      const wrapped: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(module)) {
        if (typeof value !== 'function') {
          wrapped[name] = value;
          continue;
        }
        const handler = value as (event: unknown, context: Context) => unknown;
        wrapped[name] = async (event: unknown, context: Context) => {
          const started = performance.now();
          try {
            return await handler(event, context);
          } finally {
            record(context.functionName, performance.now() - started);
          }
        };
      }
      return wrapped;
    },
    usage: () => structuredClone(usage),
    reset() {
      usage = {};
    },
  };
}
