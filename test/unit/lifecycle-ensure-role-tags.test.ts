// EnsureRole during an update: tag keys the PATCH dropped leave the role; tags others put there stay.
import { describe, expect, it } from '@jest/globals';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { buildTrustPolicy } from '../../lib/domain/trust-policy.js';
import { ensureRole } from '../../lib/use-cases/bind/ensure-role.js';
import { demoCluster, demoOidcProvider } from '../support/fakes/cluster-facts.js';
import { FakeIamManagedPolicies, FakeIamRoles } from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { TEST_BOUNDARY_ARN, testWorkflowConfig } from '../support/fakes/workflow-config.js';

const cluster = demoCluster;
const provider = demoOidcProvider;

describe('EnsureRole with removedTagKeys', () => {
  it('removes only the dropped keys the binding no longer has, keeping ownership and foreign tags', async () => {
    const binding = pendingBinding({ tags: { owner: 'b' } });
    const roles = new FakeIamRoles();
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      trustPolicy: buildTrustPolicy({
        oidcProviderArn: provider.arn,
        issuer: cluster.oidcIssuer,
        namespace: binding.namespace,
        serviceAccountName: binding.serviceAccountName,
      }) as unknown as Record<string, unknown>,
      tags: { team: 'payments', 'cost-center': 'set-by-finance', ...ownershipTags(binding.id) },
      attachedPolicyArns: [...binding.policyArns],
      permissionsBoundaryArn: TEST_BOUNDARY_ARN,
    });
    const deps = {
      roles,
      policies: new FakeIamManagedPolicies(),
      config: testWorkflowConfig(),
      store: new InMemoryBindingStore(binding),
    };

    const result = await ensureRole(binding, cluster, provider, deps, {
      removedTagKeys: ['team', 'owner', 'absent'],
    });

    expect((await roles.get(binding.roleName))?.tags).toEqual({
      owner: 'b',
      'cost-center': 'set-by-finance',
      ...ownershipTags(binding.id),
    });
    expect(result.detail).toMatch(/reconciled \(tags, removed tags team\)/);
  });

  it('removes nothing without removedTagKeys (a bind or retry)', async () => {
    const binding = pendingBinding({ tags: {} });
    const roles = new FakeIamRoles();
    roles.put({
      name: binding.roleName,
      path: '/irsa-broker/',
      trustPolicy: buildTrustPolicy({
        oidcProviderArn: provider.arn,
        issuer: cluster.oidcIssuer,
        namespace: binding.namespace,
        serviceAccountName: binding.serviceAccountName,
      }) as unknown as Record<string, unknown>,
      tags: { team: 'payments', ...ownershipTags(binding.id) },
      attachedPolicyArns: [...binding.policyArns],
      permissionsBoundaryArn: TEST_BOUNDARY_ARN,
    });
    const deps = {
      roles,
      policies: new FakeIamManagedPolicies(),
      config: testWorkflowConfig(),
      store: new InMemoryBindingStore(binding),
    };

    await ensureRole(binding, cluster, provider, deps);

    expect((await roles.get(binding.roleName))?.tags).toEqual({
      team: 'payments',
      ...ownershipTags(binding.id),
    });
    expect(roles.writes.filter((w) => w.startsWith('untag'))).toEqual([]);
  });
});
