// VerifyIdentity: proves the binding by running a pod as the service account that asks STS who it is.
// Polls inside one invocation up to the poll budget, then hands over to the ASL Retry (NotYet); the
// pod of the current attempt is found again by its label and deterministic name.
import type { Binding } from '../../domain/binding.js';
import {
  ConflictError,
  isBrokerError,
  NotFoundError,
  NotYetError,
  VerificationFailedError,
  WebhookDidNotMutateError,
} from '../../domain/errors.js';
import { BINDING_LABEL } from '../../domain/manifests/labels.js';
import { buildTestPod, testPodContainers, testPodName } from '../../domain/manifests/test-pod.js';
import {
  decideVerification,
  podMutationProblems,
  type VerificationDecision,
} from '../../domain/verification.js';
import type { Clock } from '../../ports/clock.js';
import type { KubernetesCluster, KubernetesClusters, KubernetesObject } from '../../ports/kubernetes.js';
import type { ClusterFacts, RoleFacts, VerificationFacts } from './bind-state.js';

export interface VerifyIdentityConfig {
  testPodImage: string;
  testPodDeadlineSeconds: number;
  iamPropagationWindowSeconds: number;
  verifyTimeoutSeconds: number;
  stepPollBudgetSeconds: number;
}

export interface VerifyIdentityDeps {
  kubernetes: KubernetesClusters;
  clock: Clock;
  config: VerifyIdentityConfig;
}

/** Pod log bytes read: the CLI prints a few hundred. */
export const LOG_LIMIT_BYTES = 16 * 1024;
/** Small first: a pod on a warm node with a cached image finishes in about a second. */
const POLL_FIRST_MS = 250;
const POLL_MAX_MS = 8_000;
const RERUN_FIRST_MS = 2_000;
const RERUN_MAX_MS = 15_000;
/** Names to try when earlier attempts' pods are still terminating. */
const MAX_NAME_SKIPS = 5;

const FINISHED_PHASES = new Set(['Succeeded', 'Failed']);
/** How many of the test pod's warning events a failure message quotes. */
const WARNING_EVENTS_SHOWN = 3;

function phaseOf(pod: KubernetesObject): string {
  return (pod.status as { phase?: string } | undefined)?.phase ?? 'Pending';
}

function reasonOf(pod: KubernetesObject): string | undefined {
  return (pod.status as { reason?: string } | undefined)?.reason;
}

function attemptOf(pod: KubernetesObject, bindingId: string): number | undefined {
  const match = /-(\d+)$/.exec(pod.metadata.name ?? '');
  const attempt = match ? Number(match[1]) : Number.NaN;
  return Number.isInteger(attempt) && testPodName(bindingId, attempt) === pod.metadata.name
    ? attempt
    : undefined;
}

class TestPodRun {
  private pod: KubernetesObject | undefined;
  attempt = 0;

  constructor(
    private readonly k8s: KubernetesCluster,
    private readonly binding: Binding,
    private readonly cluster: ClusterFacts,
    private readonly config: VerifyIdentityConfig,
  ) {}

  get name(): string {
    return testPodName(this.binding.id, this.attempt);
  }

