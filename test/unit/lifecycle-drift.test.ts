// CheckDrift: what a drift check reports against fakes of IAM and the cluster, and what repair touches.
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { VerificationFailedError } from '../../lib/domain/errors.js';
import { ROLE_ARN_ANNOTATION } from '../../lib/domain/manifests/service-account.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { targetBoundaryArn, targetRoleTrustPolicy } from '../../lib/domain/target-role.js';
import {
  buildBindingTrustPolicy,
  buildTrustPolicy,
  targetRolePolicy,
} from '../../lib/domain/trust-policy.js';
import type { RoleState } from '../../lib/ports/iam.js';
import { recordOutcome } from '../../lib/use-cases/bind/record-outcome.js';
import { checkDrift } from '../../lib/use-cases/drift/check-drift.js';
import { DEMO_ISSUER, demoCluster } from '../support/fakes/cluster-facts.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeEksPodIdentity } from '../support/fakes/fake-eks.js';
import {
  ACCOUNT_ID,
  FakeIamRoles,
  FakeOidcProviders,
  FakeTargetAccounts,
} from '../support/fakes/fake-iam.js';
import { FakeWorkloadCluster, FakeWorkloadClusters } from '../support/fakes/fake-workload-cluster.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';

const issuer = DEMO_ISSUER;
const cluster = demoCluster;
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const clock = { now: () => new Date('2026-02-01T00:00:00.000Z') };
const boundary = 'arn:aws:iam::111122223333:policy/irsa-broker-boundary';

/** A SUCCEEDED binding whose role, provider and ServiceAccount are all as it set them up. */
function boundWorld() {
  const oidcProviders = new FakeOidcProviders();
  const provider = oidcProviders.add(issuer);
  const roles = new FakeIamRoles();
  roles.policies.add(s3);
  const base = pendingBinding();
  const trustPolicy = buildTrustPolicy({
    oidcProviderArn: provider.arn,
    issuer,
    namespace: base.namespace,
    serviceAccountName: base.serviceAccountName,
  });
  const role = roles.put({
    name: base.roleName,
    path: '/irsa-broker/',
    trustPolicy: structuredClone(trustPolicy) as unknown as Record<string, unknown>,
    tags: { ...base.tags, ...ownershipTags(base.id) },
    attachedPolicyArns: [readOnly],
    permissionsBoundaryArn: boundary,
  });
  const binding: Binding = {
    ...base,
    status: 'RUNNING',
    outputs: { roleArn: role.arn, oidcProviderArn: provider.arn, trustPolicy },
  };
  const k8s = new FakeWorkloadCluster(['default', base.namespace]);
  k8s.put(
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: base.serviceAccountName,
        namespace: base.namespace,
        annotations: { [ROLE_ARN_ANNOTATION]: role.arn },
      },
    },
    'irsa-broker',
  );
  const store = new InMemoryBindingStore(binding);
  const deps = {
    config: { ...testWorkflowConfig(), permissionsBoundaryArn: boundary },
    roles,
    targetAccounts: new FakeTargetAccounts(),
    oidcProviders,
    podIdentity: new FakeEksPodIdentity(),
    kubernetes: new FakeWorkloadClusters(k8s),
    store,
    clock,
  };
  return { binding, deps, roles, k8s, store, trustPolicy, role, provider };
}

