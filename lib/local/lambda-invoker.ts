// Runs a serverless.yml function's handler in this process the way the Lambda runtime would: same
// module, a Lambda context, the function's timeout.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { FunctionSpec } from './serverless-config.js';

export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** Imports a module by absolute path; injectable because test runners load modules their own way. */
export type ModuleImporter = (absolutePath: string) => Promise<Record<string, unknown>>;

export const importByFileUrl: ModuleImporter = async (absolutePath) =>
  (await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>;

export interface LambdaInvokerOptions {
  rootDir: string;
  region: string;
  accountId: string;
  /** Deployed function name for `functions.<key>`; `<service>-<stage>-<key>` in the framework. */
  functionName(key: string): string;
  importModule?: ModuleImporter;
}

/** Thrown when the handler runs past the function's timeout; Lambda reports it as `Sandbox.Timedout`. */
export class LambdaTimeoutError extends Error {
  override readonly name = 'Sandbox.Timedout';
}

/** The function's module cannot be loaded (missing file, no such export): a wiring fault, not the handler's. */
export class HandlerNotFoundError extends Error {
  override readonly name = 'HandlerNotFound';
}

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

export class LambdaInvoker {
  private readonly handlers = new Map<string, Promise<LambdaHandler>>();
  private readonly importModule: ModuleImporter;

  constructor(private readonly options: LambdaInvokerOptions) {
    this.importModule = options.importModule ?? importByFileUrl;
  }

  /** Loads (once) and returns the function's handler. */
  load(spec: FunctionSpec): Promise<LambdaHandler> {
    let loading = this.handlers.get(spec.name);
    if (!loading) {
      loading = this.importHandler(spec);
      // A failed import is retried on the next call: the file may be written in the meantime.
      loading.catch(() => this.handlers.delete(spec.name));
      this.handlers.set(spec.name, loading);
    }
    return loading;
  }

  private async importHandler(spec: FunctionSpec): Promise<LambdaHandler> {
    const base = join(this.options.rootDir, spec.modulePath);
    const file = EXTENSIONS.map((extension) => base + extension).find((candidate) => existsSync(candidate));
    if (!file) {
      throw new HandlerNotFoundError(
        `Function ${spec.name}: no module ${spec.modulePath}{${EXTENSIONS.join(',')}} under ${this.options.rootDir} (serverless.yml handler "${spec.handler}")`,
      );
    }
    const module = await this.importModule(file);
    const handler = module[spec.exportName];
    if (typeof handler !== 'function') {
      throw new HandlerNotFoundError(
        `Function ${spec.name}: ${file} does not export a function "${spec.exportName}"`,
      );
    }
    return handler as LambdaHandler;
  }

  /** Invokes the handler with a fresh context; rejects with what the handler threw, or LambdaTimeoutError. */
  async invoke(spec: FunctionSpec, event: unknown): Promise<unknown> {
    const handler = await this.load(spec);
    const deadline = Date.now() + spec.timeoutSeconds * 1000;
    const functionName = this.options.functionName(spec.name);
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${functionName}`,
      memoryLimitInMB: String(spec.memorySize),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `local/${new Date().toISOString().slice(0, 10)}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new LambdaTimeoutError(`Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`)),
        spec.timeoutSeconds * 1000,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
