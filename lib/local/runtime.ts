// The whole service on one machine: DynamoDB Local, the table from serverless.yml, the state machines
// on aws-local-stepfunctions behind a Step Functions endpoint, and the HTTP API running the very
// handlers Lambda runs. `npm start` (main.ts), tests and the benchmark all start it through here.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbBindingStore } from '../adapters/dynamodb/dynamodb-binding-store.js';
import { ensureTable } from '../adapters/dynamodb/table-definition.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { startStreamPoller } from './dynamodb-stream-poller.js';
import { declaredEventBuses, ensureEventBuses } from './event-buses.js';
import { type HttpGateway, type LocalEndpoints, startHttpGateway } from './http-gateway.js';
import { failInterruptedBindings } from './interrupted-bindings.js';
import { LambdaInvoker, type ModuleImporter } from './lambda-invoker.js';
import { implicitAuthorizer, type LocalAuthorizer, loadTokenAuthorizer } from './local-authorizer.js';
import { type RateLimit, tokenBucketLimiter } from './rate-limiter.js';
import { loadServiceConfig, type ServiceConfig } from './serverless-config.js';
import { type SfnEmulator, startSfnEmulator } from './sfn-emulator.js';
import { loadStateMachineDefinition } from './state-machine-definition.js';
import { type Execution, StateMachineRunner } from './state-machine-runner.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Seam for the sandbox cloud (simulated AWS account and EKS clusters). The runtime starts it before
 * it imports any handler and stops it after everything else, so handlers built at module scope see
 * its endpoints.
 */
export interface LocalSandbox {
  start(context: {
    region: string;
    accountId: string;
    log: (line: string) => void;
    /** serverless.yml's `${param:…}` for the stage, to set the sandbox up as the deployment expects. */
    param?: (name: string) => string | undefined;
  }): Promise<StartedSandbox>;
}

export interface StartedSandbox {
  /** Set on process.env before handlers load, e.g. AWS_ENDPOINT_URL_IAM/_STS/_EKS and credentials. */
  env: Record<string, string>;
  /** Local-only endpoints (`/_sandbox/*`) the HTTP API serves next to the routes. */
  localEndpoints?: LocalEndpoints;
  /** Lines for the start-up banner (clusters, endpoints). */
  summary?: string[];
  stop(): Promise<void>;
}

export type DynamoDbSource =
  /** Spawn DynamoDB Local with its files in this folder: data survives restarts. */
  | { dataDir: string }
  /** Spawn DynamoDB Local in memory. */
  | { inMemory: true }
  /** Use a DynamoDB (Local) that is already running. */
  | { endpoint: string };

export interface LocalRuntimeOptions {
  /** Folder holding serverless.yml and the handlers; the repository by default. */
  rootDir?: string;
  /** 3000 by default; 0 picks a free port. */
  port?: number;
  host?: string;
  /** `{ dataDir: '<root>/.data' }` by default. */
  dynamodb?: DynamoDbSource;
  /** `<service>-local-bindings` by default. */
  tableName?: string;
  stage?: string;
  region?: string;
  accountId?: string;
  /** Extra or overriding environment for the handlers (e.g. step configuration). */
  env?: Record<string, string>;
  sandbox?: LocalSandbox;
  /** Replaces every Retry wait in the state machines (tests, benchmark); AWS timing otherwise. */
  retryDelayMs?: number;
  /** Loads handler modules; a plain dynamic import by default. */
  importModule?: ModuleImporter;
  /**
   * Mark bindings an earlier process left PENDING/RUNNING FAILED with code Interrupted (default true):
   * executions live in this process's memory, so none survives a restart.
   */
  recoverInterrupted?: boolean;
  /** Import every handler at start-up and report those that fail (default true). */
  preload?: boolean;
  /**
   * Create the declared event buses and run the functions subscribed to the table's stream on DynamoDB
   * Local's stream, as Lambda's event source mapping would (default: with a sandbox, whose EventBridge
   * they publish to; without one there is nowhere local to publish).
   */
  streams?: boolean;
  /**
   * How routes with an authorizer authenticate. `{ tokensFile }`: `Authorization: Bearer <token>` must
   * name a token of that file (config/local-tokens.example.yaml), else 401. Absent: every request runs as
   * IMPLICIT_LOCAL_CLAIMS, an admin of config/tenants.example.yaml (tests that are not about access).
   */
  auth?: { tokensFile: string };
  /** Per-caller token bucket on the HTTP API (429 + Retry-After beyond it). Absent: no limit. */
  rateLimit?: RateLimit;
  /** Start-up steps, as they happen. */
  progress?: (line: string) => void;
  /** Requests, execution outcomes, handler failures. */
  log?: (line: string) => void;
}

