// The sandbox cloud: one simulated AWS account (IAM, STS, EKS) and its simulated EKS clusters, wired
// together the way AWS wires them (clusters authenticate through the account's STS and authorize
// through its EKS access entries; the account describes the clusters). The local runtime starts it
// as its embedded default target; tests start it directly.
import { appendFileSync, mkdirSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import {
  type BrokerAccess,
  createSandboxAccount,
  type PublishedEventRecord,
  type SandboxAccount,
} from './aws/index.js';
import type { ClusterDescription } from './contracts.js';
import { type CallCounts, createCallCounter, type SandboxCallCounter } from './counters.js';
import { createFaultInjector, type FaultRule, type SeededFaultInjector } from './faults.js';
import { type SandboxCluster, startSandboxCluster } from './k8s/index.js';
import type { JsonObject } from './k8s/json.js';

export interface SandboxClusterSpec {
  name: string;
  version: string;
  /** `builtin`: the pod identity webhook is installed and ready (EKS >= 1.21); `none`: absent. */
  webhook: 'builtin' | 'none';
  /** EKS add-ons installed and ACTIVE from the start (e.g. `eks-pod-identity-agent`). */
  addons?: readonly string[];
  /** How the broker's role is admitted to this cluster (default: SandboxCloudOptions.brokerAccess). */
  brokerAccess?: BrokerAccess;
  /** With least-privilege: the objects this cluster's operator applied instead of `brokerRbacFile`'s. */
  brokerRbac?: readonly Record<string, unknown>[];
}

/** The clusters `npm start` offers: one per path the bind workflow takes. */
export const DEFAULT_CLUSTERS: readonly SandboxClusterSpec[] = [
  { name: 'demo', version: '1.31', webhook: 'builtin' },
  { name: 'legacy', version: '1.20', webhook: 'none' },
  { name: 'bare', version: '1.30', webhook: 'none' },
  { name: 'modern', version: '1.33', webhook: 'builtin', addons: ['eks-pod-identity-agent'] },
];

export interface SandboxCloudOptions {
  accountId?: string;
  /** The second account, linked to the first: where cross-account target roles live (default 444455556666). */
  peerAccountId?: string;
  region?: string;
  clusters?: readonly SandboxClusterSpec[];
  /** IAM eventual consistency: how long a new role or trust policy takes to reach STS (default 0). */
  propagationDelayMs?: number;
  /** How long a pod stays Pending before it runs (default 50 ms). */
  podStartDelayMs?: number;
  /** Image repositories carrying the AWS CLI besides the known ones (k8s/image-catalog.ts): a mirror. */
  awsCliImages?: readonly string[];
  /** Image repositories the registry has besides the known ones (k8s/image-catalog.ts); others fail to pull. */
  images?: readonly string[];
  faults?: { seed?: number; rules?: FaultRule[] };
  /**
   * `least-privilege` (default): the broker's access entry maps it to the Kubernetes group `irsa-broker`
   * with no access policy, and each such cluster starts with `brokerRbacFile` applied, as its operator
   * would (the operator principal itself is cluster-admin, as EKS's cluster creator).
   * `cluster-admin`: the broker's access entry has AmazonEKSClusterAdminPolicy.
   */
  brokerAccess?: BrokerAccess;
  /** The RBAC manifests (multi-document YAML) for least-privilege clusters; default config/rbac/irsa-broker.yaml. */
  brokerRbacFile?: string;
  /**
   * Where the account's and clusters' state is kept between runs (JSON). Absent: in memory only.
   * Loaded at start, written by `save()` and at `stop()`.
   */
  stateFile?: string;
}

export interface SandboxCloud {
  readonly account: SandboxAccount;
  /** A second account linked to the first (cross-account target roles of Pod Identity associations). */
  readonly peerAccount: SandboxAccount;
  /** The second account's AWS endpoint. */
  readonly peerAwsUrl: string;
  readonly clusters: ReadonlyMap<string, SandboxCluster>;
  readonly counter: SandboxCallCounter;
  readonly faults: SeededFaultInjector;
  /** The AWS endpoint (IAM, STS and EKS on one port, routed by SigV4 scope). */
  readonly awsUrl: string;
  /** Environment that points the AWS SDK at the sandbox with the broker principal's credentials. */
  readonly env: Record<string, string>;
  describeClusters(): ClusterDescription[];
  counts(): CallCounts;
  save(): Promise<void>;
  stop(): Promise<void>;
}

interface PersistedState {
  version: 1;
  account: unknown;
  /** Absent in state files written before the second account existed. */
  peerAccount?: unknown;
  clusters: Record<string, unknown>;
}

async function readState(file: string): Promise<PersistedState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as PersistedState;
  if (parsed?.version !== 1) {
    throw new Error(
      `${file} is not a sandbox state file this version understands; move it away to start fresh`,
    );
  }
  return parsed;
}

const DEFAULT_BROKER_RBAC_FILE = fileURLToPath(
  new URL('../../config/rbac/irsa-broker.yaml', import.meta.url),
);

async function readManifests(file: string): Promise<Record<string, unknown>[]> {
  const documents = parseAllDocuments(await readFile(file, 'utf8'));
  const objects: Record<string, unknown>[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    const object = document.toJS() as unknown;
    if (object === null || object === undefined) continue;
    if (typeof object !== 'object' || Array.isArray(object) || !('kind' in object)) {
      throw new Error(`${file}: every document must be one Kubernetes object with a kind`);
    }
    objects.push(object as Record<string, unknown>);
  }
  return objects;
}

/**
 * The events EventBridge accepted, one JSON line each, appended before PutEvents answers: unlike the rest
 * of the state (saved every few seconds), an accepted event survives a SIGKILL, as it does in AWS.
 */
