// Runs a state machine locally with aws-local-stepfunctions, every Lambda Task mapped to the very
// handler the deployed function runs and every DynamoDB integration to DynamoDB (Local). Errors
// reach Retry/Catch under the thrown error's `name`, with a Lambda-shaped Cause, as on AWS.
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { dynamoDbActionOf, runDynamoDbTask } from './dynamodb-task.js';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionStats {
  /** States entered plus retries: what Step Functions bills as state transitions. */
  stateTransitions: number;
  /** Task attempts (Lambda invocations and service integration calls), retries included. */
  taskInvocations: number;
  retries: number;
}

export interface Execution {
  executionArn: string;
  name: string;
  input: unknown;
  startDate: Date;
  stopDate?: Date;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  stats: ExecutionStats;
  /** Settles when the execution ends; never rejects. */
  done: Promise<Execution>;
  abort(): void;
}

export interface StateMachineRunnerOptions {
  /** Name used in ARNs (e.g. `irsa-broker-local-bind`). */
  name: string;
  definition: StateMachineDefinition;
  region: string;
  accountId: string;
  /** Runs a Lambda function by the ARN or name a Task gives; rejects with what the handler threw. */
  invokeLambda(functionArnOrName: string, payload: unknown): Promise<unknown>;
  /** Needed only when the machine has DynamoDB integrations. */
  dynamodb?: DynamoDBClient;
  /** Replaces every Retry wait with this many milliseconds (tests, benchmarks); AWS timing otherwise. */
  retryDelayMs?: number;
  /** Replaces every Wait state's duration with this many milliseconds. */
  waitMs?: number;
}

type JsonValue = Parameters<StateMachine['run']>[0];
type TaskHandler = (input: JsonValue) => Promise<JsonValue>;
type StateNode = {
  Type?: string;
  Resource?: string;
  Retry?: unknown[];
  Branches?: { States?: Record<string, StateNode> }[];
  Iterator?: { States?: Record<string, StateNode> };
  ItemProcessor?: { States?: Record<string, StateNode> };
};

const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[\w-]*:states:::lambda:invoke$/;

/** A failure as Step Functions records it for a Lambda Task: Error = errorType, Cause = the error JSON. */
export class TaskFailure extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

export function lambdaFailure(error: unknown): TaskFailure {
  const thrown = error instanceof Error ? error : new Error(String(error));
  // A module that cannot be loaded fails before the handler runs, as Runtime.ImportModuleError on AWS.
  const errorType = thrown.name === 'HandlerNotFound' ? 'Runtime.ImportModuleError' : thrown.name || 'Error';
  const cause = JSON.stringify({
    errorType,
    errorMessage: thrown.message,
    trace: (thrown.stack ?? '').split('\n'),
  });
  return new TaskFailure(errorType, cause);
}

function* tasksOf(states: Record<string, StateNode> | undefined): Generator<[string, StateNode]> {
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === 'Task') yield [name, state];
    for (const branch of state.Branches ?? []) yield* tasksOf(branch.States);
    yield* tasksOf(state.Iterator?.States);
    yield* tasksOf(state.ItemProcessor?.States);
  }
}

function* retryableStatesOf(states: Record<string, StateNode> | undefined): Generator<string> {
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Retry) yield name;
    for (const branch of state.Branches ?? []) yield* retryableStatesOf(branch.States);
    yield* retryableStatesOf(state.Iterator?.States);
    yield* retryableStatesOf(state.ItemProcessor?.States);
  }
}

function* waitStatesOf(states: Record<string, StateNode> | undefined): Generator<string> {
  for (const [name, state] of Object.entries(states ?? {})) {
    if (state.Type === 'Wait') yield name;
    for (const branch of state.Branches ?? []) yield* waitStatesOf(branch.States);
    yield* waitStatesOf(state.Iterator?.States);
    yield* waitStatesOf(state.ItemProcessor?.States);
  }
}

export class StateMachineRunner {
  readonly stateMachineArn: string;
  private readonly machine: StateMachine;
  private readonly states: Record<string, StateNode>;

  constructor(private readonly options: StateMachineRunnerOptions) {
    this.stateMachineArn = `arn:aws:states:${options.region}:${options.accountId}:stateMachine:${options.name}`;
    this.states = options.definition.States as unknown as Record<string, StateNode>;
    // Overrides are keyed by state name, so one name must not stand for two different resources.
    const seen = new Map<string, string>();
    for (const [name, task] of tasksOf(this.states)) {
      const resource = task.Resource ?? '';
      this.checkResource(name, resource);
      const earlier = seen.get(name);
      if (earlier !== undefined && earlier !== resource) {
        throw new Error(
          `State machine ${options.name}: two Task states named "${name}" use different resources`,
        );
      }
      seen.set(name, resource);
    }
    this.machine = new StateMachine(options.definition, {
      validationOptions: { checkPaths: true, checkArn: true },
    });
  }

