// A Step Functions endpoint for the API latency run: it accepts StartExecution as AWS does (name unique
// per state machine, same name and input → the same execution) and records the execution without
// running it. On AWS the workflow runs on Step Functions' and Lambda's machines, not on the API's; here
// a running workflow would share the benchmark's two cores with the API and measure something else.
// The workflow section runs the real state machines.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldStepFunctions {
  endpoint: string;
  /** Executions accepted so far (distinct names per state machine). */
  started(): number;
  stop(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export async function startHeldStepFunctions(accountId: string, region: string): Promise<HeldStepFunctions> {
  const executions = new Map<string, string>(); // `${stateMachineArn}|${name}` → input
  const answer = (status: number, body: unknown) => ({ status, body: JSON.stringify(body) });
  const fault = (type: string, message: string) => answer(400, { __type: type, message });

  const handle = (target: string, request: Record<string, unknown>) => {
    if (target !== 'AWSStepFunctions.StartExecution') {
      return fault('UnknownOperationException', `${target} is not served by the held endpoint`);
    }
    const machine = String(request.stateMachineArn ?? '');
    if (!machine.startsWith(`arn:aws:states:${region}:${accountId}:stateMachine:`)) {
      return fault('StateMachineDoesNotExist', `State Machine Does Not Exist: '${machine}'`);
    }
    const name = String(request.name ?? crypto.randomUUID());
    if (!NAME.test(name)) return fault('InvalidName', `Invalid Name: '${name}'`);
    const input = String(request.input ?? '{}');
    const key = `${machine}|${name}`;
    const known = executions.get(key);
    if (known !== undefined && known !== input) {
      return fault('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
    }
    executions.set(key, input);
    const executionArn = `${machine.replace(':stateMachine:', ':execution:')}:${name}`;
    return answer(200, { executionArn, startDate: Date.now() / 1000 });
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        parsed = {};
      }
      const { status, body } = handle(String(request.headers['x-amz-target'] ?? ''), parsed);
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    started: () => executions.size,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