function eventJournal(stateFile: string | undefined) {
  if (!stateFile) return undefined;
  const file = `${stateFile}.events.jsonl`;
  return {
    append(record: PublishedEventRecord) {
      mkdirSync(dirname(file), { recursive: true });
      appendFileSync(file, `${JSON.stringify(record)}\n`);
    },
    async read(): Promise<PublishedEventRecord[]> {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      // A line cut short by a kill mid-write is the only one that may not parse (it was never answered);
      // the next record starts on a line of its own.
      if (text !== '' && !text.endsWith('\n')) appendFileSync(file, '\n');
      return text.split('\n').flatMap((line) => {
        if (line.trim() === '') return [];
        try {
          return [JSON.parse(line) as PublishedEventRecord];
        } catch {
          return [];
        }
      });
    },
  };
}

export async function startSandboxCloud(options: SandboxCloudOptions = {}): Promise<SandboxCloud> {
  const accountId = options.accountId ?? '111122223333';
  const region = options.region ?? 'us-east-1';
  const counter = createCallCounter();
  const faults = createFaultInjector({
    ...(options.faults?.seed !== undefined ? { seed: options.faults.seed } : {}),
    rules: options.faults?.rules ?? [],
  });
  const journal = eventJournal(options.stateFile);
  const account = createSandboxAccount({
    accountId,
    region,
    propagationDelayMs: options.propagationDelayMs ?? 0,
    faults,
    counter,
    ...(journal ? { onEventPublished: (record: PublishedEventRecord) => journal.append(record) } : {}),
  });
  const peerAccount = createSandboxAccount({
    accountId: options.peerAccountId ?? '444455556666',
    region,
    propagationDelayMs: options.propagationDelayMs ?? 0,
    faults,
    counter,
  });
  account.linkAccount(peerAccount);
  const persisted = options.stateFile ? await readState(options.stateFile) : undefined;
  const specs = (options.clusters ?? DEFAULT_CLUSTERS).map((spec) => ({
    ...spec,
    brokerAccess: spec.brokerAccess ?? options.brokerAccess ?? 'least-privilege',
  }));
  const brokerRbac = specs.some((spec) => spec.brokerAccess === 'least-privilege' && !spec.brokerRbac)
    ? await readManifests(options.brokerRbacFile ?? DEFAULT_BROKER_RBAC_FILE)
    : [];

  const clusters = new Map<string, SandboxCluster>();
  const stops: (() => Promise<void>)[] = [];
  try {
    for (const spec of specs) {
      const cluster = await startSandboxCluster({
        name: spec.name,
        region,
        accountId,
        version: spec.version,
        webhook: spec.webhook,
        sts: account.sts,
        podIdentity: account.podIdentity,
        // EKS authorizes through access policies and RBAC, the access entry maps the identity.
        kubernetesIdentity: (principalArn) => account.kubernetesIdentity(spec.name, principalArn),
        authorizeKubernetes: (principalArn, verb, resource, namespace) =>
          account.authorizeKubernetes(spec.name, principalArn, verb, resource, namespace),
        faults,
        counter,
        podStartDelayMs: options.podStartDelayMs ?? 50,
        ...(options.awsCliImages ? { awsCliImages: options.awsCliImages } : {}),
        ...(options.images ? { images: options.images } : {}),
        ...(persisted?.clusters[spec.name] !== undefined
          ? { restoreFrom: persisted.clusters[spec.name] }
          : {}),
        ...(spec.brokerAccess === 'least-privilege'
          ? { operatorObjects: (spec.brokerRbac ?? brokerRbac) as JsonObject[] }
          : {}),
      });
      stops.push(() => cluster.stop());
      clusters.set(spec.name, cluster);
    }
    if (persisted) account.restore(persisted.account);
    if (journal) account.loadPublishedEvents(await journal.read());
    if (persisted?.peerAccount !== undefined) peerAccount.restore(persisted.peerAccount);
    // After a restore the clusters listen on new ports: the account must describe them as they are now.
    for (const spec of specs) {
      const cluster = clusters.get(spec.name)!;
      account.addCluster(cluster.description, cluster.issuer, {
        addons: spec.addons ?? [],
        brokerAccess: spec.brokerAccess,
      });
    }
    const server = await account.listen(0);
    stops.push(() => server.close());
    const peerServer = await peerAccount.listen(0);
    stops.push(() => peerServer.close());

    const env = account.sdkEnvironment(server.url);

    const save = async () => {
      if (!options.stateFile) return;
      const state: PersistedState = {
        version: 1,
        // The accepted events are in the journal already.
        account: withoutPublishedEvents(account.snapshot()),
        peerAccount: peerAccount.snapshot(),
        clusters: Object.fromEntries([...clusters].map(([name, cluster]) => [name, cluster.snapshot()])),
      };
      await mkdir(dirname(options.stateFile), { recursive: true });
      const temporary = `${options.stateFile}.tmp`;
      await writeFile(temporary, JSON.stringify(state));
      await rename(temporary, options.stateFile);
    };

    return {
      account,
      peerAccount,
      peerAwsUrl: peerServer.url,
      clusters,
      counter,
      faults,
      awsUrl: server.url,
      env,
      describeClusters: () => [...clusters.values()].map((cluster) => cluster.description),
      counts: () => counter.snapshot(),
      save,
      stop: async () => {
        await save();
        for (const stop of stops.splice(0).reverse()) await stop();
      },
    };
  } catch (error) {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

export type { BrokerAccess } from './aws/index.js';

function withoutPublishedEvents(snapshot: unknown): unknown {
  const state = (snapshot as { state?: Record<string, unknown> } | null)?.state;
  if (state) state.publishedEvents = [];
  return snapshot;
}
