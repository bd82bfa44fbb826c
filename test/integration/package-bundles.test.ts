// The Lambda bundles `npm run package` writes, opened from their zips and run under plain `node`: each one
// starts with the environment the template gives it, the read handlers answer from DynamoDB Local with
// the credentials the environment holds (the bundles' own credential chain), and each bundle carries only
// what its function uses (read from its source map).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { packageDir, packagedResources, type TemplateResource } from '../support/packaged-template.js';
import { unzip } from '../support/zip.js';
import { dynamoDbLocalClient, freshTable, newBinding } from './store-fixtures.js';

/** The steps that call a cluster (README: they run as the role given cluster access). */
const KUBERNETES_FUNCTIONS = new Set([
  'EnsureWebhook',
  'ApproveCsr',
  'ApplyServiceAccount',
  'VerifyIdentity',
  'CheckDrift',
  'DeleteTestPods',
  'RemoveServiceAccountBinding',
]);
const X509_FUNCTIONS = new Set(['EnsureWebhook', 'ApproveCsr']);

interface PackagedFunction {
  /** Logical id without the LambdaFunction suffix, e.g. GetBinding. */
  name: string;
  bundle: string;
  environment: Record<string, unknown>;
  sources: string[];
}

const client = dynamoDbLocalClient();
let tableName: string;
let workDir: string;
/** The Lambda runtimes the template names (nodejs22.x). */
const runtimes = new Set<string>();
const functions = new Map<string, PackagedFunction>();

/** Template values with CloudFormation references replaced by what this test provides. */
function environmentOf(fn: PackagedFunction): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIAPACKAGED',
    AWS_SECRET_ACCESS_KEY: 'packaged-secret',
    AWS_SESSION_TOKEN: 'packaged-token',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.IRSA_TEST_DYNAMODB_ENDPOINT ?? '',
    LAMBDA_TASK_ROOT: dirname(dirname(dirname(fn.bundle))),
  };
  for (const [name, value] of Object.entries(fn.environment)) {
    if (typeof value === 'string') env[name] = value;
    else if (JSON.stringify(value) === '{"Ref":"BindingsTable"}') env[name] = tableName;
    else if (JSON.stringify(value) === '{"Ref":"StatusEventBus"}') env[name] = 'packaged-events';
    else env[name] = `arn:aws:states:us-east-1:123456789012:stateMachine:packaged-${name}`;
  }
  return env;
}

/** Runs `script` (an ES module body with `bundle` in scope) under node; its stdout, or why it failed. */
async function runNode(fn: PackagedFunction, script: string): Promise<string> {
  return (await runNodeOutputs(fn, script)).out;
}

/** Runs `script` under the node that runs these tests (npm's Node 22); stdout and stderr. */
async function runNodeOutputs(fn: PackagedFunction, script: string): Promise<{ out: string; err: string }> {
  const program = `const bundle = ${JSON.stringify(pathToFileURL(fn.bundle).href)};\n${script}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', program], {
    cwd: environmentOf(fn).LAMBDA_TASK_ROOT,
    env: environmentOf(fn),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${fn.name}: node exited with ${code}\n${err.slice(-2000)}`);
  return { out, err };
}

/** Invokes the bundle's handler with an HTTP API event carrying JWT claims; the result object. */
async function invokeHttp(
  name: string,
  init: { path: string; pathParameters?: Record<string, string>; sub: string },
): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const fn = functions.get(name);
  if (!fn) throw new Error(`no packaged function ${name}`);
  const event = {
    version: '2.0',
    routeKey: `GET ${init.path}`,
    rawPath: init.path,
    rawQueryString: '',
    headers: {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'GET', path: init.path, protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'jest' },
      requestId: 'req-packaged',
      routeKey: `GET ${init.path}`,
      stage: '$default',
      time: '01/Jun/2025:00:00:00 +0000',
      timeEpoch: 0,
      authorizer: { jwt: { claims: { sub: init.sub }, scopes: [] } },
    },
    ...(init.pathParameters ? { pathParameters: init.pathParameters } : {}),
    isBase64Encoded: false,
  };
  const out = await runNode(
    fn,
    `const { handler } = await import(bundle);
const context = { functionName: ${JSON.stringify(name)}, awsRequestId: 'req-packaged', getRemainingTimeInMillis: () => 10000 };
const result = await handler(${JSON.stringify(event)}, context);
process.stdout.write(JSON.stringify(result));`,
  );
  const result = JSON.parse(out) as { statusCode: number; body: string };
  return { statusCode: result.statusCode, body: JSON.parse(result.body) as Record<string, unknown> };
}