  /** Picks up the newest pod an earlier invocation left running; undefined when there is none. */
  async resume(): Promise<KubernetesObject | undefined> {
    const pods = await this.k8s.list(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: this.binding.namespace, labelSelector: `${BINDING_LABEL}=${this.binding.id}` },
    );
    let newest: { pod: KubernetesObject; attempt: number } | undefined;
    for (const pod of pods) {
      const attempt = attemptOf(pod, this.binding.id);
      if (attempt !== undefined && (!newest || attempt > newest.attempt)) newest = { pod, attempt };
    }
    if (!newest) return undefined;
    this.attempt = newest.attempt;
    this.pod = newest.pod;
    return newest.pod;
  }

  /**
   * Creates the next attempt's pod. A pod already there under that name is our own create that answered
   * with an error (retried): it is taken as the attempt, unless it is terminating, when the name is skipped.
   */
  async next(): Promise<KubernetesObject> {
    for (let skip = 0; ; skip++) {
      this.attempt += 1;
      const manifest = buildTestPod({
        bindingId: this.binding.id,
        attempt: this.attempt,
        namespace: this.binding.namespace,
        serviceAccountName: this.binding.serviceAccountName,
        image: this.config.testPodImage,
        activeDeadlineSeconds: this.config.testPodDeadlineSeconds,
        region: this.binding.region,
        mode: this.cluster.mode ?? 'irsa',
      });
      try {
        this.pod = await this.k8s.create(manifest);
        return this.pod;
      } catch (error) {
        if (!(error instanceof ConflictError) || skip >= MAX_NAME_SKIPS) throw error;
        const existing = await this.refresh();
        const ours = existing?.metadata.labels?.[BINDING_LABEL] === this.binding.id;
        if (existing && ours && existing.metadata.deletionTimestamp === undefined) return existing;
      }
    }
  }

  /** The pod as it is now; undefined if someone deleted it. */
  async refresh(): Promise<KubernetesObject | undefined> {
    this.pod = await this.k8s.get({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: this.binding.namespace,
      name: this.name,
    });
    return this.pod;
  }

  async log(container: string): Promise<string> {
    return this.k8s.readPodLog(this.binding.namespace, this.name, {
      limitBytes: LOG_LIMIT_BYTES,
      container,
    });
  }

  async remove(): Promise<void> {
    if (this.attempt === 0) return;
    await this.k8s.delete({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: this.binding.namespace,
      name: this.name,
    });
  }

  /**
   * The pod's last warning events (`Warning Failed: Failed to pull image ...`), for a failure message;
   * '' when there are none or they cannot be read (events explain, they never decide).
   */
  async warnings(): Promise<string> {
    const uid = this.pod?.metadata.uid;
    if (!uid) return '';
    try {
      const events = await this.k8s.list(
        { apiVersion: 'v1', kind: 'Event' },
        { namespace: this.binding.namespace, fieldSelector: `involvedObject.uid=${uid},type=Warning` },
      );
      const at = (event: KubernetesObject) =>
        String(event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp ?? '');
      const last = events.sort((a, b) => at(a).localeCompare(at(b))).slice(-WARNING_EVENTS_SHOWN);
      if (last.length === 0) return '';
      return `; its last warning events: ${last.map((e) => `${String(e.reason)}: ${String(e.message)}`).join(' | ')}`;
    } catch {
      return '';
    }
  }

  describe(): string {
    return `test pod ${this.binding.namespace}/${this.name} (attempt ${this.attempt}) on cluster ${this.cluster.name}`;
  }
}

/**
 * One verdict from each container's: failed if any failed, retry if any must retry, else succeeded with
 * the first container's identity. Mode both names the mechanism in each message.
 */
function combined(decisions: { proves: string; decision: VerificationDecision }[]): VerificationDecision {
  const label = (proves: string, text: string) =>
    decisions.length > 1 ? `${proves === 'irsa' ? 'IRSA' : 'Pod Identity'}: ${text}` : text;
  const failed = decisions.filter((d) => d.decision.kind === 'failed');
  if (failed.length > 0) {
    return {
      kind: 'failed',
      message: failed.map((d) => label(d.proves, (d.decision as { message: string }).message)).join(' | '),
    };
  }
  const retry = decisions.find((d) => d.decision.kind === 'retry');
  if (retry)
    return { kind: 'retry', reason: label(retry.proves, (retry.decision as { reason: string }).reason) };
  return decisions[0]!.decision;
}

