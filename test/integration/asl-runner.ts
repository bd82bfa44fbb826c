// A state machine definition run by the local runner over step handlers called in-process, as the Lambda
// runtime would call them; `invoked` lists the handlers in the order the workflow called them.
import type { Context } from 'aws-lambda';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { StateMachineRunner } from '../../lib/local/state-machine-runner.js';

export type StepHandler = (event: unknown, context: Context) => Promise<unknown>;

export function runnerOverHandlers(options: {
  name: string;
  definition: StateMachineDefinition;
  region: string;
  accountId: string;
  /** Function key → the ARN the definition's Task states name. */
  functionArn: (key: string) => string;
  handlers: Record<string, StepHandler>;
}): { runner: StateMachineRunner; invoked: string[] } {
  const invoked: string[] = [];
  const runner = new StateMachineRunner({
    name: options.name,
    definition: structuredClone(options.definition),
    region: options.region,
    accountId: options.accountId,
    retryDelayMs: 0,
    invokeLambda: async (arn, payload) => {
      const key = Object.keys(options.handlers).find((candidate) => options.functionArn(candidate) === arn);
      if (!key) throw new Error(`No step handler behind ${arn}`);
      invoked.push(key);
      return options.handlers[key]?.(payload, {} as Context);
    },
  });
  return { runner, invoked };
}
