// Reads serverless.yml the way the local runtime needs it: functions, HTTP routes, state machines and
// the table, with the framework's `${self:…}`, `${sls:stage}`, `${opt:…}`, `${param:…}` variables resolved.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, type Tags } from 'yaml';

export interface HttpRoute {
  /** Upper-case HTTP method, or `*` for any. */
  method: string;
  /** Path template as written in serverless.yml, e.g. `/v1/bindings/{id}`. */
  path: string;
  functionName: string;
  /** Name of the httpApi authorizer the route requires (`authorizer: { name }`); none: public. */
  authorizer?: string;
}

export interface FunctionSpec {
  /** The key under `functions:` (e.g. `createBinding`). */
  name: string;
  /** As written: `functions/api/create-binding.handler`. */
  handler: string;
  /** Module path relative to the service root, without extension: `functions/api/create-binding`. */
  modulePath: string;
  exportName: string;
  timeoutSeconds: number;
  memorySize: number;
  /** Environment values as they resolve locally; CloudFormation intrinsics are kept as objects. */
  environment: Record<string, unknown>;
}

/** A function subscribed to a table's DynamoDB stream (`events: - stream: { type: dynamodb, ... }`). */
export interface StreamSubscription {
  functionName: string;
  /** The table whose stream it reads: `arn: { Fn::GetAtt: [<logical id>, StreamArn] }`. */
  tableLogicalId: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  /** Whether a response's batchItemFailures say where to deliver from again (ReportBatchItemFailures). */
  reportBatchItemFailures: boolean;
  /** Event filter patterns (any one must match); none: every record. */
  filterPatterns: unknown[];
}

export interface StateMachineSpec {
  /** The key under `stepFunctions.stateMachines:` (e.g. `bind`). */
  key: string;
  /** CloudFormation logical id (`id:`, else serverless-step-functions' default); `Ref` gives the ARN. */
  logicalId: string;
  /** Path of the ASL file relative to the service root, from `definition: ${file(...)}`. */
  definitionFile: string;
}

export interface ServiceConfig {
  rootDir: string;
  service: string;
  stage: string;
  region: string;
  functions: Record<string, FunctionSpec>;
  routes: HttpRoute[];
  /** DynamoDB stream subscriptions, in declaration order. */
  streams: StreamSubscription[];
  stateMachines: Record<string, StateMachineSpec>;
  /** `resources.Resources` with variables resolved (CloudFormation intrinsics left as objects). */
  resources: Record<string, unknown>;
  /** Resolves one `self:`/`sls:`/`opt:`/`param:`/`env:` variable address (without `${}`). */
  variable(address: string): unknown;
  /** Resolves every framework variable inside `value`; CloudFormation `${AWS::…}` references stay. */
  resolve<T>(value: T): T;
}

export interface LoadServiceConfigOptions {
  rootDir: string;
  stage?: string;
  region?: string;
  /** Values for `${opt:…}` besides stage and region. */
  options?: Record<string, string>;
  /** Values for `${param:…}` that win over the file's `params`, like the CLI's `--param="name=value"`. */
  params?: Record<string, string>;
  /** File name inside rootDir; serverless.yml by default. */
  file?: string;
}

/** CloudFormation short-form tags, read into their long form so the document stays plain data. */
const cloudFormationTags: Tags = [
  ...['Ref', 'Condition'].map((name) => ({
    tag: `!${name}`,
    resolve: (value: string) => ({ [name]: value }),
  })),
  ...[
    'Sub',
    'Join',
    'Select',
    'Split',
    'If',
    'Equals',
    'And',
    'Or',
    'Not',
    'FindInMap',
    'Base64',
    'Cidr',
    'GetAZs',
  ]
    .flatMap((name) => ['scalar', 'seq', 'map'].map((collection) => ({ name, collection })))
    .map(({ name, collection }) => ({
      tag: `!${name}`,
      ...(collection === 'scalar' ? {} : { collection: collection as 'seq' | 'map' }),
      resolve: (value: unknown) => ({
        [`Fn::${name}`]:
          typeof value === 'object' && value !== null && 'toJSON' in value ? toJson(value) : value,
      }),
    })),
  {
    tag: '!GetAtt',
    resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.', 2) }),
  },
];

function toJson(node: object): unknown {
  return (node as { toJSON(): unknown }).toJSON();
}

