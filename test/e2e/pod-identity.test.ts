// EKS Pod Identity end to end: HTTP API → bind / unbind state machines → step handlers → the sandbox's
// EKS (associations, the agent add-on), EKS Auth and clusters. The test pod proves the role each time.
import {
  CreatePodIdentityAssociationCommand,
  DescribePodIdentityAssociationCommand,
  ListPodIdentityAssociationsCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import {
  CreateRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MIGRATE_STEPS, UPDATE_STEPS, VERIFY_STEPS } from '../../lib/domain/binding.js';
import {
  type BindingView,
  bindingRequest,
  settledWith,
  startTestSystem,
  stepStatuses,
  type TestSystem,
} from './system.js';

const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
let system: TestSystem;

beforeAll(async () => {
  // A short propagation window: a refused target role is a verdict after 3 s, not 60.
  system = await startTestSystem({ env: { IAM_PROPAGATION_WINDOW_SECONDS: '3' } });
});

afterAll(async () => {
  await system?.stop();
});

async function associations(clusterName: string, namespace: string, serviceAccount: string) {
  const { associations: found = [] } = await system.eks.send(
    new ListPodIdentityAssociationsCommand({ clusterName, namespace, serviceAccount }),
  );
  // The list holds summaries; the role is in each one's description.
  return Promise.all(
    found.map(async ({ associationId }) => {
      const { association } = await system.eks.send(
        new DescribePodIdentityAssociationCommand({ clusterName, associationId }),
      );
      return { associationId, roleArn: association?.roleArn, tags: association?.tags };
    }),
  );
}

async function annotation(clusterName: string, namespace: string, name: string) {
  const sa = await system
    .kubernetes(clusterName)
    .get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace, name });
  return sa?.metadata.annotations?.[ROLE_ARN_ANNOTATION];
}

async function roleExists(roleArn: string | undefined): Promise<boolean> {
  try {
    await system.iam.send(new GetRoleCommand({ RoleName: roleArn?.split('/').pop() }));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchEntityException') return false;
    throw error;
  }
}

async function unbind(id: string): Promise<BindingView> {
  const response = await fetch(`${system.url}/v1/bindings/${id}`, { method: 'DELETE' });
  expect(response.status).toBe(202);
  return system.waitFor(id, (b) => b.status === 'DELETED' || b.status === 'FAILED');
}

/** Creates a role in the sandbox's second account (444455556666), as that account's owners would. */
/** IAM of the second account, as its operator. */
async function peerIam<T>(use: (iam: IAMClient) => Promise<T>): Promise<T> {
  const peer = new IAMClient({
    region: 'us-east-1',
    endpoint: system.cloud.peerAwsUrl,
    credentials: system.cloud.peerAccount.brokerCredentials,
  });
  try {
    return await use(peer);
  } finally {
    peer.destroy();
  }
}

async function peerRole(roleName: string, statement: Record<string, unknown>): Promise<string | undefined> {
  const { Role } = await peerIam((iam) =>
    iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }),
      }),
    ),
  );
  return Role?.Arn;
}

async function peerRoleExists(roleName: string): Promise<boolean> {
  try {
    await peerIam((iam) => iam.send(new GetRoleCommand({ RoleName: roleName })));
    return true;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchEntityException') return false;
    throw error;
  }
}

/** A trust policy for EKS Pod Identity, as someone other than irsa-broker writes one. */
const PODS_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
});

/** A Pod Identity association for the service account that irsa-broker did not make, with its own role. */
async function someoneElsesAssociation(
  namespace: string,
  serviceAccount: string,
  tags?: Record<string, string>,
) {
  const { Role: role } = await system.iam.send(
    new CreateRoleCommand({
      RoleName: `theirs-${serviceAccount}`,
      AssumeRolePolicyDocument: PODS_TRUST,
    }),
  );
  const { association } = await system.eks.send(
    new CreatePodIdentityAssociationCommand({
      clusterName: 'modern',
      namespace,
      serviceAccount,
      roleArn: role?.Arn,
      ...(tags ? { tags } : {}),
    }),
  );
  return { roleArn: role?.Arn, associationId: association?.associationId };
}

const assumedRole = (roleArn: string | undefined) =>
  new RegExp(`^arn:aws:sts::111122223333:assumed-role/${roleArn?.split('/').pop()}/[^/]+$`);

