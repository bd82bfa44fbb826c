// N bindings started at once on one sandbox cluster in one mode (IRSA on `demo`, Pod Identity on
// `modern`): wall time until every workflow ends, and what each binding cost in state transitions, Lambda
// invocations, AWS and Kubernetes calls and DynamoDB units.
import type { CallCounts } from '../../lib/sandbox/counters.js';
import { type BenchSystem, type BindingScenario, bindingBody } from './bench-system.js';
import type { DynamoDbMeter, DynamoDbUsage } from './dynamodb-meter.js';
import type { FunctionUsage } from './lambda-meter.js';

export interface WorkflowResult {
  clusterName: string;
  /** The mode the requests asked for (absent: none, so auto). */
  requestedMode?: string;
  /** How many bindings ended in each mode (outputs.mode, as DescribeCluster settled it). */
  settledModes: Record<string, number>;
  bindings: number;
  succeeded: number;
  failures: { id: string; status: string; error?: unknown }[];
  wallSeconds: number;
  /** Per binding (means over the N bindings). */
  perBinding: {
    stateTransitions: number;
    maxStateTransitions: number;
    taskInvocations: number;
    retries: number;
    awsCalls: CallCounts;
    kubernetesCalls: CallCounts;
    awsCallsTotal: number;
    kubernetesCallsTotal: number;
    dynamoDbCalls: Record<string, number>;
    dynamoDbReadUnits: number;
    dynamoDbWriteUnits: number;
    /** Read and write units by operation and table/index: where the units go. */
    dynamoDbUnitsBy: Record<string, number>;
    /** Every function that ran (API POST and one GET included), invocations and billed ms per binding. */
    lambda: Record<string, FunctionUsage>;
    httpApiRequests: number;
  };
}

const perUnit = (counts: CallCounts, n: number) =>
  Object.fromEntries(
    Object.entries(counts).map(([service, ops]) => [
      service,
      Object.fromEntries(Object.entries(ops).map(([op, count]) => [op, count / n])),
    ]),
  );
const totalOf = (counts: CallCounts) =>
  Object.values(counts).reduce((sum, ops) => sum + Object.values(ops).reduce((a, b) => a + b, 0), 0);
const divide = (usage: DynamoDbUsage, n: number) => ({
  calls: Object.fromEntries(Object.entries(usage.calls).map(([op, c]) => [op, c / n])),
  readUnits: usage.readUnits / n,
  writeUnits: usage.writeUnits / n,
  unitsBy: Object.fromEntries(Object.entries(usage.unitsBy).map(([key, u]) => [key, u / n])),
});

/** Service account names of one scenario: runs in different modes on one cluster must not collide (409). */
const prefixOf = (scenario: BindingScenario, what: string) => `${what}-${scenario.mode ?? 'auto'}`;

