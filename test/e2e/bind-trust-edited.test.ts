// The bind workflow under a condition real AWS brings. One system per file: a process hosts one
// local runtime, as a Lambda sandbox hosts one configuration.
import { GetRoleCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterEach, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, stepStatuses, type TestSystem } from './system.js';

let system: TestSystem | undefined;

afterEach(async () => {
  await system?.stop();
  system = undefined;
});

describe('bind workflow under real-world conditions', () => {
  it('fails VerificationFailed when the trust policy is changed to another service account', async () => {
    const running = await startTestSystem({
      sandbox: { podStartDelayMs: 1500 },
      env: { IAM_PROPAGATION_WINDOW_SECONDS: '1' },
    });
    system = running;
    const roleName = `irsa-edited-${Date.now()}`;
    const request = bindingRequest({ roleName });
    const created = await running.post(request);
    const atVerify = await running.waitFor(
      created.json.id,
      (b) =>
        stepStatuses(b).VerifyIdentity === 'RUNNING' || b.status === 'FAILED' || b.status === 'SUCCEEDED',
    );
    expect(atVerify.status).toBe('RUNNING');

    // Act: while the test pod is still Pending, the role is edited by hand to trust someone else.
    const role = await running.iam.send(new GetRoleCommand({ RoleName: roleName }));
    const trust = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '');
    const subject = `system:serviceaccount:${request.namespace}:${request.serviceAccountName}`;
    expect(trust).toContain(subject);
    await running.iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: roleName,
        PolicyDocument: trust.replace(subject, `system:serviceaccount:${request.namespace}:someone-else`),
      }),
    );
    const done = await running.waitFor(created.json.id, undefined, 60_000);

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'VerifyIdentity', code: 'VerificationFailed' });
    expect(done.error?.message).toMatch(/AccessDenied/);
  }, 90_000);
});