export interface LocalRuntime {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:3000 */
  url: string;
  port: number;
  dynamodbEndpoint: string;
  sfnEndpoint: string;
  tableName: string;
  /** State machine key (as in serverless.yml) → ARN. */
  stateMachineArns: Record<string, string>;
  config: ServiceConfig;
  sfn: SfnEmulator;
  /** Handlers that could not be imported at start-up (function key → reason). */
  missingHandlers: Record<string, string>;
  /** What the sandbox reported about itself at start-up (empty without a sandbox). */
  sandboxSummary: string[];
  /** Invokes a function by its serverless.yml key, as Lambda would. */
  invoke(functionKey: string, event: unknown): Promise<unknown>;
  /** Stops everything this runtime started and restores the environment it changed. */
  stop(): Promise<void>;
}

const LOCAL_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
const LOCAL_CREDENTIALS_PAIR = {
  accessKeyId: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
  secretAccessKey: LOCAL_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
};

/** Turns a serverless.yml environment value into its local value; intrinsics point at local resources. */
function localValue(value: unknown, refs: Record<string, string>): string | undefined {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (typeof value === 'object' && value !== null && 'Ref' in value) {
    return refs[String((value as { Ref: unknown }).Ref)];
  }
  return undefined;
}

const ENDED_STATUSES = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** The event Step Functions sends EventBridge when an execution's status changes. */
function executionStatusChangeEvent(
  execution: Execution,
  stateMachineArn: string,
  region: string,
  accountId: string,
) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: accountId,
    time: (execution.stopDate ?? new Date()).toISOString(),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: (execution.stopDate ?? new Date()).getTime(),
      input: JSON.stringify(execution.input ?? {}),
      output: null,
      error: execution.error ?? null,
      cause: execution.cause ?? null,
    },
  };
}

/** The caller of a runtime started without a tokens file: in the admin group of the example policy. */
export const IMPLICIT_LOCAL_CLAIMS = { sub: 'anonymous', groups: ['irsa-broker-admins'] };

let runtimeGeneration = 0;

/**
 * Handlers build their clients at module scope from the environment of the runtime that loads them.
 * One module instance per runtime keeps a second runtime in the same process (tests, a restart) off
 * the first one's endpoints.
 */
