// Every workflow under the shipped least-privilege RBAC (config/rbac/irsa-broker.yaml): the broker's
// access entry maps it to the Kubernetes group irsa-broker, with no access policy. On demo the operator
// keeps the broker to namespace team-a (a RoleBinding instead of the cluster-wide workload binding), so a
// binding elsewhere is refused 403 and fails KubernetesAccessDenied. One system per file.
import { readFileSync } from 'node:fs';
import { DescribeAccessEntryCommand, ListAssociatedAccessPoliciesCommand } from '@aws-sdk/client-eks';
import { GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_CLUSTERS } from '../../lib/sandbox/index.js';
import {
  type BindingView,
  bindingRequest,
  settledWith,
  startTestSystem,
  stepStatuses,
  type TestSystem,
} from './system.js';

const SHIPPED = parseAllDocuments(
  readFileSync(new URL('../../config/rbac/irsa-broker.yaml', import.meta.url), 'utf8'),
)
  .map((doc) => doc.toJS() as Record<string, unknown> | null)
  .filter((doc): doc is Record<string, unknown> => doc !== null);

/** What the README tells an operator who keeps the broker to some namespaces: RoleBindings there. */
function keptTo(namespaces: string[]): Record<string, unknown>[] {
  const clusterWide = new Set(['irsa-broker-workloads', 'irsa-broker-create-namespaces']);
  return [
    ...SHIPPED.filter(
      (o) => !(o.kind === 'ClusterRoleBinding' && clusterWide.has((o.metadata as { name: string }).name)),
    ),
    ...namespaces.flatMap((namespace) => [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'irsa-broker-workloads', namespace },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'irsa-broker-workloads',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'irsa-broker' }],
      },
    ]),
  ];
}

