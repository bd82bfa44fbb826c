// Faults, counters and persistence of the sandbox account, seen through the real SDK clients: every
// fault kind on the wire, retries, replay by seed, snapshot/restore and reset.
import {
  DescribeClusterCommand,
  ServerException,
  ServiceUnavailableException,
  ThrottlingException,
} from '@aws-sdk/client-eks';
import {
  CreateRoleCommand,
  GetRoleCommand,
  ListRolesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from '@jest/globals';
import { createSandboxAccount } from '../../lib/sandbox/aws/index.js';
import { createCallCounter } from '../../lib/sandbox/counters.js';
import { createFaultInjector, type FaultRule, mulberry32 } from '../../lib/sandbox/faults.js';
import { clientsFor, clusterDescription, createTestIssuer, failure, statusOf } from './aws-fixtures.js';

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

function faultyAccount(rules: FaultRule[], seed = 7) {
  const faults = createFaultInjector({ seed, rules });
  const counter = createCallCounter();
  const account = createSandboxAccount({ faults, counter });
  return { account, faults, counter };
}

describe('sandbox AWS faults', () => {
  it('throttles IAM as awsQuery does (Throttling 400) and the call has no effect', async () => {
    const { account, counter } = faultyAccount([
      { service: 'iam', operation: 'CreateRole', kind: 'throttle' },
    ]);
    const { iam } = clientsFor(account, { maxAttempts: 1 });

    const error = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: TRUST })),
    );
    const lookup = await failure(iam.send(new GetRoleCommand({ RoleName: 'r' })));

    expect(error.name).toBe('Throttling');
    expect(statusOf(error)).toBe(400);
    expect(error.message).toBe('Rate exceeded');
    expect(lookup).toBeInstanceOf(NoSuchEntityException);
    expect(counter.get('iam', 'CreateRole')).toBe(1);
    expect(counter.get('iam', 'GetRole')).toBe(1);
  });

  it('throttles EKS with ThrottlingException 429 and a Retry-After', async () => {
    const { account } = faultyAccount([{ service: 'eks', kind: 'throttle', retryAfterSeconds: 3 }]);
    const { eks } = clientsFor(account, { maxAttempts: 1 });

    const error = await failure(eks.send(new DescribeClusterCommand({ name: 'demo' })));

    expect(error).toBeInstanceOf(ThrottlingException);
    expect(statusOf(error)).toBe(429);
    expect((error.$response as { headers: Record<string, string> } | undefined)?.headers['retry-after']).toBe(
      '3',
    );
  });

  it('lets the SDK retry through a throttle: the second attempt succeeds', async () => {
    // A seed whose first draw throttles (< 0.5) and whose second does not.
    const seed = [...Array(100).keys()].find((s) => {
      const random = mulberry32(s);
      return random() < 0.5 && random() >= 0.5;
    })!;
    const { account, counter } = faultyAccount([{ service: 'sts', kind: 'throttle', rate: 0.5 }], seed);
    const { sts } = clientsFor(account);

    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity.$metadata.attempts).toBe(2);
    expect(counter.get('sts', 'GetCallerIdentity')).toBe(2);
  });

  it('answers server errors with 503 ServiceUnavailable and 500 InternalFailure in turn', async () => {
    const { account } = faultyAccount([{ service: '*', kind: 'server-error' }]);
    const { sts, eks } = clientsFor(account, { maxAttempts: 1 });

    const first = await failure(sts.send(new GetCallerIdentityCommand({})));
    const second = await failure(sts.send(new GetCallerIdentityCommand({})));
    const eksFirst = await failure(eks.send(new DescribeClusterCommand({ name: 'demo' })));
    const eksSecond = await failure(eks.send(new DescribeClusterCommand({ name: 'demo' })));

    expect([first.name, statusOf(first)]).toEqual(['ServiceUnavailable', 503]);
    expect([second.name, statusOf(second)]).toEqual(['InternalFailure', 500]);
    expect(eksFirst).toBeInstanceOf(ServiceUnavailableException);
    expect(statusOf(eksFirst)).toBe(503);
    expect(eksSecond).toBeInstanceOf(ServerException);
    expect(statusOf(eksSecond)).toBe(500);
  });

  it('adds latency and still answers', async () => {
    const { account } = faultyAccount([{ service: 'sts', kind: 'latency', latencyMs: 150 }]);
    const { sts } = clientsFor(account);
    const started = Date.now();

    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(identity.Account).toBe('111122223333');
  });

  it('fails permanently with a non-retryable error, only for the matching operation', async () => {
    const { account, counter } = faultyAccount([{ service: 'iam', operation: 'Create*', kind: 'permanent' }]);
    const { iam } = clientsFor(account);

    const error = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: TRUST })),
    );
    const roles = await iam.send(new ListRolesCommand({}));

    expect(error.name).toBe('AccessDenied');
    expect(statusOf(error)).toBe(403);
    expect(error.message).toContain('iam:CreateRole');
    expect((error.$metadata as { attempts?: number }).attempts).toBe(1);
    expect(counter.get('iam', 'CreateRole')).toBe(1);
    expect(roles.Roles?.map((r) => r.RoleName)).toEqual(['irsa-broker-local', 'irsa-broker-local-operator']);
  });

  it('injects faults into the cluster-side STS too', async () => {
    const { account, counter } = faultyAccount([
      { service: 'sts', operation: 'AssumeRoleWithWebIdentity', kind: 'throttle' },
    ]);

    const outcome = await account.sts.assumeRoleWithWebIdentity({
      roleArn: 'arn:aws:iam::111122223333:role/any',
      webIdentityToken: 'not-even-a-jwt',
      roleSessionName: 'session',
    });

    expect(outcome).toEqual({
      ok: false,
      error: { code: 'Throttling', message: 'Rate exceeded', httpStatus: 400 },
    });
    expect(counter.get('sts', 'AssumeRoleWithWebIdentity')).toBe(1);
  });

  it('replays the same fault decisions from the same seed', async () => {
    const outcomes = async (seed: number) => {
      const { account } = faultyAccount([{ service: 'sts', kind: 'server-error', rate: 0.5 }], seed);
      const { sts } = clientsFor(account, { maxAttempts: 1 });
      const seen: string[] = [];
      for (let i = 0; i < 16; i++) {
        seen.push(
          await sts.send(new GetCallerIdentityCommand({})).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      }
      return seen;
    };

    const first = await outcomes(42);
    const replay = await outcomes(42);
    const other = await outcomes(43);

    expect(replay).toEqual(first);
    expect(first).toContain('ok');
    expect(first.some((name) => name !== 'ok')).toBe(true);
    expect(other).not.toEqual(first);
  });
});

