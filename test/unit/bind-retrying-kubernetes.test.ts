import { describe, expect, it } from '@jest/globals';
import { RetryingKubernetesClusters } from '../../lib/composition/retrying-kubernetes-clusters.js';
import { FieldOwnershipConflictError, ThrottledError, TransientError } from '../../lib/domain/errors.js';
import type { KubernetesObject } from '../../lib/ports/kubernetes.js';
import type { ClusterFacts, RoleFacts } from '../../lib/use-cases/bind/bind-state.js';
import { verifyIdentity } from '../../lib/use-cases/bind/verify-identity.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeWorkloadCluster, FakeWorkloadClusters } from '../support/fakes/fake-workload-cluster.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';

const connection = { name: 'demo', region: 'us-east-1', endpoint: 'https://demo.example', caData: 'Y2E=' };
const namespace: KubernetesObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'payments' } };

/** Fails the next `n` calls of one method with `error`, then behaves. */
function failNext<K extends 'get' | 'apply' | 'create'>(
  cluster: FakeWorkloadCluster,
  method: K,
  errors: Error[],
) {
  const real = cluster[method].bind(cluster) as (...args: unknown[]) => Promise<unknown>;
  (cluster as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const error = errors.shift();
    if (error) throw error;
    return real(...args);
  };
}

describe('RetryingKubernetesClusters', () => {
  it('rides out transient and throttling errors within its attempts', async () => {
    const inner = new FakeWorkloadCluster(['payments']);
    failNext(inner, 'get', [
      new TransientError('503'),
      new ThrottledError('429'),
      new TransientError('reset'),
    ]);
    const clusters = new RetryingKubernetesClusters(new FakeWorkloadClusters(inner), new FakeClock());

    const found = await clusters
      .connect(connection)
      .get({ apiVersion: 'v1', kind: 'Namespace', name: 'payments' });

    expect(found?.metadata.name).toBe('payments');
  });

  it('gives the error to the step once its attempts are spent', async () => {
    const inner = new FakeWorkloadCluster(['payments']);
    failNext(
      inner,
      'get',
      Array.from({ length: 4 }, () => new TransientError('503')),
    );
    const clusters = new RetryingKubernetesClusters(new FakeWorkloadClusters(inner), new FakeClock());

    await expect(
      clusters.connect(connection).get({ apiVersion: 'v1', kind: 'Namespace', name: 'payments' }),
    ).rejects.toThrow(TransientError);
  });

  it('never retries a final error such as a field ownership conflict', async () => {
    const inner = new FakeWorkloadCluster(['payments']);
    failNext(inner, 'apply', [new FieldOwnershipConflictError('owned by helm')]);
    const clusters = new RetryingKubernetesClusters(new FakeWorkloadClusters(inner), new FakeClock());

    await expect(clusters.connect(connection).apply(namespace)).rejects.toThrow(FieldOwnershipConflictError);
  });

  it('lets VerifyIdentity take the pod a failed-but-applied create left behind as its attempt', async () => {
    // Prepare: the API server stores the pod, then the response is lost (a 5xx after commit).
    const binding = pendingBinding();
    const inner = new FakeWorkloadCluster([binding.namespace]);
    const roleArn = `arn:aws:iam::111122223333:role/irsa-broker/${binding.roleName}`;
    inner.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'api',
        namespace: binding.namespace,
        annotations: { 'eks.amazonaws.com/role-arn': roleArn },
      },
    });
    inner.podOutcome = () => ({
      phase: 'Succeeded',
      log: JSON.stringify({
        UserId: 'AROA:s',
        Account: '111122223333',
        Arn: `arn:aws:sts::111122223333:assumed-role/${binding.roleName}/s`,
      }),
    });
    const create = inner.create.bind(inner);
    let lost = 1;
    inner.create = async (object) => {
      const stored = await create(object);
      if (lost-- > 0) throw new TransientError('502 after the pod was stored');
      return stored;
    };
    const clock = new FakeClock();
    const kubernetes = new RetryingKubernetesClusters(new FakeWorkloadClusters(inner), clock);
    const cluster = {
      status: 'SUCCEEDED',
      detail: '',
      ...connection,
      arn: 'arn',
      version: '1.29',
      oidcIssuer: 'https://x',
    } as ClusterFacts;
    const role = { status: 'SUCCEEDED', detail: '', name: binding.roleName, arn: roleArn } as RoleFacts;

    // Act
    const result = await verifyIdentity(
      binding,
      cluster,
      role,
      { startedAt: clock.now() },
      {
        kubernetes,
        clock,
        config: testWorkflowConfig(),
      },
    );

    // Assess
    expect(result.attempt).toBe(1);
    expect(inner.podsCreated).toBe(1);
    expect(inner.pods()).toEqual([]);
  });
});
