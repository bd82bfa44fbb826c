// WorkflowStarter on Step Functions StartExecution; the execution name makes a start idempotent.
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ConflictError, ThrottledError, TransientError } from '../../domain/errors.js';
import type { WorkflowStarter } from '../../ports/workflow-starter.js';

const THROTTLING = new Set(['ThrottlingException', 'TooManyRequestsException', 'Throttling']);
const TRANSIENT = new Set(['ServiceUnavailable', 'InternalServerError', 'TimeoutError', 'RequestTimeout']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

/** JSON with sorted keys, so inputs compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function sameInput(storedInput: string | undefined, input: unknown): boolean {
  if (storedInput === undefined) return false;
  try {
    return canonical(JSON.parse(storedInput)) === canonical(input);
  } catch {
    return false;
  }
}

/** arn:aws:states:r:a:stateMachine:m + name → arn:aws:states:r:a:execution:m:name */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

function translate(error: unknown, action: string): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const { name, code, $metadata } = error as {
    name?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  const message = error instanceof Error ? error.message : String(error);
  if (typeof name === 'string' && THROTTLING.has(name)) {
    return new ThrottledError(`Step Functions throttled ${action}: ${message}`, { cause: error });
  }
  if (
    (typeof name === 'string' && TRANSIENT.has(name)) ||
    (typeof code === 'string' && NETWORK_CODES.has(code)) ||
    // The SDK wraps errors from another realm ("AWS SDK error wrapper for Error: connect ECONNREFUSED …").
    [...NETWORK_CODES].some((networkCode) => message.includes(networkCode)) ||
    ($metadata?.httpStatusCode ?? 0) >= 500
  ) {
    return new TransientError(`Step Functions failed to ${action}: ${message}`, { cause: error });
  }
  return error;
}

export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: unknown): Promise<{ executionArn: string }> {
    try {
      const started = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      if (!started.executionArn) throw new TransientError('Step Functions returned no executionArn');
      return { executionArn: started.executionArn };
    } catch (error) {
      if (!(error instanceof ExecutionAlreadyExists)) throw translate(error, `start execution ${name}`);
    }
    // The name is taken: closed already, or opened with other input. Same input means this very
    // request was started before (a retry after a lost response), which is success.
    const executionArn = executionArnOf(this.stateMachineArn, name);
    let existing: { input?: string | undefined };
    try {
      existing = await this.client.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      throw translate(error, `describe execution ${name}`);
    }
    if (sameInput(existing.input, input)) return { executionArn };
    throw new ConflictError(
      `Execution ${name} of ${this.stateMachineArn} already exists with different input; execution names are unique for 90 days.`,
    );
  }
}
