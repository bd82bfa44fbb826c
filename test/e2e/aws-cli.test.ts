// The real AWS CLI against the running system's sandbox IAM, STS and EKS: once through the exports
// `npm start` prints (AWS_ENDPOINT_URL_*), once with --endpoint-url and the keys /_sandbox/credentials
// serves; with a private HOME so no user configuration is read.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { DescribeClusterCommand, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsCliExports } from '../../lib/local/aws-cli-exports.js';
import { findBinary, isolatedEnv, run } from './cli-tools.js';
import { startTestSystem, type TestSystem } from './system.js';

/** The procedure's first command. */
const DESCRIBE_DEMO_ISSUER = [
  'eks',
  'describe-cluster',
  '--name',
  'demo',
  '--query',
  'cluster.identity.oidc.issuer',
  '--output',
  'text',
];

const aws = findBinary('aws');
const describeWithCli = aws ? describe : describe.skip;

/** What a user gets by pasting the banner's lines into a shell (values are bare or single-quoted). */
function pasted(lines: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of lines) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) throw new Error(`not an export line: ${line}`);
    const raw = match[2]!;
    env[match[1]!] = raw.startsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
  }
  return env;
}

/** GET over HTTPS trusting only the cluster's CA, with a bearer token. */
function getWithClusterCa(url: string, caData: string, token: string) {
  return new Promise<number>((resolve, reject) => {
    const req = request(
      url,
      { ca: Buffer.from(caData, 'base64').toString('utf8'), headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describeWithCli('the AWS CLI against the sandbox', () => {
  let system: TestSystem;
  let bannerEnv: Record<string, string>;
  let keys: { roleArn: string; accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  const roleName = `cli-${randomUUID().slice(0, 8)}`;
  const trustPolicy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::111122223333:root' }, Action: 'sts:AssumeRole' },
    ],
  };
  let roleArn: string;
  let providerArn: string;
  let issuer: string;

  const cli = (args: string[], env: Record<string, string> = bannerEnv) =>
    run(aws!, args, { env: isolatedEnv(env) });
  const json = async (args: string[], env?: Record<string, string>) => {
    const result = await cli([...args, '--output', 'json'], env);
    if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    system = await startTestSystem();
    bannerEnv = pasted(awsCliExports(system.cloud.env));
    keys = (await (await fetch(`${system.url}/_sandbox/credentials`)).json()) as typeof keys;
    const created = await system.iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trustPolicy) }),
    );
    roleArn = created.Role!.Arn!;
    await system.iam.send(
      new AttachRolePolicyCommand({
        RoleName: roleName,
        PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
      }),
    );
    issuer = (await system.eks.send(new DescribeClusterCommand({ name: 'demo' }))).cluster!.identity!.oidc!
      .issuer!;
    providerArn = (
      await system.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: ['sts.amazonaws.com'] }),
      )
    ).OpenIDConnectProviderArn!;
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('prints the demo issuer, as DescribeCluster returns it, through the AWS_ENDPOINT_URL_* exports', async () => {
    const result = await cli(DESCRIBE_DEMO_ISSUER);

    expect(Object.keys(bannerEnv)).toEqual(
      expect.arrayContaining(['AWS_ENDPOINT_URL_IAM', 'AWS_ENDPOINT_URL_STS', 'AWS_ENDPOINT_URL_EKS']),
    );
    expect(result).toMatchObject({ code: 0, stdout: `${issuer}\n` });
    expect(issuer).toMatch(/^https:\/\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/[0-9A-F]{32}$/);
  });

  it('describes the status event bus and puts an event on it, as a portal developer tries a rule', async () => {
    const bus = await json(['events', 'describe-event-bus', '--name', 'irsa-broker-local-events']);
    const put = await json([
      'events',
      'put-events',
      '--entries',
      JSON.stringify([
        {
          EventBusName: 'irsa-broker-local-events',
          Source: 'portal.test',
          DetailType: 'Portal Probe',
          Detail: '{"probe":1}',
        },
      ]),
    ]);

    expect(bus).toMatchObject({
      Name: 'irsa-broker-local-events',
      Arn: 'arn:aws:events:us-east-1:111122223333:event-bus/irsa-broker-local-events',
    });
    expect(put).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    const response = await fetch(`${system.url}/_sandbox/events?source=portal.test`);
    const { items } = (await response.json()) as { items: { event: { id: string; detail: unknown } }[] };
    expect(items.map((i) => [i.event.id, i.event.detail])).toEqual([
      [(put.Entries as { EventId: string }[])[0]?.EventId, { probe: 1 }],
    ]);
  });

  it('lists the clusters EKS lists', async () => {
    const listed = await system.eks.send(new ListClustersCommand({}));

    const output = await json(['eks', 'list-clusters']);

    expect(output).toEqual({ clusters: listed.clusters });
    expect(listed.clusters).toContain('demo');
  });

  it('gets a role created through the sandbox, with its trust policy decoded', async () => {
    const output = await json(['iam', 'get-role', '--role-name', roleName]);

    expect(output.Role).toMatchObject({
      RoleName: roleName,
      Arn: roleArn,
      AssumeRolePolicyDocument: trustPolicy,
    });
    expect(roleArn).toBe(`arn:aws:iam::111122223333:role/${roleName}`);
  });

  it("lists the role's attached managed policies", async () => {
    const output = await json(['iam', 'list-attached-role-policies', '--role-name', roleName]);

    expect(output).toEqual({
      AttachedPolicies: [
        { PolicyName: 'ReadOnlyAccess', PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
      ],
    });
  });

  it("lists the account's OIDC providers, the demo issuer's among them", async () => {
    const output = await json(['iam', 'list-open-id-connect-providers']);

    expect(output.OpenIDConnectProviderList).toEqual([{ Arn: providerArn }]);
    expect(providerArn).toBe(`arn:aws:iam::111122223333:oidc-provider/${issuer.replace('https://', '')}`);
  });

  it('answers get-caller-identity as STS answers the SDK', async () => {
    const sts = new STSClient({
      region: 'us-east-1',
      endpoint: system.cloud.awsUrl,
      credentials: system.cloud.account.brokerCredentials,
    });
    const expected = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();

    const output = await json(['sts', 'get-caller-identity']);

    expect(output).toEqual({ UserId: expected.UserId, Account: '111122223333', Arn: expected.Arn });
    expect(output.Arn).toBe('arn:aws:sts::111122223333:assumed-role/irsa-broker-local/irsa-broker');
  });

  it('works with --endpoint-url and the keys /_sandbox/credentials serves, without the endpoint variables', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: keys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
      ...(keys.sessionToken ? { AWS_SESSION_TOKEN: keys.sessionToken } : {}),
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const url = system.cloud.awsUrl;

    const identity = await json(['--endpoint-url', url, 'sts', 'get-caller-identity'], env);
    const role = await json(['--endpoint-url', url, 'iam', 'get-role', '--role-name', roleName], env);
    const issuerText = await cli(['--endpoint-url', url, ...DESCRIBE_DEMO_ISSUER], env);

    expect(identity.Arn).toBe(`arn:aws:sts::111122223333:assumed-role/irsa-broker-local/irsa-broker`);
    expect(keys.roleArn).toBe('arn:aws:iam::111122223333:role/irsa-broker-local');
    expect((role.Role as { Arn: string }).Arn).toBe(roleArn);
    expect(issuerText).toMatchObject({ code: 0, stdout: `${issuer}\n` });
  });

  it('looks into the target account as irsa-broker does: assume-role into its access role, then IAM there on the same endpoint', async () => {
    // A target role irsa-broker created for a binding in the second account.
    const serviceAccountName = `cli-${randomUUID().slice(0, 8)}`;
    const targetName = `irsa-cli-${serviceAccountName}`;
    const created = await system.post({
      clusterName: 'modern',
      region: 'us-east-1',
      namespace: 'team-a',
      serviceAccountName,
      policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
      targetRoleArn: `arn:aws:iam::444455556666:role/irsa-broker/${targetName}`,
    });
    expect((await system.waitFor(created.json.id)).status).toBe('SUCCEEDED');

    const assumed = (await json([
      'sts',
      'assume-role',
      '--role-arn',
      'arn:aws:iam::444455556666:role/irsa-broker-target-access',
      '--role-session-name',
      'platform-engineer',
    ])) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string } };
    const there = {
      ...bannerEnv,
      AWS_ACCESS_KEY_ID: assumed.Credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: assumed.Credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: assumed.Credentials.SessionToken,
    };
    const who = await json(['sts', 'get-caller-identity'], there);
    const role = await json(['iam', 'get-role', '--role-name', targetName], there);
    const policies = await json(['iam', 'list-attached-role-policies', '--role-name', targetName], there);
    // The access role's own policy holds: no role outside the path and prefix, none without the boundary.
    const outside = await cli(
      [
        'iam',
        'create-role',
        '--role-name',
        'escalate',
        '--assume-role-policy-document',
        JSON.stringify(trustPolicy),
      ],
      there,
    );

    expect(who).toMatchObject({
      Account: '444455556666',
      Arn: 'arn:aws:sts::444455556666:assumed-role/irsa-broker-target-access/platform-engineer',
    });
    expect(role).toMatchObject({
      Role: {
        Arn: `arn:aws:iam::444455556666:role/irsa-broker/${targetName}`,
        PermissionsBoundary: {
          PermissionsBoundaryArn: 'arn:aws:iam::444455556666:policy/irsa-broker/irsa-broker-local-boundary',
        },
      },
    });
    expect(policies).toMatchObject({
      AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }],
    });
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain('AccessDenied');
  });

  it('reports AWS errors by their names: unknown cluster, unknown role, wrong secret, IAM signed for another region', async () => {
    const unknownCluster = await cli(['eks', 'describe-cluster', '--name', 'nope']);
    const unknownRole = await cli(['iam', 'get-role', '--role-name', 'no-such-role']);
    const wrongSecret = await cli(['sts', 'get-caller-identity'], {
      ...bannerEnv,
      AWS_SECRET_ACCESS_KEY: 'wrong',
    });
    const iamElsewhere = await cli(['iam', 'list-roles'], {
      ...bannerEnv,
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
    });

    expect(unknownCluster.code).not.toBe(0);
    expect(unknownCluster.stderr).toContain(
      '(ResourceNotFoundException) when calling the DescribeCluster operation',
    );
    expect(unknownRole.stderr).toContain('(NoSuchEntity) when calling the GetRole operation');
    expect(wrongSecret.stderr).toContain(
      '(SignatureDoesNotMatch) when calling the GetCallerIdentity operation',
    );
    expect(iamElsewhere.stderr).toContain('(SignatureDoesNotMatch)');
    expect(iamElsewhere.stderr).toContain("not 'eu-west-1'");
  });

  it('signs with `aws eks get-token` a token the demo cluster accepts, unless STS is pointed at the sandbox URL', async () => {
    // Prepare
    const demo = system.cloud.describeClusters().find((c) => c.name === 'demo')!;
    const { AWS_ENDPOINT_URL_STS: _sts, ...withoutStsEndpoint } = bannerEnv;
    const tokenArgs = [
      'eks',
      'get-token',
      '--cluster-name',
      'demo',
      '--query',
      'status.token',
      '--output',
      'text',
    ];

    // Act
    const forAws = await cli(tokenArgs, withoutStsEndpoint);
    const forSandboxUrl = await cli(tokenArgs);
    const accepted = await getWithClusterCa(
      `${demo.endpoint}/version`,
      demo.certificateAuthorityData,
      forAws.stdout.trim(),
    );
    const refused = await getWithClusterCa(
      `${demo.endpoint}/version`,
      demo.certificateAuthorityData,
      forSandboxUrl.stdout.trim(),
    );

    // Assess
    expect(forAws.stdout).toMatch(/^k8s-aws-v1\./);
    expect(accepted).toBe(200);
    // EKS accepts only tokens presigned for sts(.<region>).amazonaws.com, so a 127.0.0.1 URL is refused.
    expect(
      Buffer.from(forSandboxUrl.stdout.trim().slice('k8s-aws-v1.'.length), 'base64url').toString(),
    ).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?Action=GetCallerIdentity/);
    expect(refused).toBe(401);
  });
});
