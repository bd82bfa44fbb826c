// EKS Auth AssumeRoleForPodIdentity on the sandbox account, over the wire (SigV4-signed restJson1 and
// the real `aws eks-auth` CLI): token checks, association lookup and its propagation, the
// pods.eks.amazonaws.com trust, session tags, target-role chaining; the credentials work with STS.
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreatePodIdentityAssociationCommand,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
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
  type TestIssuer,
} from './aws-fixtures.js';

const ACCOUNT = '111122223333';
const POD_AUDIENCE = 'pods.eks.amazonaws.com';

/** AssumeRoleForPodIdentity's response body as the wire carries it. */
interface PodIdentityAnswer {
  assumedRoleUser: { arn: string; assumeRoleId: string };
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: number };
  [key: string]: unknown;
}

const trust = (statement: Record<string, unknown>) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', ...statement }] });
const POD_IDENTITY_TRUST = trust({
  Principal: { Service: POD_AUDIENCE },
  Action: ['sts:AssumeRole', 'sts:TagSession'],
});

describe('sandbox EKS Auth AssumeRoleForPodIdentity', () => {
  let issuer: TestIssuer;
  let otherIssuer: TestIssuer;
  let account: SandboxAccount;
  let endpoint: ListeningEndpoint;
  let clock: number;
  let iam: Clients['iam'];
  let eks: Clients['eks'];
  let alivePods: Set<string>;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    otherIssuer = await createTestIssuer();
  });

  beforeEach(async () => {
    clock = Date.now();
    account = createSandboxAccount({ now: () => clock });
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    alivePods = new Set(['team-a/app-pod']);
    account.podIdentity.setPodLiveness('demo', (namespace, name) => alivePods.has(`${namespace}/${name}`));
    ({ iam, eks } = clientsFor(account, { maxAttempts: 1 }));
    await endpoint?.close();
    endpoint = await account.listen();
  });

  afterAll(async () => {
    await endpoint.close();
  });

  const podToken = (
    overrides: { aud?: string; serviceAccount?: string; pod?: string; issuer?: TestIssuer } = {},
  ) =>
    (overrides.issuer ?? issuer).mint(
      {
        sub: `system:serviceaccount:team-a:${overrides.serviceAccount ?? 'app'}`,
        aud: overrides.aud ?? POD_AUDIENCE,
        'kubernetes.io': {
          namespace: 'team-a',
          serviceaccount: { name: overrides.serviceAccount ?? 'app', uid: 'sa-uid' },
          pod: { name: overrides.pod ?? 'app-pod', uid: 'pod-uid-1' },
        },
      },
      { issuedAt: Math.floor(clock / 1000) },
    );

  /** POST /clusters/{name}/assume-role-for-pod-identity, signed for eks-auth like the agent signs it. */
  const assumeRoleForPodIdentity = async (token: string, clusterName = 'demo') => {
    const url = new URL(endpoint.url);
    const signer = new SignatureV4({
      service: 'eks-auth',
      region: 'us-east-1',
      credentials: account.brokerCredentials,
      sha256: Sha256,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: 'POST',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: `/clusters/${clusterName}/assume-role-for-pod-identity`,
        headers: { host: url.host, 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      }),
    );
    const response = await fetch(`${endpoint.url}${signed.path}`, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body as string,
    });
    return {
      status: response.status,
      errorType: response.headers.get('x-amzn-errortype'),
      body: (await response.json()) as PodIdentityAnswer,
    };
  };

  const createRole = async (name: string, document = POD_IDENTITY_TRUST) =>
    (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: document }))).Role!;

  const associate = async (roleArn: string, extra: Record<string, unknown> = {}) =>
    (
      await eks.send(
        new CreatePodIdentityAssociationCommand({
          clusterName: 'demo',
          namespace: 'team-a',
          serviceAccount: 'app',
          roleArn,
          ...extra,
        }),
      )
    ).association!;

  it("returns the role's credentials for a pod's token, and STS knows them as the assumed role", async () => {
    // Prepare
    const role = await createRole('pod-role');
    const association = await associate(role.Arn!);

    // Act
    const answer = await assumeRoleForPodIdentity(await podToken());
    const creds = answer.body.credentials;
    const sts = new STSClient({
      region: 'us-east-1',
      requestHandler: account.requestHandler,
      credentials: {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
      },
    });
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      audience: POD_AUDIENCE,
      subject: { namespace: 'team-a', serviceAccount: 'app' },
      podIdentityAssociation: {
        associationArn: association.associationArn,
        associationId: association.associationId,
      },
    });
    expect(answer.body.assumedRoleUser.arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/pod-role/eks-demo-app-pod-[0-9a-f-]{36}$`),
    );
    expect(answer.body.assumedRoleUser.assumeRoleId).toMatch(new RegExp(`^${role.RoleId}:`));
    expect(typeof creds.expiration).toBe('number');
    expect(identity.Arn).toBe(answer.body.assumedRoleUser.arn);
    expect(identity.Account).toBe(ACCOUNT);
  });

  it('refuses tokens of another issuer, another audience, or a pod that is gone', async () => {
    const role = await createRole('pod-role');
    await associate(role.Arn!);

    const foreign = await assumeRoleForPodIdentity(await podToken({ issuer: otherIssuer }));
    const stsAudience = await assumeRoleForPodIdentity(await podToken({ aud: 'sts.amazonaws.com' }));
    const deadPod = await assumeRoleForPodIdentity(await podToken({ pod: 'deleted-pod' }));
    const notJwt = await assumeRoleForPodIdentity('not-a-token');

    expect([foreign.status, foreign.errorType]).toEqual([400, 'InvalidTokenException']);
    expect([stsAudience.status, stsAudience.errorType]).toEqual([400, 'InvalidTokenException']);
    expect([deadPod.status, deadPod.errorType]).toEqual([400, 'InvalidTokenException']);
    expect(notJwt.errorType).toBe('InvalidParameterException');
  });

  it('knows no association for a service account without one, nor for a new one before it propagates', async () => {
    const role = await createRole('pod-role');
    account.setPropagationDelayMs(5_000);
    await associate(role.Arn!);

    const other = await assumeRoleForPodIdentity(await podToken({ serviceAccount: 'other' }));
    const early = await assumeRoleForPodIdentity(await podToken());
    clock += 5_000;
    const later = await assumeRoleForPodIdentity(await podToken());

    expect(other.errorType).toBe('ResourceNotFoundException');
    expect(early.errorType).toBe('ResourceNotFoundException');
    expect(later.status).toBe(200);
  });

  it('needs sts:TagSession as well as sts:AssumeRole in the trust, with its conditions met', async () => {
    const role = await createRole('pod-role');
    await associate(role.Arn!);
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'pod-role',
        PolicyDocument: trust({ Principal: { Service: POD_AUDIENCE }, Action: 'sts:AssumeRole' }),
      }),
    );
    const noTagSession = await assumeRoleForPodIdentity(await podToken());

    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'pod-role',
        PolicyDocument: trust({
          Principal: { Service: POD_AUDIENCE },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'team-b' } },
        }),
      }),
    );
    const wrongNamespace = await assumeRoleForPodIdentity(await podToken());

    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'pod-role',
        PolicyDocument: trust({
          Principal: { Service: POD_AUDIENCE },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:RequestTag/kubernetes-namespace': 'team-a',
              'aws:RequestTag/kubernetes-service-account': 'app',
              'aws:RequestTag/eks-cluster-name': 'demo',
              'aws:SourceAccount': ACCOUNT,
            },
          },
        }),
      }),
    );
    const pinned = await assumeRoleForPodIdentity(await podToken());

    expect([noTagSession.status, noTagSession.errorType]).toEqual([403, 'AccessDeniedException']);
    expect(wrongNamespace.errorType).toBe('AccessDeniedException');
    expect(pinned.status).toBe(200);
  });

  it('chains into the target role when its trust admits the association role', async () => {
    const first = await createRole('pod-role');
    const association = await associate(first.Arn!);
    const target = await createRole(
      'target-role',
      trust({ Principal: { AWS: first.Arn! }, Action: 'sts:AssumeRole' }),
    );
    const someoneElse = await createRole('someone-else');
    const stranger = await createRole(
      'stranger-role',
      trust({ Principal: { AWS: someoneElse.Arn! }, Action: 'sts:AssumeRole' }),
    );

    await eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId: association.associationId!,
        targetRoleArn: stranger.Arn!,
      }),
    );
    const refused = await assumeRoleForPodIdentity(await podToken());
    await eks.send(
      new UpdatePodIdentityAssociationCommand({
        clusterName: 'demo',
        associationId: association.associationId!,
        targetRoleArn: target.Arn!,
      }),
    );
    const chained = await assumeRoleForPodIdentity(await podToken());

    expect(refused.errorType).toBe('AccessDeniedException');
    expect(chained.status).toBe(200);
    expect(chained.body.assumedRoleUser.arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/target-role/eks-demo-app-pod-`),
    );
  });

  it('chains into a target role of a linked account, whose STS then knows the credentials', async () => {
    const first = await createRole('pod-role');
    const other = createSandboxAccount({ accountId: '444455556666', now: () => clock });
    const { iam: otherIam } = clientsFor(other, { maxAttempts: 1 });
    await otherIam.send(
      new CreateRoleCommand({
        RoleName: 'cross-target',
        AssumeRolePolicyDocument: trust({ Principal: { AWS: first.Arn! }, Action: 'sts:AssumeRole' }),
      }),
    );
    await associate(first.Arn!, { targetRoleArn: 'arn:aws:iam::444455556666:role/cross-target' });
    const mayAssumeTarget = () =>
      iam.send(
        new PutRolePolicyCommand({
          RoleName: 'pod-role',
          PolicyName: 'assume-target',
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['sts:AssumeRole', 'sts:TagSession'],
                Resource: 'arn:aws:iam::444455556666:role/cross-target',
              },
            ],
          }),
        }),
      );

    const unlinked = await assumeRoleForPodIdentity(await podToken());
    account.linkAccount(other);
    const withoutPermission = await assumeRoleForPodIdentity(await podToken());
    await mayAssumeTarget();
    const linked = await assumeRoleForPodIdentity(await podToken());
    if (linked.status !== 200) throw new Error(JSON.stringify(linked));
    const creds = linked.body.credentials;
    const inOther = new STSClient({
      region: 'us-east-1',
      requestHandler: other.requestHandler,
      credentials: {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
      },
    });
    const identity = await inOther.send(new GetCallerIdentityCommand({}));

    expect(unlinked.errorType).toBe('AccessDeniedException');
    expect(withoutPermission.errorType).toBe('AccessDeniedException');
    expect(linked.status).toBe(200);
    expect(identity.Account).toBe('444455556666');
    expect(identity.Arn).toMatch(/^arn:aws:sts::444455556666:assumed-role\/cross-target\/eks-demo-app-pod-/);
  });

  const aws = findBinary('aws');
  (aws ? it : it.skip)('answers the real `aws eks-auth assume-role-for-pod-identity`', async () => {
    const role = await createRole('pod-role');
    await associate(role.Arn!);
    const keys = account.brokerCredentials;
    const env = isolatedEnv({
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      AWS_SESSION_TOKEN: keys.sessionToken,
      AWS_DEFAULT_REGION: 'us-east-1',
    });

    const token = await podToken();
    const ok = await run(
      aws!,
      [
        'eks-auth',
        'assume-role-for-pod-identity',
        '--cluster-name',
        'demo',
        '--token',
        token,
        '--endpoint-url',
        endpoint.url,
        '--output',
        'json',
      ],
      { env },
    );
    const refused = await run(
      aws!,
      [
        'eks-auth',
        'assume-role-for-pod-identity',
        '--cluster-name',
        'demo',
        '--token',
        await podToken({ aud: 'sts.amazonaws.com' }),
        '--endpoint-url',
        endpoint.url,
      ],
      { env },
    );

    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).assumedRoleUser.arn).toMatch(/:assumed-role\/pod-role\/eks-demo-app-pod-/);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/InvalidTokenException/);
  });
});