export async function verifyIdentity(
  binding: Binding,
  cluster: ClusterFacts,
  role: RoleFacts,
  context: { startedAt: Date },
  deps: VerifyIdentityDeps,
): Promise<VerificationFacts> {
  if (!binding.verify) {
    return { status: 'SKIPPED', detail: 'verification not requested (verify: false)' };
  }
  const { clock, config } = deps;
  const invocationEnd = clock.now().getTime() + config.stepPollBudgetSeconds * 1000;
  const stepEnd = context.startedAt.getTime() + config.verifyTimeoutSeconds * 1000;
  const elapsedSeconds = () => (clock.now().getTime() - context.startedAt.getTime()) / 1000;
  const run = new TestPodRun(deps.kubernetes.connect(cluster), binding, cluster, config);
  const mode = cluster.mode ?? 'irsa';
  let pollDelay = POLL_FIRST_MS;
  let rerunDelay = RERUN_FIRST_MS;
  /** Why the previous pod was re-run, for a timeout message that explains itself. */
  let lastRerunReason: string | undefined;

  /**
   * Sleeps at most what is left of this invocation's budget; once it is spent the ASL Retry takes over
   * and the next invocation finds the pod again.
   */
  const wait = async (ms: number, waitingFor: string) => {
    const left = invocationEnd - clock.now().getTime();
    if (left <= 0) throw new NotYetError(`Waiting for ${run.describe()}: ${waitingFor}`);
    await clock.sleep(Math.min(ms, left));
  };

  try {
    let pod = (await run.resume()) ?? (await run.next());
    for (;;) {
      const unmutated = podMutationProblems(pod, mode);
      if (unmutated.includes('irsa')) {
        throw new WebhookDidNotMutateError(
          `The pod identity webhook did not inject AWS_ROLE_ARN and the token volume into ${run.describe()}; ` +
            'check that the MutatingWebhookConfiguration pod-identity-webhook exists and its service is ready',
        );
      }
      if (unmutated.includes('pod-identity')) {
        // EKS learns of a new association within seconds; a pod created before that is not mutated.
        if (elapsedSeconds() >= config.iamPropagationWindowSeconds) {
          throw new WebhookDidNotMutateError(
            `EKS did not inject the Pod Identity credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI and the ` +
              `eks-pod-identity-token volume) into ${run.describe()} within ${config.iamPropagationWindowSeconds} s; ` +
              'check the Pod Identity association of the service account (aws eks list-pod-identity-associations)',
          );
        }
        lastRerunReason = `attempt ${run.attempt} was created before EKS knew the association`;
        await run.remove();
        await wait(rerunDelay, 're-running: the pod got no Pod Identity credentials');
        rerunDelay = Math.min(rerunDelay * 2, RERUN_MAX_MS);
        pod = await run.next();
        continue;
      }
      const phase = phaseOf(pod);
      if (FINISHED_PHASES.has(phase)) {
        // A pod that failed before its container started (image pull, deadline) has no log to read.
        const decisions: { proves: string; decision: VerificationDecision }[] = [];
        for (const container of testPodContainers(mode)) {
          const log = await run.log(container.name).catch((error: unknown) => {
            if (error instanceof NotYetError) return '';
            throw error;
          });
          const decision = decideVerification(log, {
            // Chained through Pod Identity, the pod runs as the target role.
            roleArn: container.proves === 'pod-identity' ? (binding.targetRoleArn ?? role.arn) : role.arn,
            elapsedSeconds: elapsedSeconds(),
            propagationWindowSeconds: config.iamPropagationWindowSeconds,
          });
          decisions.push({ proves: container.proves, decision });
        }
        const decision = combined(decisions);
        if (decision.kind === 'succeeded') {
          const through =
            mode === 'both' ? ' (IRSA and Pod Identity)' : mode === 'pod-identity' ? ' (Pod Identity)' : '';
          const detail = `${run.name} attempt ${run.attempt}: ${decision.identity.arn}${through}`;
          const facts: VerificationFacts = {
            status: 'SUCCEEDED',
            detail,
            identity: decision.identity,
            podName: run.name,
            attempt: run.attempt,
          };
          await run.remove();
          return facts;
        }
        if (decision.kind === 'failed') {
          const reason = reasonOf(pod);
          throw new VerificationFailedError(
            `${decision.message} (${run.describe()}, ${phase}${reason ? `: ${reason}` : ''})${await run.warnings()}`,
          );
        }
        // STS refused inside the IAM propagation window, or was unavailable: the next pod gets a fresh
        // token and a new try, as long as the verification timeout allows.
        if (clock.now().getTime() >= stepEnd) {
          throw new VerificationFailedError(
            `Still no verdict after VERIFY_TIMEOUT_SECONDS=${config.verifyTimeoutSeconds}: ${decision.reason} (${run.describe()})`,
          );
        }
        lastRerunReason = `attempt ${run.attempt} ended with ${decision.reason}`;
        await run.remove();
        await wait(rerunDelay, `re-running after ${decision.reason}`);
        rerunDelay = Math.min(rerunDelay * 2, RERUN_MAX_MS);
        pollDelay = POLL_FIRST_MS;
        pod = await run.next();
        continue;
      }
      if (clock.now().getTime() >= stepEnd) {
        throw new VerificationFailedError(
          `The ${run.describe()} was still ${phase} after VERIFY_TIMEOUT_SECONDS=${config.verifyTimeoutSeconds}; ` +
            `check that image ${config.testPodImage} can be pulled and the pod can be scheduled` +
            (lastRerunReason ? ` (${lastRerunReason})` : '') +
            (await run.warnings()),
        );
      }
      await wait(pollDelay, `pod is ${phase}`);
      pollDelay = Math.min(pollDelay * 2, POLL_MAX_MS);
      pod = (await run.refresh()) ?? (await run.next());
    }
  } catch (error) {
    // A retried step continues with the pod; a final failure leaves nothing behind.
    const final = !(isBrokerError(error) && error.retryable);
    if (final) await run.remove().catch(() => undefined);
    if (error instanceof NotFoundError) {
      throw new VerificationFailedError(`Could not run the ${run.describe()}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