describe('CheckDrift', () => {
  it('reports no drift and returns the role and provider for the test pod when all is as bound', async () => {
    const { binding, deps, store, role, provider, trustPolicy } = boundWorld();

    const result = await checkDrift(binding, cluster, { repair: false }, deps);

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      detail: 'no drift',
      arn: role.arn,
      name: role.name,
      trustPolicy,
      oidcProvider: { arn: provider.arn },
      drift: [],
    });
    expect((await store.get(binding.id))?.drift).toEqual([]);
    expect((await store.get(binding.id))?.driftCheckedAt).toBe('2026-02-01T00:00:00.000Z');
  });

  it('reports a hand-edited trust policy with expected and actual documents and leaves it alone without repair', async () => {
    const { binding, deps, roles, store, trustPolicy } = boundWorld();
    const edited = JSON.parse(JSON.stringify(trustPolicy).replace(':payments:api', ':payments:someone-else'));
    await roles.updateTrustPolicy(binding.roleName, edited);
    roles.writes.length = 0;

    const result = await checkDrift(binding, cluster, { repair: false }, deps);

    expect(result.drift).toEqual([{ what: 'trustPolicy', expected: trustPolicy, actual: edited }]);
    expect(result.detail).toMatch(/drift in trustPolicy \(not repaired/);
    expect((await store.get(binding.id))?.drift).toEqual(result.drift);
    expect(roles.writes).toEqual([]);
    expect((await roles.get(binding.roleName))?.trustPolicy).toEqual(edited);
  });

  it('repairs trust policy, attachments and annotation on its own role when asked, then finds nothing left', async () => {
    const { binding, deps, roles, k8s, role, trustPolicy } = boundWorld();
    await roles.updateTrustPolicy(binding.roleName, { Version: '2012-10-17', Statement: [] });
    await roles.detachPolicy(binding.roleName, readOnly);
    await roles.attachPolicy(binding.roleName, s3);
    k8s.put(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: binding.serviceAccountName,
          namespace: binding.namespace,
          annotations: { [ROLE_ARN_ANNOTATION]: 'arn:aws:iam::111122223333:role/other' },
        },
      },
      'irsa-broker',
    );

    const result = await checkDrift(binding, cluster, { repair: true }, deps);

    expect(result.drift).toEqual([]);
    expect(result.repaired).toEqual([
      'trust policy',
      `attached ${readOnly}`,
      `detached ${s3}`,
      'role-arn annotation',
    ]);
    expect(result.detail).toBe(
      `drift in trustPolicy, policyArns, serviceAccount.annotations.${ROLE_ARN_ANNOTATION}; repaired trust policy, attached ${readOnly}, detached ${s3}, role-arn annotation`,
    );
    const live = await roles.get(binding.roleName);
    expect(live?.trustPolicy).toEqual(trustPolicy);
    expect(live?.attachedPolicyArns).toEqual([readOnly]);
    const sa = await k8s.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: binding.namespace,
      name: binding.serviceAccountName,
    });
    expect(sa?.metadata.annotations?.[ROLE_ARN_ANNOTATION]).toBe(role.arn);
  });

  it('reports a removed boundary, edited tags and a longer session as drift and repairs them on its own role', async () => {
    const { binding, deps, roles } = boundWorld();
    const tagged = { ...binding, tags: { team: 'payments', cost: 'c-1' } };
    await roles.tag(binding.roleName, { team: 'payments', cost: 'edited', extra: 'someone else' });
    await roles.setPermissionsBoundary(binding.roleName, undefined);
    await roles.update(binding.roleName, { maxSessionDuration: 43200 });

    const seen = await checkDrift(tagged, cluster, { repair: false }, deps).catch((e: unknown) => e);
    expect((await deps.store.get(binding.id))?.drift).toEqual([
      { what: 'permissionsBoundary', expected: boundary, actual: null },
      { what: 'tags', expected: { cost: 'c-1' }, actual: { cost: 'edited' } },
      { what: 'maxSessionDuration', expected: 3600, actual: 43200 },
    ]);
    expect(seen).not.toBeInstanceOf(Error);

    const repaired = await checkDrift(tagged, cluster, { repair: true }, deps);
    expect(repaired.drift).toEqual([]);
    expect(repaired.repaired).toEqual(['permissions boundary', 'tags', 'max session duration']);
    const live = await roles.get(binding.roleName);
    expect(live).toMatchObject({ permissionsBoundaryArn: boundary, maxSessionDuration: 3600 });
    // A tag someone else added is theirs: neither drift nor removed.
    expect(live?.tags).toMatchObject({ team: 'payments', cost: 'c-1', extra: 'someone else' });
  });

  it('never repairs a role that another binding or no one owns, and fails: the binding no longer works', async () => {
    const { binding, deps, roles } = boundWorld();
    const role = await roles.get(binding.roleName);
    if (!role) throw new Error('role missing');
    roles.put({
      ...role,
      tags: ownershipTags('bnd_someone_else'),
      trustPolicy: { Version: '2012-10-17', Statement: [] },
    });
    roles.writes.length = 0;

    const error = await checkDrift(binding, cluster, { repair: true }, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VerificationFailedError);
    expect((error as Error).message).toMatch(/roleOwnership, trustPolicy/);
    expect(roles.writes).toEqual([]);
    expect((await deps.store.get(binding.id))?.drift?.map((d) => d.what)).toEqual([
      'roleOwnership',
      'trustPolicy',
      'tags',
    ]);
  });

  it('reports a deleted role and a missing OIDC provider and fails', async () => {
    const { binding, deps, roles, role, provider } = boundWorld();
    await roles.delete(binding.roleName);
    deps.oidcProviders.providers.clear();

    const error = await checkDrift(binding, cluster, { repair: true }, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(VerificationFailedError);
    expect((await deps.store.get(binding.id))?.drift).toEqual([
      { what: 'oidcProvider', expected: provider.arn, actual: null },
      { what: 'role', expected: role.arn, actual: null },
    ]);
    expect(role.arn).toContain(ACCOUNT_ID);
  });

  it('re-creates a deleted ServiceAccount only when the binding created it', async () => {
    const { binding, deps, k8s, role } = boundWorld();
    const ref = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: binding.namespace,
      name: binding.serviceAccountName,
    };
    await k8s.delete(ref);

    const annotateOnly = await checkDrift(
      { ...binding, createServiceAccount: false },
      cluster,
      { repair: true },
      deps,
    );
    expect(annotateOnly.drift).toEqual([
      {
        what: 'serviceAccount',
        expected: `${binding.namespace}/${binding.serviceAccountName}`,
        actual: null,
      },
    ]);
    expect(await k8s.get(ref)).toBeUndefined();

    const created = await checkDrift(binding, cluster, { repair: true }, deps);
    expect(created.drift).toEqual([]);
    expect((await k8s.get(ref))?.metadata.annotations?.[ROLE_ARN_ANNOTATION]).toBe(role.arn);
  });
});

