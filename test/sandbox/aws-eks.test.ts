// The sandbox account's EKS through the real EKSClient: clusters by region, unknown names, access
// entries, and how they admit principals to a cluster's Kubernetes API.
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  InvalidParameterException,
  ListAccessEntriesCommand,
  ListAssociatedAccessPoliciesCommand,
  ListClustersCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createSandboxAccount, type SandboxAccount } from '../../lib/sandbox/aws/index.js';
import {
  type Clients,
  clientsFor,
  clusterDescription,
  createTestIssuer,
  failure,
  statusOf,
  type TestIssuer,
} from './aws-fixtures.js';

const ACCOUNT = '111122223333';

describe('sandbox EKS through EKSClient', () => {
  let issuer: TestIssuer;
  let westIssuer: TestIssuer;
  let account: SandboxAccount;
  let eks: Clients['eks'];
  let iam: Clients['iam'];

  beforeAll(async () => {
    issuer = await createTestIssuer();
    westIssuer = await createTestIssuer('us-west-2');
  });

  beforeEach(() => {
    account = createSandboxAccount();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    account.addCluster(clusterDescription('west', westIssuer.issuer, 'us-west-2'), westIssuer.keys);
    ({ eks, iam } = clientsFor(account, { maxAttempts: 1 }));
  });

  const createRole = async (name: string, path = '/') => {
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: name,
        Path: path,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    return Role!.Arn!;
  };

  it('describes a cluster with endpoint, CA, OIDC issuer, version and status', async () => {
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'demo' }));

    expect(cluster).toEqual(
      expect.objectContaining({
        name: 'demo',
        arn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/demo`,
        version: '1.31',
        platformVersion: 'eks.12',
        status: 'ACTIVE',
        endpoint: 'https://127.0.0.1:6443',
        certificateAuthority: { data: clusterDescription('demo', issuer.issuer).certificateAuthorityData },
        identity: { oidc: { issuer: issuer.issuer } },
      }),
    );
    expect(cluster?.createdAt).toEqual(new Date('2026-01-02T03:04:05Z'));
  });

  it('answers an unknown cluster, or one of another region, with ResourceNotFoundException 404', async () => {
    const unknown = await failure(eks.send(new DescribeClusterCommand({ name: 'nope' })));
    const otherRegion = await failure(eks.send(new DescribeClusterCommand({ name: 'west' })));
    const west = clientsFor(account, { region: 'us-west-2' }).eks;

    const { cluster } = await west.send(new DescribeClusterCommand({ name: 'west' }));

    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(statusOf(unknown)).toBe(404);
    expect(unknown.message).toBe('No cluster found for name: nope.');
    expect(otherRegion).toBeInstanceOf(ResourceNotFoundException);
    expect(cluster?.arn).toBe(`arn:aws:eks:us-west-2:${ACCOUNT}:cluster/west`);
  });

  it('lists the clusters of the signing region', async () => {
    const east = await eks.send(new ListClustersCommand({}));
    const west = await clientsFor(account, { region: 'us-west-2' }).eks.send(new ListClustersCommand({}));

    expect(east.clusters).toEqual(['demo']);
    expect(west.clusters).toEqual(['west']);
  });

  it('gives the broker role a cluster-admin access entry that admits its sessions', async () => {
    const listed = await eks.send(new ListAccessEntriesCommand({ clusterName: 'demo' }));
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local/irsa-broker`;

    const identity = account.kubernetesIdentity('demo', session);

    expect(listed.accessEntries).toEqual([account.brokerRoleArn, account.operatorRoleArn]);
    expect(identity).toEqual({ username: session, groups: [] });
    expect(account.authorizeKubernetes('demo', session, 'create', 'clusterrolebindings')).toBe(true);
    expect(account.kubernetesIdentity('nope', session)).toBeUndefined();
  });

  it('makes the operator cluster-admin on every cluster, as EKS does for the cluster creator, whatever the broker gets', async () => {
    const operator = `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local-operator/operator`;
    const lean = await createTestIssuer();
    account.addCluster(clusterDescription('lean', lean.issuer), lean.keys, {
      brokerAccess: 'least-privilege',
    });
    const { eks: asOperator } = clientsFor(account, { credentials: account.operatorCredentials });

    const policies = await asOperator.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: 'lean', principalArn: account.operatorRoleArn }),
    );

    expect(policies.associatedAccessPolicies?.map((p) => p.policyArn)).toEqual([
      'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
    ]);
    expect(account.kubernetesIdentity('lean', operator)).toEqual({ username: operator, groups: [] });
    expect(account.authorizeKubernetes('lean', operator, 'list', 'namespaces')).toBe(true);
    account.reset();
    expect(account.authorizeKubernetes('lean', operator, 'list', 'namespaces')).toBe(true);
  });

  it('maps the broker role to the irsa-broker group, with no access policy, on a least-privilege cluster', async () => {
    // Prepare
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local/irsa-broker`;
    const lean = await createTestIssuer();

    // Act
    account.addCluster(clusterDescription('lean', lean.issuer), lean.keys, {
      brokerAccess: 'least-privilege',
    });
    const policies = await eks.send(
      new ListAssociatedAccessPoliciesCommand({ clusterName: 'lean', principalArn: account.brokerRoleArn }),
    );

    // Assess: Kubernetes RBAC decides everything there
    expect(account.kubernetesIdentity('lean', session)).toEqual({
      username: session,
      groups: ['irsa-broker'],
    });
    expect(policies.associatedAccessPolicies).toEqual([]);
    expect(account.authorizeKubernetes('lean', session, 'get', 'namespaces', 'default')).toBe(false);
    expect(account.authorizeKubernetes('demo', session, 'get', 'namespaces', 'default')).toBe(true);
  });

  it('turns the broker entry it made to the mode a cluster is registered with again (a state file of the other mode)', async () => {
    // Prepare
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local/irsa-broker`;

    // Act
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys, {
      brokerAccess: 'least-privilege',
    });
    const lean = account.kubernetesIdentity('demo', session);
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys, {
      brokerAccess: 'cluster-admin',
    });

    // Assess
    expect(lean?.groups).toEqual(['irsa-broker']);
    expect(account.kubernetesIdentity('demo', session)?.groups).toEqual([]);
    expect(account.authorizeKubernetes('demo', session, 'create', 'clusterrolebindings')).toBe(true);
  });

  it('admits a namespace-scoped principal only inside its namespaces', async () => {
    const roleArn = await createRole('deployer', '/team/');
    await eks.send(
      new CreateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: roleArn,
        kubernetesGroups: ['deployers'],
      }),
    );
    await eks.send(
      new AssociateAccessPolicyCommand({
        clusterName: 'demo',
        principalArn: roleArn,
        policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy',
        accessScope: { type: 'namespace', namespaces: ['team-a'] },
      }),
    );
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/deployer/ci-run-7`;

    const { accessEntry } = await eks.send(
      new DescribeAccessEntryCommand({ clusterName: 'demo', principalArn: roleArn }),
    );
    const identity = account.kubernetesIdentity('demo', session);

    expect(accessEntry?.username).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/deployer/{{SessionName}}`);
    expect(accessEntry?.accessEntryArn).toMatch(
      new RegExp(
        `^arn:aws:eks:us-east-1:${ACCOUNT}:access-entry/demo/role/${ACCOUNT}/deployer/[0-9a-f-]{36}$`,
      ),
    );
    // The assumed-role ARN carries no path; EKS still finds the role's entry.
    expect(identity).toEqual({ username: session, groups: ['deployers'] });
    expect(account.authorizeKubernetes('demo', session, 'create', 'serviceaccounts', 'team-a')).toBe(true);
    expect(account.authorizeKubernetes('demo', session, 'create', 'serviceaccounts', 'team-b')).toBe(false);
    expect(account.authorizeKubernetes('demo', session, 'create', 'rolebindings', 'team-a')).toBe(false);
    expect(account.authorizeKubernetes('demo', session, 'create', 'namespaces')).toBe(false);
  });

  it('refuses a duplicate access entry, an assumed-role or unknown principal and reserved groups', async () => {
    const roleArn = await createRole('reader');
    await eks.send(new CreateAccessEntryCommand({ clusterName: 'demo', principalArn: roleArn }));

    const duplicate = await failure(
      eks.send(new CreateAccessEntryCommand({ clusterName: 'demo', principalArn: roleArn })),
    );
    const sessionArn = await failure(
      eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/reader/s`,
        }),
      ),
    );
    const reserved = await failure(
      eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: await createRole('other'),
          kubernetesGroups: ['system:masters'],
        }),
      ),
    );
    const notARole = await failure(
      eks.send(
        new CreateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/ghost`,
        }),
      ),
    );
    const missing = await failure(
      eks.send(
        new DescribeAccessEntryCommand({
          clusterName: 'demo',
          principalArn: `arn:aws:iam::${ACCOUNT}:role/none`,
        }),
      ),
    );

    expect(duplicate).toBeInstanceOf(ResourceInUseException);
    expect(statusOf(duplicate)).toBe(409);
    expect(sessionArn).toBeInstanceOf(InvalidParameterException);
    expect(reserved).toBeInstanceOf(InvalidParameterException);
    expect(notARole).toBeInstanceOf(InvalidParameterException);
    expect(notARole.message).toContain('no IAM role');
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    // Admitted (an entry exists) but allowed nothing until an access policy is associated.
    const session = `arn:aws:sts::${ACCOUNT}:assumed-role/reader/s1`;
    expect(account.kubernetesIdentity('demo', session)).toEqual({ username: session, groups: [] });
    expect(account.authorizeKubernetes('demo', session, 'get', 'pods', 'default')).toBe(false);
  });
});
