// The sandbox account's STS through the real STSClient: who signed a request, SigV4 rejection, and
// AssumeRoleWithWebIdentity with real JWTs, trust policies and IAM propagation delay.
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AssumeRoleWithWebIdentityCommand,
  ExpiredTokenException,
  GetCallerIdentityCommand,
  InvalidIdentityTokenException,
  STSClient,
} from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createEksToken } from '../../lib/adapters/kubernetes/eks-token.js';
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

describe('sandbox STS: callers and signatures', () => {
  let account: SandboxAccount;

  beforeEach(() => {
    account = createSandboxAccount();
  });

  it('tells the broker credentials apart as the irsa-broker-local assumed role', async () => {
    const { sts } = clientsFor(account);

    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity.Account).toBe(ACCOUNT);
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local/irsa-broker`);
    expect(identity.UserId).toMatch(/^AROA[A-Z2-7]{17}:irsa-broker$/);
    expect(account.brokerRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/irsa-broker-local`);
  });

  it('rejects a request signed with the wrong secret (SignatureDoesNotMatch 403)', async () => {
    const { sts } = clientsFor(account, {
      credentials: { ...account.brokerCredentials, secretAccessKey: 'not-the-secret' },
      maxAttempts: 1,
    });

    const error = await failure(sts.send(new GetCallerIdentityCommand({})));

    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(statusOf(error)).toBe(403);
    expect(error.message).toContain('does not match the signature you provided');
  });

  it('rejects unknown access keys and a missing session token (InvalidClientTokenId 403)', async () => {
    const unknown = clientsFor(account, {
      credentials: { accessKeyId: 'AKIAAAAAAAAAAAAAAAAA', secretAccessKey: 'x' },
      maxAttempts: 1,
    }).sts;
    const { sessionToken: _dropped, ...withoutToken } = account.brokerCredentials;
    const tokenless = clientsFor(account, { credentials: withoutToken, maxAttempts: 1 }).sts;

    const unknownError = await failure(unknown.send(new GetCallerIdentityCommand({})));
    const tokenlessError = await failure(tokenless.send(new GetCallerIdentityCommand({})));

    expect(unknownError.name).toBe('InvalidClientTokenId');
    expect(statusOf(unknownError)).toBe(403);
    expect(tokenlessError.name).toBe('InvalidClientTokenId');
  });

  it('refuses a signature 20 minutes off the account clock; the SDK corrects itself from the Date header', async () => {
    const ahead = createSandboxAccount({ now: () => Date.now() + 20 * 60_000 });
    const once = clientsFor(ahead, { maxAttempts: 1 }).sts;
    const retrying = clientsFor(ahead).sts;

    const refused = await failure(once.send(new GetCallerIdentityCommand({})));
    const corrected = await retrying.send(new GetCallerIdentityCommand({}));

    expect(refused.name).toBe('SignatureDoesNotMatch');
    expect(refused.message).toMatch(/^Signature expired: .* is now earlier than/);
    expect(corrected.$metadata.attempts).toBe(2);
    expect(corrected.Arn).toContain('irsa-broker-local');
  });

  it('serves the same over HTTP on 127.0.0.1 for clients configured with an endpoint URL', async () => {
    const server = await account.listen();
    try {
      const sts = new STSClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: account.brokerCredentials,
      });
      const tampered = new STSClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { ...account.brokerCredentials, secretAccessKey: 'wrong' },
        maxAttempts: 1,
      });

      const identity = await sts.send(new GetCallerIdentityCommand({}));
      const error = await failure(tampered.send(new GetCallerIdentityCommand({})));

      expect(identity.Arn).toContain('assumed-role/irsa-broker-local/');
      expect(error.name).toBe('SignatureDoesNotMatch');
    } finally {
      await server.close();
    }
  });

  it('verifies a presigned GetCallerIdentity URL for the clusters (EKS bearer tokens)', async () => {
    const presign = async (secretAccessKey: string) => {
      const signer = new SignatureV4({
        credentials: { ...account.brokerCredentials, secretAccessKey },
        region: 'us-east-1',
        service: 'sts',
        sha256: Sha256,
      });
      const request = new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: 'sts.us-east-1.amazonaws.com',
        path: '/',
        query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
        headers: { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'demo' },
      });
      const signed = await signer.presign(request, { expiresIn: 60 });
      const url = new URL('https://sts.us-east-1.amazonaws.com/');
      for (const [key, value] of Object.entries(signed.query ?? {})) url.searchParams.set(key, String(value));
      return url.toString();
    };
    const headers = { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'demo' };

    const good = await account.sts.verifyPresignedGetCallerIdentity({
      url: await presign(account.brokerCredentials.secretAccessKey),
      headers,
    });
    const forged = await account.sts.verifyPresignedGetCallerIdentity({
      url: await presign('forged'),
      headers,
    });
    const otherCluster = await account.sts.verifyPresignedGetCallerIdentity({
      url: await presign(account.brokerCredentials.secretAccessKey),
      headers: { ...headers, 'x-k8s-aws-id': 'legacy' },
    });

    expect(good).toEqual({
      ok: true,
      identity: expect.objectContaining({ arn: expect.stringContaining('irsa-broker-local') }),
    });
    expect(forged).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'SignatureDoesNotMatch', httpStatus: 403 }),
    });
    expect(otherCluster.ok).toBe(false);
  });
  it('accepts an EKS bearer token made by the production token code, for its cluster only', async () => {
    const { token } = await createEksToken({
      clusterName: 'demo',
      region: 'us-east-1',
      credentials: async () => account.brokerCredentials,
    });
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
    const host = new URL(url).host;

    const accepted = await account.sts.verifyPresignedGetCallerIdentity({
      url,
      headers: { host, 'x-k8s-aws-id': 'demo' },
    });
    const replayed = await account.sts.verifyPresignedGetCallerIdentity({
      url,
      headers: { host, 'x-k8s-aws-id': 'bare' },
    });

    expect(accepted.ok && accepted.identity.arn).toBe(
      `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-local/irsa-broker`,
    );
    expect(replayed).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'SignatureDoesNotMatch' }),
    });
  });

  it('refuses an EKS bearer token older than 15 minutes', async () => {
    const { token } = await createEksToken({
      clusterName: 'demo',
      region: 'us-east-1',
      credentials: async () => account.brokerCredentials,
      now: new Date(Date.now() - 16 * 60_000),
    });
    const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();

    const outcome = await account.sts.verifyPresignedGetCallerIdentity({
      url,
      headers: { host: new URL(url).host, 'x-k8s-aws-id': 'demo' },
    });

    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? undefined : outcome.error.message).toMatch(/^Signature expired/);
  });
});

