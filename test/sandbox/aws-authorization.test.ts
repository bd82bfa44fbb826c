// Signed calls are authorized by the caller's role policies: a pod's web-identity session can do what
// its role's policies (within the boundary) allow, and nothing else.
import { AccessDeniedException, DescribeClusterCommand } from '@aws-sdk/client-eks';
import { CreateEventBusCommand, EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  GetRoleCommand,
  ListRolesCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createSandboxAccount, type SandboxAccount } from '../../lib/sandbox/aws/index.js';
import {
  type Clients,
  clientsFor,
  clusterDescription,
  createTestIssuer,
  failure,
  irsaTrustPolicy,
  serviceAccountSubject,
  statusOf,
  type TestIssuer,
} from './aws-fixtures.js';

const ACCOUNT = '111122223333';

describe('sandbox AWS authorization of signed calls', () => {
  let account: SandboxAccount;
  let broker: Clients;
  let issuer: TestIssuer;

  /** Creates an IRSA role with the given managed policies and returns clients signed as a pod session of it. */
  const podSession = async (roleName: string, policyArns: string[]): Promise<Clients> => {
    await broker.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: irsaTrustPolicy(ACCOUNT, issuer.hostPath, 'demo', roleName),
      }),
    );
    for (const arn of policyArns)
      await broker.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn }));
    const { Credentials } = await broker.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
        RoleSessionName: 'pod',
        WebIdentityToken: await issuer.mint({ sub: serviceAccountSubject('demo', roleName) }),
      }),
    );
    return clientsFor(account, {
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
  };

  beforeAll(async () => {
    account = createSandboxAccount();
    broker = clientsFor(account, { maxAttempts: 1 });
    issuer = await createTestIssuer();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    await broker.iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: issuer.issuer, ClientIDList: ['sts.amazonaws.com'] }),
    );
  });

  it('lets any session ask who it is, and denies IAM calls its policies do not allow', async () => {
    const pod = await podSession('s3-reader', ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);

    const identity = await pod.sts.send(new GetCallerIdentityCommand({}));
    const createRole = await failure(
      pod.iam.send(new CreateRoleCommand({ RoleName: 'escalate', AssumeRolePolicyDocument: '{}' })),
    );
    const describe = await failure(pod.eks.send(new DescribeClusterCommand({ name: 'demo' })));

    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/pod`);
    expect(createRole.name).toBe('AccessDenied');
    expect(statusOf(createRole)).toBe(403);
    expect(createRole.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/s3-reader/pod is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::${ACCOUNT}:role/escalate because no identity-based policy allows the iam:CreateRole action`,
    );
    expect(describe).toBeInstanceOf(AccessDeniedException);
    expect(statusOf(describe)).toBe(403);
  });

  it('allows what an attached policy grants', async () => {
    const pod = await podSession('node-like', ['arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy']);

    const { cluster } = await pod.eks.send(new DescribeClusterCommand({ name: 'demo' }));

    expect(cluster?.name).toBe('demo');
  });

  it('confines a session to its permissions boundary', async () => {
    const pod = await podSession('bounded-admin', ['arn:aws:iam::aws:policy/AdministratorAccess']);
    const readOnlyIam = await pod.iam.send(new GetRoleCommand({ RoleName: 'bounded-admin' }));
    const { Policy } = await broker.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'only-get-role',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'iam:GetRole', Resource: '*' }],
        }),
      }),
    );
    await broker.iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded-admin', PermissionsBoundary: Policy!.Arn! }),
    );

    const stillAllowed = await pod.iam.send(new GetRoleCommand({ RoleName: 'bounded-admin' }));
    const outside = await failure(pod.iam.send(new ListRolesCommand({})));

    expect(readOnlyIam.Role?.RoleName).toBe('bounded-admin');
    expect(stillAllowed.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(Policy!.Arn);
    expect(outside.name).toBe('AccessDenied');
    expect(outside.message).toContain('because no permissions boundary allows the iam:ListRoles action');
  });

  it('lets a session put events only on the bus its policy names', async () => {
    // Prepare: two buses; a role allowed events:PutEvents on the first only (the publisher's shape).
    const adminEvents = new EventBridgeClient({
      region: 'us-east-1',
      credentials: account.brokerCredentials,
      requestHandler: account.requestHandler,
      maxAttempts: 1,
    });
    const bus = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/status-events`;
    await adminEvents.send(new CreateEventBusCommand({ Name: 'status-events' }));
    await adminEvents.send(new CreateEventBusCommand({ Name: 'other-events' }));
    const { Policy } = await broker.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'put-status-events',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: bus }],
        }),
      }),
    );
    await broker.iam.send(
      new CreateRoleCommand({
        RoleName: 'publisher',
        AssumeRolePolicyDocument: irsaTrustPolicy(ACCOUNT, issuer.hostPath, 'demo', 'publisher'),
      }),
    );
    await broker.iam.send(new AttachRolePolicyCommand({ RoleName: 'publisher', PolicyArn: Policy!.Arn! }));
    const { Credentials } = await broker.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/publisher`,
        RoleSessionName: 'pod',
        WebIdentityToken: await issuer.mint({ sub: serviceAccountSubject('demo', 'publisher') }),
      }),
    );
    const events = new EventBridgeClient({
      region: 'us-east-1',
      requestHandler: account.requestHandler,
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
    const entry = (EventBusName: string) => ({
      EventBusName,
      Source: 'irsa-broker',
      DetailType: 'Binding Running',
      Detail: '{}',
    });

    // Act
    const allowed = await events.send(new PutEventsCommand({ Entries: [entry('status-events')] }));
    const denied = await failure(events.send(new PutEventsCommand({ Entries: [entry('other-events')] })));

    // Assess
    expect(allowed.FailedEntryCount).toBe(0);
    expect(denied.name).toBe('AccessDeniedException');
    expect(statusOf(denied)).toBe(403);
    expect(denied.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/publisher/pod is not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:${ACCOUNT}:event-bus/other-events because no identity-based policy allows the events:PutEvents action`,
    );
  });

  it('evaluates iam:PermissionsBoundary as IAM sets it: the boundary CreateRole sets, the one a role has', async () => {
    // Prepare: a session allowed to create roles and attach policies only with boundary B on them.
    const { Policy: boundary } = await broker.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'boundary-b',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }],
        }),
      }),
    );
    const creator = await podSession('bounded-creator', []);
    await broker.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'bounded-creator',
        PolicyName: 'create-with-boundary',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['iam:CreateRole', 'iam:AttachRolePolicy'],
              Resource: `arn:aws:iam::${ACCOUNT}:role/made-*`,
              Condition: { StringEquals: { 'iam:PermissionsBoundary': boundary!.Arn! } },
            },
          ],
        }),
      }),
    );
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await broker.iam.send(
      new CreateRoleCommand({ RoleName: 'made-unbounded', AssumeRolePolicyDocument: trust }),
    );

    // Act
    const without = await failure(
      creator.iam.send(new CreateRoleCommand({ RoleName: 'made-plain', AssumeRolePolicyDocument: trust })),
    );
    const made = await creator.iam.send(
      new CreateRoleCommand({
        RoleName: 'made-bounded',
        AssumeRolePolicyDocument: trust,
        PermissionsBoundary: boundary!.Arn!,
      }),
    );
    const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await creator.iam.send(new AttachRolePolicyCommand({ RoleName: 'made-bounded', PolicyArn: s3 }));
    const attachUnbounded = await failure(
      creator.iam.send(new AttachRolePolicyCommand({ RoleName: 'made-unbounded', PolicyArn: s3 })),
    );

    // Assess
    expect(without.name).toBe('AccessDenied');
    expect(made.Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(boundary!.Arn);
    expect(attachUnbounded.name).toBe('AccessDenied');
    expect(attachUnbounded.message).toContain(
      'iam:AttachRolePolicy on resource: arn:aws:iam::111122223333:role/made-unbounded',
    );
  });
});
