// STS AssumeRole into a role of this or a linked account, through the real STSClient and IAMClient
// talking only to the main account's URL: trust and identity policies as AWS weighs them, validation,
// propagation, expiry, and the credentials then acting in the role's own account (routed by the key).
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  GetRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  createSandboxAccount,
  type ListeningEndpoint,
  type SandboxAccount,
  type SandboxCredentials,
} from '../../lib/sandbox/aws/index.js';
import { findBinary, isolatedEnv, run } from '../e2e/cli-tools.js';
import { failure, statusOf } from './aws-fixtures.js';

const MAIN = '111122223333';
const PEER = '444455556666';
const BROKER_ROLE = `arn:aws:iam::${MAIN}:role/irsa-broker-local`;
const BROKER_SESSION = `arn:aws:sts::${MAIN}:assumed-role/irsa-broker-local/irsa-broker`;

type Credentials = Required<SandboxCredentials>;

function trustPolicy(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement })),
  });
}

function permissions(...statements: Record<string, unknown>[]): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: statements.map((statement) => ({ Effect: 'Allow', ...statement })),
  });
}

describe('sandbox STS AssumeRole across linked accounts', () => {
  let clock: number;
  let main: SandboxAccount;
  let peer: SandboxAccount;
  let server: ListeningEndpoint;

  const sts = (credentials: SandboxCredentials) =>
    new STSClient({ region: 'us-east-1', endpoint: server.url, credentials, maxAttempts: 1 });
  const iam = (credentials: SandboxCredentials) =>
    new IAMClient({ region: 'us-east-1', endpoint: server.url, credentials, maxAttempts: 1 });
  const keysOf = (answer: {
    Credentials?: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string };
  }): Credentials => ({
    accessKeyId: answer.Credentials!.AccessKeyId!,
    secretAccessKey: answer.Credentials!.SecretAccessKey!,
    sessionToken: answer.Credentials!.SessionToken!,
  });
  const assume = (caller: SandboxCredentials, input: AssumeRoleCommandInput) =>
    sts(caller).send(new AssumeRoleCommand(input));
  /** A role in `account`, made with that account's broker keys, sent (like everything here) to the main URL. */
  const createRole = async (
    account: SandboxAccount,
    name: string,
    trust: string,
    options: { policy?: string; maxSessionDuration?: number } = {},
  ): Promise<string> => {
    const admin = iam(account.brokerCredentials);
    const { Role } = await admin.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: trust,
        ...(options.maxSessionDuration ? { MaxSessionDuration: options.maxSessionDuration } : {}),
      }),
    );
    if (options.policy) {
      await admin.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: 'permissions',
          PolicyDocument: options.policy,
        }),
      );
    }
    return Role!.Arn!;
  };
  const deniedMessage = (caller: string, roleArn: string, action = 'sts:AssumeRole') =>
    `User: ${caller} is not authorized to perform: ${action} on resource: ${roleArn}`;

  beforeEach(async () => {
    clock = Date.now();
    main = createSandboxAccount({ now: () => clock });
    peer = createSandboxAccount({ accountId: PEER, now: () => clock });
    main.linkAccount(peer);
    server = await main.listen();
  });

  afterEach(async () => {
    await server.close();
  });

  it('lets the broker assume a peer role that trusts it; the session is the peer account', async () => {
    const roleArn = await createRole(peer, 'broker-access', trustPolicy({ Principal: { AWS: BROKER_ROLE } }));

    const answer = await assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'manage-iam' });
    const identity = await sts(keysOf(answer)).send(new GetCallerIdentityCommand({}));

    expect(answer.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/broker-access/manage-iam`);
    expect(answer.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:manage-iam$/);
    expect(answer.Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(answer.Credentials?.Expiration?.getTime()).toBe(Math.floor(clock / 1000) * 1000 + 3600_000);
    expect(answer.PackedPolicySize).toBeUndefined();
    expect(identity.Account).toBe(PEER);
    expect(identity.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/broker-access/manage-iam`);
    expect(identity.UserId).toBe(answer.AssumedRoleUser?.AssumedRoleId);
  });

  it('acts in the peer account with the peer role policies, whatever URL the call reaches', async () => {
    const roleArn = await createRole(
      peer,
      'role-manager',
      trustPolicy({ Principal: { AWS: `arn:aws:iam::${MAIN}:root` } }),
      {
        policy: permissions({
          Action: ['iam:CreateRole', 'iam:GetRole'],
          Resource: `arn:aws:iam::${PEER}:role/app-*`,
        }),
      },
    );
    const session = keysOf(
      await assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'broker' }),
    );
    const inPeer = iam(session);

    const { Role } = await inPeer.send(
      new CreateRoleCommand({
        RoleName: 'app-one',
        AssumeRolePolicyDocument: trustPolicy({ Principal: { Service: 'ec2.amazonaws.com' } }),
      }),
    );
    const read = await inPeer.send(new GetRoleCommand({ RoleName: 'app-one' }));
    const deleteRefused = await failure(inPeer.send(new DeleteRoleCommand({ RoleName: 'app-one' })));
    const outsideRefused = await failure(
      inPeer.send(
        new CreateRoleCommand({
          RoleName: 'other',
          AssumeRolePolicyDocument: trustPolicy({ Principal: { Service: 'ec2.amazonaws.com' } }),
        }),
      ),
    );

    expect(Role?.Arn).toBe(`arn:aws:iam::${PEER}:role/app-one`);
    expect(read.Role?.RoleId).toBe(Role?.RoleId);
    expect(peer.peer.state().roles['app-one']).toBeDefined();
    expect(main.peer.state().roles['app-one']).toBeUndefined();
    expect(deleteRefused.name).toBe('AccessDenied');
    expect(statusOf(deleteRefused)).toBe(403);
    expect(deleteRefused.message).toContain(
      `User: arn:aws:sts::${PEER}:assumed-role/role-manager/broker is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::${PEER}:role/app-one`,
    );
    expect(outsideRefused.name).toBe('AccessDenied');
  });

  it('refuses alike a role that does not trust the caller, trusts someone else, or does not exist', async () => {
    const untrusting = await createRole(
      peer,
      'ec2-only',
      trustPolicy({ Principal: { Service: 'ec2.amazonaws.com' } }),
    );
    const someoneElse = await createRole(
      peer,
      'operator-only',
      trustPolicy({ Principal: { AWS: `arn:aws:iam::${MAIN}:role/irsa-broker-local-operator` } }),
    );
    const missing = `arn:aws:iam::${PEER}:role/no-such-role`;

    const errors = await Promise.all(
      [untrusting, someoneElse, missing].map((RoleArn) =>
        failure(assume(main.brokerCredentials, { RoleArn, RoleSessionName: 'broker' })),
      ),
    );
    const operator = await assume(main.operatorCredentials, { RoleArn: someoneElse, RoleSessionName: 'op' });

    for (const [index, roleArn] of [untrusting, someoneElse, missing].entries()) {
      expect(errors[index]!.name).toBe('AccessDenied');
      expect(statusOf(errors[index]!)).toBe(403);
      expect(errors[index]!.message).toBe(deniedMessage(BROKER_SESSION, roleArn));
    }
    expect(operator.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/operator-only/op`);
  });

  it('matches aws:PrincipalArn to the caller’s role, and a role ARN only with its path', async () => {
    const admin = iam(peer.brokerCredentials);
    const { Role } = await admin.send(
      new CreateRoleCommand({
        RoleName: 'pinned',
        Path: '/brokers/',
        AssumeRolePolicyDocument: trustPolicy({
          Principal: { AWS: `arn:aws:iam::${MAIN}:root` },
          Condition: { ArnEquals: { 'aws:PrincipalArn': BROKER_ROLE } },
        }),
      }),
    );

    const broker = await assume(main.brokerCredentials, { RoleArn: Role!.Arn!, RoleSessionName: 'broker' });
    const operator = await failure(
      assume(main.operatorCredentials, { RoleArn: Role!.Arn!, RoleSessionName: 'op' }),
    );
    const withoutPath = await failure(
      assume(main.brokerCredentials, {
        RoleArn: `arn:aws:iam::${PEER}:role/pinned`,
        RoleSessionName: 'broker',
      }),
    );

    expect(Role?.Arn).toBe(`arn:aws:iam::${PEER}:role/brokers/pinned`);
    expect(broker.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/pinned/broker`);
    expect(operator.name).toBe('AccessDenied');
    expect(withoutPath.message).toBe(deniedMessage(BROKER_SESSION, `arn:aws:iam::${PEER}:role/pinned`));
  });

  it('admits only the right ExternalId when the trust requires one', async () => {
    const roleArn = await createRole(
      peer,
      'third-party',
      trustPolicy({
        Principal: { AWS: MAIN },
        Condition: { StringEquals: { 'sts:ExternalId': 'tenant-42' } },
      }),
    );

    const withoutId = await failure(
      assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'broker' }),
    );
    const wrongId = await failure(
      assume(main.brokerCredentials, {
        RoleArn: roleArn,
        RoleSessionName: 'broker',
        ExternalId: 'tenant-43',
      }),
    );
    const rightId = await assume(main.brokerCredentials, {
      RoleArn: roleArn,
      RoleSessionName: 'broker',
      ExternalId: 'tenant-42',
    });

    expect(withoutId.name).toBe('AccessDenied');
    expect(wrongId.name).toBe('AccessDenied');
    expect(rightId.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/third-party/broker`);
  });

  it('needs the caller’s own allow across accounts, but not for a same-account trust naming its role', async () => {
    // A main-account role with no sts:AssumeRole permission at all, reached from the broker.
    const limitedArn = await createRole(main, 'limited', trustPolicy({ Principal: { AWS: BROKER_ROLE } }), {
      policy: permissions({ Action: 'iam:GetRole', Resource: '*' }),
    });
    const limited = keysOf(
      await assume(main.brokerCredentials, { RoleArn: limitedArn, RoleSessionName: 'limited' }),
    );
    const limitedSession = `arn:aws:sts::${MAIN}:assumed-role/limited/limited`;
    const peerNamingRole = await createRole(
      peer,
      'names-limited',
      trustPolicy({ Principal: { AWS: limitedArn } }),
    );
    const sameNamingRole = await createRole(
      main,
      'same-names-limited',
      trustPolicy({ Principal: { AWS: limitedArn } }),
    );
    const sameNamingAccount = await createRole(
      main,
      'same-names-account',
      trustPolicy({ Principal: { AWS: MAIN } }),
    );
    const assumeAs = (credentials: Credentials, RoleArn: string) =>
      assume(credentials, { RoleArn, RoleSessionName: 'next' });

    const crossWithoutAllow = await failure(assumeAs(limited, peerNamingRole));
    const sameByName = await assumeAs(limited, sameNamingRole);
    const sameByAccount = await failure(assumeAs(limited, sameNamingAccount));
    await iam(main.brokerCredentials).send(
      new PutRolePolicyCommand({
        RoleName: 'limited',
        PolicyName: 'assume-peer',
        PolicyDocument: permissions({ Action: 'sts:AssumeRole', Resource: peerNamingRole }),
      }),
    );
    const crossWithAllow = await assumeAs(limited, peerNamingRole);

    expect(crossWithoutAllow.message).toBe(deniedMessage(limitedSession, peerNamingRole));
    expect(sameByName.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${MAIN}:assumed-role/same-names-limited/next`);
    expect(sameByAccount.message).toBe(deniedMessage(limitedSession, sameNamingAccount));
    expect(crossWithAllow.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/names-limited/next`);
  });

  it('refuses a bad RoleSessionName, durations out of range and over an hour when chaining', async () => {
    const roleArn = await createRole(peer, 'long', trustPolicy({ Principal: { AWS: BROKER_ROLE } }), {
      maxSessionDuration: 43200,
    });
    const attempt = (input: Partial<AssumeRoleCommandInput>) =>
      failure(assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'broker', ...input }));

    const badName = await attempt({ RoleSessionName: 'has space' });
    const shortName = await attempt({ RoleSessionName: 'x' });
    const tooShort = await attempt({ DurationSeconds: 600 });
    const chained = await attempt({ DurationSeconds: 7200 });
    const hour = await assume(main.brokerCredentials, {
      RoleArn: roleArn,
      RoleSessionName: 'broker',
      DurationSeconds: 3600,
    });

    expect(badName.name).toBe('ValidationError');
    expect(statusOf(badName)).toBe(400);
    expect(badName.message).toBe(
      "1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    expect(shortName.message).toBe(
      "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect(tooShort.message).toBe(
      "1 validation error detected: Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    expect(chained.name).toBe('ValidationError');
    expect(chained.message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    expect(hour.Credentials?.Expiration?.getTime()).toBe(Math.floor(clock / 1000) * 1000 + 3600_000);
  });

  it('sees a new peer role only after the peer account’s propagation delay', async () => {
    peer.setPropagationDelayMs(5000);
    const roleArn = await createRole(peer, 'fresh', trustPolicy({ Principal: { AWS: BROKER_ROLE } }));

    const early = await failure(
      assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'broker' }),
    );
    clock += 5001;
    const later = await assume(main.brokerCredentials, { RoleArn: roleArn, RoleSessionName: 'broker' });

    expect(early.name).toBe('AccessDenied');
    expect(early.message).toBe(deniedMessage(BROKER_SESSION, roleArn));
    expect(later.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/fresh/broker`);
  });

  it('stops accepting the session after its duration (ExpiredToken)', async () => {
    const roleArn = await createRole(peer, 'brief', trustPolicy({ Principal: { AWS: BROKER_ROLE } }));
    const session = keysOf(
      await assume(main.brokerCredentials, {
        RoleArn: roleArn,
        RoleSessionName: 'broker',
        DurationSeconds: 900,
      }),
    );

    const before = await sts(session).send(new GetCallerIdentityCommand({}));
    clock += 901_000;
    const after = await failure(sts(session).send(new GetCallerIdentityCommand({})));

    expect(before.Account).toBe(PEER);
    expect(after.name).toBe('ExpiredToken');
    expect(statusOf(after)).toBe(403);
  });

  it('tags the session only when trust and identity allow sts:TagSession', async () => {
    const tags = [{ Key: 'team', Value: 'platform' }];
    const untagged = await createRole(peer, 'no-tags', trustPolicy({ Principal: { AWS: BROKER_ROLE } }));
    const tagged = await createRole(
      peer,
      'tags',
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: BROKER_ROLE },
            Action: ['sts:AssumeRole', 'sts:TagSession'],
            Condition: { StringEquals: { 'aws:RequestTag/team': 'platform' } },
          },
        ],
      }),
    );

    const refused = await failure(
      assume(main.brokerCredentials, { RoleArn: untagged, RoleSessionName: 'broker', Tags: tags }),
    );
    const wrongValue = await failure(
      assume(main.brokerCredentials, {
        RoleArn: tagged,
        RoleSessionName: 'broker',
        Tags: [{ Key: 'team', Value: 'data' }],
      }),
    );
    const admitted = await assume(main.brokerCredentials, {
      RoleArn: tagged,
      RoleSessionName: 'broker',
      Tags: tags,
      TransitiveTagKeys: ['team'],
    });
    const notAmongTags = await failure(
      assume(main.brokerCredentials, {
        RoleArn: tagged,
        RoleSessionName: 'broker',
        Tags: tags,
        TransitiveTagKeys: ['cost'],
      }),
    );

    expect(refused.message).toBe(deniedMessage(BROKER_SESSION, untagged, 'sts:TagSession'));
    expect(wrongValue.name).toBe('AccessDenied');
    expect(admitted.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/tags/broker`);
    expect(admitted.PackedPolicySize).toBeGreaterThan(0);
    expect(admitted.PackedPolicySize).toBeLessThanOrEqual(100);
    expect(notAmongTags.name).toBe('InvalidParameterValue');
  });
});

describe('sandbox endpoints: the signing key decides the account', () => {
  let main: SandboxAccount;
  let peer: SandboxAccount;
  let mainServer: ListeningEndpoint;
  let peerServer: ListeningEndpoint;

  beforeEach(async () => {
    main = createSandboxAccount();
    peer = createSandboxAccount({ accountId: PEER });
    main.linkAccount(peer);
    mainServer = await main.listen();
    peerServer = await peer.listen();
  });

  afterEach(async () => {
    await mainServer.close();
    await peerServer.close();
  });

  const callerAt = (url: string, credentials: SandboxCredentials) =>
    new STSClient({ region: 'us-east-1', endpoint: url, credentials, maxAttempts: 1 }).send(
      new GetCallerIdentityCommand({}),
    );

  it('serves each account’s keys at either account’s URL, and refuses keys no account knows', async () => {
    const peerAtMain = await callerAt(mainServer.url, peer.brokerCredentials);
    const mainAtPeer = await callerAt(peerServer.url, main.brokerCredentials);
    const unknown = await failure(
      callerAt(mainServer.url, {
        accessKeyId: 'ASIAAAAAAAAAAAAAAAAA',
        secretAccessKey: 'x',
        sessionToken: 'y',
      }),
    );
    const tampered = await failure(
      callerAt(mainServer.url, { ...peer.brokerCredentials, secretAccessKey: 'wrong' }),
    );

    expect(peerAtMain.Account).toBe(PEER);
    expect(mainAtPeer.Account).toBe(MAIN);
    expect(unknown.name).toBe('InvalidClientTokenId');
    expect(statusOf(unknown)).toBe(403);
    expect(tampered.name).toBe('SignatureDoesNotMatch');
  });

  it('routes a presigned GetCallerIdentity URL by its X-Amz-Credential', async () => {
    const signer = new SignatureV4({
      credentials: peer.brokerCredentials,
      region: 'us-east-1',
      service: 'sts',
      sha256: Sha256,
    });
    const url = new URL(mainServer.url);
    const presigned = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'http:',
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: url.host },
      }),
      { expiresIn: 60 },
    );
    const query = new URLSearchParams(presigned.query as Record<string, string>).toString();

    const answer = await fetch(`${mainServer.url}/?${query}`);
    const body = await answer.text();

    expect(answer.status).toBe(200);
    expect(body).toContain(`<Account>${PEER}</Account>`);
  });

  it('verifies an EKS bearer token signed with the linked account’s keys as that account’s principal', async () => {
    const presign = async (credentials: SandboxCredentials) => {
      const signer = new SignatureV4({ credentials, region: 'us-east-1', service: 'sts', sha256: Sha256 });
      const signed = await signer.presign(
        new HttpRequest({
          method: 'GET',
          protocol: 'https:',
          hostname: 'sts.us-east-1.amazonaws.com',
          path: '/',
          query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
          headers: { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'demo' },
        }),
        { expiresIn: 60 },
      );
      const url = new URL('https://sts.us-east-1.amazonaws.com/');
      for (const [key, value] of Object.entries(signed.query ?? {})) url.searchParams.set(key, String(value));
      return url.toString();
    };
    const headers = { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'demo' };

    const peerToken = await main.sts.verifyPresignedGetCallerIdentity({
      url: await presign(peer.brokerCredentials),
      headers,
    });
    const unknownToken = await main.sts.verifyPresignedGetCallerIdentity({
      url: await presign({ accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x', sessionToken: 'y' }),
      headers,
    });

    expect(peerToken.ok && peerToken.identity.arn).toBe(
      `arn:aws:sts::${PEER}:assumed-role/irsa-broker-local/irsa-broker`,
    );
    expect(unknownToken).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'InvalidClientTokenId', httpStatus: 403 }),
    });
  });

  it('keeps peer-issued sessions working through a snapshot and restore of both accounts', async () => {
    const { iam } = {
      iam: new IAMClient({
        region: 'us-east-1',
        endpoint: mainServer.url,
        credentials: peer.brokerCredentials,
      }),
    };
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'kept',
        AssumeRolePolicyDocument: trustPolicy({ Principal: { AWS: MAIN } }),
      }),
    );
    const answer = await new STSClient({
      region: 'us-east-1',
      endpoint: mainServer.url,
      credentials: main.brokerCredentials,
    }).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${PEER}:role/kept`, RoleSessionName: 'kept' }));
    const restoredMain = createSandboxAccount();
    const restoredPeer = createSandboxAccount({ accountId: PEER });
    restoredMain.restore(main.snapshot());
    restoredPeer.restore(peer.snapshot());
    restoredMain.linkAccount(restoredPeer);
    const restoredServer = await restoredMain.listen();
    try {
      const identity = await callerAt(restoredServer.url, {
        accessKeyId: answer.Credentials!.AccessKeyId!,
        secretAccessKey: answer.Credentials!.SecretAccessKey!,
        sessionToken: answer.Credentials!.SessionToken!,
      });

      expect(identity.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/kept/kept`);
    } finally {
      await restoredServer.close();
    }
  });
});

const aws = findBinary('aws');
const describeWithCli = aws ? describe : describe.skip;

describeWithCli('the real aws CLI: sts assume-role into the linked account', () => {
  it('assumes the peer role at the main URL and signs as the peer session afterwards', async () => {
    const main = createSandboxAccount();
    const peer = createSandboxAccount({ accountId: PEER });
    main.linkAccount(peer);
    const server = await main.listen();
    try {
      await new IAMClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: peer.brokerCredentials,
      }).send(
        new CreateRoleCommand({
          RoleName: 'cli-target',
          AssumeRolePolicyDocument: trustPolicy({ Principal: { AWS: BROKER_ROLE } }),
        }),
      );
      const cli = (credentials: Credentials, args: string[]) =>
        run(aws!, [...args, '--endpoint-url', server.url, '--output', 'json'], {
          env: isolatedEnv({
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            AWS_SESSION_TOKEN: credentials.sessionToken,
            AWS_DEFAULT_REGION: 'us-east-1',
          }),
        });

      const assumed = await cli(main.brokerCredentials, [
        'sts',
        'assume-role',
        '--role-arn',
        `arn:aws:iam::${PEER}:role/cli-target`,
        '--role-session-name',
        'from-cli',
      ]);
      if (assumed.code !== 0) throw new Error(assumed.stderr);
      const answer = JSON.parse(assumed.stdout) as {
        Credentials: {
          AccessKeyId: string;
          SecretAccessKey: string;
          SessionToken: string;
          Expiration: string;
        };
        AssumedRoleUser: { Arn: string };
      };
      const who = await cli(
        {
          accessKeyId: answer.Credentials.AccessKeyId,
          secretAccessKey: answer.Credentials.SecretAccessKey,
          sessionToken: answer.Credentials.SessionToken,
        },
        ['sts', 'get-caller-identity'],
      );
      const refused = await cli(main.brokerCredentials, [
        'sts',
        'assume-role',
        '--role-arn',
        `arn:aws:iam::${PEER}:role/cli-target`,
        '--role-session-name',
        'bad name',
      ]);

      expect(answer.AssumedRoleUser.Arn).toBe(`arn:aws:sts::${PEER}:assumed-role/cli-target/from-cli`);
      expect(Date.parse(answer.Credentials.Expiration)).toBeGreaterThan(Date.now());
      expect(JSON.parse(who.stdout)).toMatchObject({
        Account: PEER,
        Arn: `arn:aws:sts::${PEER}:assumed-role/cli-target/from-cli`,
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('(ValidationError) when calling the AssumeRole operation');
    } finally {
      await server.close();
    }
  }, 60_000);
});
