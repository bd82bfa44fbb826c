// Update (PATCH) and drift check (POST /verify) end to end on the sandbox: policies added and removed on
// the live role and re-verified; a trust policy edited by hand reported as drift, then repaired on request.
// One system per file.
import {
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UPDATE_STEPS } from '../../lib/domain/binding.js';
import {
  type BindingView,
  bindingRequest,
  settledWith,
  startTestSystem,
  stepStatuses,
  type TestSystem,
} from './system.js';

const S3_READ = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

let system: TestSystem;

interface Answer {
  status: number;
  json: BindingView & { detail?: string; errors?: { path: string; message: string }[] };
}

async function call(method: string, path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${system.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Answer['json'] };
}

async function bound(overrides: Record<string, unknown> = {}): Promise<BindingView> {
  const created = await system.post(bindingRequest(overrides));
  expect(created.status).toBe(202);
  const done = await system.waitFor(created.json.id);
  expect(done.status).toBe('SUCCEEDED');
  return done;
}

async function attached(roleName: string): Promise<string[]> {
  const page = await system.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  return (page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? '').sort();
}

/** Waits for a re-run (update, verify) to settle with exactly these steps. */
async function settled(id: string, steps: string[]): Promise<BindingView> {
  return system.waitFor(id, settledWith(steps));
}

beforeAll(async () => {
  system = await startTestSystem({ env: { IAM_PROPAGATION_WINDOW_SECONDS: '2' } });
});

afterAll(async () => {
  await system?.stop();
});

