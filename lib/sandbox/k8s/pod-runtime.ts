// The kubelet of the cluster's one node: pods wait in ContainerCreating for a configurable time, pull
// their images (or fail to: ErrImagePull → ImagePullBackOff, for images the registry lacks), run, and
// finish. A container of an image known to carry the AWS CLI (image-catalog.ts) running
// `aws sts get-caller-identity` really calls the sandbox with the credential chain the AWS CLI would
// find in the container (web identity token from the projected volume, else container credentials from
// the Pod Identity agent, else the node's instance role) and logs what the CLI prints; `&& sleep N`
// after it keeps the container running N seconds of real time (a process, not cluster work: `settle()`
// does not skip it). Other containers keep running.
import { randomUUID } from 'node:crypto';
import type {
  CallerIdentity,
  FaultInjector,
  SandboxPodIdentity,
  SandboxSts,
  StsOutcome,
} from '../contracts.js';
import { isTransient } from './aws-token-authenticator.js';
import { ContainerLog, type ContainerLogState, type LogReadOptions } from './container-logs.js';
import type { EventRecorder, EventType } from './events.js';
import { type ImageCatalog, imageReference } from './image-catalog.js';
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
  /** The images the registry has (others fail to pull) and which of them carry the AWS CLI. */
  images: ImageCatalog;
  events: EventRecorder;
}

interface Outcome {
  output: string;
  exitCode: number;
  /** How long the container keeps running after the output (`... && sleep 3600`); Infinity: a server. */
  runsForMs: number;
}

/** Per pod uid, per container: its log (a plain string in state files written before timestamps). */
export type PodLogs = Record<string, Record<string, ContainerLogState | string>>;