/** Parses YAML that may use CloudFormation short-form tags. */
export function parseCloudFormationYaml(text: string): unknown {
  return parse(text, { customTags: cloudFormationTags });
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lookup(root: unknown, dotted: string): unknown {
  let node = root;
  for (const key of dotted.split('.').filter(Boolean)) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

// Innermost `${...}` first, so `${opt:region, ${self:custom.x}}` resolves inside out.
const VARIABLE = /\$\{([^${}]+)\}/;
const KNOWN_SOURCE = /^\s*(self|sls|opt|param|env|aws|file\()/;

export async function loadServiceConfig(options: LoadServiceConfigOptions): Promise<ServiceConfig> {
  const file = join(options.rootDir, options.file ?? 'serverless.yml');
  const parsed = parseCloudFormationYaml(await readFile(file, 'utf8'));
  if (!isRecord(parsed)) throw new Error(`${file} is not a YAML mapping`);
  const raw: Json = parsed;
  const cliOptions: Record<string, string> = { ...options.options };
  if (options.stage) cliOptions.stage = options.stage;
  if (options.region) cliOptions.region = options.region;

  const resolving = new Set<string>();

  function fallback(expression: string): { address: string; defaultValue?: string } {
    const comma = expression.indexOf(',');
    if (comma < 0) return { address: expression.trim() };
    const rest = expression.slice(comma + 1).trim();
    return { address: expression.slice(0, comma).trim(), defaultValue: rest.replace(/^(['"])(.*)\1$/, '$2') };
  }

  function variable(address: string): unknown {
    if (resolving.has(address)) throw new Error(`${file}: variable \${${address}} refers to itself`);
    resolving.add(address);
    try {
      const [source, ...restParts] = address.split(':');
      const rest = restParts.join(':');
      switch (source) {
        case 'self':
          return resolve(lookup(raw, rest));
        case 'sls':
          if (rest === 'stage') return stage();
          throw new Error(`${file}: \${sls:${rest}} is not supported locally`);
        case 'opt':
          return cliOptions[rest];
        case 'env':
          return process.env[rest];
        case 'aws':
          if (rest === 'region') return region();
          throw new Error(
            `${file}: \${aws:${rest}} needs AWS credentials; use a CloudFormation pseudo parameter`,
          );
        case 'param': {
          const given = options.params?.[rest];
          if (given !== undefined) return given;
          const params = isRecord(raw.params) ? raw.params : {};
          const forStage = lookup(params, `${stage()}.${rest}`);
          return resolve(forStage !== undefined ? forStage : lookup(params, `default.${rest}`));
        }
        default:
          throw new Error(`${file}: unknown variable source in \${${address}}`);
      }
    } finally {
      resolving.delete(address);
    }
  }

  function resolveString(text: string): unknown {
    const kept: string[] = [];
    let current = text;
    for (;;) {
      const match = VARIABLE.exec(current);
      if (!match) break;
      const expression = match[1] ?? '';
      let value: unknown;
      if (!KNOWN_SOURCE.test(expression) || expression.trim().startsWith('file(')) {
        // CloudFormation's own `${AWS::Region}` / `${Table.Arn}`, or a file include: not ours to resolve.
        // Parked behind private-use characters until the end so the loop moves on.
        kept.push(match[0]);
        value = `\uE000${kept.length - 1}\uE001`;
      } else {
        const { address, defaultValue } = fallback(expression);
        value = variable(address);
        if (value === undefined || value === null) value = defaultValue;
        if (value === undefined) throw new Error(`${file}: \${${expression}} has no value and no default`);
      }
      if (match[0] === current) return typeof value === 'string' ? restore(value, kept) : value;
      current = current.replace(match[0], typeof value === 'string' ? value : JSON.stringify(value));
    }
    return restore(current, kept);
  }

  function restore(text: string, kept: string[]): string {
    return text.replace(/\uE000(\d+)\uE001/g, (_, index: string) => kept[Number(index)] ?? '');
  }

  function resolve<T>(value: T): T {
    if (typeof value === 'string') return resolveString(value) as T;
    if (Array.isArray(value)) return value.map((item) => resolve(item)) as T;
    if (isRecord(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)])) as T;
    }
    return value;
  }

  function stage(): string {
    return String(cliOptions.stage ?? resolve(lookup(raw, 'provider.stage')) ?? 'dev');
  }
  function region(): string {
    return String(cliOptions.region ?? resolve(lookup(raw, 'provider.region')) ?? 'us-east-1');
  }

  const functions: Record<string, FunctionSpec> = {};
  const routes: HttpRoute[] = [];
  const streams: StreamSubscription[] = [];
  const rawFunctions = isRecord(raw.functions) ? raw.functions : {};
  for (const [name, definition] of Object.entries(rawFunctions)) {
    if (!isRecord(definition)) continue;
    const handler = String(resolve(definition.handler));
    const dot = handler.lastIndexOf('.');
    if (dot <= 0)
      throw new Error(`${file}: functions.${name}.handler must look like "path/to/module.export"`);
    const environment = resolve(definition.environment);
    functions[name] = {
      name,
      handler,
      modulePath: handler.slice(0, dot),
      exportName: handler.slice(dot + 1),
      timeoutSeconds: Number(resolve(definition.timeout) ?? resolve(lookup(raw, 'provider.timeout')) ?? 6),
      memorySize: Number(
        resolve(definition.memorySize) ?? resolve(lookup(raw, 'provider.memorySize')) ?? 1024,
      ),
      environment: isRecord(environment) ? environment : {},
    };
    const events = Array.isArray(definition.events) ? definition.events : [];
    for (const event of events) {
      if (isRecord(event) && event.stream !== undefined) {
        streams.push(streamSubscription(file, name, resolve(event.stream)));
        continue;
      }
      if (!isRecord(event) || event.httpApi === undefined) continue;
      const httpApi = resolve(event.httpApi);
      if (typeof httpApi === 'string') {
        // Short form: "GET /v1/health" or "*".
        const [method = '*', path = '*'] = httpApi === '*' ? ['*', '*'] : httpApi.split(/\s+/, 2);
        routes.push({ method: method.toUpperCase(), path, functionName: name });
      } else if (isRecord(httpApi)) {
        const authorizer = isRecord(httpApi.authorizer) ? httpApi.authorizer.name : httpApi.authorizer;
        routes.push({
          method: String(httpApi.method ?? '*').toUpperCase(),
          path: String(httpApi.path ?? '*'),
          functionName: name,
          ...(typeof authorizer === 'string' ? { authorizer } : {}),
        });
      }
    }
  }

  const stateMachines: Record<string, StateMachineSpec> = {};
  const rawMachines = lookup(raw, 'stepFunctions.stateMachines');
  if (isRecord(rawMachines)) {
    for (const [key, machine] of Object.entries(rawMachines)) {
      const definition = isRecord(machine) ? machine.definition : undefined;
      const include =
        typeof definition === 'string' ? /^\$\{file\(([^)]+)\)\}$/.exec(definition.trim()) : null;
      if (!include?.[1]) {
        throw new Error(
          `${file}: stepFunctions.stateMachines.${key}.definition must be \${file(<asl file>)}`,
        );
      }
      const id = isRecord(machine) && typeof machine.id === 'string' ? machine.id : undefined;
      const logicalId = id ?? `${key.charAt(0).toUpperCase()}${key.slice(1)}StepFunctionsStateMachine`;
      stateMachines[key] = { key, logicalId, definitionFile: include[1].trim() };
    }
  }

  const resources = resolve(lookup(raw, 'resources.Resources'));

  return {
    rootDir: options.rootDir,
    service: String(resolve(raw.service)),
    stage: stage(),
    region: region(),
    functions,
    routes,
    streams,
    stateMachines,
    resources: isRecord(resources) ? resources : {},
    variable,
    resolve,
  };
}

function streamSubscription(file: string, functionName: string, stream: unknown): StreamSubscription {
  const where = `${file}: functions.${functionName}.events[].stream`;
  if (!isRecord(stream) || stream.type !== 'dynamodb') {
    throw new Error(`${where} must be { type: dynamodb, arn: { Fn::GetAtt: [<table>, StreamArn] } }`);
  }
  const getAtt = isRecord(stream.arn) ? stream.arn['Fn::GetAtt'] : undefined;
  if (!Array.isArray(getAtt) || getAtt[1] !== 'StreamArn' || typeof getAtt[0] !== 'string') {
    throw new Error(`${where}.arn must be { Fn::GetAtt: [<table logical id>, StreamArn] }`);
  }
  const position = stream.startingPosition ?? 'TRIM_HORIZON';
  if (position !== 'TRIM_HORIZON' && position !== 'LATEST') {
    throw new Error(`${where}.startingPosition must be TRIM_HORIZON or LATEST locally`);
  }
  return {
    functionName,
    tableLogicalId: getAtt[0],
    startingPosition: position,
    batchSize: Number(stream.batchSize ?? 100),
    reportBatchItemFailures: stream.functionResponseType === 'ReportBatchItemFailures',
    filterPatterns: Array.isArray(stream.filterPatterns) ? stream.filterPatterns : [],
  };
}
