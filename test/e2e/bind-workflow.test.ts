// The bind workflow end to end: HTTP API → state machine → step handlers → sandbox AWS and clusters,
// the same way `npm start` runs it.
import { CreateRoleCommand, GetRoleCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebCryptoServingKeyGenerator } from '../../lib/adapters/crypto/webcrypto-serving-key-generator.js';
import { bindingRequest, startTestSystem, stepStatuses, type TestSystem } from './system.js';

const WEBHOOK_DNS = 'pod-identity-webhook.irsa-broker-system.svc';

let system: TestSystem;

function roleNameOf(arn: string | undefined): string {
  const name = arn?.split('/').pop();
  if (!name) throw new Error(`not a role ARN: ${arn}`);
  return name;
}

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('bind workflow on the sandbox', () => {
  it('binds on demo (webhook built in) and proves the identity with a test pod', async () => {
    // Prepare
    const request = bindingRequest({ clusterName: 'demo' });

    // Act
    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    // Assess
    expect(created.status).toBe(202);
    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toEqual({
      DescribeCluster: 'SUCCEEDED',
      EnsureOidcProvider: 'SUCCEEDED',
      EnsureRole: 'SUCCEEDED',
      EnsureWebhook: 'SKIPPED',
      ApproveCsr: 'SKIPPED',
      EnsurePodIdentityAssociation: 'SKIPPED',
      ApplyServiceAccount: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
    const roleName = roleNameOf(done.outputs?.roleArn);
    expect(done.outputs?.verification?.arn).toMatch(
      new RegExp(`^arn:aws:sts::111122223333:assumed-role/${roleName}/[^/]+$`),
    );
    const serviceAccount = await system.kubernetes('demo').get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: request.namespace,
      name: request.serviceAccountName,
    });
    expect(serviceAccount?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(done.outputs?.roleArn);
    const pods = await system
      .kubernetes('demo')
      .list(
        { apiVersion: 'v1', kind: 'Pod' },
        { namespace: request.namespace, labelSelector: `irsa-broker/binding=${done.id}` },
      );
    expect(pods).toEqual([]); // the test pod is cleaned up
  });

  it('installs the webhook on legacy (1.20), approves only the CSR the webhook files, and succeeds', async () => {
    // Prepare: before the webhook exists, someone else files a CSR for the webhook's service name.
    const legacy = system.kubernetes('legacy');
    const { csrPem } = await new WebCryptoServingKeyGenerator().generate(WEBHOOK_DNS, [WEBHOOK_DNS]);
    await legacy.createCsr(
      {
        name: 'forged-webhook-csr',
        request: Buffer.from(csrPem).toString('base64'),
        usages: ['digital signature', 'key encipherment', 'server auth'],
      },
      'v1beta1',
    );

    // Act
    const created = await system.post(bindingRequest({ clusterName: 'legacy' }));
    const done = await system.waitFor(created.json.id);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SUCCEEDED', ApproveCsr: 'SUCCEEDED' });
    const csrs = await legacy.listCsrs('v1beta1');
    const approved = csrs.filter((csr) => csr.conditions.some((c) => c.type === 'Approved'));
    expect(approved).toHaveLength(1);
    expect(approved[0]?.username).toBe('system:serviceaccount:irsa-broker-system:pod-identity-webhook');
    const forged = await legacy.getCsr('forged-webhook-csr', 'v1beta1');
    expect(forged?.conditions.some((c) => c.type === 'Approved')).toBe(false);
    expect(done.outputs?.verification?.arn).toContain(`assumed-role/${roleNameOf(done.outputs?.roleArn)}/`);
  });

  it('goes through the v1 CSR with the EKS signer on bare (1.30) and succeeds', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'bare' }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SUCCEEDED', ApproveCsr: 'SUCCEEDED' });
    const csrs = await system.kubernetes('bare').listCsrs('v1');
    const ours = csrs.filter((csr) => csr.signerName === 'beta.eks.amazonaws.com/app-serving');
    expect(ours.some((csr) => csr.certificate)).toBe(true);
    const tls = await system.kubernetes('bare').get({
      apiVersion: 'v1',
      kind: 'Secret',
      namespace: 'irsa-broker-system',
      name: 'pod-identity-webhook-tls',
    });
    expect(tls).toBeDefined();
  });

  it('binds with mode irsa on modern (1.33, Pod Identity agent running) and proves the role, not the agent', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'modern', mode: 'irsa' }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SKIPPED', VerifyIdentity: 'SUCCEEDED' });
    const roleName = roleNameOf(done.outputs?.roleArn);
    expect(done.outputs?.verification?.arn).toMatch(
      new RegExp(`^arn:aws:sts::111122223333:assumed-role/${roleName}/[^/]+$`),
    );
  });

  it('reuses the installed webhook for a second binding on the same cluster', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'bare' }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toMatchObject({ EnsureWebhook: 'SKIPPED', ApproveCsr: 'SKIPPED' });
  });

  it('fails ClusterNotFound for an unknown cluster', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'nowhere' }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'DescribeCluster', code: 'ClusterNotFound' });
    expect(stepStatuses(done).DescribeCluster).toBe('FAILED');
  });

  it('fails RoleConflict on a role it does not own and leaves that role untouched', async () => {
    // Prepare: someone else's role, under the name the request asks for.
    const trust = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    await system.iam.send(
      new CreateRoleCommand({
        RoleName: 'irsa-someone-elses',
        AssumeRolePolicyDocument: trust,
        Tags: [{ Key: 'team', Value: 'other' }],
      }),
    );
    const before = await system.iam.send(new GetRoleCommand({ RoleName: 'irsa-someone-elses' }));

    // Act
    const created = await system.post(bindingRequest({ roleName: 'irsa-someone-elses' }));
    const done = await system.waitFor(created.json.id);

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsureRole', code: 'RoleConflict' });
    const after = await system.iam.send(new GetRoleCommand({ RoleName: 'irsa-someone-elses' }));
    expect(after.Role?.AssumeRolePolicyDocument).toBe(before.Role?.AssumeRolePolicyDocument);
    const tags = await system.iam.send(new ListRoleTagsCommand({ RoleName: 'irsa-someone-elses' }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'other' }]);
  });
});
