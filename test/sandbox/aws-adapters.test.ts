// The production AWS adapters, unchanged, against the sandbox account over HTTP: clients configured
// only through the SDK's own environment (AWS_ENDPOINT_URL_*, AWS_ACCESS_KEY_ID, ...), as under npm start.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type AwsAdapters, createAwsAdapters } from '../../lib/adapters/aws/aws-clients.js';
import {
  createSandboxAccount,
  type ListeningEndpoint,
  type SandboxAccount,
} from '../../lib/sandbox/aws/index.js';
import { createFaultInjector } from '../../lib/sandbox/faults.js';
import { clusterDescription, createTestIssuer, failure, type TestIssuer } from './aws-fixtures.js';

const ENV_KEYS = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_EKS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_MAX_ATTEMPTS',
  'AWS_PROFILE',
] as const;

describe('production AWS adapters against the sandbox account', () => {
  const saved = new Map<string, string | undefined>();
  const faults = createFaultInjector({ seed: 3 });
  let account: SandboxAccount;
  let server: ListeningEndpoint;
  let adapters: AwsAdapters;
  let issuer: TestIssuer;

  beforeAll(async () => {
    account = createSandboxAccount({ faults });
    issuer = await createTestIssuer();
    account.addCluster(clusterDescription('demo', issuer.issuer), issuer.keys);
    server = await account.listen();
    for (const key of ENV_KEYS) saved.set(key, process.env[key]);
    Object.assign(process.env, account.sdkEnvironment(server.url), { AWS_MAX_ATTEMPTS: '1' });
    delete process.env.AWS_PROFILE;
    adapters = createAwsAdapters('us-east-1');
  });

  afterAll(async () => {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await server.close();
  });

  it('reads the account id and describes the cluster', async () => {
    const accountId = await adapters.account.accountId();
    const cluster = await adapters.clusters.describe('us-east-1', 'demo');
    const missing = await failure(adapters.clusters.describe('us-east-1', 'nope'));

    expect(accountId).toBe('111122223333');
    expect(cluster).toEqual(
      expect.objectContaining({ name: 'demo', status: 'ACTIVE', version: '1.31', oidcIssuer: issuer.issuer }),
    );
    expect(missing.name).toBe('ClusterNotFound');
  });

  it('creates the OIDC provider and an IRSA role, reads the trust policy back decoded, and deletes it', async () => {
    const hostPath = issuer.issuer.replace('https://', '');
    const trustPolicy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::111122223333:oidc-provider/${hostPath}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${hostPath}:sub`]: 'system:serviceaccount:demo:app' } },
        },
      ],
    };

    expect(await adapters.oidcProviders.find(issuer.issuer)).toBeUndefined();
    const provider = await adapters.oidcProviders.create(issuer.issuer, ['sts.amazonaws.com'], {
      owner: 'irsa-broker',
    });
    const found = await adapters.oidcProviders.find(`${issuer.issuer}/`);
    const created = await adapters.roles.create({
      name: 'irsa-demo-app',
      path: '/irsa/',
      trustPolicy,
      tags: { 'irsa-broker/binding': 'b-1' },
    });
    const conflict = await failure(
      adapters.roles.create({ name: 'irsa-demo-app', path: '/irsa/', trustPolicy, tags: {} }),
    );
    const unknownPolicy = await failure(
      adapters.roles.attachPolicy('irsa-demo-app', 'arn:aws:iam::aws:policy/DoesNotExist'),
    );
    await adapters.roles.attachPolicy('irsa-demo-app', 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess');
    const read = await adapters.roles.get('irsa-demo-app');
    const deleted = await adapters.roles.delete('irsa-demo-app');

    expect(provider.arn).toBe(`arn:aws:iam::111122223333:oidc-provider/${hostPath}`);
    expect(found?.arn).toBe(provider.arn);
    expect(created.arn).toBe('arn:aws:iam::111122223333:role/irsa/irsa-demo-app');
    expect(conflict.name).toBe('RoleConflict');
    expect(unknownPolicy.name).toBe('PolicyNotFound');
    expect(read?.trustPolicy).toEqual(trustPolicy);
    expect(read?.attachedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']);
    expect(read?.tags).toEqual({ 'irsa-broker/binding': 'b-1' });
    expect(deleted).toBe(true);
    expect(await adapters.roles.get('irsa-demo-app')).toBeUndefined();
  });

  it('sees injected throttling as the domain ThrottledError', async () => {
    faults.setRules([{ service: 'iam', operation: 'GetRole', kind: 'throttle' }]);
    try {
      const error = await failure(adapters.roles.get('anything'));
      expect(error.name).toBe('Throttled');
    } finally {
      faults.setRules([]);
    }
  });
});
