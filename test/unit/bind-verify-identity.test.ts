import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { NotYetError, VerificationFailedError, WebhookDidNotMutateError } from '../../lib/domain/errors.js';
import type { KubernetesObject } from '../../lib/ports/kubernetes.js';
import type { RoleFacts } from '../../lib/use-cases/bind/bind-state.js';
import { verifyIdentity } from '../../lib/use-cases/bind/verify-identity.js';
import { demoCluster } from '../support/fakes/cluster-facts.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import {
  FakeWorkloadCluster,
  FakeWorkloadClusters,
  type PodOutcome,
} from '../support/fakes/fake-workload-cluster.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';

const cluster = demoCluster;
const roleName = 'irsa-demo-payments-api-1a2b3c4d';
const role = {
  status: 'SUCCEEDED',
  detail: '',
  name: roleName,
  arn: `arn:aws:iam::111122223333:role/irsa-broker/${roleName}`,
  trustPolicy: { Version: '2012-10-17', Statement: [] },
} as RoleFacts;
const identity = {
  UserId: 'AROAEXAMPLE:botocore-session-1',
  Account: '111122223333',
  Arn: `arn:aws:sts::111122223333:assumed-role/${roleName}/botocore-session-1`,
};
const success: PodOutcome = { phase: 'Succeeded', log: JSON.stringify(identity, null, 2) };
const accessDenied: PodOutcome = {
  phase: 'Failed',
  log: '\nAn error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity\n',
};

const stsUnavailable: PodOutcome = {
  phase: 'Failed',
  log: '\nAn error occurred (ServiceUnavailable) when calling the AssumeRoleWithWebIdentity operation (reached max retries: 2): Service is unable to handle request.\n',
};

function world(binding: Binding = pendingBinding()) {
  const k8s = new FakeWorkloadCluster(['default', binding.namespace]);
  k8s.put({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: binding.serviceAccountName,
      namespace: binding.namespace,
      annotations: { 'eks.amazonaws.com/role-arn': role.arn },
    },
  });
  const clock = new FakeClock();
  const config = testWorkflowConfig();
  const deps = { kubernetes: new FakeWorkloadClusters(k8s), clock, config };
  return { binding, k8s, clock, config, deps, startedAt: clock.now() };
}

/**
 * Invokes `step` as the ASL Retry does after each NotYet hand-over, up to `invocations` times; the result
 * or the first other error. `between(i)` runs after hand-over i (the world changing meanwhile).
 */
async function untilSettled(
  step: () => Promise<unknown>,
  invocations: number,
  between?: (invocation: number) => void,
): Promise<unknown> {
  let outcome: unknown;
  for (let invocation = 0; invocation < invocations; invocation++) {
    try {
      return await step();
    } catch (error) {
      outcome = error;
      if (!(error instanceof NotYetError)) return error;
      between?.(invocation);
    }
  }
  return outcome;
}