/** GET .../log's options (PodLogOptions) as the kubelet applies them. */
export interface PodLogOptions extends LogReadOptions {
  container?: string;
  previous?: boolean;
}

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
const SLEEP_AFTER = /&&\s*sleep\s+(\d+)/;
/** Longest timer Node keeps (about 24.8 days); a longer sleep is as good as forever here. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PodRuntime {
  private logs = new Map<string, Map<string, ContainerLog>>();
  /** Running containers' processes that end on their own (`sleep N`), per pod uid. */
  private processes = new Map<string, Set<NodeJS.Timeout>>();

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
    const uid = uidOf(pod);
    // The kubelet kills the containers: their processes stop and `logs -f` readers see the end.
    for (const timer of this.processes.get(uid) ?? []) clearTimeout(timer);
    this.processes.delete(uid);
    for (const log of this.logs.get(uid)?.values() ?? []) log.exited();
    this.logs.delete(uid);
  }

  /** The node goes away with the cluster: no process outlives it. */
  stop(): void {
    for (const timers of this.processes.values()) for (const timer of timers) clearTimeout(timer);
    this.processes.clear();
  }

  /**
   * GET .../log for one container: the API server picks and checks the container (LogLocation), the
   * kubelet answers for its state (validateContainerLogStatus) and reads the log.
   */
  log(pod: JsonObject, options: PodLogOptions = {}): AsyncGenerator<string> {
    const name = stringAt(child(pod, 'metadata'), 'name') ?? '';
    const initNames = objectsAt(child(pod, 'spec'), 'initContainers').map((c) => stringAt(c, 'name') ?? '');
    const names = containersOf(pod).map((c) => stringAt(c, 'name') ?? '');
    let chosen = options.container;
    if (chosen === undefined) {
      if (names.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]` +
            (initNames.length ? ` or one of the init containers: [${initNames.join(' ')}]` : ''),
        );
      }
      chosen = names[0] ?? '';
    }
    if (!names.includes(chosen) && !initNames.includes(chosen))
      throw badRequest(`container ${chosen} is not valid for pod ${name}`);
    const status = [
      ...objectsAt(child(pod, 'status'), 'containerStatuses'),
      ...objectsAt(child(pod, 'status'), 'initContainerStatuses'),
    ].find((s) => stringAt(s, 'name') === chosen);
    // Containers here run once; a CrashLoopBackOff one was restarted, and did the same as before.
    if (options.previous && !child(child(status, 'lastState'), 'terminated'))
      throw badRequest(`previous terminated container "${chosen}" in pod "${name}" not found`);
    const waitingReason = stringAt(child(child(status, 'state'), 'waiting'), 'reason');
    const log = this.logs.get(uidOf(pod))?.get(chosen);
    if (!log && (!status || waitingReason)) {
      const why =
        waitingReason === 'ErrImagePull'
          ? "image can't be pulled"
          : waitingReason === 'ImagePullBackOff'
            ? 'trying and failing to pull image'
            : (waitingReason ?? 'ContainerCreating');
      throw badRequest(`container "${chosen}" in pod "${name}" is waiting to start: ${why}`);
    }
    return (log ?? new ContainerLog({ lines: [], ended: true })).read(options);
  }

  snapshot(): PodLogs {
    const out: PodLogs = {};
    for (const [uid, byContainer] of this.logs) {
      out[uid] = Object.fromEntries([...byContainer].map(([name, log]) => [name, log.state()]));
    }
    return out;
  }

  restore(logs: PodLogs): void {
    this.logs = new Map(
      Object.entries(logs).map(([uid, byContainer]) => [
        uid,
        new Map(
          Object.entries(byContainer).map(([name, state]) => {
            if (typeof state !== 'string') return [name, new ContainerLog(state)];
            const legacy = new ContainerLog();
            legacy.write(state, 0);
            legacy.exited();
            return [name, legacy];
          }),
        ),
      ]),
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
    const { now } = this.deps;
    const logs = new Map<string, ContainerLog>();
    this.logs.set(uid, logs);
    const inits = objectsAt(child(pod, 'spec'), 'initContainers');
    const initStatuses: JsonObject[] = [];
    // Init containers run one after another; one whose image cannot be pulled holds up the rest.
    for (const [i, init] of inits.entries()) {
      if (this.pullFails(init)) {
        const failed = this.pullFailed(pod, init);
        this.setStatus(this.current(created, uid), (status) => {
          status.initContainerStatuses = [
            ...initStatuses,
            failed,
            ...inits.slice(i + 1).map((c) => waiting(c, 'PodInitializing')),
          ];
          status.containerStatuses = containersOf(pod).map((c) => waiting(c, 'PodInitializing'));
        });
        this.backOffPulling(created, uid, init);
        return;
      }
      const startedAt = iso(now());
      this.containerStarted(pod, init);
      const log = new ContainerLog();
      logs.set(stringAt(init, 'name') ?? '', log);
      const outcome = await this.run(pod, init);
      log.write(outcome.output, now());
      log.exited();
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
    // The containers start side by side: each whose image cannot be pulled waits (the pod stays
    // Pending, as the kubelet's getPhase says while any container waits), the others run.
    const startedAt = iso(now());
    const pulled: JsonObject[] = [];
    const statuses = containersOf(pod).map((c) => {
      if (this.pullFails(c)) return this.pullFailed(pod, c);
      this.containerStarted(pod, c);
      logs.set(stringAt(c, 'name') ?? '', new ContainerLog());
      pulled.push(c);
      return running(c, startedAt);
    });
    this.setStatus(this.current(created, uid), (status) => {
      status.phase = pulled.length === statuses.length ? 'Running' : 'Pending';
      status.podIP = '10.0.1.77';
      status.startTime = startedAt;
      if (initStatuses.length) status.initContainerStatuses = initStatuses;
      status.containerStatuses = statuses;
    });
    for (const c of containersOf(pod)) if (!pulled.includes(c)) this.backOffPulling(created, uid, c);
    const outcomes = await Promise.all(
      pulled.map(async (c) => {
        const outcome = await this.run(pod, c);
        logs.get(stringAt(c, 'name') ?? '')?.write(outcome.output, now());
        return outcome;
      }),
    );
    const changed = pulled.map((c, i) => {
      const outcome = outcomes[i] as Outcome;
      if (outcome.runsForMs === 0) return this.exited(pod, c, outcome.exitCode, startedAt);
      if (outcome.runsForMs <= MAX_TIMER_MS) {
        this.process(uid, outcome.runsForMs, () => {
          const latest = this.current(created, uid);
          if (latest)
            this.containersChanged(created, uid, [this.exited(latest, c, outcome.exitCode, startedAt)]);
        });
      }
      return running(c, startedAt);
    });
    this.containersChanged(created, uid, changed);
  }

  /** An image the registry does not have fails as one an injected fault breaks. */
  private pullFails(container: JsonObject): boolean {
    const { faults, service, images } = this.deps;
    const image = stringAt(container, 'image') ?? '';
    return faults?.decide(service, `pull ${image}`)?.kind === 'image-pull' || !images.has(image);
  }

  /** The kubelet tried to pull the container's image and failed: events, and its waiting status. */
  private pullFailed(pod: JsonObject, container: JsonObject): JsonObject {
    const image = stringAt(container, 'image') ?? '';
    const message = pullNotFound(image);
    this.kubeletEvent(pod, container, 'Normal', 'Pulling', `Pulling image "${image}"`);
    this.kubeletEvent(pod, container, 'Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
    this.kubeletEvent(pod, container, 'Warning', 'Failed', 'Error: ErrImagePull');
    return waiting(container, 'ErrImagePull', message);
  }

  /** After a failed pull the kubelet backs off: ImagePullBackOff until the pod goes. */
  private backOffPulling(created: JsonObject, uid: string, container: JsonObject): void {
    const image = stringAt(container, 'image') ?? '';
    const name = stringAt(container, 'name') ?? '';
    this.deps.scheduler.schedule(this.deps.podStartDelayMs, () => {
      const latest = this.current(created, uid);
      if (!latest) return;
      this.kubeletEvent(latest, container, 'Normal', 'BackOff', `Back-off pulling image "${image}"`);
      this.kubeletEvent(latest, container, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      const backOff = waiting(container, 'ImagePullBackOff', `Back-off pulling image "${image}"`);
      this.setStatus(latest, (status) => {
        for (const key of ['initContainerStatuses', 'containerStatuses']) {
          const list = objectsAt(status, key);
          if (list.some((s) => stringAt(s, 'name') === name))
            status[key] = list.map((s) => (stringAt(s, 'name') === name ? backOff : s));
        }
      });
    });
  }

  /** The container's process ended: its log is complete; the restart policy decides what follows. */
  private exited(pod: JsonObject, c: JsonObject, exitCode: number, startedAt: string): JsonObject {
    this.logs
      .get(uidOf(pod))
      ?.get(stringAt(c, 'name') ?? '')
      ?.exited();
    const ended = terminated(c, exitCode, startedAt, iso(this.deps.now()));
    const restartPolicy = stringAt(child(pod, 'spec'), 'restartPolicy') ?? 'Always';
    if (restartPolicy === 'Always' || (restartPolicy === 'OnFailure' && exitCode !== 0)) {
      // The kubelet restarts it; it does the same again, so it backs off.
      const metadata = child(pod, 'metadata');
      this.kubeletEvent(
        pod,
        c,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${stringAt(c, 'name')} in pod ${stringAt(metadata, 'name')}_${stringAt(metadata, 'namespace')}(${uidOf(pod)})`,
      );
      return {
        ...waiting(c, 'CrashLoopBackOff', `back-off 10s restarting failed container=${stringAt(c, 'name')}`),
        lastState: ended.state ?? {},
        restartCount: 1,
      };
    }
    return ended;
  }

  /** A process of the pod that ends by itself after `ms` of real time, unless the pod goes first. */
  private process(uid: string, ms: number, ended: () => void): void {
    const timers = this.processes.get(uid) ?? new Set<NodeJS.Timeout>();
    this.processes.set(uid, timers);
    const timer = setTimeout(() => {
      timers.delete(timer);
      ended();
    }, ms);
    timer.unref();
    timers.add(timer);
  }

  /** Some containers' statuses changed: the pod is done when every one of them has terminated. */
  private containersChanged(created: JsonObject, uid: string, changed: JsonObject[]): void {
    const latest = this.current(created, uid);
    if (!latest) return;
    const byName = new Map(changed.map((s) => [stringAt(s, 'name') ?? '', s]));
    const statuses = objectsAt(child(latest, 'status'), 'containerStatuses').map(
      (s) => byName.get(stringAt(s, 'name') ?? '') ?? s,
    );
    const allEnded = statuses.every((s) => child(child(s, 'state'), 'terminated'));
    if (!allEnded) {
      this.setStatus(latest, (status) => {
        status.containerStatuses = statuses;
      });
      return;
    }
    const failed = statuses.some((s) => Number(child(child(s, 'state'), 'terminated')?.exitCode ?? 0) !== 0);
    const initStatuses = objectsAt(child(latest, 'status'), 'initContainerStatuses');
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
    if (!cli) return { output: '', exitCode: 0, runsForMs: Number.POSITIVE_INFINITY };
    const line = commandLine(container, cli.entrypoint);
    // The CLI image's entrypoint is `aws`: without get-caller-identity it prints help or runs
    // something else and exits. An image whose entrypoint is a shell or agent keeps running.
    if (!GET_CALLER_IDENTITY.test(line))
      return {
        output: '',
        exitCode: 0,
        runsForMs: cli.entrypoint.length === 0 ? Number.POSITIVE_INFINITY : 0,
      };
    const sleep = SLEEP_AFTER.exec(line);
    const result = await this.getCallerIdentity(pod, container);
    const runsForMs = sleep && result.exitCode === 0 ? Number(sleep[1]) * 1000 : 0;
    return { ...result, runsForMs };
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

/** What containerd answers the kubelet for a reference no registry serves (the kubelet quotes it). */
function pullNotFound(image: string): string {
  const reference = imageReference(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ${reference}: not found`;
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

function running(container: JsonObject, startedAt: string): JsonObject {
  return {
    name: stringAt(container, 'name') ?? '',
    image: stringAt(container, 'image') ?? '',
    ready: true,
    restartCount: 0,
    started: true,
    state: { running: { startedAt } },
  };
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
