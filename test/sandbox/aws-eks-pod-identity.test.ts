// The sandbox account's EKS Pod Identity API through the real EKSClient and the real `aws eks` CLI:
// associations (idempotency, one per service account, role checks, filters, pages, tags) and add-ons.
import {
  CreateAddonCommand,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  InvalidParameterException,
  InvalidRequestException,
  ListAddonsCommand,
  ListPodIdentityAssociationsCommand,
  ListTagsForResourceCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  createSandboxAccount,
  type ListeningEndpoint,
  type SandboxAccount,
} from '../../lib/sandbox/aws/index.js';
import { findBinary, isolatedEnv, run } from '../e2e/cli-tools.js';
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
const POD_IDENTITY_TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    },
  ],
};

describe('sandbox EKS Pod Identity associations through EKSClient', () => {
  let issuer: TestIssuer;
  let account: SandboxAccount;
  let clock: number;
  let eks: Clients['eks'];
  let iam: Clients['iam'];

  beforeAll(async () => {
    issuer = await createTestIssuer();
  });

  beforeEach(() => {
    clock = Date.now();
    account = createSandboxAccount({ now: () => clock, addonCreationDelayMs: 30_000 });
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    ({ eks, iam } = clientsFor(account, { maxAttempts: 1 }));
  });

  const createRole = async (name: string, trust: unknown = POD_IDENTITY_TRUST) => {
    const { Role } = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: JSON.stringify(trust) }),
    );
    return Role!.Arn!;
  };

  const associate = (roleArn: string, serviceAccount = 'app', extra: Record<string, unknown> = {}) =>
    eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'demo',
        namespace: 'team-a',
        serviceAccount,
        roleArn,
        ...extra,
      }),
    );

  it('creates an association shaped as EKS shapes it and describes it by id', async () => {
    // Prepare
    const roleArn = await createRole('pod-role');

    // Act
    const { association } = await associate(roleArn, 'app', { tags: { team: 'a' } });
    const described = await eks.send(
      new DescribePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId: association!.associationId!,
      }),
    );

    // Assess
    expect(association!.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(association!.associationArn).toBe(
      `arn:aws:eks:us-east-1:${ACCOUNT}:podidentityassociation/demo/${association!.associationId}`,
    );
    expect(described.association).toMatchObject({
      clusterName: 'demo',
      namespace: 'team-a',
      serviceAccount: 'app',
      roleArn,
      disableSessionTags: false,
      tags: { team: 'a' },
    });
    expect(described.association!.createdAt).toBeInstanceOf(Date);
  });

  it('answers a retried create (same clientRequestToken, same parameters) with the same association', async () => {
    const roleArn = await createRole('pod-role');
    const first = await associate(roleArn, 'app', { clientRequestToken: 'token-1' });

    const again = await associate(roleArn, 'app', { clientRequestToken: 'token-1' });
    const changed = await failure(
      associate(roleArn, 'app', { clientRequestToken: 'token-1', disableSessionTags: true }),
    );

    expect(again.association!.associationId).toBe(first.association!.associationId);
    expect(changed).toBeInstanceOf(InvalidRequestException);
    const { associations } = await eks.send(new ListPodIdentityAssociationsCommand({ clusterName: 'demo' }));
    expect(associations).toHaveLength(1);
  });

  it('refuses a second association for the same namespace and service account', async () => {
    const roleArn = await createRole('pod-role');
    await associate(roleArn);

    const error = await failure(associate(roleArn));

    expect(error).toBeInstanceOf(ResourceInUseException);
    expect(statusOf(error)).toBe(409);
  });

  it('refuses roles that do not exist, are not role ARNs, or do not trust pods.eks.amazonaws.com', async () => {
    const irsaOnly = await createRole('irsa-role', {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' },
      ],
    });

    const missing = await failure(associate(`arn:aws:iam::${ACCOUNT}:role/nobody`));
    const malformed = await failure(associate('not-an-arn'));
    const untrusting = await failure(associate(irsaOnly));

    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toMatch(/Role provided in the request does not exist/);
    expect(malformed).toBeInstanceOf(InvalidParameterException);
    expect(untrusting).toBeInstanceOf(InvalidParameterException);
    expect(untrusting.message).toMatch(/Trust policy of the role provided is invalid/);
  });

  it('answers ResourceNotFoundException for unknown clusters and association ids', async () => {
    const roleArn = await createRole('pod-role');

    const noCluster = await failure(
      eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'nope',
          namespace: 'team-a',
          serviceAccount: 'app',
          roleArn,
        }),
      ),
    );
    const noAssociation = await failure(
      eks.send(
        new DescribePodIdentityAssociationCommand({
          clusterName: 'demo',
          associationId: 'a-0000000000000000',
        }),
      ),
    );

    expect(noCluster).toBeInstanceOf(ResourceNotFoundException);
    expect(noAssociation).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists associations filtered by namespace and service account, page by page', async () => {
    const roleArn = await createRole('pod-role');
    for (const sa of ['one', 'two', 'three']) await associate(roleArn, sa);
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'demo',
        namespace: 'team-b',
        serviceAccount: 'one',
        roleArn,
      }),
    );

    const firstPage = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'demo', namespace: 'team-a', maxResults: 2 }),
    );
    const secondPage = await eks.send(
      new ListPodIdentityAssociationsCommand({
        clusterName: 'demo',
        namespace: 'team-a',
        maxResults: 2,
        nextToken: firstPage.nextToken!,
      }),
    );
    const bySa = await eks.send(
      new ListPodIdentityAssociationsCommand({ clusterName: 'demo', serviceAccount: 'one' }),
    );

    const names = [...firstPage.associations!, ...secondPage.associations!].map((a) => a.serviceAccount);
    expect(firstPage.associations).toHaveLength(2);
    expect(names.sort()).toEqual(['one', 'three', 'two']);
    expect(secondPage.nextToken).toBeUndefined();
    expect(bySa.associations!.map((a) => a.namespace).sort()).toEqual(['team-a', 'team-b']);
  });

  it('updates the role, target role and session tags, and deletes the association', async () => {
    const roleArn = await createRole('pod-role');
    const otherArn = await createRole('other-role');
    const { association } = await associate(roleArn);
    const associationId = association!.associationId!;

    const updated = await eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId,
        roleArn: otherArn,
        targetRoleArn: 'arn:aws:iam::444455556666:role/target',
        disableSessionTags: true,
      }),
    );
    const deleted = await eks.send(
      new DeletePodIdentityAssociationCommand({ clusterName: 'demo', associationId }),
    );
    const gone = await failure(
      eks.send(new DescribePodIdentityAssociationCommand({ clusterName: 'demo', associationId })),
    );

    expect(updated.association).toMatchObject({
      roleArn: otherArn,
      targetRoleArn: 'arn:aws:iam::444455556666:role/target',
      disableSessionTags: true,
    });
    expect(updated.association!.externalId).toMatch(/^[0-9a-f-]{36}$/);
    expect(deleted.association!.associationId).toBe(associationId);
    expect(gone).toBeInstanceOf(ResourceNotFoundException);
  });

  it('tags an association by its ARN', async () => {
    const roleArn = await createRole('pod-role');
    const { association } = await associate(roleArn, 'app', { tags: { team: 'a' } });

    await eks.send(
      new TagResourceCommand({ resourceArn: association!.associationArn!, tags: { cost: 'center-1' } }),
    );
    const { tags } = await eks.send(
      new ListTagsForResourceCommand({ resourceArn: association!.associationArn! }),
    );

    expect(tags).toEqual({ team: 'a', cost: 'center-1' });
  });

  it('installs the eks-pod-identity-agent add-on: CREATING, then ACTIVE; once per cluster', async () => {
    const before = await failure(
      eks.send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' })),
    );

    const { addon } = await eks.send(
      new CreateAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    const twice = await failure(
      eks.send(new CreateAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' })),
    );
    clock += 30_000;
    const later = await eks.send(
      new DescribeAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    const listed = await eks.send(new ListAddonsCommand({ clusterName: 'demo' }));

    expect(before).toBeInstanceOf(ResourceNotFoundException);
    expect(addon!.status).toBe('CREATING');
    expect(addon!.addonArn).toMatch(
      new RegExp(`^arn:aws:eks:us-east-1:${ACCOUNT}:addon/demo/eks-pod-identity-agent/[0-9a-f-]{36}$`),
    );
    expect(twice).toBeInstanceOf(ResourceInUseException);
    expect(later.addon!.status).toBe('ACTIVE');
    expect(listed.addons).toEqual(['eks-pod-identity-agent']);
  });

  it('refuses the agent add-on below Kubernetes 1.24, and keeps add-ons a cluster was registered with across reset()', async () => {
    account.addCluster({ ...clusterDescription('old', issuer.issuer), version: '1.20' }, issuer.keys);
    account.addCluster(clusterDescription('modern', issuer.issuer), issuer.keys, {
      addons: ['eks-pod-identity-agent'],
    });

    const old = await failure(
      eks.send(new CreateAddonCommand({ clusterName: 'old', addonName: 'eks-pod-identity-agent' })),
    );
    account.reset();
    const { addon } = await eks.send(
      new DescribeAddonCommand({ clusterName: 'modern', addonName: 'eks-pod-identity-agent' }),
    );

    expect(old).toBeInstanceOf(InvalidParameterException);
    expect(addon!.status).toBe('ACTIVE');
    expect(account.podIdentity.agentActive('modern')).toBe(true);
    expect(account.podIdentity.agentActive('old')).toBe(false);
  });
});

const aws = findBinary('aws');
const describeWithCli = aws ? describe : describe.skip;

describeWithCli('the aws CLI creates and lists Pod Identity associations on the sandbox', () => {
  let account: SandboxAccount;
  let endpoint: ListeningEndpoint;
  let env: Record<string, string>;

  beforeAll(async () => {
    const issuer = await createTestIssuer();
    account = createSandboxAccount();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    endpoint = await account.listen();
    const { iam } = clientsFor(account);
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'cli-pod-role',
        AssumeRolePolicyDocument: JSON.stringify(POD_IDENTITY_TRUST),
      }),
    );
    const keys = account.brokerCredentials;
    env = isolatedEnv({
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_SESSION_TOKEN: keys.sessionToken,
      AWS_DEFAULT_REGION: 'us-east-1',
    });
  });

  afterAll(async () => {
    await endpoint.close();
  });

  const cli = (args: string[]) =>
    run(aws!, ['eks', ...args, '--endpoint-url', endpoint.url, '--output', 'json'], { env });

  it('create-pod-identity-association, then list-pod-identity-associations shows it; a duplicate fails', async () => {
    const create = [
      'create-pod-identity-association',
      '--cluster-name',
      'demo',
      '--namespace',
      'default',
      '--service-account',
      'cli-app',
      '--role-arn',
      `arn:aws:iam::${ACCOUNT}:role/cli-pod-role`,
    ];

    const created = await cli(create);
    const listed = await cli(['list-pod-identity-associations', '--cluster-name', 'demo']);
    const duplicate = await cli(create);

    expect(created.code).toBe(0);
    const { association } = JSON.parse(created.stdout);
    expect(association.associationId).toMatch(/^a-[a-z0-9]{17}$/);
    expect(JSON.parse(listed.stdout).associations).toEqual([
      expect.objectContaining({ associationId: association.associationId, serviceAccount: 'cli-app' }),
    ]);
    expect(duplicate.code).not.toBe(0);
    expect(duplicate.stderr).toMatch(/ResourceInUseException/);
  });
});