describe('VerifyIdentity', () => {
  it('succeeds with the identity the test pod printed, and deletes the pod', async () => {
    // Prepare
    const { binding, k8s, deps, startedAt } = world();
    k8s.podOutcome = () => success;

    // Act
    const result = await verifyIdentity(binding, cluster, role, { startedAt }, deps);

    // Assess
    expect(result).toEqual({
      status: 'SUCCEEDED',
      detail: expect.stringContaining(identity.Arn),
      identity: { arn: identity.Arn, account: identity.Account, userId: identity.UserId },
      podName: expect.stringMatching(/^irsa-verify-[a-z0-9]+-1$/),
      attempt: 1,
    });
    expect(k8s.pods()).toEqual([]);
    expect(k8s.deletedPods).toEqual([result.podName]);
  });

  it('runs the test pod as the bound service account with the binding label, configured image and deadline', async () => {
    // Prepare: the pod never finishes, so it is still there when the budget runs out.
    const { binding, k8s, deps, startedAt, config } = world();
    k8s.pollsUntilDone = Number.POSITIVE_INFINITY;

    // Act
    await expect(verifyIdentity(binding, cluster, role, { startedAt }, deps)).rejects.toThrow(NotYetError);

    // Assess
    const [pod] = k8s.pods();
    expect(pod?.metadata.labels?.['irsa-broker/binding']).toBe(binding.id);
    expect(pod?.spec).toMatchObject({
      serviceAccountName: 'api',
      restartPolicy: 'Never',
      activeDeadlineSeconds: config.testPodDeadlineSeconds,
      securityContext: { fsGroup: 65534 },
      containers: [
        { image: config.testPodImage, command: ['aws', 'sts', 'get-caller-identity', '--output', 'json'] },
      ],
    });
  });

  it('hands over to the ASL Retry with NotYet at the poll budget, and the next invocation continues with the same pod', async () => {
    // Prepare
    const { binding, k8s, deps, clock, startedAt, config } = world();
    k8s.pollsUntilDone = 20;
    k8s.podOutcome = () => success;

    // Act
    const first = verifyIdentity(binding, cluster, role, { startedAt }, deps);
    await expect(first).rejects.toThrow(NotYetError);
    const waited = clock.now().getTime() - startedAt.getTime();
    const podAfterFirst = k8s.pods().map((p) => p.metadata.name);
    const second = await verifyIdentity(binding, cluster, role, { startedAt }, deps);

    // Assess
    expect(waited).toBeLessThanOrEqual(config.stepPollBudgetSeconds * 1000);
    expect(podAfterFirst).toHaveLength(1);
    expect(second.podName).toBe(podAfterFirst[0]);
    expect(second.attempt).toBe(1);
    expect(k8s.podsCreated).toBe(1);
  });

  it('fails WebhookDidNotMutate when the admitted pod has no role env or token mount, and deletes it', async () => {
    const { binding, k8s, deps, startedAt } = world();
    k8s.webhookInstalled = false;

    const attempt = verifyIdentity(binding, cluster, role, { startedAt }, deps);

    await expect(attempt).rejects.toThrow(WebhookDidNotMutateError);
    expect(k8s.pods()).toEqual([]);
  });

  it('re-runs the pod after AccessDenied inside the IAM propagation window and then succeeds', async () => {
    // Prepare: IAM needs two pods' worth of time before the role is assumable.
    const { binding, k8s, deps, startedAt } = world();
    k8s.podOutcome = (n) => (n <= 2 ? accessDenied : success);

    // Act
    const result = await verifyIdentity(binding, cluster, role, { startedAt }, deps);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.attempt).toBe(3);
    expect(k8s.deletedPods).toHaveLength(3);
    expect(k8s.pods()).toEqual([]);
  });

  it('keeps re-running across invocations when the poll budget is shorter than the re-run backoff', async () => {
    // Prepare
    const { binding, k8s, clock } = world();
    const deps = {
      kubernetes: new FakeWorkloadClusters(k8s),
      clock,
      config: testWorkflowConfig({ STEP_POLL_BUDGET_SECONDS: '3' }),
    };
    const startedAt = clock.now();
    k8s.pollsUntilDone = 1;
    k8s.podOutcome = (n) => (n <= 3 ? accessDenied : success);

    // Act: what the ASL NotYet Retry does.
    const handOvers: string[] = [];
    let result: Awaited<ReturnType<typeof verifyIdentity>> | undefined;
    for (let invocation = 0; invocation < 10 && !result; invocation++) {
      try {
        result = await verifyIdentity(binding, cluster, role, { startedAt }, deps);
      } catch (error) {
        if (!(error instanceof NotYetError)) throw error;
        handOvers.push(
          k8s
            .pods()
            .map((p) => p.metadata.name)
            .join(','),
        );
      }
    }

    // Assess: every hand-over leaves exactly the next attempt's pod running.
    expect(result?.attempt).toBe(4);
    expect(handOvers.length).toBeGreaterThan(0);
    expect(handOvers.every((pods) => /^irsa-verify-[a-z0-9]+-\d+$/.test(pods))).toBe(true);
    expect(k8s.podsCreated).toBe(4);
    expect(k8s.pods()).toEqual([]);
  });

  it('re-runs the pod when STS was unavailable, even after the propagation window, and then succeeds', async () => {
    // Prepare: the window is over before the outage ends; an outage still is no verdict on the binding.
    const { binding, k8s, deps, startedAt, config } = world();
    k8s.podOutcome = (n) => (n <= 2 ? stsUnavailable : success);
    deps.clock.advance(config.iamPropagationWindowSeconds * 1000 + 1);

    // Act
    const result = await verifyIdentity(binding, cluster, role, { startedAt }, deps);

    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.attempt).toBe(3);
    expect(k8s.pods()).toEqual([]);
  });

  it('fails VerificationFailed when STS stays unavailable until VERIFY_TIMEOUT_SECONDS', async () => {
    // Prepare
    const { binding, k8s, deps, startedAt, config } = world();
    k8s.podOutcome = () => stsUnavailable;

    // Act
    const outcome = await untilSettled(
      () => verifyIdentity(binding, cluster, role, { startedAt }, deps),
      200,
    );

    // Assess
    expect(outcome).toBeInstanceOf(VerificationFailedError);
    expect((outcome as Error).message).toMatch(/ServiceUnavailable/);
    expect(deps.clock.now().getTime() - startedAt.getTime()).toBeGreaterThanOrEqual(
      config.verifyTimeoutSeconds * 1000,
    );
    expect(k8s.pods()).toEqual([]);
  });

  it('fails VerificationFailed with the log excerpt once AccessDenied persists past the window', async () => {
    // Prepare
    const { binding, k8s, deps, startedAt, config } = world();
    k8s.podOutcome = () => accessDenied;

    // Act: NotYet hand-overs are what the ASL Retry does between invocations.
    const outcome = await untilSettled(() => verifyIdentity(binding, cluster, role, { startedAt }, deps), 20);

    // Assess
    expect(outcome).toBeInstanceOf(VerificationFailedError);
    expect((outcome as Error).message).toMatch(/AccessDenied/);
    expect((outcome as Error).message).toContain('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    expect(deps.clock.now().getTime() - startedAt.getTime()).toBeGreaterThanOrEqual(
      config.iamPropagationWindowSeconds * 1000,
    );
    expect(k8s.pods()).toEqual([]);
  });

  it('fails VerificationFailed at once when the pod ran as another identity', async () => {
    const { binding, k8s, deps, startedAt } = world();
    k8s.podOutcome = () => ({
      phase: 'Succeeded',
      log: JSON.stringify({ ...identity, Arn: 'arn:aws:sts::111122223333:assumed-role/node-role/i-0abc' }),
    });

    await expect(verifyIdentity(binding, cluster, role, { startedAt }, deps)).rejects.toThrow(
      /ran as arn:aws:sts::111122223333:assumed-role\/node-role/,
    );
    expect(k8s.podsCreated).toBe(1);
  });

  it('fails VerificationFailed when the pod never finishes within VERIFY_TIMEOUT_SECONDS', async () => {
    const { binding, k8s, deps, startedAt } = world();
    k8s.pollsUntilDone = Number.POSITIVE_INFINITY;

    const outcome = await untilSettled(() => verifyIdentity(binding, cluster, role, { startedAt }, deps), 20);

    expect(outcome).toBeInstanceOf(VerificationFailedError);
    expect((outcome as Error).message).toMatch(/still Running after VERIFY_TIMEOUT_SECONDS=300/);
    expect(k8s.pods()).toEqual([]);
  });

  it("quotes the test pod's last warning events, and only its own, when the pod never finishes", async () => {
    const { binding, k8s, deps, startedAt } = world();
    k8s.pollsUntilDone = Number.POSITIVE_INFINITY;
    const event = (name: string, uid: string, type: string, reason: string, message: string, at: string) =>
      k8s.put({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: binding.namespace },
        involvedObject: { kind: 'Pod', uid },
        type,
        reason,
        message,
        lastTimestamp: at,
      } as KubernetesObject);

    const outcome = await untilSettled(
      () => verifyIdentity(binding, cluster, role, { startedAt }, deps),
      20,
      (invocation) => {
        const [pod] = k8s.pods();
        if (invocation === 0 && pod) {
          const uid = String(pod.metadata.uid);
          event('e1', uid, 'Normal', 'Scheduled', 'Successfully assigned', '2026-01-01T00:00:01Z');
          event(
            'e2',
            uid,
            'Warning',
            'Failed',
            'Failed to pull image "x": not found',
            '2026-01-01T00:00:02Z',
          );
          event('e3', uid, 'Warning', 'BackOff', 'Back-off pulling image "x"', '2026-01-01T00:00:03Z');
          event('e4', 'another-pod', 'Warning', 'FailedMount', 'not this pod', '2026-01-01T00:00:04Z');
        }
      },
    );

    expect(outcome).toBeInstanceOf(VerificationFailedError);
    expect((outcome as Error).message).toMatch(
      /its last warning events: Failed: Failed to pull image "x": not found \| BackOff: Back-off pulling image "x"$/,
    );
    expect((outcome as Error).message).not.toMatch(/Scheduled|not this pod/);
  });

  it('is SKIPPED without creating a pod when the binding asks for no verification', async () => {
    const { k8s, deps, startedAt } = world();
    const binding = pendingBinding({ verify: false });

    const result = await verifyIdentity(binding, cluster, role, { startedAt }, deps);

    expect(result).toEqual({ status: 'SKIPPED', detail: 'verification not requested (verify: false)' });
    expect(k8s.podsCreated).toBe(0);
  });
});
