// `npm run bench`: API latency, workflow throughput and counts, cost per binding and cold start proxy,
// printed as tables as they complete and written to docs/bench-results.json with the machine's facts.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDynamoDbLocal } from '../../lib/local/dynamodb-local.js';
import { startLocalRuntime } from '../../lib/local/runtime.js';
import { loadServiceConfig } from '../../lib/local/serverless-config.js';
import { type LatencyResult, measureApi } from './api-latency.js';
import { BENCH_ACCOUNT, type BenchSystem, type BindingScenario, startBenchSystem } from './bench-system.js';
import { type ColdStartResult, measureColdStarts } from './cold-start.js';
import { type Architecture, costFormula, costPerBinding, type PerBindingUsage } from './cost-model.js';
import { type FloorResult, measureDynamoDbFloor } from './dynamodb-floor.js';
import { type DynamoDbMeter, startDynamoDbMeter } from './dynamodb-meter.js';
import { startHeldStepFunctions } from './held-step-functions.js';
import { measureSequentialDurations, runWorkflowBench, type WorkflowResult } from './workflow-bench.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECTIONS = ['api', 'workflow', 'cold-start'] as const;
type Section = (typeof SECTIONS)[number];
/** The workflow section's runs: IRSA where the README's figures come from, then EKS Pod Identity. */
const MODES = ['irsa', 'pod-identity', 'both'] as const;
type Mode = (typeof MODES)[number];
// IRSA as callers have always asked for it (no mode: auto, which picks irsa on demo, where no agent runs);
// Pod Identity on modern, the sandbox cluster running the eks-pod-identity-agent add-on.
const SCENARIOS: Record<Mode, BindingScenario> = {
  irsa: { clusterName: 'demo' },
  'pod-identity': { clusterName: 'modern', mode: 'pod-identity' },
  both: { clusterName: 'modern', mode: 'both' },
};

// Latency targets are over the floor measured in the same run: DynamoDB Local serializes transactions,
// so an absolute number says more about the machine than about irsa-broker.
const TARGETS = {
  /** GET p99 at 16 connections ≤ consistent GetItem p99 + this. */
  getP99OverFloorMs: 10,
  /** POST p99 at 16 connections ≤ the create path's own DynamoDB calls' p99 + this. */
  postP99OverFloorMs: 25,
  writeUnitsPerBinding: 86,
  /** Step Functions state transitions of an IRSA binding on demo (Pod Identity's are reported beside). */
  transitionsPerDemoBinding: 8,
  fiftyBindingsSeconds: 15,
  costPerBindingUsd: 0.0005,
};

function usage(problem: string): never {
  console.error(`${problem}
usage: npm run bench -- [--bindings N] [--modes irsa,pod-identity,both] [--duration S] [--warmup S] [--runs N] [--only api,workflow,cold-start] [--out FILE]
  --bindings   concurrent bindings in each workflow run (default 50, 1..500)
  --modes      workflow runs: irsa on demo, pod-identity and both on modern (default all; irsa always runs)
  --duration   seconds per autocannon run (default 10, 1..60)
  --runs       node processes per cold start median (default 9, 1..51, odd)
  --warmup     seconds of GETs and POSTs before the API is measured (default 20, 0..300)
  --only       sections to run (default all)
  --out        results file (default docs/bench-results.json)`);
  process.exit(2);
}

function intOption(value: string | undefined, name: string, fallback: number, min: number, max: number) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    usage(`--${name} ${value}: give a whole number ${min}..${max}`);
  return n;
}

