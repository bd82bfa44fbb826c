import { describe, expect, it } from '@jest/globals';
import { NotAllowedError, PolicyNotFoundError } from '../../lib/domain/errors.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { buildTrustPolicy } from '../../lib/domain/trust-policy.js';
import { ensureRole } from '../../lib/use-cases/bind/ensure-role.js';
import { demoCluster, demoOidcProvider } from '../support/fakes/cluster-facts.js';
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
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const customIam = `arn:aws:iam::${ACCOUNT_ID}:policy/team/ops-helper`;

function world(env: Record<string, string> = {}) {
  const roles = new FakeIamRoles();
  const policies = new FakeIamManagedPolicies();
  roles.policies.add(customIam);
  policies.documents.set(customIam, {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
      { Sid: 'Helpers', Effect: 'Allow', Action: ['iam:*'], Resource: `arn:aws:iam::${ACCOUNT_ID}:role/*` },
    ],
  });
  const deps = {
    roles,
    policies,
    config: testWorkflowConfig(env),
    store: new InMemoryBindingStore(),
    targetAccounts: new FakeTargetAccounts(),
  };
  return { roles, policies, deps };
}

async function refusal(attempt: Promise<unknown>): Promise<NotAllowedError> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof NotAllowedError) return error;
    throw error;
  }
  throw new Error('expected a NotAllowedError');
}

describe('EnsureRole guardrails', () => {
  it('creates every role under ROLE_PATH with the configured permissions boundary', async () => {
    const { roles, deps } = world();
    const binding = pendingBinding();

    await ensureRole(binding, cluster, provider, deps);

    const role = await roles.get(binding.roleName);
    expect(role?.permissionsBoundaryArn).toBe(TEST_BOUNDARY_ARN);
    expect(role?.path).toBe('/irsa-broker/');
  });

  it('refuses AdministratorAccess with the rule named, before any IAM call', async () => {
    const { roles, policies, deps } = world();
    const binding = pendingBinding({ policyArns: [readOnly, 'arn:aws:iam::aws:policy/AdministratorAccess'] });

    const error = await refusal(ensureRole(binding, cluster, provider, deps));

    expect(error.rule).toBe('denied-policy');
    expect(error.message).toMatch(/AdministratorAccess is on irsa-broker's deny-list/);
    expect(roles.writes).toEqual([]);
    expect(policies.reads).toEqual([]);
  });

  it('refuses a policy on the configured deny-list', async () => {
    const { roles, deps } = world({ DENIED_POLICY_ARNS: readOnly });

    const error = await refusal(ensureRole(pendingBinding(), cluster, provider, deps));

    expect(error.rule).toBe('denied-policy');
    expect(roles.writes).toEqual([]);
  });

  it('refuses a customer policy granting iam:* after reading its document, creating nothing', async () => {
    const { roles, policies, deps } = world();
    const binding = pendingBinding({ policyArns: [readOnly, customIam] });

    const error = await refusal(ensureRole(binding, cluster, provider, deps));

    expect(error.rule).toBe('policy-grants-iam');
    expect(error.message).toContain(customIam);
    expect(error.message).toMatch(/statement Helpers allows "iam:\*"/);
    expect(policies.reads).toEqual([readOnly, customIam]);
    expect(roles.writes).toEqual([]);
  });

  it('fails PolicyNotFound for a policy that does not exist, creating nothing', async () => {
    const { roles, deps } = world();
    const binding = pendingBinding({ policyArns: [`arn:aws:iam::${ACCOUNT_ID}:policy/missing`] });

    await expect(ensureRole(binding, cluster, provider, deps)).rejects.toThrow(PolicyNotFoundError);
    expect(roles.writes).toEqual([]);
  });

  it('puts the boundary back on an owned role that lost it', async () => {
    const { roles, deps } = world();
    const binding = pendingBinding();
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      trustPolicy: buildTrustPolicy({
        oidcProviderArn: provider.arn,
        issuer: cluster.oidcIssuer,
        namespace: binding.namespace,
        serviceAccountName: binding.serviceAccountName,
      }) as unknown as Record<string, unknown>,
      tags: { ...binding.tags, ...ownershipTags(binding.id) },
      attachedPolicyArns: [readOnly],
    });

    const result = await ensureRole(binding, cluster, provider, deps);

    expect((await roles.get(binding.roleName))?.permissionsBoundaryArn).toBe(TEST_BOUNDARY_ARN);
    expect(result.detail).toMatch(/^reconciled \(permissions boundary\)/);
  });

  it('leaves an owned role outside ROLE_PATH untouched', async () => {
    const { roles, deps } = world();
    const binding = pendingBinding();
    roles.put({
      name: binding.roleName,
      path: '/elsewhere/',
      trustPolicy: {},
      tags: ownershipTags(binding.id),
    });

    const error = await refusal(ensureRole(binding, cluster, provider, deps));

    expect(error.rule).toBe('role-path-and-prefix');
    expect(error.message).toMatch(/path \/elsewhere\/, outside this irsa-broker's \/irsa-broker\//);
    expect(roles.writes).toEqual([]);
  });
});
