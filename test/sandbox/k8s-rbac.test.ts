// RBAC on a sandbox cluster for identities an access entry maps to Kubernetes groups: the shipped
// config/rbac/irsa-broker.yaml applied by an admin, then what the broker's group may and may not do
// (resourceNames, subresources, approving CSRs per signer, escalation on role and binding writes).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { createCsr } from '../../lib/sandbox/k8s/pki.js';
import {
  ACCOUNT,
  BROKER,
  eksToken,
  FakeSts,
  type FakeUser,
  raw,
  STRANGER,
  startCluster,
} from './k8s-fixtures.js';

const ADMIN: FakeUser = {
  accessKeyId: 'AKIAADMIN00000000001',
  secretAccessKey: 'admin-secret',
  arn: `arn:aws:iam::${ACCOUNT}:user/admin`,
};

const IDENTITIES: Record<string, { username: string; groups: string[] }> = {
  [BROKER.arn]: { username: 'irsa-broker', groups: ['irsa-broker'] },
  [STRANGER.arn]: { username: 'stranger', groups: ['testers'] },
  [ADMIN.arn]: { username: 'admin', groups: ['system:masters'] },
};

const MANIFESTS = parseAllDocuments(
  readFileSync(new URL('../../config/rbac/irsa-broker.yaml', import.meta.url), 'utf8'),
)
  .map((doc) => doc.toJS() as Record<string, unknown> | null)
  .filter((doc): doc is Record<string, unknown> => doc !== null);

const PLURALS: Record<string, string> = {
  Namespace: '/api/v1/namespaces',
  ClusterRole: '/apis/rbac.authorization.k8s.io/v1/clusterroles',
  ClusterRoleBinding: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
  Role: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles',
  RoleBinding: '/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings',
};

function collectionOf(object: Record<string, unknown>): string {
  const namespace = (object.metadata as { namespace?: string }).namespace ?? '';
  return PLURALS[object.kind as string]!.replace('{ns}', namespace);
}

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

