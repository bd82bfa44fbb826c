// A loopback Step Functions endpoint (JSON 1.0 protocol) backed by local state machine runners, so
// the production SFNClient adapter runs unchanged with AWS_ENDPOINT_URL_SFN pointing here.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Execution, StateMachineRunner } from './state-machine-runner.js';

export interface SfnEmulatorOptions {
  runners: readonly StateMachineRunner[];
  port?: number;
  host?: string;
  /** Where execution failures and ends are reported. */
  log?: (line: string) => void;
  /**
   * Called once per execution that ends, with its state machine: what Step Functions publishes to
   * EventBridge as "Step Functions Execution Status Change".
   */
  onEnded?: (execution: Execution, stateMachineArn: string) => void;
}

export interface SfnEmulator {
  endpoint: string;
  port: number;
  /** Every execution started so far, oldest first. */
  executions(): Execution[];
  execution(executionArn: string): Execution | undefined;
  /** Resolves once no execution is running. */
  idle(): Promise<void>;
  /** Aborts running executions and closes the endpoint. */
  stop(): Promise<void>;
}

class SfnError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Step Functions' documented limits on execution names. */
const NAME_SPECIALS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
function isValidName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || NAME_SPECIALS.test(name)) return false;
  return [...name].every((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code >= 0x20 && !(code >= 0x7f && code <= 0x9f);
  });
}
const MAX_INPUT_BYTES = 256 * 1024;

const epochSeconds = (date: Date) => date.getTime() / 1000;

function summary(execution: Execution, stateMachineArn: string) {
  return {
    executionArn: execution.executionArn,
    stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: epochSeconds(execution.startDate),
    ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
  };
}

export async function startSfnEmulator(options: SfnEmulatorOptions): Promise<SfnEmulator> {
  const log = options.log ?? (() => undefined);
  const runners = new Map(options.runners.map((runner) => [runner.stateMachineArn, runner]));
  /** Per state machine: name → execution. */
  const byName = new Map<string, Map<string, Execution>>();
  const byArn = new Map<string, { execution: Execution; stateMachineArn: string }>();
  const all: Execution[] = [];

  function runner(stateMachineArn: unknown): StateMachineRunner {
    const found = typeof stateMachineArn === 'string' ? runners.get(stateMachineArn) : undefined;
    if (!found)
      throw new SfnError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${String(stateMachineArn)}'`,
      );
    return found;
  }

  function startExecution(request: Record<string, unknown>) {
    const machine = runner(request.stateMachineArn);
    const name = request.name === undefined ? crypto.randomUUID() : String(request.name);
    if (!isValidName(name)) {
      throw new SfnError(
        'InvalidName',
        `Invalid Name: '${name}' (1-80 characters, no whitespace or special characters)`,
      );
    }
    const inputText = request.input === undefined ? '{}' : String(request.input);
    if (Buffer.byteLength(inputText) > MAX_INPUT_BYTES) {
      throw new SfnError('InvalidExecutionInput', 'Execution input exceeds the 256 KiB limit');
    }
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw new SfnError(
        'InvalidExecutionInput',
        'Invalid State Machine Execution Input: must be valid JSON',
      );
    }
    let names = byName.get(machine.stateMachineArn);
    if (!names) {
      names = new Map();
      byName.set(machine.stateMachineArn, names);
    }
    const existing = names.get(name);
    if (existing) {
      // Same name and same input while still open: the same execution (an idempotent retry).
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input)) {
        return { executionArn: existing.executionArn, startDate: epochSeconds(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const execution = machine.start(input, name);
    names.set(name, execution);
    byArn.set(execution.executionArn, { execution, stateMachineArn: machine.stateMachineArn });
    all.push(execution);
    void execution.done.then((ended) => {
      options.onEnded?.(ended, machine.stateMachineArn);
      const { stateTransitions, taskInvocations } = ended.stats;
      const counts = `${stateTransitions} transitions, ${taskInvocations} task invocations`;
      if (ended.status === 'SUCCEEDED') log(`execution ${ended.name} succeeded (${counts})`);
      else
        log(`execution ${ended.name} ${ended.status}: ${ended.error ?? ''} ${ended.cause ?? ''} (${counts})`);
    });
    return { executionArn: execution.executionArn, startDate: epochSeconds(execution.startDate) };
  }

  function describeExecution(request: Record<string, unknown>) {
    const found = typeof request.executionArn === 'string' ? byArn.get(request.executionArn) : undefined;
    if (!found)
      throw new SfnError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${String(request.executionArn)}'`,
      );
    const { execution, stateMachineArn } = found;
    return {
      ...summary(execution, stateMachineArn),
      input: JSON.stringify(execution.input),
      inputDetails: { included: true },
      ...(execution.status === 'SUCCEEDED'
        ? { output: JSON.stringify(execution.output ?? null), outputDetails: { included: true } }
        : {}),
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    };
  }

  function listExecutions(request: Record<string, unknown>) {
    const machine = runner(request.stateMachineArn);
    const maxResults = Math.min(Math.max(Number(request.maxResults ?? 100) || 100, 1), 1000);
    const offset = request.nextToken === undefined ? 0 : Number(request.nextToken);
    const matching = [...(byName.get(machine.stateMachineArn)?.values() ?? [])]
      .filter((execution) => request.statusFilter === undefined || execution.status === request.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
    const page = matching.slice(offset, offset + maxResults);
    return {
      executions: page.map((execution) => summary(execution, machine.stateMachineArn)),
      ...(offset + maxResults < matching.length ? { nextToken: String(offset + maxResults) } : {}),
    };
  }

  /** Like Step Functions: stopping an execution that already ended changes nothing. */
  function stopExecution(request: Record<string, unknown>) {
    const found = typeof request.executionArn === 'string' ? byArn.get(request.executionArn) : undefined;
    if (!found)
      throw new SfnError(
        'ExecutionDoesNotExist',
        `Execution Does Not Exist: '${String(request.executionArn)}'`,
      );
    if (found.execution.status === 'RUNNING') found.execution.abort();
    return { stopDate: epochSeconds(new Date()) };
  }

  const operations: Record<string, (request: Record<string, unknown>) => unknown> = {
    StartExecution: startExecution,
    DescribeExecution: describeExecution,
    ListExecutions: listExecutions,
    StopExecution: stopExecution,
  };

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const reply = (status: number, body: unknown, errorType?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
      if (errorType) headers['x-amzn-errortype'] = errorType;
      response.writeHead(status, headers);
      response.end(JSON.stringify(body));
    };
    try {
      const run = operations[operation];
      if (!run) {
        throw new SfnError(
          'UnknownOperationException',
          `The local Step Functions endpoint supports ${Object.keys(operations).join(', ')}; not "${target}"`,
        );
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const parsed: unknown = text ? JSON.parse(text) : {};
      reply(
        200,
        run(typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}),
      );
    } catch (error) {
      if (error instanceof SfnError) {
        reply(400, { __type: error.type, message: error.message }, error.type);
      } else {
        log(
          `sfn emulator failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        reply(
          500,
          { __type: 'InternalFailure', message: 'The local Step Functions endpoint failed' },
          'InternalFailure',
        );
      }
    }
  }

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const running = () => all.filter((execution) => execution.status === 'RUNNING');
  return {
    endpoint: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    executions: () => [...all],
    execution: (executionArn) => byArn.get(executionArn)?.execution,
    async idle() {
      for (let open = running(); open.length > 0; open = running()) {
        await Promise.all(open.map((execution) => execution.done));
      }
    },
    async stop() {
      for (const execution of running()) execution.abort();
      await Promise.all(all.map((execution) => execution.done));
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