beforeAll(async () => {
  const resources = await packagedResources();
  tableName = await freshTable(client, 'packaged');
  workDir = await mkdtemp(join(tmpdir(), 'irsa-packaged-'));
  const lambdas = Object.entries(resources).filter(
    (entry): entry is [string, TemplateResource] => entry[1].Type === 'AWS::Lambda::Function',
  );
  for (const [logicalId, resource] of lambdas) {
    const name = logicalId.replace(/LambdaFunction$/, '');
    const key = (resource.Properties.Code as { S3Key: string }).S3Key;
    const zip = join(packageDir(), key.slice(key.lastIndexOf('/') + 1));
    const root = join(workDir, name);
    const files = unzip(await readFile(zip));
    for (const [path, content] of files) {
      await mkdir(dirname(join(root, path)), { recursive: true });
      await writeFile(join(root, path), content);
    }
    runtimes.add(String(resource.Properties.Runtime));
    const handler = String(resource.Properties.Handler);
    const bundle = join(root, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
    const map = files.get(`${handler.slice(0, handler.lastIndexOf('.'))}.mjs.map`);
    const sources = map ? (JSON.parse(map.toString('utf8')) as { sources: string[] }).sources : [];
    const environment = ((resource.Properties.Environment as { Variables?: Record<string, unknown> })
      ?.Variables ?? {}) as Record<string, unknown>;
    functions.set(name, { name, bundle, environment, sources });
  }
}, 600_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('packaged Lambda bundles', () => {
  it('every function starts under node with the environment its template gives it', async () => {
    expect(functions.size).toBeGreaterThanOrEqual(20);
    const failures: string[] = [];
    for (const fn of functions.values()) {
      const out = await runNode(
        fn,
        "const m = await import(bundle); process.stdout.write(typeof m.handler === 'function' ? 'ok' : 'no handler');",
      ).catch((error: Error) => error.message);
      if (out !== 'ok') failures.push(`${fn.name}: ${out}`);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('the bundles run on the Node.js major the template deploys to, and start without warnings', async () => {
    const majors = new Set([...runtimes].map((runtime) => /^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? runtime));
    expect([...majors]).toEqual([process.versions.node.split('.')[0]]);
    const fn = functions.get('GetBinding');
    if (!fn) throw new Error('no packaged GetBinding');
    // The SDK's Node-support notice and deprecation warnings go to stderr at import and first call.
    const { err } = await runNodeOutputs(
      fn,
      `const { handler } = await import(bundle);
await handler({ version: '2.0', rawPath: '/v1/bindings/x', requestContext: { http: { method: 'GET' } } }, { getRemainingTimeInMillis: () => 1000 }).catch(() => undefined);`,
    );
    expect(err).toBe('');
  }, 120_000);

  it('the read handlers answer from DynamoDB Local with the credentials the environment holds', async () => {
    const store = new DynamoDbBindingStore({ client, tableName });
    const binding = newBinding({ tenant: 'team-a', clusterName: 'demo', namespace: 'team-a' });
    await store.create(binding);

    const listed = await invokeHttp('ListBindings', { path: '/v1/bindings', sub: 'local-team-a' });
    expect(listed.statusCode).toBe(200);
    expect((listed.body.items as { id: string }[]).map((item) => item.id)).toEqual([binding.id]);

    const path = `/v1/bindings/${binding.id}`;
    const mine = await invokeHttp('GetBinding', {
      path,
      pathParameters: { id: binding.id },
      sub: 'local-team-a',
    });
    expect(mine).toMatchObject({ statusCode: 200, body: { id: binding.id, status: 'PENDING' } });

    const theirs = await invokeHttp('GetBinding', {
      path,
      pathParameters: { id: binding.id },
      sub: 'local-team-b',
    });
    expect(theirs.statusCode).toBe(404);
  }, 120_000);

  it('each bundle carries only what its function uses', () => {
    const carrying = (part: string) =>
      [...functions.values()]
        .filter((fn) => fn.sources.some((source) => source.includes(part)))
        .map((fn) => fn.name)
        .sort();
    expect(functions.get('GetBinding')?.sources.length).toBeGreaterThan(0);
    expect(carrying('node_modules/@kubernetes/client-node/')).toEqual([...KUBERNETES_FUNCTIONS].sort());
    expect(carrying('node_modules/@peculiar/x509/')).toEqual([...X509_FUNCTIONS].sort());
    // Inside Lambda credentials come from the environment: the SDK's SSO and INI providers stay out.
    expect(carrying('node_modules/@aws-sdk/credential-provider-sso/')).toEqual([]);
    expect(carrying('node_modules/@aws-sdk/credential-provider-ini/')).toEqual([]);
    expect(carrying('lib/adapters/aws/lambda-credential-provider.ts').length).toBeGreaterThan(0);
    // client-node's fetch stack (undici) stays out; its stand-in goes wherever client-node goes.
    expect(carrying('/undici/')).toEqual([]);
    expect(carrying('lib/adapters/kubernetes/undici-unused.ts')).toEqual([...KUBERNETES_FUNCTIONS].sort());
  });
});
