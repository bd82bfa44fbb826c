// The kubelet of the cluster's one node: pods wait in ContainerCreating for a configurable time, pull
// their images (or fail to: ErrImagePull → ImagePullBackOff), run, and finish. A container of an image
// known to carry the AWS CLI (image-catalog.ts) running `aws sts get-caller-identity` really calls the
// sandbox with the credential chain the AWS CLI would find in the container (web identity token from
// the projected volume, else container credentials from the Pod Identity agent, else the node's
// instance role) and logs what the CLI prints. Other containers keep running.
import { randomUUID } from 'node:crypto';
import type {
  CallerIdentity,
  FaultInjector,
  SandboxPodIdentity,
  SandboxSts,
  StsOutcome,
} from '../contracts.js';
import { isTransient } from './aws-token-authenticator.js';
import type { EventRecorder, EventType } from './events.js';
import type { ImageCatalog } from './image-catalog.js';
import { child, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { resourceTypeOfKind } from './resource-types.js';
import type { Scheduler } from './scheduler.js';
import type { ServiceAccountTokenIssuer } from './service-account-tokens.js';
import { badRequest } from './status.js';

export interface PodRuntimeDeps {
  store: ObjectStore;
  scheduler: Scheduler;
  sts: SandboxSts;
  /** EKS Pod Identity: whether the node runs the agent, and EKS Auth behind it. Absent: no agent. */
  podIdentity?: SandboxPodIdentity;
  tokens: () => ServiceAccountTokenIssuer;
  clusterName: string;
  nodeName: string;
  faults?: FaultInjector;
  service: string;
  podStartDelayMs: number;
  now: () => number;
  /** Images known to carry the AWS CLI. */
  images: ImageCatalog;
  events: EventRecorder;
}

interface Outcome {
  output: string;
  exitCode: number;
  /** The container keeps running after the output (e.g. `... && sleep 3600`). */
  keepsRunning: boolean;
}

export type PodLogs = Record<string, Record<string, string>>;

const AWS_CLI_JSON_INDENT = 4;
const CLI_MAX_ATTEMPTS = 3;

/** The Pod Identity agent's addresses on a node (IPv4 and IPv6 link-local). */
const POD_IDENTITY_AGENT_URI = 'http://169.254.170.23/v1/credentials';
const POD_IDENTITY_AGENT_URI_V6 = 'http://[fd00:ec2::23]/v1/credentials';

/** AWS CLI v2's standard retry mode: up to 3 attempts for throttling and 5xx. */
async function withRetries(call: () => Promise<StsOutcome>): Promise<StsOutcome> {
  let outcome = await call();
  for (let attempt = 1; attempt < CLI_MAX_ATTEMPTS && !outcome.ok && isTransient(outcome.error); attempt++) {
    outcome = await call();
  }
  return outcome;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function envOf(container: JsonObject): Map<string, string> {
  const env = new Map<string, string>();
  for (const entry of objectsAt(container, 'env')) {
    const name = stringAt(entry, 'name');
    const value = stringAt(entry, 'value');
    if (name && value !== undefined) env.set(name, value);
  }
  return env;
}

/** The shell words of what the container runs: its command, else the image's entrypoint, then args. */
function commandLine(container: JsonObject, entrypoint: readonly string[]): string {
  const words = (key: string) =>
    Array.isArray(container[key]) ? (container[key] as unknown[]).map(String) : [];
  const command = words('command');
  return [...(command.length === 0 ? entrypoint : command), ...words('args')].join(' ');
}

const GET_CALLER_IDENTITY = /\baws\s+sts\s+["']?get-caller-identity["']?/;

export class PodRuntime {
  private logs = new Map<string, Map<string, string>>();

  constructor(private readonly deps: PodRuntimeDeps) {}

  /** Something the kubelet on this node reports about a container of the pod. */
  private kubeletEvent(
    pod: JsonObject,
    container: JsonObject,
    type: EventType,
    reason: string,
    message: string,
  ) {
    const isInit = objectsAt(child(pod, 'spec'), 'initContainers').some(
      (c) => stringAt(c, 'name') === stringAt(container, 'name'),
    );
    this.deps.events.record(pod, {
      type,
      reason,
      message,
      fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${stringAt(container, 'name') ?? ''}}`,
      source: { component: 'kubelet', host: this.deps.nodeName },
    });
  }

  /** The kubelet pulls, creates and starts a container it can run. */
  private containerStarted(pod: JsonObject, container: JsonObject): void {
    const image = stringAt(container, 'image') ?? '';
    const name = stringAt(container, 'name') ?? '';
    const pulled = goDuration(this.deps.podStartDelayMs);
    this.kubeletEvent(pod, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    this.kubeletEvent(
      pod,
      container,
      'Normal',
      'Pulled',
      `Successfully pulled image "${image}" in ${pulled} (${pulled} including waiting)`,
    );
    this.kubeletEvent(pod, container, 'Normal', 'Created', `Created container ${name}`);
    this.kubeletEvent(pod, container, 'Normal', 'Started', `Started container ${name}`);
  }

  /** A pod was created: the kubelet picks it up after the start delay. */
  podCreated(pod: JsonObject): void {
    const metadata = child(pod, 'metadata');
    this.deps.events.record(
      { apiVersion: 'v1', kind: 'Pod', ...pod },
      {
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${stringAt(metadata, 'namespace') ?? ''}/${stringAt(metadata, 'name') ?? ''} to ${this.deps.nodeName}`,
        source: { component: 'default-scheduler' },
      },
    );
    this.setStatus(pod, (status) => {
      status.conditions = [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: iso(this.deps.now()) },
      ];
      status.hostIP = '10.0.1.10';
      status.containerStatuses = containersOf(pod).map((c) => waiting(c, 'ContainerCreating'));
    });
    const uid = uidOf(pod);
    this.deps.scheduler.schedule(this.deps.podStartDelayMs, () => this.start(uid, pod));
  }

  podDeleted(pod: JsonObject): void {
    this.logs.delete(uidOf(pod));
  }

  /** GET .../log for one container, with the API server's answers while it is not running yet. */
  log(pod: JsonObject, container: string | undefined): string {
    const name = stringAt(child(pod, 'metadata'), 'name') ?? '';
    const containers = [...objectsAt(child(pod, 'spec'), 'initContainers'), ...containersOf(pod)];
    const names = containers.map((c) => stringAt(c, 'name') ?? '');
    let chosen = container;
    if (chosen === undefined) {
      if (containersOf(pod).length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`,
        );
      }
      chosen = stringAt(containersOf(pod)[0], 'name') ?? '';
    }
    if (!names.includes(chosen)) throw badRequest(`container ${chosen} is not valid for pod ${name}`);
    const status = [
      ...objectsAt(child(pod, 'status'), 'initContainerStatuses'),
      ...objectsAt(child(pod, 'status'), 'containerStatuses'),
    ].find((s) => stringAt(s, 'name') === chosen);
    const waitingReason = stringAt(child(child(status, 'state'), 'waiting'), 'reason');
    const text = this.logs.get(uidOf(pod))?.get(chosen);
    if (text === undefined && (!status || waitingReason)) {
      const why =
        waitingReason === 'ImagePullBackOff' || waitingReason === 'ErrImagePull'
          ? 'trying and failing to pull image'
          : (waitingReason ?? 'ContainerCreating');
      throw badRequest(`container "${chosen}" in pod "${name}" is waiting to start: ${why}`);
    }
    return text ?? '';
  }

  snapshot(): PodLogs {
    const out: PodLogs = {};
    for (const [uid, byContainer] of this.logs) out[uid] = Object.fromEntries(byContainer);
    return out;
  }

  restore(logs: PodLogs): void {
    this.logs = new Map(
      Object.entries(logs).map(([uid, byContainer]) => [uid, new Map(Object.entries(byContainer))]),
    );
    // Pods the previous process had not finished starting start again.
    for (const pod of this.deps.store.list(resourceTypeOfKind('Pod'))) {
      if (stringAt(child(pod, 'status'), 'phase') === 'Pending' && !this.logs.has(uidOf(pod))) {
        this.deps.scheduler.schedule(this.deps.podStartDelayMs, () => this.start(uidOf(pod), pod));
      }
    }
  }

  private async start(uid: string, created: JsonObject): Promise<void> {
    const pod = this.current(created, uid);
    if (!pod) return;
    const { faults, service, now } = this.deps;
    const all = [...objectsAt(child(pod, 'spec'), 'initContainers'), ...containersOf(pod)];
    const failedPull = all.find(
      (c) => faults?.decide(service, `pull ${stringAt(c, 'image') ?? ''}`)?.kind === 'image-pull',
    );
    if (failedPull) {
      const image = stringAt(failedPull, 'image') ?? '';
      const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`;
      this.kubeletEvent(pod, failedPull, 'Normal', 'Pulling', `Pulling image "${image}"`);
      this.kubeletEvent(pod, failedPull, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      this.kubeletEvent(pod, failedPull, 'Warning', 'Failed', 'Error: ErrImagePull');
      this.setStatus(pod, (status) => {
        status.containerStatuses = containersOf(pod).map((c) =>
          stringAt(c, 'name') === stringAt(failedPull, 'name')
            ? waiting(c, 'ErrImagePull', message)
            : waiting(c, 'ContainerCreating'),
        );
      });
      this.deps.scheduler.schedule(this.deps.podStartDelayMs, () => {
        const latest = this.current(created, uid);
        if (!latest) return;
        this.kubeletEvent(latest, failedPull, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
        this.kubeletEvent(latest, failedPull, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        this.setStatus(latest, (status) => {
          status.containerStatuses = containersOf(latest).map((c) =>
            stringAt(c, 'name') === stringAt(failedPull, 'name')
              ? waiting(c, 'ImagePullBackOff', `Back-off pulling image "${image}"`)
              : waiting(c, 'PodInitializing'),
          );
        });
      });
      return;
    }
    const logs = new Map<string, string>();
    this.logs.set(uid, logs);
    const restartPolicy = stringAt(child(pod, 'spec'), 'restartPolicy') ?? 'Always';
    const initStatuses: JsonObject[] = [];
    for (const init of objectsAt(child(pod, 'spec'), 'initContainers')) {
      const startedAt = iso(now());
      this.containerStarted(pod, init);
      const outcome = await this.run(pod, init);
      logs.set(stringAt(init, 'name') ?? '', outcome.output);
      initStatuses.push(terminated(init, outcome.exitCode, startedAt, iso(now())));
      if (outcome.exitCode !== 0) {
        this.finish(
          created,
          uid,
          'Failed',
          initStatuses,
          containersOf(pod).map((c) => waiting(c, 'PodInitializing')),
        );
        return;
      }
    }
    const startedAt = iso(now());
    for (const c of containersOf(pod)) this.containerStarted(pod, c);
    this.setStatus(this.current(created, uid), (status) => {
      status.phase = 'Running';
      status.podIP = '10.0.1.77';
      status.startTime = startedAt;
      if (initStatuses.length) status.initContainerStatuses = initStatuses;
      status.containerStatuses = containersOf(pod).map((c) => ({
        name: stringAt(c, 'name') ?? '',
        image: stringAt(c, 'image') ?? '',
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt } },
      }));
    });
    const outcomes = await Promise.all(containersOf(pod).map((c) => this.run(pod, c)));
    const statuses = containersOf(pod).map((c, i) => {
      const outcome = outcomes[i]!;
      logs.set(stringAt(c, 'name') ?? '', outcome.output);
      if (outcome.keepsRunning)
        return {
          name: stringAt(c, 'name') ?? '',
          image: stringAt(c, 'image') ?? '',
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt } },
        };
      const ended = terminated(c, outcome.exitCode, startedAt, iso(now()));
      if (restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && outcome.exitCode !== 0)) {
        // The kubelet restarts it; it does the same again, so it backs off.
        this.kubeletEvent(
          pod,
          c,
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${stringAt(c, 'name')} in pod ${stringAt(child(pod, 'metadata'), 'name')}_${stringAt(child(pod, 'metadata'), 'namespace')}(${uid})`,
        );
        return {
          ...waiting(
            c,
            'CrashLoopBackOff',
            `back-off 10s restarting failed container=${stringAt(c, 'name')}`,
          ),
          lastState: ended.state ?? {},
          restartCount: 1,
        };
      }
      return ended;
    });
    const allEnded = statuses.every((s) => child(child(s, 'state'), 'terminated'));
    if (!allEnded) {
      this.setStatus(this.current(created, uid), (status) => {
        status.containerStatuses = statuses;
      });
      return;
    }
    const failed = statuses.some((s) => Number(child(child(s, 'state'), 'terminated')?.exitCode ?? 0) !== 0);
    this.finish(created, uid, failed ? 'Failed' : 'Succeeded', initStatuses, statuses);
  }

  private finish(
    created: JsonObject,
    uid: string,
    phase: string,
    initStatuses: JsonObject[],
    statuses: JsonObject[],
  ): void {
    this.setStatus(this.current(created, uid), (status) => {
      status.phase = phase;
      if (initStatuses.length) status.initContainerStatuses = initStatuses;
      status.containerStatuses = statuses;
      status.conditions = [
        { type: 'PodScheduled', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'PodCompleted' },
      ];
    });
  }

  /** What the container's program prints and how it exits. */
  private async run(pod: JsonObject, container: JsonObject): Promise<Outcome> {
    const cli = this.deps.images.awsCli(stringAt(container, 'image') ?? '');
    // Images without the CLI: their process keeps running (a server, `sleep`); nothing is printed.
    if (!cli) return { output: '', exitCode: 0, keepsRunning: true };
    const line = commandLine(container, cli.entrypoint);
    // The CLI image's entrypoint is `aws`: without get-caller-identity it prints help or runs
    // something else and exits. An image whose entrypoint is a shell or agent keeps running.
    if (!GET_CALLER_IDENTITY.test(line))
      return { output: '', exitCode: 0, keepsRunning: cli.entrypoint.length === 0 };
    const keepsRunning = /&&\s*sleep\s+\d+/.test(line);
    const result = await this.getCallerIdentity(pod, container);
    return { ...result, keepsRunning: keepsRunning && result.exitCode === 0 };
  }

  /**
   * `aws sts get-caller-identity --output json` with botocore's credential chain: web identity
   * (AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE) before container credentials
   * (AWS_CONTAINER_CREDENTIALS_FULL_URI, here the Pod Identity agent), before the instance role.
   */
  private async getCallerIdentity(
    pod: JsonObject,
    container: JsonObject,
  ): Promise<{ output: string; exitCode: number }> {
    const { sts, now, clusterName } = this.deps;
    const env = envOf(container);
    const roleArn = env.get('AWS_ROLE_ARN');
    const tokenFile = env.get('AWS_WEB_IDENTITY_TOKEN_FILE');
    const containerUri = env.get('AWS_CONTAINER_CREDENTIALS_FULL_URI');
    let identity: CallerIdentity;
    if (roleArn && tokenFile) {
      const token = await this.projectedToken(pod, container, tokenFile);
      if (token === undefined)
        return { output: `\n[Errno 2] No such file or directory: '${tokenFile}'\n`, exitCode: 255 };
      const sessionName = env.get('AWS_ROLE_SESSION_NAME') ?? `botocore-session-${Math.floor(now() / 1000)}`;
      const request = { roleArn, webIdentityToken: token, roleSessionName: sessionName };
      const outcome = await withRetries(() => sts.assumeRoleWithWebIdentity(request));
      if (!outcome.ok) {
        return {
          output: `\nAn error occurred (${outcome.error.code}) when calling the AssumeRoleWithWebIdentity operation: ${outcome.error.message}\n`,
          exitCode: 254,
        };
      }
      identity = outcome.identity;
    } else if (containerUri) {
      const fromAgent = await this.containerCredentials(pod, container, containerUri, env);
      if (!fromAgent.ok) return { output: fromAgent.output, exitCode: 255 };
      identity = fromAgent.identity;
    } else {
      identity = sts.instanceRoleIdentity(clusterName);
    }
    const printed = JSON.stringify(
      { UserId: identity.userId, Account: identity.account, Arn: identity.arn },
      null,
      AWS_CLI_JSON_INDENT,
    );
    return { output: `${printed}\n`, exitCode: 0 };
  }

  /**
   * botocore's container provider: GET the full URI with the token file's content as Authorization.
   * On the node, 169.254.170.23 is the Pod Identity agent, which trades the token at EKS Auth.
   */
  private async containerCredentials(
    pod: JsonObject,
    container: JsonObject,
    uri: string,
    env: Map<string, string>,
  ): Promise<{ ok: true; identity: CallerIdentity } | { ok: false; output: string }> {
    const failed = (why: string) => ({
      ok: false as const,
      output: `\nError when retrieving credentials from container-role: Error retrieving metadata: ${why}\n`,
    });
    const agent = this.deps.podIdentity;
    const agentHere =
      agent?.agentActive(this.deps.clusterName) &&
      (uri === POD_IDENTITY_AGENT_URI || uri === POD_IDENTITY_AGENT_URI_V6);
    if (!agent || !agentHere) {
      return failed(
        `Received error when attempting to retrieve container metadata: Connect timeout on endpoint URL: "${uri}"`,
      );
    }
    const tokenFile = env.get('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE');
    const token = tokenFile
      ? await this.projectedToken(pod, container, tokenFile)
      : env.get('AWS_CONTAINER_AUTHORIZATION_TOKEN');
    if (token === undefined) {
      // The agent refuses a request without a service account token.
      return failed(
        'Received non 200 response (400) from container metadata: Service account token cannot be empty',
      );
    }
    const outcome = await withRetries(() =>
      agent.assumeRoleForPodIdentity({ clusterName: this.deps.clusterName, token }),
    );
    if (!outcome.ok) {
      // The agent answers with EKS Auth's status and `[request id]: (code): message, fault: ...`.
      const { httpStatus, code, message } = outcome.error;
      const fault = httpStatus >= 500 ? 'server' : 'client';
      return failed(
        `Received non 200 response (${httpStatus}) from container metadata: [${randomUUID()}]: (${code}): ${message}, fault: ${fault}`,
      );
    }
    return { ok: true, identity: outcome.identity };
  }

  /** The token the kubelet writes for a projected serviceAccountToken volume mounted over `path`. */
  private async projectedToken(
    pod: JsonObject,
    container: JsonObject,
    path: string,
  ): Promise<string | undefined> {
    const spec = child(pod, 'spec') ?? {};
    const metadata = child(pod, 'metadata') ?? {};
    for (const mount of objectsAt(container, 'volumeMounts')) {
      const mountPath = stringAt(mount, 'mountPath') ?? '';
      if (!path.startsWith(`${mountPath}/`)) continue;
      const file = path.slice(mountPath.length + 1);
      const volume = objectsAt(spec, 'volumes').find((v) => stringAt(v, 'name') === stringAt(mount, 'name'));
      const source = objectsAt(child(volume, 'projected'), 'sources')
        .map((s) => child(s, 'serviceAccountToken'))
        .find((s) => s && stringAt(s, 'path') === file);
      if (!source) continue;
      const namespace = stringAt(metadata, 'namespace') ?? '';
      const saName = stringAt(spec, 'serviceAccountName') ?? 'default';
      const sa = this.deps.store.get(resourceTypeOfKind('ServiceAccount'), namespace, saName);
      if (!sa) return undefined;
      const audience = stringAt(source, 'audience') ?? 'https://kubernetes.default.svc';
      const expirationSeconds =
        typeof source.expirationSeconds === 'number' ? source.expirationSeconds : 3607;
      return this.deps.tokens().issue(
        {
          namespace,
          serviceAccount: saName,
          serviceAccountUid: stringAt(child(sa, 'metadata'), 'uid') ?? '',
          pod: { name: stringAt(metadata, 'name') ?? '', uid: stringAt(metadata, 'uid') ?? '' },
        },
        [audience],
        expirationSeconds,
      );
    }
    return undefined;
  }

  private current(created: JsonObject, uid: string): JsonObject | undefined {
    const metadata = child(created, 'metadata') ?? {};
    const pod = this.deps.store.get(
      resourceTypeOfKind('Pod'),
      stringAt(metadata, 'namespace'),
      stringAt(metadata, 'name') ?? '',
    );
    return pod && uidOf(pod) === uid ? pod : undefined;
  }

  private setStatus(pod: JsonObject | undefined, change: (status: JsonObject) => void): void {
    if (!pod) return;
    const latest = this.current(pod, uidOf(pod));
    if (!latest) return;
    const status = child(latest, 'status') ?? {};
    change(status);
    latest.status = status;
    this.deps.store.replace(resourceTypeOfKind('Pod'), latest, latest);
  }
}

/** Go's time.Duration printing for the pull times the kubelet reports. */
function goDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

function uidOf(pod: JsonObject): string {
  return stringAt(child(pod, 'metadata'), 'uid') ?? '';
}

function containersOf(pod: JsonObject): JsonObject[] {
  return objectsAt(child(pod, 'spec'), 'containers');
}

function waiting(container: JsonObject, reason: string, message?: string): JsonObject {
  return {
    name: stringAt(container, 'name') ?? '',
    image: stringAt(container, 'image') ?? '',
    ready: false,
    restartCount: 0,
    started: false,
    state: { waiting: message ? { reason, message } : { reason } },
  };
}

function terminated(
  container: JsonObject,
  exitCode: number,
  startedAt: string,
  finishedAt: string,
): JsonObject {
  return {
    name: stringAt(container, 'name') ?? '',
    image: stringAt(container, 'image') ?? '',
    ready: false,
    restartCount: 0,
    started: false,
    state: {
      terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt },
    },
  };
}
