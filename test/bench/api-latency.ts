// API latency with autocannon: GET /v1/bindings/{id} and POST /v1/bindings at several concurrencies.
import { randomUUID } from 'node:crypto';
import autocannon, { type Request } from 'autocannon';
import { bindingBody } from './bench-system.js';

export interface LatencyResult {
  method: 'GET' | 'POST';
  /** `api`: executions accepted, not run (as on AWS, where they run elsewhere); `workflows in process`: the
   * local state machine runs each POST's workflow on the same cores as the API. */
  setting: 'api' | 'workflows in process';
  connections: number;
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
  requests: number;
  /** Non-2xx answers and connection errors: any of them makes the row suspect. */
  failures: number;
}

/** POSTs name a cluster the sandbox does not have: each workflow they start ends after DescribeCluster,
 * so background executions do not compete with the API for the CPU much (on AWS they run elsewhere). */
export const POST_CLUSTER = 'bench-absent';

export interface ApiRunOptions {
  connections: number[];
  methods?: ('GET' | 'POST')[];
  durationSeconds: number;
  /** GETs and POSTs at 16 connections before measuring: DynamoDB Local's JVM and V8 reach steady state. */
  warmupSeconds: number;
  setting: LatencyResult['setting'];
}

function postRequests(run: string): Request[] {
  let sequence = 0;
  return [
    {
      method: 'POST',
      path: '/v1/bindings',
      headers: { 'content-type': 'application/json' },
      // A service account per request: every POST creates a binding (no 409 shortcut).
      setupRequest: (request: Request) => ({
        ...request,
        body: bindingBody(`p-${run}-${sequence++}`, { clusterName: POST_CLUSTER }),
      }),
    },
  ];
}

export async function measureApi(
  url: string,
  options: ApiRunOptions,
  progress: (line: string) => void,
): Promise<LatencyResult[]> {
  const seed = await fetch(`${url}/v1/bindings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: bindingBody(`get-target-${randomUUID().slice(0, 8)}`, { clusterName: POST_CLUSTER }),
  });
  const seeded = (await seed.json()) as { id?: string };
  if (seed.status !== 202 || !seeded.id) {
    throw new Error(`could not create the binding GETs read: ${seed.status} ${JSON.stringify(seeded)}`);
  }
  if (options.warmupSeconds > 0) {
    progress(`api: warming up for ${options.warmupSeconds} s (GETs and POSTs, 16 connections each)`);
    const half = Math.max(1, Math.round(options.warmupSeconds / 2));
    await autocannon({ url: `${url}/v1/bindings/${seeded.id}`, connections: 16, duration: half });
    await autocannon({
      url,
      connections: 16,
      duration: half,
      requests: postRequests(randomUUID().slice(0, 8)),
    });
    await drain(url, progress);
  }

  const results: LatencyResult[] = [];
  for (const connections of options.connections) {
    for (const method of options.methods ?? (['GET', 'POST'] as const)) {
      progress(
        `api (${options.setting}): ${method} with ${connections} connection(s) for ${options.durationSeconds} s`,
      );
      const result =
        method === 'GET'
          ? await autocannon({
              url: `${url}/v1/bindings/${seeded.id}`,
              connections,
              duration: options.durationSeconds,
            })
          : await autocannon({
              url,
              connections,
              duration: options.durationSeconds,
              requests: postRequests(randomUUID().slice(0, 8)),
            });
      const row: LatencyResult = {
        method,
        setting: options.setting,
        connections,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        requestsPerSecond: result.requests.average,
        requests: Object.values(result.statusCodeStats).reduce((sum, s) => sum + s.count, 0),
        failures: result.non2xx + result.errors,
      };
      progress(
        `api: ${method} c=${connections}: p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, ${row.requestsPerSecond.toFixed(0)} req/s${row.failures ? `, ${row.failures} failures` : ''}`,
      );
      results.push(row);
      await drain(url, progress);
    }
  }
  await drain(url, progress);
  return results;
}

/** Waits until requests autocannon left in flight are served: the next run (or the stop) finds the server idle. */
async function drain(url: string, progress: (line: string) => void): Promise<void> {
  progress('api: waiting for requests still in flight');
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const started = performance.now();
    await fetch(`${url}/v1/health`);
    if (performance.now() - started < 50) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
