// The system under measurement: the local runtime (real handlers, real state machine) on the sandbox
// cloud with no simulated latency, DynamoDB Local behind the metering proxy, handlers timed.
import { randomUUID } from 'node:crypto';
import { localSandbox } from '../../lib/local/local-sandbox.js';
import { type LocalRuntime, startLocalRuntime } from '../../lib/local/runtime.js';
import type { SandboxCloud } from '../../lib/sandbox/index.js';
import type { DynamoDbMeter } from './dynamodb-meter.js';
import { createLambdaMeter, type LambdaMeter } from './lambda-meter.js';

export interface BenchSystem {
  runtime: LocalRuntime;
  cloud: SandboxCloud;
  lambda: LambdaMeter;
  stop(): Promise<void>;
}

export const BENCH_ACCOUNT = '111122223333';

export async function startBenchSystem(dynamodb: DynamoDbMeter): Promise<BenchSystem> {
  let cloud: SandboxCloud | undefined;
  // The runtime names functions `<service>-<stage>-<key>`; stage local has the sandbox's parameters.
  const lambda = createLambdaMeter('irsa-broker-local-');
  const runtime = await startLocalRuntime({
    port: 0,
    accountId: BENCH_ACCOUNT,
    dynamodb: { endpoint: dynamodb.endpoint },
    tableName: `bench-${randomUUID()}`,
    retryDelayMs: 10,
    importModule: lambda.importModule,
    sandbox: localSandbox({ podStartDelayMs: 10, propagationDelayMs: 0 }, (started) => {
      cloud = started;
    }),
  });
  if (!cloud) throw new Error('the sandbox cloud did not start');
  if (Object.keys(runtime.missingHandlers).length > 0) {
    await runtime.stop();
    throw new Error(`handlers failed to load: ${JSON.stringify(runtime.missingHandlers)}`);
  }
  return { runtime, cloud, lambda, stop: () => runtime.stop() };
}

/** What a workflow run binds: the cluster and the binding mode (absent: the request names none). */
export interface BindingScenario {
  clusterName: string;
  mode?: 'irsa' | 'pod-identity' | 'both';
}

export function bindingBody(
  serviceAccountName: string,
  scenario: BindingScenario = { clusterName: 'demo' },
): string {
  return JSON.stringify({
    clusterName: scenario.clusterName,
    region: 'us-east-1',
    namespace: 'bench',
    serviceAccountName,
    policyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
    ...(scenario.mode ? { mode: scenario.mode } : {}),
  });
}