describe('sandbox AWS account lifecycle', () => {
  it('starts well under a second', () => {
    const started = performance.now();
    createSandboxAccount();
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('restores a JSON snapshot into a new process-equivalent account, broker credentials included', async () => {
    const original = createSandboxAccount();
    const issuer = await createTestIssuer();
    original.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    await clientsFor(original).iam.send(
      new CreateRoleCommand({ RoleName: 'kept', AssumeRolePolicyDocument: TRUST }),
    );
    const persisted = JSON.parse(JSON.stringify(original.snapshot()));

    const revived = createSandboxAccount();
    revived.restore(persisted);
    // Clients holding the old broker credentials keep working against the revived account.
    const { iam, eks } = clientsFor(revived, { credentials: original.brokerCredentials });
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'kept' }));
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'demo' }));

    expect(revived.brokerCredentials).toEqual(original.brokerCredentials);
    expect(revived.operatorCredentials).toEqual(original.operatorCredentials);
    expect(Role?.Arn).toBe('arn:aws:iam::111122223333:role/kept');
    expect(cluster?.identity?.oidc?.issuer).toBe(issuer.issuer);
    expect(() => createSandboxAccount({ accountId: '444455556666' }).restore(persisted)).toThrow(
      'The snapshot is of account 111122223333, not 444455556666.',
    );
    expect(() => revived.restore({ nonsense: true })).toThrow(/Not a sandbox account snapshot/);
  });

  it('gives a snapshot from before the operator existed an operator, cluster-admin on its clusters', async () => {
    const original = createSandboxAccount();
    const issuer = await createTestIssuer();
    original.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    const persisted = JSON.parse(JSON.stringify(original.snapshot())) as {
      operatorAccessKeyId?: string;
      state: {
        roles: Record<string, unknown>;
        clusters: Record<string, { accessEntries: { principalArn: string }[] }>;
      };
    };
    delete persisted.operatorAccessKeyId;
    delete persisted.state.roles['irsa-broker-local-operator'];
    const demo = persisted.state.clusters.demo!;
    demo.accessEntries = demo.accessEntries.filter(
      (e) => !e.principalArn.endsWith('/irsa-broker-local-operator'),
    );

    const revived = createSandboxAccount();
    revived.restore(persisted);

    const operator = 'arn:aws:sts::111122223333:assumed-role/irsa-broker-local-operator/operator';
    expect(revived.authorizeKubernetes('demo', operator, 'list', 'namespaces')).toBe(true);
    const { Role } = await clientsFor(revived, { credentials: revived.operatorCredentials }).iam.send(
      new GetRoleCommand({ RoleName: 'irsa-broker-local-operator' }),
    );
    expect(Role?.Arn).toBe(revived.operatorRoleArn);
  });

  it('resets to a fresh account that keeps its clusters and broker credentials', async () => {
    const account = createSandboxAccount();
    const issuer = await createTestIssuer();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    const { iam, eks } = clientsFor(account);
    await iam.send(new CreateRoleCommand({ RoleName: 'gone', AssumeRolePolicyDocument: TRUST }));

    account.reset();
    const roles = await iam.send(new ListRolesCommand({}));
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'demo' }));

    expect(roles.Roles?.map((r) => r.RoleName)).toEqual(['irsa-broker-local', 'irsa-broker-local-operator']);
    expect(cluster?.name).toBe('demo');
    expect(
      account.kubernetesIdentity(
        'demo',
        `arn:aws:sts::111122223333:assumed-role/irsa-broker-local/irsa-broker`,
      ),
    ).toBeDefined();
  });

  it('validates its options and the propagation delay', () => {
    expect(() => createSandboxAccount({ accountId: '123' })).toThrow('accountId must be 12 digits');
    expect(() => createSandboxAccount({ region: 'mars' })).toThrow('region must look like us-east-1');
    expect(() => createSandboxAccount().setPropagationDelayMs(-1)).toThrow('propagationDelayMs must be');
  });
});
