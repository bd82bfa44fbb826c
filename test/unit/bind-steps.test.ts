import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import {
  ClusterNotActiveError,
  ClusterNotFoundError,
  FieldOwnershipConflictError,
  NotFoundError,
  OidcProviderMissingError,
  ServiceAccountMissingError,
  StatusConflictError,
  TransientError,
} from '../../lib/domain/errors.js';
import { MANAGED_BY_TAG } from '../../lib/domain/ownership.js';
import { applyServiceAccount } from '../../lib/use-cases/bind/apply-service-account.js';
import type { RoleFacts, StepOutcome } from '../../lib/use-cases/bind/bind-state.js';
import { describeCluster } from '../../lib/use-cases/bind/describe-cluster.js';
import { ensureOidcProvider } from '../../lib/use-cases/bind/ensure-oidc-provider.js';
import { runStep } from '../../lib/use-cases/bind/run-step.js';
import { DEMO_ISSUER, demoCluster } from '../support/fakes/cluster-facts.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { clusterInfo, FakeEksClusters, FakeEksPodIdentity } from '../support/fakes/fake-eks.js';
import { FakeOidcProviders } from '../support/fakes/fake-iam.js';
import { FakeWorkloadCluster, FakeWorkloadClusters } from '../support/fakes/fake-workload-cluster.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const issuer = DEMO_ISSUER;
const noAgentInstall = { installPodIdentityAgent: false };
const cluster = demoCluster;
const role = {
  status: 'SUCCEEDED',
  detail: '',
  name: 'irsa-demo-payments-api-1a2b3c4d',
  arn: 'arn:aws:iam::111122223333:role/irsa-broker/irsa-demo-payments-api-1a2b3c4d',
  trustPolicy: { Version: '2012-10-17', Statement: [] },
} as RoleFacts;

describe('DescribeCluster', () => {
  it('returns what later steps need to connect and build the trust policy', async () => {
    const clusters = new FakeEksClusters().add(clusterInfo());

    const facts = await describeCluster(pendingBinding(), {
      clusters,
      podIdentity: new FakeEksPodIdentity(),
      config: noAgentInstall,
    });

    expect(facts).toEqual({
      status: 'SUCCEEDED',
      detail: expect.stringContaining('demo Kubernetes 1.29'),
      name: 'demo',
      region: 'us-east-1',
      arn: 'arn:aws:eks:us-east-1:111122223333:cluster/demo',
      version: '1.29',
      endpoint: 'https://demo.example.eks.amazonaws.com',
      caData: clusterInfo().caData,
      oidcIssuer: issuer,
      mode: 'irsa',
      podIdentityAgent: 'missing',
    });
    expect(facts.detail).toContain('auto: irsa, the eks-pod-identity-agent add-on is missing');
  });

  it('fails ClusterNotFound for an unknown cluster', async () => {
    await expect(
      describeCluster(pendingBinding({ clusterName: 'nope' }), {
        clusters: new FakeEksClusters(),
        podIdentity: new FakeEksPodIdentity(),
        config: noAgentInstall,
      }),
    ).rejects.toThrow(ClusterNotFoundError);
  });

  it('fails ClusterNotActive for a cluster that is not ACTIVE', async () => {
    const clusters = new FakeEksClusters().add(clusterInfo({ status: 'UPDATING' }));

    await expect(
      describeCluster(pendingBinding(), {
        clusters,
        podIdentity: new FakeEksPodIdentity(),
        config: noAgentInstall,
      }),
    ).rejects.toThrow(ClusterNotActiveError);
    await expect(
      describeCluster(pendingBinding(), {
        clusters,
        podIdentity: new FakeEksPodIdentity(),
        config: noAgentInstall,
      }),
    ).rejects.toThrow(/is UPDATING; bind again once it is ACTIVE/);
  });
});