describe('RecordOutcome after a failed drift check', () => {
  it('blames CheckDrift when it failed, not the VerifyIdentity that never ran', async () => {
    const { binding, store } = boundWorld();
    await store.transition(binding.id, {
      from: ['RUNNING'],
      to: 'RUNNING',
      actor: 't',
      at: '2026-02-01T00:00:00.000Z',
      steps: [
        { name: 'DescribeCluster', status: 'SUCCEEDED' },
        { name: 'CheckDrift', status: 'FAILED', detail: 'VerificationFailed: role gone' },
        { name: 'VerifyIdentity', status: 'PENDING' },
      ],
    });

    const result = await recordOutcome(
      {
        bindingId: binding.id,
        error: {
          Error: 'VerificationFailed',
          Cause: JSON.stringify({ errorType: 'VerificationFailed', errorMessage: 'role gone' }),
        },
      },
      { store, clock: new FakeClock(new Date('2026-02-01T00:00:01.000Z')) },
    );

    expect(result).toMatchObject({
      status: 'FAILED',
      error: { step: 'CheckDrift', code: 'VerificationFailed', message: 'role gone' },
    });
    expect((await store.get(binding.id))?.steps.find((s) => s.name === 'VerifyIdentity')?.status).toBe(
      'PENDING',
    );
  });
});

/** A SUCCEEDED pod-identity binding: its role with the Pod Identity trust, its association, no annotation. */
function podIdentityWorld() {
  const world = boundWorld();
  const { binding: irsaBinding, deps, roles, k8s } = world;
  const piCluster = { ...cluster, mode: 'pod-identity' as const, podIdentityAgent: 'ACTIVE' };
  const trustPolicy = buildBindingTrustPolicy({
    mode: 'pod-identity',
    podIdentity: {
      accountId: ACCOUNT_ID,
      clusterArn: cluster.arn,
      namespace: irsaBinding.namespace,
      serviceAccountName: irsaBinding.serviceAccountName,
    },
  });
  roles.put({
    ...(roles.roles.get(irsaBinding.roleName) as NonNullable<ReturnType<typeof roles.roles.get>>),
    trustPolicy: structuredClone(trustPolicy) as unknown as Record<string, unknown>,
  });
  const podIdentity = deps.podIdentity;
  const association = podIdentity.add('us-east-1', {
    clusterName: 'demo',
    namespace: irsaBinding.namespace,
    serviceAccount: irsaBinding.serviceAccountName,
    roleArn: world.role.arn,
    disableSessionTags: false,
    tags: ownershipTags(irsaBinding.id),
  });
  const binding: Binding = {
    ...irsaBinding,
    mode: 'pod-identity',
    outputs: {
      roleArn: world.role.arn,
      trustPolicy,
      mode: 'pod-identity',
      podIdentityAssociation: {
        associationId: association.associationId,
        associationArn: association.associationArn,
      },
    },
  };
  k8s.put(
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: binding.serviceAccountName, namespace: binding.namespace },
    },
    'irsa-broker',
  );
  return { ...world, binding, piCluster, trustPolicy, podIdentity, association };
}

