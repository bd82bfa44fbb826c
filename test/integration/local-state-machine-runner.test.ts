import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureTable } from '../../lib/adapters/dynamodb/table-definition.js';
import { LambdaInvoker } from '../../lib/local/lambda-invoker.js';
import { loadServiceConfig, type ServiceConfig } from '../../lib/local/serverless-config.js';
import { loadStateMachineDefinition } from '../../lib/local/state-machine-definition.js';
import { StateMachineRunner } from '../../lib/local/state-machine-runner.js';

const rootDir = fileURLToPath(new URL('../fixtures/local/service/', import.meta.url));
const region = 'us-east-1';
const accountId = '111122223333';
const tableName = `local-runner-${randomUUID()}`;
const dynamodb = new DynamoDBClient({
  region,
  endpoint: process.env.IRSA_TEST_DYNAMODB_ENDPOINT,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

let config: ServiceConfig;
let runner: StateMachineRunner;

beforeAll(async () => {
  config = await loadServiceConfig({ rootDir, stage: 'test' });
  await ensureTable(dynamodb, tableName, `${rootDir}serverless.yml`);
  const functionName = (key: string) => `fixture-test-${key}`;
  const functionArn = (key: string) => `arn:aws:lambda:${region}:${accountId}:function:${functionName(key)}`;
  const invoker = new LambdaInvoker({ rootDir, region, accountId, functionName });
  const definition = await loadStateMachineDefinition(config, 'flow', { functionArn, tableName });
  runner = new StateMachineRunner({
    name: 'fixture-test-flow',
    definition,
    region,
    accountId,
    dynamodb,
    retryDelayMs: 0,
    invokeLambda: (arn, payload) => {
      const key = Object.keys(config.functions).find((candidate) => functionArn(candidate) === arn);
      if (!key) throw new Error(`unexpected function ${arn}`);
      return invoker.invoke(config.functions[key]!, payload);
    },
  });
});

afterAll(() => dynamodb.destroy());

async function runItem(key: string) {
  const result = await dynamodb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: `RUN#${key}` }, sk: { S: 'RUN' } } }),
  );
  return result.Item;
}

describe('state machine runner', () => {
  it('resolves serverless.yml placeholders to local function ARNs and the local table', async () => {
    // Prepare / Act
    const definition = await loadStateMachineDefinition(config, 'flow', {
      functionArn: (key) => `arn:aws:lambda:${region}:${accountId}:function:local-${key}`,
      tableName: 'the-table',
    });

    // Assess
    const states = definition.States as Record<
      string,
      { Resource?: string; Parameters?: { TableName?: string } }
    >;
    expect(states.Flaky?.Resource).toBe(`arn:aws:lambda:${region}:${accountId}:function:local-flaky`);
    expect(states.Put?.Parameters?.TableName).toBe('the-table');
  });

  it('retries a Transient error by name until the step succeeds, and counts transitions and invocations', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const execution = await runner.start({ key, failTimes: 2, failWith: 'Transient' }, key).done;

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.output).toMatchObject({ key, flaky: { attempts: 3 } });
    expect(await runItem(key)).toMatchObject({ runStatus: { S: 'SUCCEEDED' }, attempts: { N: '3' } });
    // Put, Flaky ×3, MarkSucceeded; three states entered plus two retries.
    expect(execution.stats).toEqual({ taskInvocations: 5, stateTransitions: 5, retries: 2 });
    expect(execution.executionArn).toBe(
      `arn:aws:states:${region}:${accountId}:execution:fixture-test-flow:${key}`,
    );
  });

  it('catches a ClusterNotFound error by name without retrying, with a Lambda-shaped Cause', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const execution = await runner.start({ key, failTimes: 1, failWith: 'ClusterNotFound' }).done;

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const output = execution.output as { error: { Error: string; Cause: string } };
    expect(output.error.Error).toBe('ClusterNotFound');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'ClusterNotFound',
      errorMessage: `attempt 1 for ${key} failed`,
    });
    expect(await runItem(key)).toMatchObject({
      runStatus: { S: 'FAILED' },
      errorName: { S: 'ClusterNotFound' },
    });
    expect(execution.stats.retries).toBe(0);
    expect(execution.stats.taskInvocations).toBe(3);
  });

  it('fails the execution with the error name once retries are exhausted', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const execution = await runner.start({ key, failTimes: 99, failWith: 'Transient' }).done;

    // Assess: MaxAttempts 3 means one try and three retries, then the uncaught error ends the run.
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Transient');
    expect(JSON.parse(execution.cause ?? '{}')).toMatchObject({ errorType: 'Transient' });
    expect(execution.stats.taskInvocations).toBe(1 + 4);
    expect(await runItem(key)).toMatchObject({ runStatus: { S: 'RUNNING' } });
  });

  it('neither retries nor catches an error whose name no rule lists', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const execution = await runner.start({ key, failTimes: 1, failWith: 'RoleConflict' }).done;

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('RoleConflict');
    expect(execution.stats).toMatchObject({ taskInvocations: 2, retries: 0 });
  });

  it('surfaces a failed DynamoDB condition as DynamoDB.ConditionalCheckFailedException', async () => {
    // Prepare: a first run ends with runStatus FAILED; MarkFailed's condition wants RUNNING.
    const key = randomUUID();
    await runner.start({ key, failTimes: 1, failWith: 'ClusterNotFound' }).done;

    // Act: run MarkFailed alone on the same item.
    const definition = await loadStateMachineDefinition(config, 'flow', {
      functionArn: (name) => `arn:aws:lambda:${region}:${accountId}:function:fixture-test-${name}`,
      tableName,
    });
    const markFailed = definition.States.MarkFailed;
    if (!markFailed) throw new Error('fixture lost its MarkFailed state');
    const onlyMarkFailed = new StateMachineRunner({
      name: 'only-mark-failed',
      definition: { StartAt: 'MarkFailed', States: { MarkFailed: markFailed } },
      region,
      accountId,
      dynamodb,
      invokeLambda: async () => null,
    });
    const execution = await onlyMarkFailed.start({ key, error: { Error: 'Again' } }).done;

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('DynamoDB.ConditionalCheckFailedException');
  });

  it('refuses a Task resource it cannot run, naming the state', () => {
    // Prepare / Act / Assess
    expect(
      () =>
        new StateMachineRunner({
          name: 'bad',
          definition: {
            StartAt: 'Send',
            States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
          },
          region,
          accountId,
          invokeLambda: async () => null,
        }),
    ).toThrow(/Task "Send" uses arn:aws:states:::sqs:sendMessage/);
  });
});