describe('PATCH /v1/bindings/{id}', () => {
  it('attaches added and detaches removed policies on the role, re-verifies, and records who changed what', async () => {
    const binding = await bound({ policyArns: [S3_READ], tags: { team: 'a' } });
    const roleName = String(binding.roleName);
    expect(await attached(roleName)).toEqual([S3_READ]);

    const patched = await call('PATCH', `/v1/bindings/${binding.id}`, {
      policyArns: [READ_ONLY],
      maxSessionDuration: 7200,
      tags: { owner: 'b' },
    });

    expect(patched.status).toBe(202);
    expect(patched.json).toMatchObject({ id: binding.id, status: 'PENDING', policyArns: [READ_ONLY] });
    const done = await settled(binding.id, [
      'DescribeCluster',
      'EnsureOidcProvider',
      'EnsureRole',
      'VerifyIdentity',
    ]);
    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toEqual({
      DescribeCluster: 'SUCCEEDED',
      EnsureOidcProvider: 'SUCCEEDED',
      EnsureRole: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
    expect(done.steps.find((s) => s.name === 'EnsureRole')?.detail).toMatch(
      /detached .*AmazonS3ReadOnlyAccess/,
    );
    expect(await attached(roleName)).toEqual([READ_ONLY]);
    const role = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(role.Role?.MaxSessionDuration).toBe(7200);
    // The binding's tags replace the old ones on the role; irsa-broker's ownership tags stay.
    const tags = Object.fromEntries((role.Role?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toEqual({
      owner: 'b',
      'irsa-broker:managed-by': 'irsa-broker',
      'irsa-broker:binding-id': binding.id,
    });
    expect(done).toMatchObject({ policyArns: [READ_ONLY], maxSessionDuration: 7200, tags: { owner: 'b' } });
    expect(done.outputs?.verification?.arn).toContain(`assumed-role/${roleName}/`);

    const events = await fetch(`${system.url}/v1/bindings/${binding.id}/events`);
    expect(events.status).toBe(200);
    const { items } = (await events.json()) as { items: { detail?: string; actor: string; from: string }[] };
    const update = items.find((e) => e.detail?.startsWith('update:'));
    expect(update).toMatchObject({ actor: 'anonymous', from: 'SUCCEEDED' });
    expect(update?.detail).toContain(`+${READ_ONLY}`);
    expect(update?.detail).toContain(`-${S3_READ}`);
    expect(update?.detail).toContain('maxSessionDuration 3600 → 7200');
  }, 120_000);

  it('removes the tags a failed update dropped when the binding is retried', async () => {
    const binding = await bound({ serviceAccountName: 'retagged', tags: { team: 'a', cost: 'x' } });
    const roleName = String(binding.roleName);
    const roleTags = async () => {
      const role = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
      return Object.fromEntries((role.Role?.Tags ?? []).map((t) => [t.Key, t.Value]));
    };

    system.cloud.faults.setRules([{ service: 'iam', operation: 'UntagRole', kind: 'permanent' }]);
    const patched = await call('PATCH', `/v1/bindings/${binding.id}`, { tags: { cost: 'y' } });
    expect(patched.status).toBe(202);
    const failed = await settled(binding.id, [...UPDATE_STEPS]);
    system.cloud.faults.setRules([]);
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: { step: 'EnsureRole' },
      droppedTagKeys: ['team'],
    });
    expect(await roleTags()).toMatchObject({ team: 'a' });

    const retried = await call('POST', `/v1/bindings/${binding.id}/retry`);
    expect(retried.status).toBe(202);
    const done = await system.waitFor(
      binding.id,
      (b) =>
        b.status === 'SUCCEEDED' || (b.status === 'FAILED' && b.steps.every((s) => s.status !== 'RUNNING')),
    );
    expect(done.status).toBe('SUCCEEDED');
    expect(done.droppedTagKeys).toBeUndefined();
    const tags = await roleTags();
    expect(tags.team).toBeUndefined();
    expect(tags.cost).toBe('y');
  }, 120_000);

  it('refuses identity fields by name, invalid values like create, and bindings that are not SUCCEEDED', async () => {
    const binding = await bound();

    const identity = await call('PATCH', `/v1/bindings/${binding.id}`, {
      namespace: 'other',
      policyArns: [],
    });
    expect(identity.status).toBe(400);
    expect(identity.json.errors).toEqual([
      expect.objectContaining({ path: 'namespace', message: expect.stringMatching(/cannot be changed/) }),
    ]);
    const invalid = await call('PATCH', `/v1/bindings/${binding.id}`, { maxSessionDuration: 60 });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors).toEqual([
      { path: 'maxSessionDuration', message: 'maxSessionDuration must be at least 3600 seconds' },
    ]);
    const empty = await call('PATCH', `/v1/bindings/${binding.id}`, {});
    expect(empty.status).toBe(400);

    const first = await call('PATCH', `/v1/bindings/${binding.id}`, { policyArns: [READ_ONLY] });
    expect(first.status).toBe(202);
    const second = await call('PATCH', `/v1/bindings/${binding.id}`, { policyArns: [S3_READ] });
    expect(second.status).toBe(409);
    expect(second.json.detail).toMatch(/this needs it SUCCEEDED/);
    await settled(binding.id, ['DescribeCluster', 'EnsureOidcProvider', 'EnsureRole', 'VerifyIdentity']);
    expect((await call('PATCH', '/v1/bindings/bnd_unknown', { policyArns: [] })).status).toBe(404);
  }, 120_000);
});

describe('POST /v1/bindings/{id}/verify', () => {
  it('reports a trust policy edited by hand as drift, fails the fresh test pod, and repairs it on request', async () => {
    const binding = await bound();
    const roleName = String(binding.roleName);
    const clean = await call('POST', `/v1/bindings/${binding.id}/verify`);
    expect(clean.status).toBe(202);
    const checked = await settled(binding.id, ['DescribeCluster', 'CheckDrift', 'VerifyIdentity']);
    expect(checked.status).toBe('SUCCEEDED');
    expect(checked.drift).toEqual([]);

    // Act: someone points the trust policy at another service account.
    const role = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    const trust = decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '');
    const subject = `system:serviceaccount:${binding.namespace}:${binding.serviceAccountName}`;
    const edited = trust.replace(subject, `system:serviceaccount:${binding.namespace}:someone-else`);
    await system.iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: edited }));

    const report = await call('POST', `/v1/bindings/${binding.id}/verify`, { repair: false });
    expect(report.status).toBe(202);
    const broken = await settled(binding.id, ['DescribeCluster', 'CheckDrift', 'VerifyIdentity']);

    // Assess: drift with expected and actual documents, the test pod refused, the role left as edited.
    expect(broken.status).toBe('FAILED');
    expect(broken.drift).toEqual([
      { what: 'trustPolicy', expected: binding.outputs?.trustPolicy, actual: JSON.parse(edited) },
    ]);
    expect(stepStatuses(broken)).toMatchObject({ CheckDrift: 'SUCCEEDED', VerifyIdentity: 'FAILED' });
    expect(broken.error).toMatchObject({ step: 'VerifyIdentity', code: 'VerificationFailed' });
    const untouched = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(JSON.parse(decodeURIComponent(untouched.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      JSON.parse(edited),
    );

    const repair = await call('POST', `/v1/bindings/${binding.id}/verify`, { repair: true });
    expect(repair.status).toBe(202);
    const repaired = await settled(binding.id, ['DescribeCluster', 'CheckDrift', 'VerifyIdentity']);
    expect(repaired.status).toBe('SUCCEEDED');
    expect(repaired.drift).toEqual([]);
    expect(repaired.error).toBeUndefined();
    expect(repaired.steps.find((s) => s.name === 'CheckDrift')?.detail).toMatch(
      /drift in trustPolicy; repaired trust policy/,
    );
    const fixed = await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(JSON.parse(decodeURIComponent(fixed.Role?.AssumeRolePolicyDocument ?? ''))).toEqual(
      binding.outputs?.trustPolicy,
    );
  }, 150_000);

  it('refuses a body that is not {"repair": boolean} and a binding that is still running', async () => {
    const created = await system.post(bindingRequest());
    const bad = await call('POST', `/v1/bindings/${created.json.id}/verify`, { repair: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.json.errors).toEqual([{ path: 'repair', message: 'repair must be true or false' }]);
    const early = await call('POST', `/v1/bindings/${created.json.id}/verify`);
    expect(early.status).toBe(409);
    await system.waitFor(created.json.id);
  }, 90_000);
});