describe('CheckDrift of a Pod Identity binding', () => {
  it('finds nothing when role, trust and association are as bound, and asks no OIDC provider', async () => {
    const { binding, deps, piCluster, trustPolicy, association } = podIdentityWorld();
    deps.oidcProviders.providers.clear();

    const result = await checkDrift(binding, piCluster, { repair: false }, deps);

    expect(result).toMatchObject({
      detail: 'no drift',
      trustPolicy,
      drift: [],
      oidcProvider: { status: 'SKIPPED', arn: '' },
      association: { status: 'SUCCEEDED', association: { associationId: association.associationId } },
    });
  });

  it('reports a hand-edited association (role, target role, session tags) and, with repair, puts it back', async () => {
    const { binding, deps, piCluster, podIdentity, association, role } = podIdentityWorld();
    const other = 'arn:aws:iam::111122223333:role/someone-elses';
    await podIdentity.updateAssociation('us-east-1', 'demo', association.associationId, {
      roleArn: other,
      targetRoleArn: 'arn:aws:iam::444455556666:role/target',
      disableSessionTags: true,
    });

    const checked = await checkDrift(binding, piCluster, { repair: false }, deps).catch((e: Error) => e);
    expect(checked).toBeInstanceOf(VerificationFailedError);
    expect((await deps.store.get(binding.id))?.drift).toEqual([
      { what: 'podIdentityAssociation.roleArn', expected: role.arn, actual: other },
      {
        what: 'podIdentityAssociation.targetRoleArn',
        expected: null,
        actual: 'arn:aws:iam::444455556666:role/target',
      },
      { what: 'podIdentityAssociation.disableSessionTags', expected: false, actual: true },
    ]);

    const repaired = await checkDrift(binding, piCluster, { repair: true }, deps);

    expect(repaired.drift).toEqual([]);
    expect(repaired.repaired).toEqual(['pod identity association']);
    const live = await podIdentity.describeAssociation('us-east-1', 'demo', association.associationId);
    expect(live).toMatchObject({ roleArn: role.arn, disableSessionTags: false });
    expect(live).not.toHaveProperty('targetRoleArn');
  });

  it('re-creates a deleted association with the ownership tags, and records the new one', async () => {
    const { binding, deps, piCluster, podIdentity, association } = podIdentityWorld();
    await podIdentity.deleteAssociation('us-east-1', 'demo', association.associationId);

    const result = await checkDrift(binding, piCluster, { repair: true }, deps);

    const made = await podIdentity.findAssociation(
      'us-east-1',
      'demo',
      binding.namespace,
      binding.serviceAccountName,
    );
    expect(made?.tags).toMatchObject(ownershipTags(binding.id));
    expect(result.association.association?.associationId).toBe(made?.associationId);
    expect(result.detail).toBe('drift in podIdentityAssociation; repaired pod identity association');
  });

  it('never takes over an association someone else made for the service account', async () => {
    const { binding, deps, piCluster, podIdentity, association } = podIdentityWorld();
    await podIdentity.deleteAssociation('us-east-1', 'demo', association.associationId);
    const theirs = podIdentity.add('us-east-1', {
      clusterName: 'demo',
      namespace: binding.namespace,
      serviceAccount: binding.serviceAccountName,
      roleArn: 'arn:aws:iam::111122223333:role/theirs',
      disableSessionTags: false,
      tags: {},
    });

    await expect(checkDrift(binding, piCluster, { repair: true }, deps)).rejects.toThrow(
      /no longer works: drift in podIdentityAssociation.roleArn, podIdentityAssociationOwnership/,
    );
    expect(await podIdentity.describeAssociation('us-east-1', 'demo', theirs.associationId)).toEqual(theirs);
  });

  /** A binding chaining into `target` in 444455556666, whose policies the target role carries. */
  function targetWorld(target: string, owned: boolean) {
    const world = podIdentityWorld();
    const binding = { ...world.binding, targetRoleArn: target };
    // The first role only assumes the target role: no managed policies of its own.
    world.roles.put({ ...(world.roles.roles.get(binding.roleName) as RoleState), attachedPolicyArns: [] });
    void world.roles.putInlinePolicy(binding.roleName, 'irsa-broker-target-role', targetRolePolicy(target));
    const targets = world.deps.targetAccounts as FakeTargetAccounts;
    const peer = targets.of('444455556666');
    const name = target.split('/').pop() as string;
    const path = target.slice(target.indexOf(':role') + 5, target.lastIndexOf('/') + 1);
    peer.roles.put({
      name,
      path,
      trustPolicy: targetRoleTrustPolicy(world.role.arn),
      tags: owned ? ownershipTags(binding.id) : {},
      attachedPolicyArns: owned ? [...binding.policyArns] : [],
      ...(owned
        ? {
            permissionsBoundaryArn: targetBoundaryArn(
              world.deps.config.permissionsBoundaryArn,
              '444455556666',
            ),
          }
        : {}),
    });
    return { ...world, binding, peer, name };
  }

  it('with a target role: reports and repairs a removed target-role permission, a dropped target and an edited target role', async () => {
    const target = 'arn:aws:iam::444455556666:role/irsa-broker/irsa-reader';
    const world = targetWorld(target, true);
    await world.roles.deleteInlinePolicy(world.binding.roleName, 'irsa-broker-target-role');
    await world.podIdentity.updateAssociation('us-east-1', 'demo', world.association.associationId, {
      targetRoleArn: null,
    });
    // Someone widened the target role's trust and detached its policy in the target account.
    await world.peer.roles.updateTrustPolicy(world.name, {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' },
      ],
    });
    await world.peer.roles.detachPolicy(world.name, world.binding.policyArns[0] as string);

    const repaired = await checkDrift(world.binding, world.piCluster, { repair: true }, world.deps);

    expect(repaired.detail).toBe(
      'drift in inlinePolicy.irsa-broker-target-role, targetRole.trustPolicy, targetRole.policyArns, ' +
        'podIdentityAssociation.targetRoleArn; repaired target role permission, target role, pod identity association',
    );
    expect(repaired.drift).toEqual([]);
    expect(await world.roles.getInlinePolicy(world.binding.roleName, 'irsa-broker-target-role')).toEqual(
      targetRolePolicy(target),
    );
    const role = await world.peer.roles.get(world.name);
    expect(role?.trustPolicy).toEqual(targetRoleTrustPolicy(world.role.arn));
    expect(role?.attachedPolicyArns).toEqual(world.binding.policyArns);
    expect(
      (await world.podIdentity.describeAssociation('us-east-1', 'demo', world.association.associationId))
        ?.targetRoleArn,
    ).toBe(target);
  });

  it('with a target role it does not own: reports a trust that no longer admits the role and leaves it alone', async () => {
    const target = 'arn:aws:iam::444455556666:role/payments-reader';
    const world = targetWorld(target, false);
    await world.peer.roles.updateTrustPolicy(
      world.name,
      targetRoleTrustPolicy('arn:aws:iam::111122223333:role/someone-else'),
    );
    world.peer.roles.writes.length = 0;

    const attempt = checkDrift(world.binding, world.piCluster, { repair: true }, world.deps);

    await expect(attempt).rejects.toThrow(/no longer works|targetRole.trustPolicy/);
    expect(world.peer.roles.writes).toEqual([]);
    const [item] = (await world.deps.store.get(world.binding.id))?.drift ?? [];
    expect(item).toMatchObject({ what: 'targetRole.trustPolicy', expected: `admits ${world.role.arn}` });
  });

  it('reports an IRSA annotation on a pod-identity ServiceAccount: the SDKs would use it first', async () => {
    const { binding, deps, piCluster, k8s, role } = podIdentityWorld();
    k8s.put(
      {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: binding.serviceAccountName,
          namespace: binding.namespace,
          annotations: { [ROLE_ARN_ANNOTATION]: role.arn },
        },
      },
      'kubectl-edit',
    );

    const result = await checkDrift(binding, piCluster, { repair: false }, deps);

    expect(result.drift).toEqual([
      { what: `serviceAccount.annotations.${ROLE_ARN_ANNOTATION}`, expected: null, actual: role.arn },
    ]);
  });
});