export async function runWorkflowBench(
  system: BenchSystem,
  dynamodb: DynamoDbMeter,
  count: number,
  scenario: BindingScenario,
  progress: (line: string) => void,
): Promise<WorkflowResult> {
  const { runtime, cloud } = system;
  const label = `${scenario.clusterName}/${scenario.mode ?? 'auto'}`;
  // Warm every handler once, so the measured run is the steady state a busy deployment sees.
  progress(`workflow ${label}: warm-up binding`);
  await bindAll(system, 1, prefixOf(scenario, 'warm'), scenario, () => undefined);
  cloud.counter.reset();
  dynamodb.reset();
  system.lambda.reset();

  const startedExecutions = runtime.sfn.executions().length;
  const started = performance.now();
  const ids = await bindAll(system, count, prefixOf(scenario, 'bench'), scenario, (line) =>
    progress(`workflow ${label}: ${line}`),
  );
  const wallSeconds = (performance.now() - started) / 1000;

  const executions = runtime.sfn.executions().slice(startedExecutions);
  // The caller reads the outcome once: part of what one verified binding costs.
  const finals = await Promise.all(
    ids.map(async (id) => {
      const response = await fetch(`${runtime.url}/v1/bindings/${id}`);
      return (await response.json()) as {
        id: string;
        status: string;
        error?: unknown;
        outputs?: { mode?: string };
      };
    }),
  );
  const failures = finals.filter((b) => b.status !== 'SUCCEEDED');
  const stats = executions.map((e) => e.stats);
  const counts = cloud.counts();
  const aws = Object.fromEntries(Object.entries(counts).filter(([service]) => !service.startsWith('k8s:')));
  const k8s = Object.fromEntries(Object.entries(counts).filter(([service]) => service.startsWith('k8s:')));
  const db = divide(dynamodb.usage(), count);
  const lambda = Object.fromEntries(
    Object.entries(system.lambda.usage()).map(([key, usage]) => [
      key,
      { invocations: usage.invocations / count, billedMs: usage.billedMs / count },
    ]),
  );
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const settledModes: Record<string, number> = {};
  for (const binding of finals) {
    const mode = binding.outputs?.mode ?? '(none)';
    settledModes[mode] = (settledModes[mode] ?? 0) + 1;
  }
  return {
    clusterName: scenario.clusterName,
    ...(scenario.mode ? { requestedMode: scenario.mode } : {}),
    settledModes,
    bindings: count,
    succeeded: count - failures.length,
    failures: failures.map((f) => ({ id: f.id, status: f.status, ...(f.error ? { error: f.error } : {}) })),
    wallSeconds,
    perBinding: {
      stateTransitions: mean(stats.map((s) => s.stateTransitions)),
      maxStateTransitions: Math.max(...stats.map((s) => s.stateTransitions)),
      taskInvocations: mean(stats.map((s) => s.taskInvocations)),
      retries: mean(stats.map((s) => s.retries)),
      awsCalls: perUnit(aws, count),
      kubernetesCalls: perUnit(k8s, count),
      awsCallsTotal: totalOf(aws) / count,
      kubernetesCallsTotal: totalOf(k8s) / count,
      dynamoDbCalls: db.calls,
      dynamoDbReadUnits: db.readUnits,
      dynamoDbWriteUnits: db.writeUnits,
      dynamoDbUnitsBy: db.unitsBy,
      lambda,
      httpApiRequests: 2,
    },
  };
}

/** POSTs `count` bindings at once and waits for every execution to end; returns the binding ids. */
async function bindAll(
  system: BenchSystem,
  count: number,
  prefix: string,
  scenario: BindingScenario,
  progress: (line: string) => void,
): Promise<string[]> {
  const { runtime } = system;
  const posted = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const response = await fetch(`${runtime.url}/v1/bindings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: bindingBody(`${prefix}-${i}`, scenario),
      });
      const body = (await response.json()) as { id?: string };
      if (response.status !== 202 || !body.id) {
        throw new Error(`POST /v1/bindings answered ${response.status}: ${JSON.stringify(body)}`);
      }
      return body.id;
    }),
  );
  const byName = new Map(runtime.sfn.executions().map((e) => [e.name, e]));
  let finished = 0;
  const ticker = setInterval(() => progress(`${finished}/${count} finished`), 1000);
  try {
    await Promise.all(
      posted.map(async (id) => {
        const execution = byName.get(id);
        if (!execution) throw new Error(`binding ${id} has no execution named after it`);
        await execution.done;
        finished += 1;
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  return posted;
}

/**
 * Handler durations from bindings run one at a time: with N workflows on two shared cores, a handler's
 * wall time is mostly waiting for the CPU, which a Lambda (its own vCPU share) would not do.
 */
export async function measureSequentialDurations(
  system: BenchSystem,
  runs: number,
  scenario: BindingScenario,
  progress: (line: string) => void,
): Promise<Record<string, FunctionUsage>> {
  system.lambda.reset();
  for (let i = 0; i < runs; i++) {
    progress(
      `workflow ${scenario.clusterName}/${scenario.mode ?? 'auto'}: sequential binding ${i + 1}/${runs} (handler durations)`,
    );
    const [id] = await bindAll(system, 1, `${prefixOf(scenario, 'seq')}-${i}`, scenario, () => undefined);
    await fetch(`${system.runtime.url}/v1/bindings/${id}`);
  }
  return system.lambda.usage();
}