describe('EnsureOidcProvider', () => {
  it('finds the existing provider for the issuer', async () => {
    const oidcProviders = new FakeOidcProviders();
    const existing = oidcProviders.add(issuer);

    const facts = await ensureOidcProvider(pendingBinding(), cluster, {
      oidcProviders,
      config: { createOidcProvider: false },
    });

    expect(facts).toEqual({ status: 'SUCCEEDED', detail: `found ${existing.arn}`, arn: existing.arn });
  });

  it('creates a missing provider with client id sts.amazonaws.com when allowed', async () => {
    const oidcProviders = new FakeOidcProviders();

    const facts = await ensureOidcProvider(pendingBinding(), cluster, {
      oidcProviders,
      config: { createOidcProvider: true },
    });

    const created = await oidcProviders.find(issuer);
    expect(created?.clientIds).toEqual(['sts.amazonaws.com']);
    expect(created?.tags[MANAGED_BY_TAG]).toBe('irsa-broker');
    expect(facts.arn).toBe(
      'arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF',
    );
    expect(facts.detail).toMatch(/^created /);
  });

  it('fails OidcProviderMissing, saying how to fix it, when creating is not allowed', async () => {
    const oidcProviders = new FakeOidcProviders();

    const attempt = ensureOidcProvider(pendingBinding(), cluster, {
      oidcProviders,
      config: { createOidcProvider: false },
    });

    await expect(attempt).rejects.toThrow(OidcProviderMissingError);
    await expect(attempt).rejects.toThrow(/CREATE_OIDC_PROVIDER=true/);
    expect(oidcProviders.providers.size).toBe(0);
  });

  it('adds the binding audience as a client id to an existing provider when allowed', async () => {
    const oidcProviders = new FakeOidcProviders();
    oidcProviders.add(issuer);

    await ensureOidcProvider(pendingBinding({ audience: 'vault' }), cluster, {
      oidcProviders,
      config: { createOidcProvider: true },
    });

    expect((await oidcProviders.find(issuer))?.clientIds).toEqual(['sts.amazonaws.com', 'vault']);
  });
});

describe('ApplyServiceAccount', () => {
  const setup = (namespaces = ['payments']) => {
    const k8s = new FakeWorkloadCluster(namespaces);
    return { k8s, kubernetes: new FakeWorkloadClusters(k8s) };
  };
  const sa = (k8s: FakeWorkloadCluster) =>
    k8s.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: 'payments', name: 'api' });

  it('applies the ServiceAccount with the role ARN and the requested webhook annotations', async () => {
    const { k8s, kubernetes } = setup();
    const binding = pendingBinding({
      stsRegionalEndpoints: true,
      tokenExpirationSeconds: 3600,
      audience: 'sts.amazonaws.com',
    });

    const facts = await applyServiceAccount(binding, cluster, role, {
      kubernetes,
      config: { createNamespace: false },
    });

    expect((await sa(k8s))?.metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': role.arn,
      'eks.amazonaws.com/sts-regional-endpoints': 'true',
      'eks.amazonaws.com/token-expiration': '3600',
      'eks.amazonaws.com/audience': 'sts.amazonaws.com',
    });
    expect(facts).toMatchObject({ status: 'SUCCEEDED', namespace: 'payments', name: 'api' });
    expect(kubernetes.connections[0]).toMatchObject({
      name: 'demo',
      endpoint: cluster.endpoint,
      caData: cluster.caData,
    });
  });

  it('fails when the namespace is missing and CREATE_NAMESPACE is off', async () => {
    const { k8s, kubernetes } = setup([]);

    const attempt = applyServiceAccount(pendingBinding(), cluster, role, {
      kubernetes,
      config: { createNamespace: false },
    });

    await expect(attempt).rejects.toThrow(NotFoundError);
    await expect(attempt).rejects.toThrow(/Namespace payments does not exist.*CREATE_NAMESPACE=true/);
    expect(await sa(k8s)).toBeUndefined();
  });

  it('creates the namespace when CREATE_NAMESPACE is on', async () => {
    const { k8s, kubernetes } = setup([]);

    const facts = await applyServiceAccount(pendingBinding(), cluster, role, {
      kubernetes,
      config: { createNamespace: true },
    });

    expect(await k8s.get({ apiVersion: 'v1', kind: 'Namespace', name: 'payments' })).toBeDefined();
    expect(facts.detail).toMatch(/^created namespace payments; applied payments\/api/);
  });

  it('with createServiceAccount: false only annotates an existing account, keeping its other fields', async () => {
    const { k8s, kubernetes } = setup();
    k8s.put({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'api', namespace: 'payments', labels: { app: 'api' }, annotations: { note: 'mine' } },
    });

    await applyServiceAccount(pendingBinding({ createServiceAccount: false }), cluster, role, {
      kubernetes,
      config: { createNamespace: false },
    });

    const account = await sa(k8s);
    expect(account?.metadata.labels).toEqual({ app: 'api' });
    expect(account?.metadata.annotations).toEqual({ note: 'mine', 'eks.amazonaws.com/role-arn': role.arn });
  });

  it('with createServiceAccount: false fails ServiceAccountMissing when there is none', async () => {
    const { k8s, kubernetes } = setup();

    await expect(
      applyServiceAccount(pendingBinding({ createServiceAccount: false }), cluster, role, {
        kubernetes,
        config: { createNamespace: true },
      }),
    ).rejects.toThrow(ServiceAccountMissingError);
    expect(await sa(k8s)).toBeUndefined();
  });

  it('fails FieldOwnershipConflict when another manager owns the role-arn annotation, leaving it as it was', async () => {
    const { k8s, kubernetes } = setup();
    k8s.put(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'api',
          namespace: 'payments',
          annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::1:role/theirs' },
        },
      },
      'helm',
    );

    await expect(
      applyServiceAccount(pendingBinding(), cluster, role, {
        kubernetes,
        config: { createNamespace: false },
      }),
    ).rejects.toThrow(FieldOwnershipConflictError);
    expect((await sa(k8s))?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(
      'arn:aws:iam::1:role/theirs',
    );
  });
});

