// Fault injection on every AWS and Kubernetes operation the workflow uses. Transient faults (5xx,
// throttling) at 10% and 30%: every binding still succeeds. Permanent faults: the binding FAILS with the
// code that names the cause, and leaves no role, ServiceAccount or test pod behind. One system per file.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FaultRule } from '../../lib/sandbox/faults.js';
import { type BindingView, bindingRequest, startTestSystem, type TestSystem } from '../e2e/system.js';
import { leftovers } from './sandbox-inventory.js';

let system: TestSystem;

beforeAll(async () => {
  // A pod that cannot pull its image is given up on after a few seconds instead of ten minutes.
  system = await startTestSystem({
    env: { VERIFY_TIMEOUT_SECONDS: '8', IAM_PROPAGATION_WINDOW_SECONDS: '8' },
  });
  // A handler that cannot load would leave every binding PENDING: fail here, saying why.
  expect(system.runtime.missingHandlers).toEqual({});
});

afterAll(async () => {
  await system?.stop();
});

/** Every service the workflow calls, each call faulted with probability ≈ `rate` (half 5xx, half throttling). */
function transientEverywhere(rate: number): FaultRule[] {
  const half = 1 - Math.sqrt(1 - rate); // two independent draws: P(any) = rate
  const services: Pick<FaultRule, 'service' | 'operation'>[] = [
    { service: 'iam' },
    { service: 'eks' },
    // What pods call (EKS's own token checks are the cluster's business, not an API under test).
    { service: 'sts', operation: 'AssumeRoleWithWebIdentity' },
    { service: 'k8s:*' },
  ];
  return services.flatMap((target) => [
    { ...target, kind: 'server-error' as const, rate: half },
    { ...target, kind: 'throttle' as const, rate: half },
  ]);
}

async function bindMany(prefix: string, count: number): Promise<BindingView[]> {
  const requests = Array.from({ length: count }, (_, i) =>
    bindingRequest({
      serviceAccountName: `${prefix}-${i}`,
      namespace: `team-${i % 3}`,
      // Most on demo; one each takes the webhook-installing paths.
      clusterName: i === 1 ? 'legacy' : i === 2 ? 'bare' : 'demo',
    }),
  );
  const created = await Promise.all(requests.map((request) => system.post(request)));
  expect(created.map((c) => c.status)).toEqual(requests.map(() => 202));
  return Promise.all(created.map((c) => system.waitFor(c.json.id, undefined, 240_000)));
}

describe.each([0.1, 0.3])('transient faults on every AWS and Kubernetes operation at %p', (rate) => {
  it('binds every request', async () => {
    system.cloud.faults.reset(Math.round(rate * 1000) + 7);
    system.cloud.faults.setRules(transientEverywhere(rate));

    const done = await bindMany(`transient-${rate * 100}`, 12);

    const injected = system.cloud.faults.injected();
    system.cloud.faults.reset();
    expect((injected['server-error'] ?? 0) + (injected.throttle ?? 0)).toBeGreaterThan(rate * 60);
    expect(done.filter((b) => b.status !== 'SUCCEEDED').map((b) => ({ id: b.id, error: b.error }))).toEqual(
      [],
    );
  }, 300_000);
});

describe('permanent faults', () => {
  async function bindUnder(rules: FaultRule[], serviceAccountName: string): Promise<BindingView> {
    system.cloud.faults.reset(11);
    system.cloud.faults.setRules(rules);
    try {
      const created = await system.post(bindingRequest({ serviceAccountName, namespace: 'perm' }));
      expect(created.status).toBe(202);
      return await system.waitFor(created.json.id, undefined, 120_000);
    } finally {
      system.cloud.faults.reset();
    }
  }

  it('EKS refusing DescribeCluster fails the binding at DescribeCluster as NotAllowed, creating nothing', async () => {
    const failed = await bindUnder(
      [{ service: 'eks', operation: 'DescribeCluster', kind: 'permanent' }],
      'perm-describe',
    );

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ step: 'DescribeCluster', code: 'NotAllowed' });
    expect(failed.error?.message).toMatch(/DescribeCluster/);
    expect(await leftovers(system, failed)).toEqual({
      role: false,
      serviceAccount: false,
      pods: [],
    });
  });

  it('IAM refusing AttachRolePolicy fails at EnsureRole as NotAllowed and leaves no role behind', async () => {
    const failed = await bindUnder(
      [{ service: 'iam', operation: 'AttachRolePolicy', kind: 'permanent' }],
      'perm-attach',
    );

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ step: 'EnsureRole', code: 'NotAllowed' });
    expect(await leftovers(system, failed)).toEqual({ role: false, serviceAccount: false, pods: [] });
  });

  it('a test pod that can never pull its image fails at VerifyIdentity and leaves no role, ServiceAccount or pod', async () => {
    const failed = await bindUnder(
      [{ service: 'k8s:*', operation: 'pull *', kind: 'image-pull' }],
      'perm-pull',
    );

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ step: 'VerifyIdentity', code: 'VerificationFailed' });
    // The user sees why: the kubelet's warning events about the pod are quoted.
    expect(failed.error?.message).toMatch(/its last warning events: .*Failed to pull image/);
    expect(await leftovers(system, failed)).toEqual({ role: false, serviceAccount: false, pods: [] });
  });
});
