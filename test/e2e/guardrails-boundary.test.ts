// Guardrails end to end on the sandbox: every role carries the boundary and the path; denied and
// IAM-granting policies are refused with the rule named, and leave no role behind.
import { CreatePolicyCommand, GetRoleCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

const BOUNDARY = 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-broker-local-boundary';
let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem();
});

afterAll(async () => {
  await system?.stop();
});

describe('guardrails on the sandbox', () => {
  it('creates the role on demo with the permissions boundary and under the role path', async () => {
    const created = await system.post(bindingRequest({ clusterName: 'demo' }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('SUCCEEDED');
    const roleName = done.outputs?.roleArn?.split('/').pop();
    const { Role } = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(Role?.PermissionsBoundary).toEqual({
      PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
      PermissionsBoundaryArn: BOUNDARY,
    });
    expect(Role?.Path).toBe('/irsa-broker/');
  });

  it('refuses AdministratorAccess at POST with 403 naming the rule, storing nothing', async () => {
    const request = bindingRequest({ policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] });

    const response = await fetch(`${system.url}/v1/bindings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    const problem = (await response.json()) as { type: string; detail: string };

    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(problem.detail).toMatch(/AdministratorAccess is on irsa-broker's deny-list.*rule denied-policy/);
    const list = (await (
      await fetch(`${system.url}/v1/bindings?namespace=${request.namespace}&limit=100`)
    ).json()) as { items: { serviceAccountName: string }[] };
    expect(list.items.map((b) => b.serviceAccountName)).not.toContain(request.serviceAccountName);
  });

  it('fails the binding at EnsureRole for a customer policy granting iam:*, creating no role', async () => {
    const { Policy } = await system.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'team-helper-with-iam',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 'iam:*'], Resource: '*' }],
        }),
      }),
    );
    const created = await system.post(bindingRequest({ policyArns: [Policy?.Arn] }));
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'EnsureRole', code: 'NotAllowed' });
    expect(done.error?.message).toMatch(/grants IAM itself.*rule policy-grants-iam/);
    await expect(
      system.iam.send(new GetRoleCommand({ RoleName: String(done.roleName) })),
    ).rejects.toBeInstanceOf(NoSuchEntityException);
  });
});