describe('the step frame', () => {
  it('moves the binding PENDING→RUNNING, shows the step RUNNING, then records the result with timestamps', async () => {
    // Prepare
    const binding = pendingBinding();
    const store = new InMemoryBindingStore(binding);
    const clock = new FakeClock(new Date('2026-01-01T00:00:00.000Z'));

    // Act
    const result = await runStep('DescribeCluster', binding.id, { store, clock }, async () => {
      clock.advance(1500);
      return { status: 'SUCCEEDED' as const, detail: 'demo 1.29' };
    });

    // Assess
    expect(result).toEqual({ status: 'SUCCEEDED', detail: 'demo 1.29' });
    expect((await store.get(binding.id))?.status).toBe('RUNNING');
    expect(store.stepLog.map((s) => s.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    expect(store.step(binding.id, 'DescribeCluster')).toEqual({
      name: 'DescribeCluster',
      status: 'SUCCEEDED',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.500Z',
      detail: 'demo 1.29',
    });
  });

  it('writes only the end of a step the state settles, never running its work, and not over a run holding it', async () => {
    const binding: Binding = { ...pendingBinding(), status: 'RUNNING' };
    const store = new InMemoryBindingStore(binding);
    const clock = new FakeClock(new Date('2026-01-01T00:00:00.000Z'));
    let worked = 0;
    const work = async (): Promise<StepOutcome> => {
      worked += 1;
      return { status: 'SUCCEEDED', detail: 'approved' };
    };
    const settled = (): StepOutcome => ({ status: 'SKIPPED', detail: 'nothing to approve' });

    const result = await runStep('ApproveCsr', binding.id, { store, clock }, work, settled);

    expect(result).toEqual({ status: 'SKIPPED', detail: 'nothing to approve' });
    expect(worked).toBe(0);
    expect(store.stepLog.map((s) => s.status)).toEqual(['SKIPPED']);
    expect(store.step(binding.id, 'ApproveCsr')).toMatchObject({
      status: 'SKIPPED',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:00.000Z',
    });

    // Another run holds the step RUNNING: it resumes its work, and a settled end never lands over it.
    const held: Binding = { ...pendingBinding(), status: 'RUNNING' };
    held.steps = held.steps.map((s) =>
      s.name === 'ApproveCsr' ? { ...s, status: 'RUNNING', startedAt: '2025-12-31T23:59:00.000Z' } : s,
    );
    const heldStore = new InMemoryBindingStore(held);
    expect(
      await heldStore.recordStep(held.id, { name: 'ApproveCsr', status: 'SKIPPED' }, { ifNotRunning: true }),
    ).toBe(false);
    await runStep('ApproveCsr', held.id, { store: heldStore, clock }, work, settled);
    expect(worked).toBe(1);
    expect(heldStore.step(held.id, 'ApproveCsr')).toMatchObject({ status: 'SUCCEEDED', detail: 'approved' });
  });

  it('does not overwrite a step closed meanwhile when a stopped run finishes late', async () => {
    // Prepare: while the step works, the execution monitor closes it (the execution was stopped).
    const binding = pendingBinding();
    const store = new InMemoryBindingStore(binding);
    const clock = new FakeClock(new Date('2026-01-01T00:00:00.000Z'));
    const closed = {
      name: 'VerifyIdentity',
      status: 'FAILED' as const,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:05.000Z',
      detail: 'ExecutionAborted: stopped by hand',
    };

    // Act
    const result = await runStep('VerifyIdentity', binding.id, { store, clock }, async () => {
      await store.recordStep(binding.id, closed);
      clock.advance(9000);
      return { status: 'SUCCEEDED' as const, detail: 'assumed-role/late' };
    });

    // Assess: the late result goes back to its (stopped) caller; the record keeps what the monitor wrote.
    expect(result.detail).toBe('assumed-role/late');
    expect(store.step(binding.id, 'VerifyIdentity')).toEqual(closed);
  });

  it('records FAILED with the error and rethrows it under its ASL name', async () => {
    const binding = pendingBinding();
    const store = new InMemoryBindingStore(binding);

    const attempt = runStep('DescribeCluster', binding.id, { store, clock: new FakeClock() }, async () => {
      throw new ClusterNotFoundError('No cluster nope in us-east-1');
    });

    await expect(attempt).rejects.toMatchObject({ name: 'ClusterNotFound' });
    expect(store.step(binding.id, 'DescribeCluster')).toMatchObject({
      status: 'FAILED',
      detail: 'ClusterNotFound: No cluster nope in us-east-1',
      finishedAt: expect.any(String),
    });
  });

  it('keeps a step RUNNING on a retryable error and keeps its first start time across retries', async () => {
    // Prepare
    const binding = pendingBinding();
    const store = new InMemoryBindingStore(binding);
    const clock = new FakeClock(new Date('2026-01-01T00:00:00.000Z'));
    const flaky = runStep('EnsureRole', binding.id, { store, clock }, async () => {
      throw new TransientError('IAM ConcurrentModification');
    });
    await expect(flaky).rejects.toMatchObject({ name: 'Transient' });
    clock.advance(10_000);

    // Act
    let seenStart: Date | undefined;
    await runStep('EnsureRole', binding.id, { store, clock }, async ({ startedAt }) => {
      seenStart = startedAt;
      return { status: 'SUCCEEDED' as const, detail: 'created' };
    });

    // Assess
    expect(store.stepLog.map((s) => s.status)).toEqual(['RUNNING', 'RUNNING', 'SUCCEEDED']);
    expect(store.stepLog[1]?.detail).toBe('Transient, retrying: IAM ConcurrentModification');
    expect(seenStart?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(store.step(binding.id, 'EnsureRole')?.startedAt).toBe('2026-01-01T00:00:00.000Z');
  });

  it('refuses to run a step of a binding that is no longer PENDING or RUNNING', async () => {
    const binding = { ...pendingBinding(), status: 'DELETING' as const };
    const store = new InMemoryBindingStore(binding);
    let ran = false;

    await expect(
      runStep('EnsureRole', binding.id, { store, clock: new FakeClock() }, async () => {
        ran = true;
        return { status: 'SUCCEEDED' as const, detail: '' };
      }),
    ).rejects.toThrow(StatusConflictError);
    expect(ran).toBe(false);
  });
});