function parseOptions() {
  let parsed: ReturnType<typeof parseArgs<{ options: Record<string, { type: 'string' }> }>>;
  try {
    parsed = parseArgs({
      options: {
        bindings: { type: 'string' },
        duration: { type: 'string' },
        runs: { type: 'string' },
        warmup: { type: 'string' },
        only: { type: 'string' },
        modes: { type: 'string' },
        out: { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const only = (parsed.values.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim());
  for (const section of only) {
    if (!(SECTIONS as readonly string[]).includes(section)) {
      usage(`--only ${section}: sections are ${SECTIONS.join(', ')}`);
    }
  }
  const modes = (parsed.values.modes ?? MODES.join(',')).split(',').map((s) => s.trim());
  for (const mode of modes) {
    if (!(MODES as readonly string[]).includes(mode)) usage(`--modes ${mode}: modes are ${MODES.join(', ')}`);
  }
  const runs = intOption(parsed.values.runs, 'runs', 9, 1, 51);
  if (runs % 2 === 0) usage(`--runs ${runs}: use an odd number so the median is one run`);
  return {
    bindings: intOption(parsed.values.bindings, 'bindings', 50, 1, 500),
    durationSeconds: intOption(parsed.values.duration, 'duration', 10, 1, 60),
    warmupSeconds: intOption(parsed.values.warmup, 'warmup', 20, 0, 300),
    runs,
    only: new Set(only as Section[]),
    modes: MODES.filter((mode) => mode === 'irsa' || modes.includes(mode)),
    out: parsed.values.out ?? join(ROOT, 'docs/bench-results.json'),
  };
}

const progress = (line: string) => console.log(`  · ${line}`);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');

function table(title: string, header: string[], rows: (string | number)[][]) {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of cells.slice(1)) console.log(line(row));
}

/** The p99 target of a method at 16 connections: its floor's p99 plus the allowed overhead. */
function latencyTarget(method: string, floor: FloorResult[]): number | undefined {
  const operation = method === 'GET' ? 'GetItem' : 'create';
  const base = floor.find((f) => f.operation.startsWith(operation))?.p99Ms;
  if (base === undefined) return undefined;
  return Number(
    (base + (method === 'GET' ? TARGETS.getP99OverFloorMs : TARGETS.postP99OverFloorMs)).toFixed(1),
  );
}

function printApi(rows: LatencyResult[], floor: FloorResult[]) {
  table(
    'API latency (autocannon, local runtime on DynamoDB Local)',
    ['method', 'setting', 'conns', 'p50 ms', 'p99 ms', 'req/s', 'requests', 'failures', 'target (c=16)'],
    rows.map((r) => {
      const target = latencyTarget(r.method, floor) ?? Number.NaN;
      return [
        r.method,
        r.setting,
        r.connections,
        r.p50Ms,
        r.p99Ms,
        r.requestsPerSecond.toFixed(0),
        r.requests,
        r.failures,
        r.connections === 16 && r.setting === 'api'
          ? `p99 ≤ floor + ${r.method === 'GET' ? TARGETS.getP99OverFloorMs : TARGETS.postP99OverFloorMs} = ${target} ms: ${verdict(r.p99Ms <= target)}`
          : '',
      ];
    }),
  );
}

function printFloor(rows: FloorResult[]) {
  table(
    'DynamoDB Local alone (production SDK client, nothing else in the path): the floor under the API',
    ['operation', 'conns', 'p50 ms', 'p99 ms', 'ops/s'],
    rows.map((r) => [r.operation, r.connections, r.p50Ms, r.p99Ms, r.operationsPerSecond]),
  );
}

function printWorkflow(result: WorkflowResult, mode: Mode) {
  const p = result.perBinding;
  // The wall time and transition targets are IRSA's; Pod Identity's figures are reported beside them.
  const irsa = mode === 'irsa';
  const rows: (string | number)[][] = [
    ['bindings started at once', result.bindings, ''],
    ['succeeded', result.succeeded, verdict(result.succeeded === result.bindings)],
    [
      'wall time until all finished',
      `${result.wallSeconds.toFixed(1)} s`,
      !irsa
        ? ''
        : result.bindings === 50
          ? `≤ ${TARGETS.fiftyBindingsSeconds} s: ${verdict(result.wallSeconds <= TARGETS.fiftyBindingsSeconds)}`
          : '(target is for 50)',
    ],
    [
      'state transitions / binding (mean, max)',
      `${p.stateTransitions.toFixed(1)}, ${p.maxStateTransitions}`,
      irsa
        ? `≤ ${TARGETS.transitionsPerDemoBinding}: ${verdict(p.maxStateTransitions <= TARGETS.transitionsPerDemoBinding)}`
        : '',
    ],
    ['modes the bindings settled on', JSON.stringify(result.settledModes), ''],
    ['Lambda task invocations / binding', p.taskInvocations.toFixed(1), ''],
    ['retries / binding', p.retries.toFixed(2), ''],
    ['AWS calls / binding', p.awsCallsTotal.toFixed(1), ''],
    ['Kubernetes calls / binding', p.kubernetesCallsTotal.toFixed(1), ''],
    [
      'DynamoDB read / write units per binding',
      `${p.dynamoDbReadUnits.toFixed(1)} / ${p.dynamoDbWriteUnits.toFixed(1)}`,
      irsa
        ? `WRU ≤ ${TARGETS.writeUnitsPerBinding}: ${verdict(p.dynamoDbWriteUnits <= TARGETS.writeUnitsPerBinding)}`
        : '',
    ],
    ...Object.entries(p.dynamoDbUnitsBy).map(([part, units]) => [`  units: ${part}`, units.toFixed(1), '']),
  ];
  table(
    `Workflow: ${result.bindings} concurrent bindings on cluster ${result.clusterName}, mode ${result.requestedMode ?? 'omitted (auto)'}, no simulated latency`,
    ['measure', 'value', 'target'],
    rows,
  );
  const calls: (string | number)[][] = [];
  for (const [service, ops] of Object.entries({ ...p.awsCalls, ...p.kubernetesCalls })) {
    for (const [operation, count] of Object.entries(ops)) calls.push([service, operation, count.toFixed(2)]);
  }
  for (const [operation, count] of Object.entries(p.dynamoDbCalls))
    calls.push(['dynamodb', operation, count.toFixed(2)]);
  table(
    `Calls per binding by operation (${result.clusterName}, ${mode})`,
    ['service', 'operation', 'per binding'],
    calls,
  );
  if (result.failures.length > 0) {
    console.log(`\n${result.failures.length} binding(s) did not succeed:`);
    for (const failure of result.failures.slice(0, 5)) console.log(`  ${JSON.stringify(failure)}`);
  }
}

interface ModeRun {
  workflow: WorkflowResult;
  cost: { usage: PerBindingUsage; formula: string[] } & Record<string, unknown>;
  total: number;
}

/** The modes side by side: what one verified binding takes in each. */
function printModes(runs: Partial<Record<Mode, ModeRun>>) {
  const modes = MODES.filter((mode) => runs[mode]);
  const column = (f: (run: ModeRun) => string) => modes.map((mode) => f(runs[mode] as ModeRun));
  const lambdaInvocations = (run: ModeRun) =>
    Object.values(run.cost.usage.lambda).reduce((sum, fn) => sum + fn.invocations, 0);
  table(
    'Per verified binding, by mode',
    ['measure', ...modes.map((mode) => `${mode} on ${SCENARIOS[mode].clusterName}`)],
    [
      ['succeeded', ...column((r) => `${r.workflow.succeeded}/${r.workflow.bindings}`)],
      ['wall time until all finished', ...column((r) => `${r.workflow.wallSeconds.toFixed(1)} s`)],
      [
        'state transitions (mean, max)',
        ...column(
          (r) =>
            `${r.workflow.perBinding.stateTransitions.toFixed(1)}, ${r.workflow.perBinding.maxStateTransitions}`,
        ),
      ],
      ['Lambda task invocations', ...column((r) => r.workflow.perBinding.taskInvocations.toFixed(1))],
      ['Lambda invocations (with POST and GET)', ...column((r) => lambdaInvocations(r).toFixed(1))],
      ['AWS calls', ...column((r) => r.workflow.perBinding.awsCallsTotal.toFixed(1))],
      ['Kubernetes calls', ...column((r) => r.workflow.perBinding.kubernetesCallsTotal.toFixed(1))],
      [
        'DynamoDB RRU / WRU',
        ...column(
          (r) =>
            `${r.workflow.perBinding.dynamoDbReadUnits.toFixed(1)} / ${r.workflow.perBinding.dynamoDbWriteUnits.toFixed(1)}`,
        ),
      ],
      ['cost', ...column((r) => `$${r.total.toFixed(8)}`)],
    ],
  );
}

/** One mode's workflow run: counts from `bindings` concurrent bindings, handler durations from 5 alone. */
async function benchMode(
  mode: Mode,
  system: BenchSystem,
  meter: DynamoDbMeter,
  bindings: number,
  config: { functions: Record<string, { memorySize?: number } | undefined> },
  architecture: Architecture,
): Promise<ModeRun> {
  const scenario = SCENARIOS[mode];
  const workflow = await runWorkflowBench(system, meter, bindings, scenario, progress);
  printWorkflow(workflow, mode);
  const sequential = await measureSequentialDurations(system, 5, scenario, progress);
  const perBinding: PerBindingUsage = {
    stateTransitions: workflow.perBinding.stateTransitions,
    lambda: Object.fromEntries(
      Object.entries(workflow.perBinding.lambda).map(([key, fn]) => {
        const alone = sequential[key];
        const msPerInvocation =
          alone && alone.invocations > 0
            ? alone.billedMs / alone.invocations
            : fn.billedMs / Math.max(fn.invocations, 1);
        return [
          key,
          {
            invocations: fn.invocations,
            billedMs: msPerInvocation * fn.invocations,
            memoryMb: config.functions[key]?.memorySize ?? 1024,
          },
        ];
      }),
    ),
    dynamoDbReadUnits: workflow.perBinding.dynamoDbReadUnits,
    dynamoDbWriteUnits: workflow.perBinding.dynamoDbWriteUnits,
    httpApiRequests: workflow.perBinding.httpApiRequests,
  };
  const cost = costPerBinding(perBinding, architecture);
  const alternative = costPerBinding(perBinding, architecture === 'arm64' ? 'x86_64' : 'arm64');
  console.log(
    `\nCost per verified binding, ${mode} on ${scenario.clusterName} (us-east-1 list prices; counts from the ${bindings} concurrent bindings, handler durations from 5 run one at a time; the caller's POST and one GET included)`,
  );
  for (const line of costFormula(perBinding, cost)) console.log(`  ${line}`);
  console.log(`  on ${alternative.architecture}: $${alternative.total.toFixed(8)}`);
  console.log(
    `  target ≤ $${TARGETS.costPerBindingUsd}: ${verdict(cost.total <= TARGETS.costPerBindingUsd)}`,
  );
  return {
    workflow,
    cost: {
      usage: perBinding,
      [cost.architecture]: cost,
      [alternative.architecture]: alternative,
      formula: costFormula(perBinding, cost),
    },
    total: cost.total,
  };
}

function printColdStarts(rows: ColdStartResult[]) {
  table(
    `Cold start proxy (esbuild bundle as npm run package makes it; median of node processes)`,
    [
      'function',
      'kind',
      'bundle KB',
      'target',
      'import ms bundled',
      'import ms tsx',
      'process ms bundled',
      'process ms tsx',
    ],
    rows.map((r) => [
      r.function,
      r.bundlesKubernetesClient ? `${r.kind} (k8s client)` : r.kind,
      (r.bundleBytes / 1024).toFixed(0),
      r.targetBytes === undefined
        ? ''
        : `≤ ${(r.targetBytes / 1024).toFixed(0)} KB: ${verdict(r.bundleBytes <= r.targetBytes)}`,
      r.error ? `error: ${r.error}` : r.bundledImportMs.toFixed(0),
      r.unbundledImportMs.toFixed(0),
      r.bundledProcessMs.toFixed(0),
      r.unbundledProcessMs.toFixed(0),
    ]),
  );
}

async function main() {
  const options = parseOptions();
  const config = await loadServiceConfig({ rootDir: ROOT, stage: 'local', region: 'us-east-1' });
  const architecture = config.variable('self:provider.architecture') === 'x86_64' ? 'x86_64' : 'arm64';
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg().map((n) => Number(n.toFixed(2))),
    date: new Date().toISOString(),
  };
  console.log(
    `irsa-broker benchmark on ${machine.cpuModel} (${machine.cores} cores), Node ${machine.node}, load average ${machine.loadAverageAtStart.join(' ')}`,
  );
  const results: Record<string, unknown> = {
    machine,
    options: { ...options, only: [...options.only] },
    targets: TARGETS,
  };

  progress('starting DynamoDB Local (in memory)');
  const dynamoDbLocal = await startDynamoDbLocal({});
  let api: LatencyResult[] = [];
  let floor: FloorResult[] = [];
  if (options.only.has('api')) {
    // The API alone, as on AWS: DynamoDB Local directly (no metering proxy in the path) and executions
    // accepted but not run (held-step-functions.ts); the workflow section runs them.
    progress('starting the local runtime for the API run (executions held, not run)');
    const held = await startHeldStepFunctions(BENCH_ACCOUNT, 'us-east-1');
    const apiSystem = await startLocalRuntime({
      port: 0,
      accountId: BENCH_ACCOUNT,
      dynamodb: { endpoint: dynamoDbLocal.endpoint },
      tableName: `bench-api-${randomUUID()}`,
      env: { AWS_ENDPOINT_URL_SFN: held.endpoint },
    });
    try {
      api = await measureApi(
        apiSystem.url,
        {
          connections: [1, 16, 64],
          durationSeconds: options.durationSeconds,
          warmupSeconds: options.warmupSeconds,
          setting: 'api',
        },
        progress,
      );
      // Requests autocannon abandoned at the end of a run still finish inside the runtime: wait for them.
      let started = -1;
      while (started !== held.started()) {
        started = held.started();
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
      progress(`api: ${started} executions started by the POSTs`);
    } finally {
      await apiSystem.stop();
      await held.stop();
    }
    floor = await measureDynamoDbFloor(
      dynamoDbLocal.endpoint,
      { connections: 16, durationSeconds: options.durationSeconds, warmupSeconds: 5 },
      progress,
    );
  }
  progress('starting the metering proxy in front of DynamoDB Local');
  const meter = await startDynamoDbMeter(dynamoDbLocal.endpoint);
  try {
    // One runtime for both runs: handler modules keep module-scope state, so a process hosts one runtime.
    // The workflow runs first, on an idle system; the API run's POSTs then add bindings of their own.
    progress('starting the local runtime (sandbox cloud, state machine, HTTP API)');
    const system = await startBenchSystem(meter);
    try {
      if (options.only.has('workflow')) {
        const runs: Partial<Record<Mode, ModeRun>> = {};
        for (const mode of options.modes) {
          runs[mode] = await benchMode(mode, system, meter, options.bindings, config, architecture);
        }
        printModes(runs);
        // IRSA keeps the keys earlier results used; the Pod Identity runs sit beside it.
        results.workflow = runs.irsa?.workflow;
        results.cost = runs.irsa?.cost;
        const podIdentity = Object.fromEntries(
          options.modes
            .filter((mode) => mode !== 'irsa')
            .map((mode) => [mode, { workflow: runs[mode]?.workflow, cost: runs[mode]?.cost }]),
        );
        if (Object.keys(podIdentity).length > 0) results.podIdentity = podIdentity;
      }
      if (options.only.has('api')) {
        // For comparison: POSTs whose workflows run on the same two cores (each ends at DescribeCluster).
        api.push(
          ...(await measureApi(
            system.runtime.url,
            {
              connections: [16],
              methods: ['POST'],
              durationSeconds: options.durationSeconds,
              warmupSeconds: 0,
              setting: 'workflows in process',
            },
            progress,
          )),
        );
        printApi(api, floor);
        printFloor(floor);
        results.api = api;
        results.dynamoDbFloor = floor;
      }
    } finally {
      await system.stop();
    }
  } finally {
    await meter.stop();
    await dynamoDbLocal.stop();
  }
  if (options.only.has('cold-start')) {
    const coldStarts = await measureColdStarts(config, { runs: options.runs }, progress);
    printColdStarts(coldStarts);
    results.coldStart = coldStarts;
  }

  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nResults written to ${options.out}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);
