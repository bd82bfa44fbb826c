// EnsureRole and the tag keys an update dropped (the binding's droppedTagKeys): they leave the role; tags
// others put there stay.
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { buildTrustPolicy } from '../../lib/domain/trust-policy.js';
import { ensureRole } from '../../lib/use-cases/bind/ensure-role.js';
import { demoCluster, demoOidcProvider } from '../support/fakes/cluster-facts.js';
import { FakeIamManagedPolicies, FakeIamRoles, FakeTargetAccounts } from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { TEST_BOUNDARY_ARN, testWorkflowConfig } from '../support/fakes/workflow-config.js';

/** The binding's role as bound, carrying `tags` besides the ownership tags; EnsureRole's deps over it. */
function boundRole(binding: Binding, tags: Record<string, string>) {
  const roles = new FakeIamRoles();
  roles.put({
    name: binding.roleName,
    path: '/irsa-broker/',
    trustPolicy: buildTrustPolicy({
      oidcProviderArn: demoOidcProvider.arn,
      issuer: demoCluster.oidcIssuer,
      namespace: binding.namespace,
      serviceAccountName: binding.serviceAccountName,
    }) as unknown as Record<string, unknown>,
    tags: { ...tags, ...ownershipTags(binding.id) },
    attachedPolicyArns: [...binding.policyArns],
    permissionsBoundaryArn: TEST_BOUNDARY_ARN,
  });
  const deps = {
    roles,
    policies: new FakeIamManagedPolicies(),
    config: testWorkflowConfig(),
    store: new InMemoryBindingStore(binding),
    targetAccounts: new FakeTargetAccounts(),
  };
  return { roles, deps };
}

describe('EnsureRole with droppedTagKeys', () => {
  it('removes only the dropped keys the binding no longer has, keeping ownership and foreign tags', async () => {
    const binding = {
      ...pendingBinding({ tags: { owner: 'b' } }),
      droppedTagKeys: ['team', 'owner', 'absent'],
    };
    const { roles, deps } = boundRole(binding, { team: 'payments', 'cost-center': 'set-by-finance' });

    const result = await ensureRole(binding, demoCluster, demoOidcProvider, deps);

    expect((await roles.get(binding.roleName))?.tags).toEqual({
      owner: 'b',
      'cost-center': 'set-by-finance',
      ...ownershipTags(binding.id),
    });
    expect(result.detail).toMatch(/reconciled \(tags, removed tags team\)/);
  });

  it('removes nothing when no update dropped a key (a bind or a retry of one)', async () => {
    const binding = pendingBinding({ tags: {} });
    const { roles, deps } = boundRole(binding, { team: 'payments' });

    await ensureRole(binding, demoCluster, demoOidcProvider, deps);

    expect((await roles.get(binding.roleName))?.tags).toEqual({
      team: 'payments',
      ...ownershipTags(binding.id),
    });
    expect(roles.writes.filter((w) => w.startsWith('untag'))).toEqual([]);
  });
});
