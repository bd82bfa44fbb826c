// Pod Identity target roles in their own account: created with the binding's policies and a trust that
// admits exactly the binding's role, reconciled and deleted only when ours, an existing role not ours only
// trust-checked (and only when the binding may use one), nothing written there before every check passed.
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import {
  InputError,
  NotAllowedError,
  RoleConflictError,
  TargetAccountAccessDeniedError,
  TargetRoleUntrustedError,
} from '../../lib/domain/errors.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import {
  parseTargetRoleArn,
  targetAccessPolicy,
  targetBoundaryArn,
  targetRoleTrustPolicy,
  trustAdmitsRole,
} from '../../lib/domain/target-role.js';
import {
  mayUseExistingTargetRole,
  type TenantPolicy,
  type TenantRules,
} from '../../lib/domain/tenant-policy.js';
import { ensureRole } from '../../lib/use-cases/bind/ensure-role.js';
import { deleteRole } from '../../lib/use-cases/unbind/delete-role.js';
import { demoCluster } from '../support/fakes/cluster-facts.js';
import { FakeIamManagedPolicies, FakeIamRoles, FakeTargetAccounts } from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { TEST_BOUNDARY_ARN, testWorkflowConfig } from '../support/fakes/workflow-config.js';

const PEER = '444455556666';
const cluster = { ...demoCluster, mode: 'pod-identity' as const };
const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const created = `arn:aws:iam::${PEER}:role/irsa-broker/irsa-target-reader`;

function world(binding: Binding) {
  const roles = new FakeIamRoles();
  const targetAccounts = new FakeTargetAccounts();
  const peer = targetAccounts.of(PEER);
  peer.roles.policies.add(readOnly);
  const deps = {
    roles,
    policies: new FakeIamManagedPolicies(),
    config: testWorkflowConfig(),
    store: new InMemoryBindingStore(binding),
    targetAccounts,
  };
  const bindingRoleArn = `arn:aws:iam::111122223333:role/irsa-broker/${binding.roleName}`;
  return {
    roles,
    peer,
    deps,
    targetAccounts,
    bindingRoleArn,
    bind: () => ensureRole(binding, cluster, undefined, deps),
  };
}

describe('EnsureRole with a target role irsa-broker creates', () => {
  it('creates it in the target account: exact trust, boundary of the same name there, ownership tags, the policies', async () => {
    const binding = pendingBinding({ targetRoleArn: created, policyArns: [readOnly] });
    const { roles, peer, bindingRoleArn, bind } = world(binding);

    const result = await bind();

    expect(result.detail).toContain(`; target role ${created} created with 1 managed policy`);
    const target = await peer.roles.get('irsa-target-reader');
    expect(target).toMatchObject({
      arn: created,
      path: '/irsa-broker/',
      trustPolicy: targetRoleTrustPolicy(bindingRoleArn),
      permissionsBoundaryArn: targetBoundaryArn(TEST_BOUNDARY_ARN, PEER),
      attachedPolicyArns: [readOnly],
    });
    expect(target?.permissionsBoundaryArn).toBe(
      `arn:aws:iam::${PEER}:policy/irsa-broker/irsa-broker-boundary`,
    );
    expect(target?.tags).toMatchObject({ ...binding.tags, ...ownershipTags(binding.id) });
    // The binding's own role only chains: no managed policy of its own.
    expect((await roles.get(binding.roleName))?.attachedPolicyArns).toEqual([]);
  });

  it('is idempotent, and puts back an edited trust and a detached policy, removing one added by hand', async () => {
    const binding = pendingBinding({ targetRoleArn: created, policyArns: [readOnly] });
    const { peer, bindingRoleArn, bind } = world(binding);
    await bind();
    expect((await bind()).detail).toContain(`target role ${created} unchanged`);
    peer.roles.policies.add('arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    await peer.roles.updateTrustPolicy(
      'irsa-target-reader',
      targetRoleTrustPolicy('arn:aws:iam::111122223333:root'),
    );
    await peer.roles.detachPolicy('irsa-target-reader', readOnly);
    await peer.roles.attachPolicy('irsa-target-reader', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');

    const again = await bind();

    expect(again.detail).toContain(
      'reconciled (trust policy, detached arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess)',
    );
    const target = await peer.roles.get('irsa-target-reader');
    expect(target?.trustPolicy).toEqual(targetRoleTrustPolicy(bindingRoleArn));
    expect(target?.attachedPolicyArns).toEqual([readOnly]);
  });

  it('refuses to create a role outside ROLE_PATH/ROLE_NAME_PREFIX there, before any write in the target account', async () => {
    const binding = pendingBinding({ targetRoleArn: `arn:aws:iam::${PEER}:role/reader` });
    const { peer, bind } = world(binding);

    const error = await bind().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(`arn:aws:iam::${PEER}:role/irsa-broker/irsa-*`);
    expect(peer.roles.writes).toEqual([]);
  });

  it('refuses a policy that grants IAM before anything is written in the target account', async () => {
    const iamFull = 'arn:aws:iam::aws:policy/IAMFullAccess';
    const binding = pendingBinding({ targetRoleArn: created, policyArns: [iamFull] });
    const { peer, bind } = world(binding);

    const error = await bind().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NotAllowedError);
    expect(peer.roles.writes).toEqual([]);
  });

  it('fails TargetAccountAccessDenied when irsa-broker has no access role in the account', async () => {
    const binding = pendingBinding({ targetRoleArn: created });
    const { targetAccounts, bind } = world(binding);
    targetAccounts.unreachable.add(PEER);

    await expect(bind()).rejects.toBeInstanceOf(TargetAccountAccessDeniedError);
  });
});

