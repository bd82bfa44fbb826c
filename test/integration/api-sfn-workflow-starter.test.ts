// The Step Functions workflow starter against the local Step Functions endpoint: idempotent by name.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SfnWorkflowStarter } from '../../lib/adapters/sfn/sfn-workflow-starter.js';
import { ConflictError, TransientError } from '../../lib/domain/errors.js';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/runtime.js';

const rootDir = fileURLToPath(new URL('../fixtures/local/service/', import.meta.url));
let runtime: LocalRuntime;
let client: SFNClient;
let starter: SfnWorkflowStarter;

beforeAll(async () => {
  runtime = await startLocalRuntime({
    rootDir,
    port: 0,
    dynamodb: { endpoint: process.env.IRSA_TEST_DYNAMODB_ENDPOINT ?? '' },
    tableName: `api-sfn-${randomBytes(4).toString('hex')}`,
    preload: false,
    // The fixture service's table is not the bindings table: there are no bindings to recover.
    recoverInterrupted: false,
  });
  client = new SFNClient({
    region: 'us-east-1',
    endpoint: runtime.sfnEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  starter = new SfnWorkflowStarter(client, runtime.stateMachineArns.wait ?? '');
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

function name(): string {
  return `b-${randomBytes(6).toString('hex')}`;
}

describe('SfnWorkflowStarter', () => {
  it('starts an execution named as asked', async () => {
    const executionName = name();

    const { executionArn } = await starter.start(executionName, { sleepMs: 10 });

    expect(executionArn).toBe(
      `${runtime.stateMachineArns.wait?.replace(':stateMachine:', ':execution:')}:${executionName}`,
    );
    expect(runtime.sfn.execution(executionArn)?.input).toEqual({ sleepMs: 10 });
  });

  it('treats a second start with the same name and input as the same execution, open or closed', async () => {
    const executionName = name();
    const first = await starter.start(executionName, { sleepMs: 200 });

    const whileOpen = await starter.start(executionName, { sleepMs: 200 });
    await runtime.sfn.idle();
    const afterClose = await starter.start(executionName, { sleepMs: 200 });

    expect(whileOpen).toEqual(first);
    expect(afterClose).toEqual(first);
    expect(runtime.sfn.executions().filter((e) => e.name === executionName)).toHaveLength(1);
  });

  it('refuses the same name with different input', async () => {
    const executionName = name();
    await starter.start(executionName, { sleepMs: 200 });

    await expect(starter.start(executionName, { sleepMs: 201 })).rejects.toBeInstanceOf(ConflictError);
  });

  it('reports an unreachable endpoint as transient', async () => {
    const dead = new SFNClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const attempt = new SfnWorkflowStarter(dead, runtime.stateMachineArns.wait ?? '').start(name(), {});
      await expect(attempt).rejects.toBeInstanceOf(TransientError);
    } finally {
      dead.destroy();
    }
  });
});