function freshModuleImporter(generation: number): ModuleImporter {
  return async (absolutePath) =>
    (await import(`${pathToFileURL(absolutePath).href}?runtime=${generation}`)) as Record<string, unknown>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const progress = options.progress ?? (() => undefined);
  const log = options.log ?? (() => undefined);
  const stage = options.stage ?? 'local';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const cleanups: (() => Promise<void>)[] = [];
  const savedEnv = new Map<string, string | undefined>();
  const setEnv = (name: string, value: string) => {
    if (!savedEnv.has(name)) savedEnv.set(name, process.env[name]);
    process.env[name] = value;
  };
  const restoreEnv = () => {
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    savedEnv.clear();
  };
  let stopping = false;
  /** Execution-monitor invocations in flight: stopping waits for them (they write to DynamoDB). */
  const monitoring = new Set<Promise<unknown>>();
  const stopAll = async () => {
    stopping = true;
    await Promise.allSettled([...monitoring]);
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    restoreEnv();
    if (errors.length > 0) throw new AggregateError(errors, 'The local runtime did not stop cleanly');
  };

  try {
    progress('Reading serverless.yml');
    const config = await loadServiceConfig({ rootDir, stage, region });
    const functionName = (key: string) => `${config.service}-${stage}-${key}`;
    const functionArn = (key: string) =>
      `arn:aws:lambda:${region}:${accountId}:function:${functionName(key)}`;
    const tableName = options.tableName ?? `${config.service}-${stage}-bindings`;

    let sandbox: StartedSandbox | undefined;
    if (options.sandbox) {
      progress('Starting the sandbox cloud');
      const param = (name: string) => {
        const value = config.variable(`param:${name}`);
        return typeof value === 'string' ? value : undefined;
      };
      const started = await options.sandbox.start({ region, accountId, log, param });
      sandbox = started;
      cleanups.push(() => started.stop());
      for (const [name, value] of Object.entries(started.env)) setEnv(name, value);
    }

    const source = options.dynamodb ?? { dataDir: join(rootDir, '.data') };
    let dynamodbEndpoint: string;
    if ('endpoint' in source) {
      dynamodbEndpoint = source.endpoint;
    } else {
      progress(
        'dataDir' in source
          ? `Starting DynamoDB Local (data in ${source.dataDir})`
          : 'Starting DynamoDB Local (in memory)',
      );
      const local: DynamoDbLocal = await startDynamoDbLocal(
        'dataDir' in source ? { dataDir: source.dataDir } : {},
      );
      cleanups.push(() => local.stop());
      dynamodbEndpoint = local.endpoint;
    }
    const dynamodb = new DynamoDBClient({
      region,
      endpoint: dynamodbEndpoint,
      credentials: LOCAL_CREDENTIALS_PAIR,
    });
    cleanups.push(async () => dynamodb.destroy());
    progress(`Ensuring table ${tableName}`);
    // The table's stream only where its subscribers run (below).
    const created = await ensureTable(dynamodb, tableName, join(rootDir, 'serverless.yml'), {
      stream: options.streams ?? options.sandbox !== undefined,
    });
    progress(created ? `Created table ${tableName}` : `Table ${tableName} found`);

    const invoker = new LambdaInvoker({
      rootDir,
      region,
      accountId,
      functionName,
      importModule: options.importModule ?? freshModuleImporter(++runtimeGeneration),
    });
    const invoke = (key: string, event: unknown) => {
      const spec = config.functions[key];
      if (!spec) return Promise.reject(new Error(`serverless.yml declares no function "${key}"`));
      return invoker.invoke(spec, event);
    };
    const keyByLambdaRef = new Map<string, string>();
    for (const key of Object.keys(config.functions)) {
      keyByLambdaRef.set(functionArn(key), key);
      keyByLambdaRef.set(functionName(key), key);
    }

    progress('Loading state machines');
    const runners: Record<string, StateMachineRunner> = {};
    for (const key of Object.keys(config.stateMachines)) {
      const definition = await loadStateMachineDefinition(config, key, { functionArn, tableName });
      runners[key] = new StateMachineRunner({
        name: `${config.service}-${stage}-${key}`,
        definition,
        region,
        accountId,
        dynamodb,
        ...(options.retryDelayMs !== undefined ? { retryDelayMs: options.retryDelayMs } : {}),
        invokeLambda: (ref, payload) => {
          const target = keyByLambdaRef.get(ref.replace(/:(\$LATEST|\d+)$/, ''));
          if (!target) return Promise.reject(new Error(`No local function behind ${ref}`));
          return invoke(target, payload);
        },
      });
    }
    // Step Functions publishes each execution's end to EventBridge; serverless.yml routes the failed,
    // timed-out and aborted ones of these state machines to executionEnded. Not while stopping: an
    // execution this process aborts on its way out is closed `Interrupted` by the next start instead.
    const onEnded = (execution: Execution, stateMachineArn: string) => {
      if (stopping || !ENDED_STATUSES.has(execution.status) || !config.functions.executionEnded) return;
      const event = executionStatusChangeEvent(execution, stateMachineArn, region, accountId);
      const invocation: Promise<unknown> = invoke('executionEnded', event)
        .catch((error: unknown) =>
          log(
            `executionEnded failed for ${execution.name}: ${error instanceof Error ? error.message : error}`,
          ),
        )
        .finally(() => monitoring.delete(invocation));
      monitoring.add(invocation);
    };
    const sfn = await startSfnEmulator({ runners: Object.values(runners), log, onEnded });
    cleanups.push(() => sfn.stop());
    const stateMachineArns = Object.fromEntries(
      Object.entries(runners).map(([key, runner]) => [key, runner.stateMachineArn]),
    );

    // Handlers read their configuration at module scope: the environment must be complete before the
    // first import. One process hosts every function, so it gets the union of their environments.
    const refs: Record<string, string> = {};
    for (const [logicalId, resource] of Object.entries(config.resources)) {
      const type = (resource as { Type?: unknown }).Type;
      if (type === 'AWS::DynamoDB::Table') refs[logicalId] = tableName;
    }
    const eventBuses = declaredEventBuses(config.resources);
    Object.assign(refs, eventBuses);
    for (const [key, arn] of Object.entries(stateMachineArns)) {
      const logicalId = config.stateMachines[key]?.logicalId;
      if (logicalId) refs[logicalId] = arn;
    }
    const env: Record<string, string> = {};
    for (const spec of Object.values(config.functions)) {
      for (const [name, value] of Object.entries(spec.environment)) {
        const local = localValue(value, refs);
        if (local === undefined) {
          log(`warning: ${spec.name} env ${name} has no local value (${JSON.stringify(value)}); left unset`);
        } else if (env[name] !== undefined && env[name] !== local) {
          log(`warning: env ${name} differs between functions; ${spec.name} gets "${env[name]}" locally`);
        } else {
          env[name] = local;
        }
      }
    }
    Object.assign(env, {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    });
    for (const [name, value] of Object.entries(env)) setEnv(name, value);
    // Credentials only when nobody (the sandbox, the caller's shell) provided them.
    for (const [name, value] of Object.entries(LOCAL_CREDENTIALS)) {
      if (!process.env[name]) setEnv(name, value);
    }
    for (const [name, value] of Object.entries(options.env ?? {})) setEnv(name, value);

    const missingHandlers: Record<string, string> = {};
    if (options.preload ?? true) {
      progress('Loading handlers');
      for (const spec of Object.values(config.functions)) {
        try {
          await invoker.load(spec);
        } catch (error) {
          missingHandlers[spec.name] = error instanceof Error ? error.message : String(error);
          progress(`warning: ${missingHandlers[spec.name]}`);
        }
      }
    }

    if (options.recoverInterrupted ?? true) {
      progress('Closing bindings an earlier run left in flight');
      await failInterruptedBindings({
        store: new DynamoDbBindingStore({ client: dynamodb, tableName }),
        hasExecution: (id) => sfn.executions().some((e) => e.name === id && e.status === 'RUNNING'),
        now: () => new Date(),
        log: progress,
      });
    }

    if (options.streams ?? options.sandbox !== undefined) {
      progress('Creating event buses and reading the table stream');
      await ensureEventBuses(Object.values(eventBuses), region);
      for (const subscription of config.streams) {
        const streamTable = (config.resources[subscription.tableLogicalId] as { Type?: unknown } | undefined)
          ?.Type;
        if (streamTable !== 'AWS::DynamoDB::Table') {
          log(
            `warning: ${subscription.functionName} reads the stream of ${subscription.tableLogicalId}, not a table here`,
          );
          continue;
        }
        const poller = await startStreamPoller({
          dynamodb,
          endpoint: dynamodbEndpoint,
          region,
          credentials: LOCAL_CREDENTIALS_PAIR,
          tableName,
          subscription,
          invoke: (event) => invoke(subscription.functionName, event),
          // Next to DynamoDB Local's files: a restart delivers only what it had not delivered yet.
          ...('dataDir' in source
            ? { checkpointFile: join(source.dataDir, `stream-${subscription.functionName}.json`) }
            : {}),
          log,
        });
        cleanups.push(() => poller.stop());
      }
    }

    const authorizer: LocalAuthorizer = options.auth
      ? await loadTokenAuthorizer(options.auth.tokensFile)
      : implicitAuthorizer(IMPLICIT_LOCAL_CLAIMS);
    progress('Starting the HTTP API');
    const gateway: HttpGateway = await startHttpGateway({
      authorizer,
      ...(options.rateLimit ? { rateLimiter: tokenBucketLimiter(options.rateLimit) } : {}),
      routes: config.routes,
      invoke,
      port: options.port ?? 3000,
      ...(options.host ? { host: options.host } : {}),
      ...(sandbox?.localEndpoints ? { localEndpoints: sandbox.localEndpoints } : {}),
      log,
    });
    cleanups.push(() => gateway.close());

    return {
      url: gateway.url,
      port: gateway.port,
      dynamodbEndpoint,
      sfnEndpoint: sfn.endpoint,
      tableName,
      stateMachineArns,
      config,
      sfn,
      missingHandlers,
      sandboxSummary: sandbox?.summary ?? [],
      invoke,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}