describe('sandbox STS: AssumeRoleWithWebIdentity', () => {
  let clock: number;
  let account: SandboxAccount;
  let clients: Clients;
  let issuer: TestIssuer;

  const assume = (roleArn: string, token: string) =>
    clients.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        WebIdentityToken: token,
        RoleSessionName: 'pod-session',
      }),
    );
  const tokenFor = (namespace: string, name: string, aud = 'sts.amazonaws.com') =>
    issuer.mint({ sub: serviceAccountSubject(namespace, name), aud }, { issuedAt: Math.floor(clock / 1000) });

  beforeEach(async () => {
    clock = Date.now();
    account = createSandboxAccount({ now: () => clock });
    clients = clientsFor(account, { maxAttempts: 1 });
    issuer = await createTestIssuer();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
  });

  const withProvider = () =>
    clients.iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: issuer.issuer, ClientIDList: ['sts.amazonaws.com'] }),
    );
  const roleFor = async (name: string, namespace: string, serviceAccount: string) => {
    const { Role } = await clients.iam.send(
      new CreateRoleCommand({
        RoleName: name,
        AssumeRolePolicyDocument: irsaTrustPolicy(ACCOUNT, issuer.hostPath, namespace, serviceAccount),
      }),
    );
    return Role!.Arn!;
  };

  it('admits exactly the trusted namespace/service account and refuses another', async () => {
    await withProvider();
    const roleArn = await roleFor('demo-app', 'demo', 'app');

    const admitted = await assume(roleArn, await tokenFor('demo', 'app'));
    const otherAccount = await failure(assume(roleArn, await tokenFor('demo', 'other')));
    const otherNamespace = await failure(assume(roleArn, await tokenFor('prod', 'app')));

    expect(admitted.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/demo-app/pod-session`);
    expect(admitted.SubjectFromWebIdentityToken).toBe('system:serviceaccount:demo:app');
    expect(admitted.Provider).toBe(issuer.hostPath);
    expect(admitted.Audience).toBe('sts.amazonaws.com');
    for (const error of [otherAccount, otherNamespace]) {
      expect(error.name).toBe('AccessDenied');
      expect(statusOf(error)).toBe(403);
      expect(error.message).toBe('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
  });

  it('issues temporary credentials that sign further calls as the assumed role', async () => {
    await withProvider();
    const roleArn = await roleFor('demo-app', 'demo', 'app');
    const { Credentials } = await assume(roleArn, await tokenFor('demo', 'app'));

    const asPod = clientsFor(account, {
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    }).sts;
    const identity = await asPod.send(new GetCallerIdentityCommand({}));

    expect(Credentials?.AccessKeyId).toMatch(/^ASIA/);
    expect(Credentials?.Expiration?.getTime()).toBe(Math.floor(clock / 1000) * 1000 + 3600_000);
    expect(identity.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/demo-app/pod-session`);
  });

  it('stops accepting the temporary credentials when they expire (ExpiredToken)', async () => {
    await withProvider();
    const roleArn = await roleFor('short', 'demo', 'app');
    const { Credentials } = await clients.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        WebIdentityToken: await tokenFor('demo', 'app'),
        RoleSessionName: 'short-session',
        DurationSeconds: 900,
      }),
    );
    const asPod = clientsFor(account, {
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    }).sts;

    const fresh = await asPod.send(new GetCallerIdentityCommand({}));
    clock += 900_000;
    const expired = await failure(asPod.send(new GetCallerIdentityCommand({})));

    expect(fresh.Arn).toContain('assumed-role/short/short-session');
    expect(expired.name).toBe('ExpiredToken');
    expect(statusOf(expired)).toBe(403);
  });

  it('refuses tokens of an issuer without an OIDC provider in the account (InvalidIdentityToken)', async () => {
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/whatever`;

    const error = await failure(assume(roleArn, await tokenFor('demo', 'app')));

    expect(error).toBeInstanceOf(InvalidIdentityTokenException);
    expect(statusOf(error)).toBe(400);
    expect(error.message).toBe(`No OpenIDConnect provider found in your account for ${issuer.issuer}`);
  });

  it('refuses tokens signed by another key, for another audience, or expired', async () => {
    await withProvider();
    const roleArn = await roleFor('demo-app', 'demo', 'app');
    // Same issuer URL, another key: what a forged token looks like.
    const impostor = await createTestIssuer('us-east-1', issuer.issuer);
    const forgedToken = await impostor.mint(
      { sub: serviceAccountSubject('demo', 'app') },
      { issuedAt: Math.floor(clock / 1000) },
    );

    const badSignature = await failure(assume(roleArn, forgedToken));
    const wrongAudience = await failure(assume(roleArn, await tokenFor('demo', 'app', 'not-sts')));
    const expiredToken = await issuer.mint(
      { sub: serviceAccountSubject('demo', 'app') },
      { issuedAt: Math.floor(clock / 1000) - 7200, expiresInSeconds: 3600 },
    );
    const expired = await failure(assume(roleArn, expiredToken));

    expect(badSignature).toBeInstanceOf(InvalidIdentityTokenException);
    expect(wrongAudience).toBeInstanceOf(InvalidIdentityTokenException);
    expect(wrongAudience.message).toBe('Incorrect token audience');
    expect(expired).toBeInstanceOf(ExpiredTokenException);
  });

  it('makes a new role and a changed trust policy effective only after the propagation delay', async () => {
    await withProvider();
    account.setPropagationDelayMs(5000);
    const roleArn = await roleFor('slow', 'demo', 'app');

    const early = await failure(assume(roleArn, await tokenFor('demo', 'app')));
    clock += 5001;
    const later = await assume(roleArn, await tokenFor('demo', 'app'));
    await clients.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'slow',
        PolicyDocument: irsaTrustPolicy(ACCOUNT, issuer.hostPath, 'demo', 'renamed'),
      }),
    );
    const stale = await failure(assume(roleArn, await tokenFor('demo', 'renamed')));
    clock += 5001;
    const renamed = await assume(roleArn, await tokenFor('demo', 'renamed'));

    expect(early.name).toBe('AccessDenied');
    expect(later.AssumedRoleUser?.Arn).toContain('assumed-role/slow/');
    expect(stale.name).toBe('AccessDenied');
    expect(renamed.SubjectFromWebIdentityToken).toBe('system:serviceaccount:demo:renamed');
  });

  it('answers pods through the cluster-side STS with the same rules', async () => {
    await withProvider();
    const roleArn = await roleFor('demo-app', 'demo', 'app');

    const ok = await account.sts.assumeRoleWithWebIdentity({
      roleArn,
      webIdentityToken: await tokenFor('demo', 'app'),
      roleSessionName: 'botocore-session-1',
    });
    const denied = await account.sts.assumeRoleWithWebIdentity({
      roleArn,
      webIdentityToken: await tokenFor('other', 'app'),
      roleSessionName: 'botocore-session-1',
    });
    const node = account.sts.instanceRoleIdentity('demo');

    expect(ok).toEqual({
      ok: true,
      identity: expect.objectContaining({
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/demo-app/botocore-session-1`,
      }),
    });
    expect(denied).toEqual({
      ok: false,
      error: {
        code: 'AccessDenied',
        message: 'Not authorized to perform sts:AssumeRoleWithWebIdentity',
        httpStatus: 403,
      },
    });
    expect(node.arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/demo-node-role/i-[0-9a-f]{17}$`),
    );
    expect(account.sts.instanceRoleIdentity('demo')).toEqual(node);
  });
});
