import { describe, expect, it } from '@jest/globals';
import { NotAllowedError, RoleConflictError } from '../../lib/domain/errors.js';
import { BINDING_ID_TAG, MANAGED_BY_TAG, ownershipTags } from '../../lib/domain/ownership.js';
import { ensureRole } from '../../lib/use-cases/bind/ensure-role.js';
import { DEMO_ISSUER_HOST, demoCluster, demoOidcProvider } from '../support/fakes/cluster-facts.js';
import {
  ACCOUNT_ID,
  FakeIamManagedPolicies,
  FakeIamRoles,
  FakeTargetAccounts,
} from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { TEST_BOUNDARY_ARN, testWorkflowConfig } from '../support/fakes/workflow-config.js';

const cluster = demoCluster;
const provider = demoOidcProvider;
const config = testWorkflowConfig();
const policies = new FakeIamManagedPolicies();
const store = new InMemoryBindingStore();
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const depsOf = (roles: FakeIamRoles, bindings: InMemoryBindingStore = store) => ({
  roles,
  policies,
  config,
  store: bindings,
  targetAccounts: new FakeTargetAccounts(),
});

const expectedTrustPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: provider.arn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${DEMO_ISSUER_HOST}:sub`]: 'system:serviceaccount:payments:api',
          [`${DEMO_ISSUER_HOST}:aud`]: 'sts.amazonaws.com',
        },
      },
    },
  ],
};

describe('EnsureRole', () => {
  it('creates the role under the configured path with exactly the IRSA trust policy, tags and policies', async () => {
    // Prepare
    const roles = new FakeIamRoles();
    const binding = pendingBinding();

    // Act
    const result = await ensureRole(binding, cluster, provider, depsOf(roles));

    // Assess
    const role = await roles.get(binding.roleName);
    expect(role?.trustPolicy).toEqual(expectedTrustPolicy);
    expect(role?.path).toBe('/irsa-broker/');
    expect(role?.arn).toBe(`arn:aws:iam::${ACCOUNT_ID}:role/irsa-broker/${binding.roleName}`);
    expect(role?.tags).toEqual({ team: 'payments', ...ownershipTags(binding.id) });
    expect(role?.attachedPolicyArns).toEqual([readOnly]);
    expect(result).toEqual({
      status: 'SUCCEEDED',
      detail: `created ${role?.arn}`,
      name: binding.roleName,
      arn: role?.arn,
      trustPolicy: expectedTrustPolicy,
    });
  });

  it('uses the requested audience in the aud condition', async () => {
    const roles = new FakeIamRoles();
    const binding = pendingBinding({ audience: 'my-audience' });

    const result = await ensureRole(binding, cluster, provider, depsOf(roles));

    expect(result.trustPolicy.Statement[0]?.Condition.StringEquals[`${DEMO_ISSUER_HOST}:aud`]).toBe(
      'my-audience',
    );
  });

  it('fails RoleConflict on a role irsa-broker does not own and leaves it untouched', async () => {
    // Prepare
    const roles = new FakeIamRoles();
    const binding = pendingBinding();
    const foreignPolicy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    roles.put({
      name: binding.roleName,
      path: '/',
      trustPolicy: foreignPolicy,
      tags: { owner: 'someone' },
      attachedPolicyArns: [s3],
    });
    const before = structuredClone(await roles.get(binding.roleName));

    // Act
    const attempt = ensureRole(binding, cluster, provider, depsOf(roles));

    // Assess
    await expect(attempt).rejects.toThrow(RoleConflictError);
    await expect(attempt).rejects.toThrow(/irsa-broker did not create it; it was left unchanged/);
    expect(await roles.get(binding.roleName)).toEqual(before);
    expect(roles.writes).toEqual([]);
  });

  it('fails RoleConflict on a role an active binding owns, naming that binding', async () => {
    // Prepare
    const roles = new FakeIamRoles();
    const binding = pendingBinding();
    const owner = { ...pendingBinding({ id: 'bnd_other' }), status: 'SUCCEEDED' as const };
    roles.put({ name: binding.roleName, trustPolicy: expectedTrustPolicy, tags: ownershipTags(owner.id) });

    // Act
    const attempt = ensureRole(binding, cluster, provider, depsOf(roles, new InMemoryBindingStore(owner)));

    // Assess
    await expect(attempt).rejects.toThrow(/belongs to irsa-broker binding bnd_other, which is still active/);
    expect(roles.writes).toEqual([]);
  });

  it('takes over the role of a FAILED binding of the same service account, retagging it', async () => {
    // Prepare
    const roles = new FakeIamRoles();
    const binding = pendingBinding();
    const failed = { ...pendingBinding({ id: 'bnd_failed' }), status: 'FAILED' as const };
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      permissionsBoundaryArn: TEST_BOUNDARY_ARN,
      trustPolicy: expectedTrustPolicy,
      tags: { ...binding.tags, ...ownershipTags(failed.id) },
      attachedPolicyArns: [readOnly],
    });

    // Act
    const result = await ensureRole(
      binding,
      cluster,
      provider,
      depsOf(roles, new InMemoryBindingStore(failed)),
    );

    // Assess
    expect((await roles.get(binding.roleName))?.tags[BINDING_ID_TAG]).toBe(binding.id);
    expect(result.detail).toMatch(/^taken over from binding bnd_failed \(FAILED\), reconciled \(tags\)/);
  });

  it('does not take a role that is only tagged managed-by without this binding id', async () => {
    const roles = new FakeIamRoles();
    const binding = pendingBinding();
    roles.put({
      name: binding.roleName,
      trustPolicy: expectedTrustPolicy,
      tags: { [MANAGED_BY_TAG]: 'irsa-broker' },
    });

    await expect(ensureRole(binding, cluster, provider, depsOf(roles))).rejects.toThrow(RoleConflictError);
  });

  it('reconciles a role this binding owns: trust policy, tags, and attachments made to match', async () => {
    // Prepare
    const roles = new FakeIamRoles();
    roles.policies.add(s3);
    const binding = pendingBinding();
    const drifted = structuredClone(expectedTrustPolicy);
    drifted.Statement[0]!.Condition.StringEquals[`${DEMO_ISSUER_HOST}:sub`] =
      'system:serviceaccount:payments:other';
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      permissionsBoundaryArn: TEST_BOUNDARY_ARN,
      trustPolicy: drifted,
      tags: { ...ownershipTags(binding.id), team: 'old' },
      attachedPolicyArns: [s3],
    });

    // Act
    const result = await ensureRole(binding, cluster, provider, depsOf(roles));

    // Assess
    const role = await roles.get(binding.roleName);
    expect(role?.trustPolicy).toEqual(expectedTrustPolicy);
    expect(role?.tags).toEqual({ team: 'payments', ...ownershipTags(binding.id) });
    expect(role?.attachedPolicyArns).toEqual([readOnly]);
    expect(result.detail).toMatch(/^reconciled \(trust policy, tags, detached .*AmazonS3ReadOnlyAccess\)/);
  });

  it('leaves an owned role whose trust policy differs only in key order unchanged', async () => {
    // Prepare: the same document with keys in another order, as IAM may return it.
    const roles = new FakeIamRoles();
    const binding = pendingBinding();
    const statement = expectedTrustPolicy.Statement[0]!;
    const reordered = {
      Statement: [
        {
          Condition: statement.Condition,
          Action: statement.Action,
          Principal: statement.Principal,
          Effect: 'Allow',
        },
      ],
      Version: '2012-10-17',
    };
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      permissionsBoundaryArn: TEST_BOUNDARY_ARN,
      trustPolicy: reordered,
      tags: { ...binding.tags, ...ownershipTags(binding.id) },
      attachedPolicyArns: [readOnly],
    });

    // Act
    const result = await ensureRole(binding, cluster, provider, depsOf(roles));

    // Assess
    expect(result.detail).toMatch(/^unchanged /);
    expect(roles.writes.filter((w) => !w.startsWith('attachPolicy'))).toEqual([]);
  });

  it('refuses a role name outside ROLE_NAME_PREFIX without calling IAM', async () => {
    const roles = new FakeIamRoles();
    const binding = pendingBinding({ roleName: 'AdminRole' });

    await expect(ensureRole(binding, cluster, provider, depsOf(roles))).rejects.toThrow(NotAllowedError);
    expect(roles.roles.size).toBe(0);
  });

  it('keeps the ownership tags even when the caller passes tags with the same keys', async () => {
    const roles = new FakeIamRoles();
    const binding = pendingBinding({ tags: { [BINDING_ID_TAG]: 'bnd_spoofed' } });

    await ensureRole(binding, cluster, provider, depsOf(roles));

    expect((await roles.get(binding.roleName))?.tags[BINDING_ID_TAG]).toBe(binding.id);
  });
});