describe('EnsureRole with an existing target role irsa-broker did not create', () => {
  const theirs = `arn:aws:iam::${PEER}:role/payments-reader`;
  const existing = (binding: Binding, trust: Record<string, unknown>) => {
    const w = world(binding);
    w.peer.roles.put({ name: 'payments-reader', trustPolicy: trust });
    w.peer.roles.writes.length = 0;
    return w;
  };

  it('refuses it (RoleConflict) unless the binding may use existing roles, touching nothing', async () => {
    const binding = pendingBinding({ targetRoleArn: theirs, policyArns: [] });
    const { peer, bind } = existing(binding, targetRoleTrustPolicy(`arn:aws:iam::111122223333:role/x`));

    const error = await bind().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RoleConflictError);
    expect((error as Error).message).toContain('existingTargetRoleAccounts');
    expect(peer.roles.writes).toEqual([]);
  });

  it('only checks its trust when allowed: admitted → SUCCEEDED with nothing written there', async () => {
    const binding = {
      ...pendingBinding({ targetRoleArn: theirs, policyArns: [] }),
      allowExistingTargetRole: true,
    };
    const w = world(binding);
    w.peer.roles.put({
      name: 'payments-reader',
      trustPolicy: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: 'arn:aws:iam::111122223333:root' },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: { ArnEquals: { 'aws:PrincipalArn': w.bindingRoleArn } },
          },
        ],
      },
    });
    w.peer.roles.writes.length = 0;

    const result = await w.bind();

    expect(result.detail).toContain(
      `existing target role ${theirs} trusts it (not irsa-broker's: only checked)`,
    );
    expect(w.peer.roles.writes).toEqual([]);
  });

  it('fails TargetRoleUntrusted with the statement to add when its trust does not admit the role', async () => {
    const binding = {
      ...pendingBinding({ targetRoleArn: theirs, policyArns: [] }),
      allowExistingTargetRole: true,
    };
    const { peer, bindingRoleArn, bind } = existing(binding, {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' },
      ],
    });

    const error = await bind().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TargetRoleUntrustedError);
    expect((error as Error).message).toContain(
      `no statement allows ${bindingRoleArn} to call sts:TagSession`,
    );
    expect((error as Error).message).toContain(
      JSON.stringify({
        Sid: 'ChainedFromBindingRole',
        Effect: 'Allow',
        Principal: { AWS: bindingRoleArn },
        Action: ['sts:AssumeRole', 'sts:TagSession'],
      }),
    );
    expect(peer.roles.writes).toEqual([]);
  });

  it('refuses to attach the binding policies to it (its permissions are its owner’s)', async () => {
    const binding = {
      ...pendingBinding({ targetRoleArn: theirs, policyArns: [readOnly] }),
      allowExistingTargetRole: true,
    };
    const { peer, bind } = existing(binding, targetRoleTrustPolicy('arn:aws:iam::111122223333:root'));

    const error = await bind().catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RoleConflictError);
    expect((error as Error).message).toContain('Drop policyArns');
    expect(peer.roles.writes).toEqual([]);
  });
});

describe('DeleteRole with a target role', () => {
  it('deletes the target role this binding made, then its own role', async () => {
    const binding = pendingBinding({ targetRoleArn: created, policyArns: [readOnly] });
    const { roles, peer, deps, bind } = world(binding);
    await bind();

    const outcome = await deleteRole(binding, binding.roleName, deps);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.detail).toContain(`; deleted target role ${created}`);
    expect(await peer.roles.get('irsa-target-reader')).toBeUndefined();
    expect(await roles.get(binding.roleName)).toBeUndefined();
  });

  it('leaves a target role that is not this binding’s', async () => {
    const theirs = `arn:aws:iam::${PEER}:role/irsa-broker/irsa-someone`;
    const binding = pendingBinding({ targetRoleArn: theirs });
    const { peer, deps } = world(binding);
    peer.roles.put({
      name: 'irsa-someone',
      path: '/irsa-broker/',
      trustPolicy: {},
      tags: ownershipTags('bnd_other'),
    });

    const outcome = await deleteRole(binding, binding.roleName, deps);

    expect(outcome.detail).toContain(`target role ${theirs} is not this binding's (left unchanged)`);
    expect(await peer.roles.get('irsa-someone')).toBeDefined();
  });
});

