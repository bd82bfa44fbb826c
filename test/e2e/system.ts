// Starts the whole system the way `npm start` does — local runtime, real state machine, real handlers —
// on the test run's DynamoDB Local and an in-memory sandbox cloud, and drives it over HTTP.
import { randomUUID } from 'node:crypto';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { EksKubernetesClusters } from '../../lib/adapters/kubernetes/eks-kubernetes-clusters.js';
import { EksTokenCache } from '../../lib/adapters/kubernetes/eks-token.js';
import { localSandbox } from '../../lib/local/local-sandbox.js';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../lib/local/runtime.js';
import type { KubernetesCluster } from '../../lib/ports/kubernetes.js';
import type { SandboxCloud, SandboxCloudOptions } from '../../lib/sandbox/index.js';

export interface BindingView {
  id: string;
  status: string;
  steps: { name: string; status: string; detail?: string; startedAt?: string; finishedAt?: string }[];
  outputs?: {
    roleArn?: string;
    oidcProviderArn?: string;
    trustPolicy?: unknown;
    verification?: { arn: string; account: string; userId: string };
  };
  error?: { step: string; code: string; message: string };
  roleName?: string;
  [field: string]: unknown;
}

export interface TestSystem {
  runtime: LocalRuntime;
  cloud: SandboxCloud;
  url: string;
  /** An IAM client signed as the broker principal, for editing the sandbox account "by hand". */
  iam: IAMClient;
  eks: EKSClient;
  /** A sandbox cluster's Kubernetes API as the broker principal, through the production adapter. */
  kubernetes(clusterName: string): KubernetesCluster;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; json: BindingView }>;
  get(id: string): Promise<BindingView>;
  /** Polls until the binding is SUCCEEDED or FAILED (or `until` holds); fails after `timeoutMs`. */
  waitFor(id: string, until?: (b: BindingView) => boolean, timeoutMs?: number): Promise<BindingView>;
  stop(): Promise<void>;
}

export async function startTestSystem(
  options: {
    sandbox?: SandboxCloudOptions;
    env?: Record<string, string>;
    auth?: LocalRuntimeOptions['auth'];
    /** A fixed table, to start a second system on the first one's data. */
    tableName?: string;
  } = {},
): Promise<TestSystem> {
  let cloud: SandboxCloud | undefined;
  const endpoint = process.env.IRSA_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('IRSA_TEST_DYNAMODB_ENDPOINT is unset: run through jest (globalSetup)');
  const runtime = await startLocalRuntime({
    port: 0,
    accountId: '111122223333',
    dynamodb: { endpoint },
    tableName: options.tableName ?? `e2e-${randomUUID()}`,
    retryDelayMs: 20,
    ...(options.auth ? { auth: options.auth } : {}),
    sandbox: localSandbox({ podStartDelayMs: 20, ...options.sandbox }, (started) => {
      cloud = started;
    }),
    env: {
      STEP_POLL_BUDGET_SECONDS: '5',
      ...options.env,
    },
  });
  if (!cloud) throw new Error('the sandbox did not start');
  const started = cloud;
  const clientConfig = {
    region: 'us-east-1',
    endpoint: started.awsUrl,
    credentials: started.account.brokerCredentials,
  };
  const iam = new IAMClient(clientConfig);
  const eks = new EKSClient(clientConfig);

  const get = async (id: string) => {
    const response = await fetch(`${runtime.url}/v1/bindings/${id}`);
    if (response.status !== 200) throw new Error(`GET ${id} → ${response.status}: ${await response.text()}`);
    return (await response.json()) as BindingView;
  };

  const kubernetesClusters = new EksKubernetesClusters(
    new EksTokenCache({ credentials: async () => started.account.brokerCredentials }),
  );

  return {
    runtime,
    cloud: started,
    kubernetes(clusterName) {
      const description = started.describeClusters().find((c) => c.name === clusterName);
      if (!description) throw new Error(`no sandbox cluster ${clusterName}`);
      return kubernetesClusters.connect({
        name: description.name,
        region: description.region,
        endpoint: description.endpoint,
        caData: description.certificateAuthorityData,
      });
    },
    url: runtime.url,
    iam,
    eks,
    async post(body, headers = {}) {
      const response = await fetch(`${runtime.url}/v1/bindings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as BindingView };
    },
    get,
    async waitFor(id, until = (b) => b.status === 'SUCCEEDED' || b.status === 'FAILED', timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last: BindingView | undefined;
      for (;;) {
        last = await get(id);
        if (until(last)) return last;
        if (Date.now() > deadline) {
          throw new Error(`binding ${id} did not get there in ${timeoutMs} ms: ${JSON.stringify(last)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async stop() {
      iam.destroy();
      eks.destroy();
      await runtime.stop();
    },
  };
}

export function bindingRequest(overrides: Record<string, unknown> = {}) {
  return {
    clusterName: 'demo',
    region: 'us-east-1',
    namespace: 'team-a',
    serviceAccountName: `app-${randomUUID().slice(0, 8)}`,
    policyArns: ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess'],
    ...overrides,
  };
}

export function stepStatuses(binding: BindingView): Record<string, string> {
  return Object.fromEntries(binding.steps.map((step) => [step.name, step.status]));
}

/**
 * Whether a re-run (update, drift check) of a binding has settled: it ended and records exactly `steps`,
 * none left PENDING unless it FAILED. For `waitFor`'s `until`.
 */
export function settledWith(steps: readonly string[]): (binding: BindingView) => boolean {
  return (b) =>
    (b.status === 'SUCCEEDED' || b.status === 'FAILED') &&
    b.steps.map((s) => s.name).join() === steps.join() &&
    b.steps.every((s) => s.status !== 'PENDING' || b.status === 'FAILED');
}