let system: TestSystem;

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: BindingView }> {
  const response = await fetch(`${system.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as BindingView };
}

async function bound(overrides: Record<string, unknown>): Promise<BindingView> {
  const created = await system.post(bindingRequest(overrides));
  expect(created.status).toBe(202);
  const done = await system.waitFor(created.json.id);
  expect(done).toMatchObject({ status: 'SUCCEEDED' });
  return done;
}

/** Waits for a re-run (update, verify) to settle with exactly these steps. */
async function settled(id: string, steps: string[]): Promise<BindingView> {
  return system.waitFor(id, settledWith(steps));
}

beforeAll(async () => {
  system = await startTestSystem({
    sandbox: {
      brokerAccess: 'least-privilege',
      clusters: DEFAULT_CLUSTERS.map((spec) =>
        spec.name === 'demo' ? { ...spec, brokerRbac: keptTo(['team-a']) } : spec,
      ),
    },
    env: { IAM_PROPAGATION_WINDOW_SECONDS: '2' },
  });
});

afterAll(async () => {
  await system?.stop();
});

describe('least-privilege RBAC on the sandbox clusters', () => {
  it('maps the broker to the irsa-broker group with no access policy', async () => {
    // Act
    const principalArn = system.cloud.account.brokerRoleArn;
    const entry = await system.eks.send(
      new DescribeAccessEntryCommand({ clusterName: 'legacy', principalArn }),
    );
    const policies = await system.eks.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: 'legacy', principalArn }),
    );

    // Assess
    expect(entry.accessEntry?.kubernetesGroups).toEqual(['irsa-broker']);
    expect(policies.associatedAccessPolicies).toEqual([]);
  });

  it('binds on demo (webhook built in) in a namespace it was given', async () => {
    // Act
    const done = await bound({ clusterName: 'demo', namespace: 'team-a' });

    // Assess
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SKIPPED', VerifyIdentity: 'SUCCEEDED' });
  });

  it('installs the webhook on legacy (in-cluster, v1beta1 CSR approved) and binds in a namespace it creates', async () => {
    // Act
    const done = await bound({ clusterName: 'legacy', namespace: 'team-legacy' });

    // Assess
    expect(stepStatuses(done)).toMatchObject({
      EnsureWebhook: 'SUCCEEDED',
      ApproveCsr: 'SUCCEEDED',
      ApplyServiceAccount: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
    expect(done.steps.find((s) => s.name === 'ApproveCsr')?.detail).toMatch(/certificates\.k8s\.io\/v1beta1/);
  });

  it('installs the webhook on bare (external certificate, v1 CSR of the EKS signer approved)', async () => {
    // Act
    const done = await bound({ clusterName: 'bare', namespace: 'team-bare' });

    // Assess
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SUCCEEDED', ApproveCsr: 'SUCCEEDED' });
    expect(done.steps.find((s) => s.name === 'EnsureWebhook')?.detail).toContain(
      'beta.eks.amazonaws.com/app-serving',
    );
  });

  it('binds on modern through Pod Identity', async () => {
    // Act
    const done = await bound({ clusterName: 'modern', namespace: 'team-modern' });

    // Assess
    expect(done.outputs).toMatchObject({ mode: 'pod-identity' });
    expect(stepStatuses(done)).toMatchObject({
      EnsurePodIdentityAssociation: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
  });

  it('updates a binding by PATCH and re-verifies it', async () => {
    // Prepare
    const binding = await bound({ clusterName: 'bare', namespace: 'team-bare' });

    // Act
    const patched = await call('PATCH', `/v1/bindings/${binding.id}`, {
      policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    });
    const done = await settled(binding.id, [
      'DescribeCluster',
      'EnsureOidcProvider',
      'EnsureRole',
      'VerifyIdentity',
    ]);

    // Assess
    expect(patched.status).toBe(202);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.policyArns).toEqual(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
  });

  it('checks drift, reports a trust policy edited by hand, and repairs it', async () => {
    // Prepare
    const binding = await bound({ clusterName: 'demo', namespace: 'team-a' });
    const roleName = String(binding.roleName);
    const role = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    const trust = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '');
    const subject = `system:serviceaccount:${binding.namespace}:${binding.serviceAccountName}`;
    const edited = trust.replace(subject, `system:serviceaccount:${binding.namespace}:someone-else`);
    await system.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: edited }));
    const steps = ['DescribeCluster', 'CheckDrift', 'VerifyIdentity'];

    // Act
    expect((await call('POST', `/v1/bindings/${binding.id}/verify`, { repair: false })).status).toBe(202);
    const broken = await settled(binding.id, steps);
    expect((await call('POST', `/v1/bindings/${binding.id}/verify`, { repair: true })).status).toBe(202);
    const repaired = await settled(binding.id, steps);

    // Assess
    expect(broken.status).toBe('FAILED');
    expect(broken.drift).toEqual([expect.objectContaining({ what: 'trustPolicy' })]);
    expect(repaired.status).toBe('SUCCEEDED');
    expect(repaired.drift).toEqual([]);
  }, 150_000);

  it('unbinds by DELETE: the ServiceAccount it created and the role are gone', async () => {
    // Prepare
    const binding = await bound({ clusterName: 'legacy', namespace: 'team-legacy' });

    // Act
    const accepted = await call('DELETE', `/v1/bindings/${binding.id}`);
    const done = await system.waitFor(binding.id, (b) => b.status === 'DELETED' || b.status === 'FAILED');

    // Assess
    expect(accepted.status).toBe(202);
    expect(done.status).toBe('DELETED');
    const account = await system.kubernetes('legacy').get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: 'team-legacy',
      name: String(binding.serviceAccountName),
    });
    expect(account).toBeUndefined();
  });

  it('is refused 403 outside the namespaces it was given, and fails the binding KubernetesAccessDenied', async () => {
    // Prepare
    const request = bindingRequest({ clusterName: 'demo', namespace: 'kube-system' });

    // Act
    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'ApplyServiceAccount', code: 'KubernetesAccessDenied' });
    expect(done.error?.message).toContain(
      `serviceaccounts "${request.serviceAccountName}" is forbidden: User "arn:aws:sts::111122223333:assumed-role/irsa-broker-local/irsa-broker" cannot get resource "serviceaccounts" in API group "" in the namespace "kube-system"`,
    );
    expect(done.error?.message).toContain('config/rbac/irsa-broker.yaml');
  });
});