describe('Pod Identity bindings on the sandbox', () => {
  it('auto on modern (agent running) binds through Pod Identity, proves the role, and DELETE leaves nothing', async () => {
    const request = bindingRequest({ clusterName: 'modern' });

    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.outputs).toMatchObject({ mode: 'pod-identity' });
    expect(done.outputs).not.toHaveProperty('oidcProviderArn');
    expect(stepStatuses(done)).toEqual({
      DescribeCluster: 'SUCCEEDED',
      EnsureOidcProvider: 'SKIPPED',
      EnsureRole: 'SUCCEEDED',
      EnsureWebhook: 'SKIPPED',
      ApproveCsr: 'SKIPPED',
      EnsurePodIdentityAssociation: 'SUCCEEDED',
      ApplyServiceAccount: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
    expect(done.steps.find((s) => s.name === 'DescribeCluster')?.detail).toContain(
      'mode auto: pod-identity, the eks-pod-identity-agent add-on is ACTIVE',
    );
    const roleArn = done.outputs?.roleArn;
    expect(done.outputs?.verification?.arn).toMatch(assumedRole(roleArn));
    const [association] = await associations('modern', request.namespace, request.serviceAccountName);
    expect(association?.roleArn).toBe(roleArn);
    expect(association?.associationId).toBe(
      (done.outputs as { podIdentityAssociation?: { associationId: string } }).podIdentityAssociation
        ?.associationId,
    );
    const described = await system.eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: 'modern',
        associationId: association?.associationId,
      }),
    );
    expect(described.association?.tags).toMatchObject({ 'irsa-broker:binding-id': done.id });
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBeUndefined();

    const deleted = await unbind(done.id);

    expect(deleted.status).toBe('DELETED');
    expect(stepStatuses(deleted).DeletePodIdentityAssociation).toBe('SUCCEEDED');
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
    expect(await roleExists(roleArn)).toBe(false);
  });

  it('mode both (the migration path) annotates the ServiceAccount and associates it; the pod proves the role', async () => {
    const request = bindingRequest({ clusterName: 'modern', mode: 'both' });

    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(done.outputs).toMatchObject({ mode: 'both' });
    const roleArn = done.outputs?.roleArn;
    const trust = done.outputs?.trustPolicy as { Statement: { Principal: Record<string, string> }[] };
    expect(trust.Statement.map((s) => Object.keys(s.Principal)[0])).toEqual(['Federated', 'Service']);
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBe(roleArn);
    expect((await associations('modern', request.namespace, request.serviceAccountName))[0]?.roleArn).toBe(
      roleArn,
    );
    expect(done.outputs?.verification?.arn).toMatch(assumedRole(roleArn));
    expect(done.steps.find((s) => s.name === 'VerifyIdentity')?.detail).toMatch(/pod.identity/i);

    expect((await unbind(done.id)).status).toBe('DELETED');
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
  });

  it('mode irsa on modern binds through the webhook only: no association', async () => {
    const request = bindingRequest({ clusterName: 'modern', mode: 'irsa' });

    const done = await system.waitFor((await system.post(request)).json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done).EnsurePodIdentityAssociation).toBe('SKIPPED');
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBe(
      done.outputs?.roleArn,
    );
  });

  it('fails PodIdentityAgentMissing on demo (no agent add-on), saying what to do, and creates nothing', async () => {
    const request = bindingRequest({ clusterName: 'demo', mode: 'pod-identity' });

    const done = await system.waitFor((await system.post(request)).json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'DescribeCluster', code: 'PodIdentityAgentMissing' });
    expect(done.error?.message).toMatch(/INSTALL_POD_IDENTITY_AGENT=true|bind with mode "irsa"/);
    expect(await roleExists(`x/${done.roleName}`)).toBe(false);
  });

  it('fails AssociationConflict on an association irsa-broker does not own, leaves it, and rolls its role back', async () => {
    const request = bindingRequest({ clusterName: 'modern', mode: 'pod-identity' });
    const theirs = await someoneElsesAssociation(request.namespace, request.serviceAccountName, {
      team: 'other',
    });

    const done = await system.waitFor((await system.post(request)).json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsurePodIdentityAssociation', code: 'AssociationConflict' });
    expect(done.error?.message).toContain(`association ${theirs.associationId}`);
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([
      expect.objectContaining({ associationId: theirs.associationId, roleArn: theirs.roleArn }),
    ]);
    expect(stepStatuses(done).RollbackRole).toBe('SUCCEEDED');
    expect(await roleExists(`x/${done.roleName}`)).toBe(false);
  });

  it('rolls back the target role it created when a later step fails (AssociationConflict)', async () => {
    const request = bindingRequest({ clusterName: 'modern' });
    const targetName = `irsa-rolled-${request.serviceAccountName}`;
    await someoneElsesAssociation(request.namespace, request.serviceAccountName);

    const done = await system.waitFor(
      (
        await system.post({
          ...request,
          targetRoleArn: `arn:aws:iam::444455556666:role/irsa-broker/${targetName}`,
        })
      ).json.id,
    );

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsurePodIdentityAssociation', code: 'AssociationConflict' });
    expect(done.steps.find((s) => s.name === 'EnsureRole')?.detail).toContain(`${targetName} created`);
    expect(done.steps.find((s) => s.name === 'RollbackRole')?.detail).toContain('deleted target role');
    expect(await peerRoleExists(targetName)).toBe(false);
    expect(await roleExists(`x/${done.roleName}`)).toBe(false);
  });

  it('a drift check finds an association pointed elsewhere by hand, fails the binding, and repairs it', async () => {
    const request = bindingRequest({ clusterName: 'modern', mode: 'pod-identity' });
    const bound = await system.waitFor((await system.post(request)).json.id);
    expect(bound.status).toBe('SUCCEEDED');
    const roleArn = bound.outputs?.roleArn;
    const [association] = await associations('modern', request.namespace, request.serviceAccountName);
    const { Role: theirRole } = await system.iam.send(
      new CreateRoleCommand({
        RoleName: `elsewhere-${request.serviceAccountName}`,
        AssumeRolePolicyDocument: PODS_TRUST,
      }),
    );
    // Someone points the association at their role and turns the session tags off.
    await system.eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'modern',
        associationId: association?.associationId,
        roleArn: theirRole?.Arn,
        disableSessionTags: true,
      }),
    );
    const settled = settledWith(['DescribeCluster', 'CheckDrift', 'VerifyIdentity']);

    const check = await fetch(`${system.url}/v1/bindings/${bound.id}/verify`, { method: 'POST' });
    expect(check.status).toBe(202);
    const broken = await system.waitFor(bound.id, settled);

    expect(broken.status).toBe('FAILED');
    expect(broken.drift).toEqual([
      { what: 'podIdentityAssociation.roleArn', expected: roleArn, actual: theirRole?.Arn },
      { what: 'podIdentityAssociation.disableSessionTags', expected: false, actual: true },
    ]);
    expect(broken.error).toMatchObject({ step: 'CheckDrift', code: 'VerificationFailed' });

    const repair = await fetch(`${system.url}/v1/bindings/${bound.id}/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repair: true }),
    });
    expect(repair.status).toBe(202);
    const repaired = await system.waitFor(bound.id, settled);

    expect(repaired.status).toBe('SUCCEEDED');
    expect(repaired.drift).toEqual([]);
    expect(repaired.outputs).toMatchObject({ mode: 'pod-identity', roleArn });
    expect(repaired.outputs?.verification?.arn).toMatch(assumedRole(roleArn));
    expect((await associations('modern', request.namespace, request.serviceAccountName))[0]?.roleArn).toBe(
      roleArn,
    );
  });

  it('migrates irsa → both → pod-identity by PATCH, one verified step at a time, and back to irsa', async () => {
    const request = bindingRequest({ clusterName: 'modern', mode: 'irsa' });
    const bound = await system.waitFor((await system.post(request)).json.id);
    expect(bound.status).toBe('SUCCEEDED');
    const roleArn = bound.outputs?.roleArn;
    const migrated = settledWith(MIGRATE_STEPS);
    const patch = async (body: unknown) => {
      const response = await fetch(`${system.url}/v1/bindings/${bound.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    };
    const principals = (b: BindingView) =>
      (
        (b.outputs?.trustPolicy ?? { Statement: [] }) as {
          Statement: { Principal: Record<string, string> }[];
        }
      ).Statement.map((s) => Object.keys(s.Principal)[0]);

    // irsa → pod-identity at once is refused: the both step comes first.
    const leap = await patch({ mode: 'pod-identity' });
    expect(leap.status).toBe(400);
    expect(JSON.stringify(leap.json)).toContain('go to mode \\"both\\" first');

    expect((await patch({ mode: 'both' })).status).toBe(202);
    const both = await system.waitFor(bound.id, migrated);
    expect(both.status).toBe('SUCCEEDED');
    expect(both.outputs).toMatchObject({ mode: 'both', roleArn });
    expect(principals(both)).toEqual(['Federated', 'Service']);
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBe(roleArn);
    expect((await associations('modern', request.namespace, request.serviceAccountName))[0]?.roleArn).toBe(
      roleArn,
    );
    expect(both.outputs?.verification?.arn).toMatch(assumedRole(roleArn));

    expect((await patch({ mode: 'pod-identity' })).status).toBe(202);
    const pod = await system.waitFor(bound.id, migrated);
    expect(pod.status).toBe('SUCCEEDED');
    expect(pod.outputs).toMatchObject({ mode: 'pod-identity', roleArn });
    expect(principals(pod)).toEqual(['Service']);
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBeUndefined();
    expect(pod.outputs?.verification?.arn).toMatch(assumedRole(roleArn));
    expect(pod.steps.find((s) => s.name === 'EnsureOidcProvider')?.status).toBe('SKIPPED');

    // And back, the same way: both, then irsa, which removes the association.
    expect((await patch({ mode: 'both' })).status).toBe(202);
    expect((await system.waitFor(bound.id, migrated)).status).toBe('SUCCEEDED');
    expect((await patch({ mode: 'irsa' })).status).toBe(202);
    const irsa = await system.waitFor(bound.id, migrated);
    expect(irsa.status).toBe('SUCCEEDED');
    expect(irsa.outputs).toMatchObject({ mode: 'irsa', podIdentityAssociation: null });
    expect(principals(irsa)).toEqual(['Federated']);
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
    expect(await annotation('modern', request.namespace, request.serviceAccountName)).toBe(roleArn);
    expect(irsa.outputs?.verification?.arn).toMatch(assumedRole(roleArn));

    expect((await unbind(bound.id)).status).toBe('DELETED');
    expect(await roleExists(roleArn)).toBe(false);
  }, 120_000);

  it('creates the target role in the second account with the policies, proves it, and DELETE removes both roles', async () => {
    const request = bindingRequest({ clusterName: 'modern' });
    const roleName = `irsa-chain-${request.serviceAccountName}`;
    const sourceArn = `arn:aws:iam::111122223333:role/irsa-broker/${roleName}`;
    const targetName = `irsa-target-${request.serviceAccountName}`;
    const targetArn = `arn:aws:iam::444455556666:role/irsa-broker/${targetName}`;

    const done = await system.waitFor(
      (await system.post({ ...request, roleName, targetRoleArn: targetArn })).json.id,
    );

    expect(done.error).toBeUndefined();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.outputs).toMatchObject({ mode: 'pod-identity', roleArn: sourceArn });
    expect(done.steps.find((s) => s.name === 'EnsureRole')?.detail).toContain(
      `target role ${targetArn} created with 1 managed policy`,
    );
    expect(done.outputs?.verification?.arn).toMatch(
      new RegExp(`^arn:aws:sts::444455556666:assumed-role/${targetName}/`),
    );
    // In the target account: the trust admits exactly the binding's role; the policies, boundary and tags are there.
    const target = await peerIam(async (iam) => ({
      role: (await iam.send(new GetRoleCommand({ RoleName: targetName }))).Role,
      policies: (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: targetName })))
        .AttachedPolicies,
    }));
    expect(JSON.parse(decodeURIComponent(target.role?.AssumeRolePolicyDocument ?? ''))).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ChainedFromBindingRole',
          Effect: 'Allow',
          Principal: { AWS: sourceArn },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
        },
      ],
    });
    expect(target.role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(
      'arn:aws:iam::444455556666:policy/irsa-broker/irsa-broker-local-boundary',
    );
    expect(target.role?.Tags).toEqual(
      expect.arrayContaining([{ Key: 'irsa-broker:binding-id', Value: done.id }]),
    );
    expect(target.policies?.map((p) => p.PolicyArn)).toEqual(request.policyArns);
    // The binding's own role only chains: no managed policies, one inline permission for the target.
    const own = await system.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
    expect(own.AttachedPolicies).toEqual([]);
    const permission = await system.iam.send(
      new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'irsa-broker-target-role' }),
    );
    expect(JSON.parse(decodeURIComponent(permission.PolicyDocument ?? ''))).toMatchObject({
      Statement: [{ Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: targetArn }],
    });

    const deleted = await unbind(done.id);
    expect(deleted.status).toBe('DELETED');
    expect(deleted.steps.find((s) => s.name === 'DeleteRole')?.detail).toContain(
      `deleted target role ${targetArn}`,
    );
    expect(await roleExists(sourceArn)).toBe(false);
    expect(await peerRoleExists(targetName)).toBe(false);
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
  });

  it('keeps the target role it created in step: PATCH moves policies there, the drift check repairs a hand edit', async () => {
    const request = bindingRequest({ clusterName: 'modern' });
    const targetName = `irsa-kept-${request.serviceAccountName}`;
    const targetArn = `arn:aws:iam::444455556666:role/irsa-broker/${targetName}`;
    const done = await system.waitFor((await system.post({ ...request, targetRoleArn: targetArn })).json.id);
    expect(done.status).toBe('SUCCEEDED');
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${system.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return response.status;
    };
    const targetPolicies = async () =>
      (
        await peerIam((iam) => iam.send(new ListAttachedRolePoliciesCommand({ RoleName: targetName })))
      ).AttachedPolicies?.map((p) => p.PolicyArn);
    const readOnly = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

    // PATCH: the new policy lands on the target role, not on the binding's own.
    expect(await call('PATCH', `/v1/bindings/${done.id}`, { policyArns: [readOnly] })).toBe(202);
    const updated = await system.waitFor(done.id, settledWith(UPDATE_STEPS));
    expect(updated.status).toBe('SUCCEEDED');
    expect(await targetPolicies()).toEqual([readOnly]);
    const own = await system.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: String(done.roleName) }),
    );
    expect(own.AttachedPolicies).toEqual([]);

    // Someone in the target account detaches the policy and widens the trust to the whole account.
    await peerIam(async (iam) => {
      await iam.send(new DetachRolePolicyCommand({ RoleName: targetName, PolicyArn: readOnly }));
      await iam.send(
        new UpdateAssumeRolePolicyCommand({
          RoleName: targetName,
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { AWS: 'arn:aws:iam::111122223333:root' },
                Action: ['sts:AssumeRole', 'sts:TagSession'],
              },
            ],
          }),
        }),
      );
    });
    expect(await call('POST', `/v1/bindings/${done.id}/verify`, { repair: true })).toBe(202);
    const repaired = await system.waitFor(done.id, settledWith(VERIFY_STEPS));

    expect(repaired.status).toBe('SUCCEEDED');
    expect(repaired.steps.find((s) => s.name === 'CheckDrift')?.detail).toContain(
      'drift in targetRole.trustPolicy, targetRole.policyArns; repaired target role',
    );
    expect(repaired.drift).toEqual([]);
    expect(await targetPolicies()).toEqual([readOnly]);
    expect(repaired.outputs?.verification?.arn).toMatch(
      new RegExp(`^arn:aws:sts::444455556666:assumed-role/${targetName}/`),
    );

    expect((await unbind(done.id)).status).toBe('DELETED');
    expect(await peerRoleExists(targetName)).toBe(false);
  });

  it('uses an existing target role that trusts the binding role (only checked, left as it was)', async () => {
    const request = bindingRequest({ clusterName: 'modern', policyArns: [] });
    const roleName = `irsa-chain-${request.serviceAccountName}`;
    const sourceArn = `arn:aws:iam::111122223333:role/irsa-broker/${roleName}`;
    // The target account admits the binding's role before it exists: its account, pinned by PrincipalArn.
    const targetArn = await peerRole(`reader-${request.serviceAccountName}`, {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { ArnEquals: { 'aws:PrincipalArn': sourceArn } },
    });

    const done = await system.waitFor(
      (await system.post({ ...request, roleName, targetRoleArn: targetArn })).json.id,
    );

    expect(done.status).toBe('SUCCEEDED');
    expect(done.steps.find((s) => s.name === 'EnsureRole')?.detail).toContain(
      `existing target role ${targetArn} trusts it (not irsa-broker's: only checked)`,
    );
    expect(done.outputs?.verification?.arn).toMatch(
      new RegExp(`^arn:aws:sts::444455556666:assumed-role/reader-${request.serviceAccountName}/`),
    );
    const { association } = await system.eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: 'modern',
        associationId: (await associations('modern', request.namespace, request.serviceAccountName))[0]
          ?.associationId,
      }),
    );
    expect(association).toMatchObject({ roleArn: sourceArn, targetRoleArn: targetArn });

    const deleted = await unbind(done.id);
    expect(deleted.status).toBe('DELETED');
    expect(deleted.steps.find((s) => s.name === 'DeleteRole')?.detail).toContain(
      "is not this binding's (left unchanged)",
    );
    expect(await roleExists(sourceArn)).toBe(false);
    expect(await peerRoleExists(`reader-${request.serviceAccountName}`)).toBe(true);
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
  });

  it('fails TargetRoleUntrusted at EnsureRole when an existing target role does not trust the binding role, and rolls back', async () => {
    const request = bindingRequest({ clusterName: 'modern', policyArns: [] });
    const targetArn = await peerRole(`aloof-${request.serviceAccountName}`, {
      Effect: 'Allow',
      Principal: { Service: 'ec2.amazonaws.com' },
      Action: 'sts:AssumeRole',
    });

    const done = await system.waitFor((await system.post({ ...request, targetRoleArn: targetArn })).json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsureRole', code: 'TargetRoleUntrusted' });
    expect(done.error?.message).toContain('its owner must add to its trust policy');
    expect(await roleExists(`arn:aws:iam::111122223333:role/irsa-broker/${done.roleName}`)).toBe(false);
    expect(await associations('modern', request.namespace, request.serviceAccountName)).toEqual([]);
  });

  it('refuses to attach policies to an existing target role it does not own (RoleConflict), touching nothing there', async () => {
    const request = bindingRequest({ clusterName: 'modern' });
    const name = `theirs-${request.serviceAccountName}`;
    const targetArn = await peerRole(name, {
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    });

    const done = await system.waitFor((await system.post({ ...request, targetRoleArn: targetArn })).json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsureRole', code: 'RoleConflict' });
    expect(done.error?.message).toContain('Drop policyArns');
    const policies = await peerIam((iam) =>
      iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name })),
    );
    expect(policies.AttachedPolicies).toEqual([]);
  });

  it('fails TargetAccountAccessDenied naming the template when the account has no access role for irsa-broker', async () => {
    const request = bindingRequest({
      clusterName: 'modern',
      targetRoleArn: 'arn:aws:iam::999988887777:role/irsa-broker/irsa-nowhere',
    });

    const done = await system.waitFor((await system.post(request)).json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsureRole', code: 'TargetAccountAccessDenied' });
    expect(done.error?.message).toContain('npm run target-account -- --account 999988887777');
  });

  it('refuses policies of a third account with a targetRoleArn (400)', async () => {
    const created = await system.post(
      bindingRequest({
        clusterName: 'modern',
        targetRoleArn: 'arn:aws:iam::444455556666:role/irsa-broker/irsa-x',
        policyArns: ['arn:aws:iam::111122223333:policy/mine'],
      }),
    );
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.json)).toContain('the policies go on the target role in 444455556666');
  });

  it('refuses targetRoleArn with mode irsa or both, and a malformed one', async () => {
    const both = await system.post(
      bindingRequest({
        clusterName: 'modern',
        mode: 'both',
        targetRoleArn: 'arn:aws:iam::444455556666:role/x',
      }),
    );
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.json)).toContain('targetRoleArn works through EKS Pod Identity only');
    const malformed = await system.post(
      bindingRequest({ clusterName: 'modern', targetRoleArn: 'arn:aws:iam::44:role/x' }),
    );
    expect(malformed.status).toBe(400);
  });

  it('refuses audience with mode pod-identity before anything is stored', async () => {
    const created = await system.post(
      bindingRequest({ clusterName: 'modern', mode: 'pod-identity', audience: 'vault' }),
    );

    expect(created.status).toBe(400);
    expect(JSON.stringify(created.json)).toContain('audience applies to IRSA only');
  });
});