  private checkResource(stateName: string, resource: string) {
    if (LAMBDA_ARN.test(resource) || LAMBDA_INVOKE.test(resource) || dynamoDbActionOf(resource)) return;
    throw new Error(
      `State machine ${this.options.name}: Task "${stateName}" uses ${resource || 'no Resource'}; the local runtime runs Lambda functions (function ARN or arn:aws:states:::lambda:invoke) and arn:aws:states:::dynamodb:putItem|updateItem|getItem|deleteItem`,
    );
  }

  private taskHandler(resource: string, stats: ExecutionStats): TaskHandler {
    const action = dynamoDbActionOf(resource);
    if (action) {
      return async (input) => {
        stats.taskInvocations += 1;
        const client = this.options.dynamodb;
        if (!client)
          throw new TaskFailure('States.Runtime', 'No DynamoDB client configured for the local runner');
        return (await runDynamoDbTask(client, action, input)) as JsonValue;
      };
    }
    if (LAMBDA_INVOKE.test(resource)) {
      return async (input) => {
        stats.taskInvocations += 1;
        const parameters = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
        if (typeof parameters.FunctionName !== 'string') {
          throw new TaskFailure('States.Runtime', 'lambda:invoke needs Parameters.FunctionName');
        }
        let payload: unknown;
        try {
          payload = await this.options.invokeLambda(parameters.FunctionName, parameters.Payload ?? {});
        } catch (error) {
          throw lambdaFailure(error);
        }
        return {
          ExecutedVersion: '$LATEST',
          Payload: (payload ?? null) as JsonValue,
          StatusCode: 200,
        };
      };
    }
    return async (input) => {
      stats.taskInvocations += 1;
      try {
        const result = await this.options.invokeLambda(resource, input);
        // Lambda serialises the result: undefined becomes null, class instances plain JSON.
        return JSON.parse(JSON.stringify(result ?? null)) as JsonValue;
      } catch (error) {
        throw lambdaFailure(error);
      }
    };
  }

  /** Starts an execution; it runs in the background until `done` settles. */
  start(input: unknown, name: string = randomUUID()): Execution {
    const stats: ExecutionStats = { stateTransitions: 0, taskInvocations: 0, retries: 0 };
    const taskResourceLocalHandlers: Record<string, TaskHandler> = {};
    for (const [stateName, task] of tasksOf(this.states)) {
      taskResourceLocalHandlers[stateName] = this.taskHandler(task.Resource ?? '', stats);
    }
    const retryIntervalOverrides: Record<string, number> = {};
    if (this.options.retryDelayMs !== undefined) {
      for (const stateName of retryableStatesOf(this.states))
        retryIntervalOverrides[stateName] = this.options.retryDelayMs;
    }
    const waitTimeOverrides: Record<string, number> = {};
    if (this.options.waitMs !== undefined) {
      for (const stateName of waitStatesOf(this.states)) waitTimeOverrides[stateName] = this.options.waitMs;
    }
    const executionArn = `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${this.options.name}:${name}`;
    const startDate = new Date();
    const run = this.machine.run(JSON.parse(JSON.stringify(input ?? {})) as JsonValue, {
      overrides: { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides },
      context: {
        Execution: {
          Id: executionArn,
          Name: name,
          Input: input as JsonValue,
          StartTime: startDate.toISOString(),
          RoleArn: `arn:aws:iam::${this.options.accountId}:role/local-state-machine`,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.options.name },
      },
    });

    const counting = (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') stats.stateTransitions += 1;
        if (event.type === 'StateRetried') {
          stats.stateTransitions += 1;
          stats.retries += 1;
        }
      }
    })();

    const execution: Execution = {
      executionArn,
      name,
      input,
      startDate,
      status: 'RUNNING',
      stats,
      abort: () => run.abort(),
      done: Promise.resolve(undefined as unknown as Execution),
    };
    execution.done = run.result
      .then(
        (output) => {
          execution.status = 'SUCCEEDED';
          execution.output = output;
        },
        (error: unknown) => {
          if (error instanceof ExecutionAbortedError) {
            execution.status = 'ABORTED';
          } else if (error instanceof ExecutionTimeoutError) {
            execution.status = 'TIMED_OUT';
            execution.error = 'States.Timeout';
          } else {
            execution.status = 'FAILED';
            const cause = error instanceof ExecutionError ? (error.cause as Error | undefined) : undefined;
            const failure = cause ?? (error instanceof Error ? error : new Error(String(error)));
            execution.error = failure.name;
            execution.cause = failure.message;
          }
        },
      )
      .then(() => counting.catch(() => undefined))
      .then(() => {
        execution.stopDate = new Date();
        return execution;
      });
    return execution;
  }
}