describe('sandbox RBAC for an access entry with kubernetesGroups', () => {
  let cluster: SandboxCluster;
  let admin: string;
  let broker: string;
  let stranger: string;

  async function csrWithSigner(signerName: string, usages: string[]): Promise<Record<string, unknown>> {
    const { csrPem } = await createCsr('pod-identity-webhook.irsa-broker-system.svc', [
      'pod-identity-webhook.irsa-broker-system.svc',
    ]);
    const created = await raw(cluster, broker, 'POST', CSRS, {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: { request: Buffer.from(csrPem).toString('base64'), signerName, usages },
    });
    expect(created.status).toBe(201);
    return created.json();
  }

  const approval = (csr: Record<string, unknown>) => ({
    ...csr,
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'checked' }] },
  });

  beforeAll(async () => {
    const sts = new FakeSts([BROKER, STRANGER, ADMIN]);
    cluster = await startCluster(sts, { kubernetesIdentity: (arn) => IDENTITIES[arn] });
    [admin, broker, stranger] = await Promise.all([
      eksToken('demo', ADMIN),
      eksToken('demo', BROKER),
      eksToken('demo', STRANGER),
    ]);
    for (const object of MANIFESTS) {
      const created = await raw(cluster, admin, 'POST', collectionOf(object), object);
      expect(created.status).toBe(201);
    }
    expect(
      (await raw(cluster, admin, 'POST', '/api/v1/namespaces', { metadata: { name: 'team-a' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('allows what a ClusterRoleBinding to the group grants', async () => {
    // Act
    const namespace = await raw(cluster, broker, 'GET', '/api/v1/namespaces/team-a');
    const pods = await raw(cluster, broker, 'GET', '/api/v1/namespaces/team-a/pods');

    // Assess
    expect(namespace.status).toBe(200);
    expect(pods.status).toBe(200);
  });

  it('refuses the rest with the Status kube-apiserver sends', async () => {
    // Act
    const secret = await raw(cluster, broker, 'GET', '/api/v1/namespaces/kube-system/secrets/anything');
    const configMaps = await raw(cluster, broker, 'GET', '/api/v1/namespaces/kube-system/configmaps');

    // Assess
    expect(secret.status).toBe(403);
    expect(secret.json()).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message:
        'secrets "anything" is forbidden: User "irsa-broker" cannot get resource "secrets" in API group "" in the namespace "kube-system"',
      details: { name: 'anything', kind: 'secrets' },
    });
    expect(configMaps.json().message).toBe(
      'configmaps is forbidden: User "irsa-broker" cannot list resource "configmaps" in API group "" in the namespace "kube-system"',
    );
  });

  it('holds rules with resourceNames to those names, and never to a create by POST', async () => {
    // Act
    const ours = await raw(
      cluster,
      broker,
      'GET',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/pod-identity-webhook',
    );
    const other = await raw(
      cluster,
      broker,
      'GET',
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/someone-else',
    );
    const postService = await raw(cluster, broker, 'POST', '/api/v1/namespaces/irsa-broker-system/services', {
      metadata: { name: 'pod-identity-webhook' },
      spec: { ports: [{ port: 443 }] },
    });

    // Assess
    expect(ours.status).toBe(200);
    expect(other.status).toBe(403);
    expect(other.json().message).toBe(
      'mutatingwebhookconfigurations.admissionregistration.k8s.io "someone-else" is forbidden: User "irsa-broker" cannot get resource "mutatingwebhookconfigurations" in API group "admissionregistration.k8s.io" at the cluster scope',
    );
    expect(postService.status).toBe(403);
  });

  it('authorizes a server-side apply that creates the object as a create too', async () => {
    // Prepare: patch but no create on configmaps
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', {
      metadata: { name: 'patch-configmaps' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['patch', 'get'] }],
    });
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', {
      metadata: { name: 'testers-patch-configmaps' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'patch-configmaps' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' }],
    });
    const path = '/api/v1/namespaces/team-a/configmaps/settings?fieldManager=test';
    const body = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { a: '1' } };

    // Act
    const creating = await raw(cluster, stranger, 'PATCH', path, body, 'application/apply-patch+yaml');
    await raw(cluster, admin, 'POST', '/api/v1/namespaces/team-a/configmaps', body);
    const updating = await raw(cluster, stranger, 'PATCH', path, body, 'application/apply-patch+yaml');

    // Assess
    expect(creating.status).toBe(403);
    expect(creating.json().message).toBe(
      'configmaps "settings" is forbidden: User "stranger" cannot create resource "configmaps" in API group "" in the namespace "team-a"',
    );
    expect(updating.status).toBe(200);
  });

  it('checks subresources on their own: pods/log is not pods', async () => {
    // Prepare: the testers may read pods but not their logs
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', {
      metadata: { name: 'read-pods' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    });
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', {
      metadata: { name: 'testers-read-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' }],
    });

    // Act
    const pod = await raw(cluster, stranger, 'GET', '/api/v1/namespaces/team-a/pods/nothing');
    const log = await raw(cluster, stranger, 'GET', '/api/v1/namespaces/team-a/pods/nothing/log');
    const brokerLog = await raw(cluster, broker, 'GET', '/api/v1/namespaces/team-a/pods/nothing/log');

    // Assess: allowed reads reach the store (404), the log does not
    expect(pod.status).toBe(404);
    expect(log.status).toBe(403);
    expect(log.json().message).toBe(
      'pods "nothing" is forbidden: User "stranger" cannot get resource "pods/log" in API group "" in the namespace "team-a"',
    );
    expect(brokerLog.status).toBe(404);
  });

  it('lets the broker approve CSRs of its signers only', async () => {
    // Prepare
    const serving = await csrWithSigner('beta.eks.amazonaws.com/app-serving', [
      'digital signature',
      'key encipherment',
      'server auth',
    ]);
    const client = await csrWithSigner('kubernetes.io/kube-apiserver-client', ['client auth']);
    const name = (csr: Record<string, unknown>) => (csr.metadata as { name: string }).name;

    // Act
    const approved = await raw(
      cluster,
      broker,
      'PUT',
      `${CSRS}/${name(serving)}/approval`,
      approval(serving),
    );
    const refused = await raw(cluster, broker, 'PUT', `${CSRS}/${name(client)}/approval`, approval(client));

    // Assess
    expect(approved.status).toBe(200);
    expect(refused.status).toBe(403);
    expect(refused.json()).toMatchObject({
      reason: 'Forbidden',
      message: `certificatesigningrequests.certificates.k8s.io "${name(client)}" is forbidden: user not permitted to approve requests with signerName "kubernetes.io/kube-apiserver-client"`,
    });
  });

  it('takes `<domain>/*` on signers for every signer of that domain', async () => {
    // Prepare
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'approve-kubernetes-io' },
      rules: [
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['certificatesigningrequests/approval'],
          verbs: ['update'],
        },
        {
          apiGroups: ['certificates.k8s.io'],
          resources: ['signers'],
          resourceNames: ['kubernetes.io/*'],
          verbs: ['approve'],
        },
      ],
    });
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'testers-approve-kubernetes-io' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'approve-kubernetes-io' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' }],
    });
    const client = await csrWithSigner('kubernetes.io/kube-apiserver-client', ['client auth']);
    const serving = await csrWithSigner('beta.eks.amazonaws.com/app-serving', [
      'digital signature',
      'key encipherment',
      'server auth',
    ]);
    const name = (csr: Record<string, unknown>) => (csr.metadata as { name: string }).name;

    // Act
    const approved = await raw(
      cluster,
      stranger,
      'PUT',
      `${CSRS}/${name(client)}/approval`,
      approval(client),
    );
    const refused = await raw(
      cluster,
      stranger,
      'PUT',
      `${CSRS}/${name(serving)}/approval`,
      approval(serving),
    );

    // Assess
    expect(approved.status).toBe(200);
    expect(refused.status).toBe(403);
  });

  it('lets the broker write the webhook ClusterRole it may escalate, and refuses a role granting more than held', async () => {
    // Prepare: testers may write Roles in team-a but not escalate
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles', {
      metadata: { name: 'write-roles' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['create', 'get'] }],
    });
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings', {
      metadata: { name: 'testers-write-roles' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'write-roles' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' }],
    });
    const roles = '/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/roles';
    const webhookRole = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'pod-identity-webhook' },
      rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'watch', 'list'] }],
    };

    // Act
    const held = await raw(cluster, stranger, 'POST', roles, {
      metadata: { name: 'read-own-roles' },
      rules: [{ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['get'] }],
    });
    const escalating = await raw(cluster, stranger, 'POST', roles, {
      metadata: { name: 'read-secrets' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }],
    });
    const webhook = await raw(
      cluster,
      broker,
      'PATCH',
      '/apis/rbac.authorization.k8s.io/v1/clusterroles/pod-identity-webhook?fieldManager=irsa-broker',
      webhookRole,
      'application/apply-patch+yaml',
    );

    // Assess
    expect(held.status).toBe(201);
    expect(escalating.status).toBe(403);
    expect(escalating.json().message).toBe(
      'roles.rbac.authorization.k8s.io "read-secrets" is forbidden: user "stranger" (groups=["testers" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}',
    );
    expect(webhook.status).toBe(201);
  });

  it('counts non-resource URLs a writer holds as held, and no others', async () => {
    // Prepare: testers may create ClusterRoles and GET /healthz
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      metadata: { name: 'write-clusterroles' },
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['create'] },
        { nonResourceURLs: ['/healthz'], verbs: ['get'] },
      ],
    });
    await raw(cluster, admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      metadata: { name: 'testers-write-clusterroles' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'write-clusterroles' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'testers' }],
    });
    const clusterRoles = '/apis/rbac.authorization.k8s.io/v1/clusterroles';

    // Act
    const held = await raw(cluster, stranger, 'POST', clusterRoles, {
      metadata: { name: 'health' },
      rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }],
    });
    const more = await raw(cluster, stranger, 'POST', clusterRoles, {
      metadata: { name: 'metrics' },
      rules: [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }],
    });

    // Assess
    expect(held.status).toBe(201);
    expect(more.status).toBe(403);
    expect(more.json().message).toContain('{NonResourceURLs:["/metrics"], Verbs:["get"]}');
  });

  it('refuses a binding to a role the writer neither holds nor may bind', async () => {
    // Act
    const binding = await raw(
      cluster,
      broker,
      'PATCH',
      '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pod-identity-webhook?fieldManager=irsa-broker',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'pod-identity-webhook' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'pod-identity-webhook', namespace: 'irsa-broker-system' }],
      },
      'application/apply-patch+yaml',
    );

    // Assess
    expect(binding.status).toBe(403);
    expect(binding.json().message).toContain('is attempting to grant RBAC permissions not currently held');
  });
});