describe('trustAdmitsRole', () => {
  const role = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-a';
  const allow = (statement: Record<string, unknown>) => ({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', ...statement }],
  });
  const both = ['sts:AssumeRole', 'sts:TagSession'];

  it('admits the role by ARN, by its account (root or bare id), and sts:* actions', () => {
    expect(
      trustAdmitsRole(allow({ Principal: { AWS: role }, Action: both }), role, '111122223333').admits,
    ).toBe(true);
    expect(
      trustAdmitsRole(allow({ Principal: { AWS: '111122223333' }, Action: 'sts:*' }), role, '111122223333')
        .admits,
    ).toBe(true);
  });

  it('evaluates aws:PrincipalArn and leaves other conditions to STS, saying which', () => {
    const pinned = allow({
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: both,
      Condition: {
        ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/irsa-broker/*' },
        StringEquals: { 'sts:ExternalId': 'x' },
      },
    });
    expect(trustAdmitsRole(pinned, role, '111122223333')).toEqual({
      admits: true,
      unevaluated: ['StringEquals sts:ExternalId'],
    });
    const other = allow({
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: both,
      Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/b' } },
    });
    expect(trustAdmitsRole(other, role, '111122223333').admits).toBe(false);
  });

  it('refuses another principal, a service principal, and an explicit Deny', () => {
    expect(
      trustAdmitsRole(
        allow({ Principal: { AWS: 'arn:aws:iam::999999999999:root' }, Action: both }),
        role,
        '111122223333',
      ).admits,
    ).toBe(false);
    expect(
      trustAdmitsRole(
        allow({ Principal: { Service: 'ec2.amazonaws.com' }, Action: both }),
        role,
        '111122223333',
      ).admits,
    ).toBe(false);
    const denied = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: role }, Action: both },
        { Effect: 'Deny', Principal: { AWS: role }, Action: 'sts:TagSession' },
      ],
    };
    expect(trustAdmitsRole(denied, role, '111122223333')).toEqual({
      admits: false,
      why: `a Deny statement refuses sts:TagSession to ${role}`,
    });
  });
});

describe('target account rules', () => {
  it('parses a target role ARN with its path', () => {
    expect(parseTargetRoleArn(created)).toEqual({
      arn: created,
      account: PEER,
      path: '/irsa-broker/',
      name: 'irsa-target-reader',
    });
  });

  it('lets the access role create roles only with the boundary, and manage only under the path and prefix', () => {
    const policy = targetAccessPolicy(
      {
        brokerAccount: '111122223333',
        brokerPrincipalArnPattern: 'arn:aws:iam::111122223333:role/irsa-broker-target-callers/*',
        rolePath: '/irsa-broker/',
        roleNamePrefix: 'irsa-',
        boundaryArn: targetBoundaryArn(TEST_BOUNDARY_ARN, PEER),
      },
      PEER,
    );
    const statements = policy.Statement as { Sid: string; Resource: unknown; Condition?: unknown }[];
    expect(statements.find((s) => s.Sid === 'CreateTargetRolesWithBoundary')).toMatchObject({
      Resource: `arn:aws:iam::${PEER}:role/irsa-broker/irsa-*`,
      Condition: {
        StringEquals: {
          'iam:PermissionsBoundary': `arn:aws:iam::${PEER}:policy/irsa-broker/irsa-broker-boundary`,
        },
      },
    });
    expect(statements.find((s) => s.Sid === 'ManageTargetRoles')?.Resource).toBe(
      `arn:aws:iam::${PEER}:role/irsa-broker/irsa-*`,
    );
  });

  it('lets admins, and tenants whose existingTargetRoleAccounts list the account, use existing roles', () => {
    const tenant = { name: 'team-a', existingTargetRoleAccounts: [PEER] } as unknown as TenantRules;
    const policy = {
      groupsClaim: 'groups',
      admins: { subjects: [], groups: [] },
      tenants: [tenant],
    } as TenantPolicy;
    const user = { subject: 'u', admin: false, tenants: ['team-a'] };
    expect(mayUseExistingTargetRole(user, 'team-a', `arn:aws:iam::${PEER}:role/x`, policy)).toBe(true);
    expect(mayUseExistingTargetRole(user, 'team-a', 'arn:aws:iam::999999999999:role/x', policy)).toBe(false);
    expect(
      mayUseExistingTargetRole(
        { ...user, admin: true },
        undefined,
        'arn:aws:iam::999999999999:role/x',
        policy,
      ),
    ).toBe(true);
  });
});
