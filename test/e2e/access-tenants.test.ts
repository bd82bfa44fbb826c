// Access control end to end: the system `npm start` runs, with the committed example tokens and policy.
// Tenant team-b cannot see or touch team-a's bindings (404, never 403), binds only inside its own rules
// (403 naming the rule), and every call is authenticated (401 without a known token).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ auth: { tokensFile: 'config/local-tokens.example.yaml' } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string | null;
}

async function call(
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${system.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    contentType: response.headers.get('content-type'),
  };
}

async function settled(id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await call('local-admin', 'GET', `/v1/bindings/${id}`);
    if (body.status === 'SUCCEEDED' || body.status === 'FAILED') return body;
    if (Date.now() > deadline) throw new Error(`binding ${id} did not settle: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('authentication', () => {
  it('answers 401 problems without a token and with an unknown one; health and OpenAPI stay public', async () => {
    for (const token of [undefined, 'not-a-token']) {
      for (const [method, path] of [
        ['GET', '/v1/bindings'],
        ['POST', '/v1/bindings'],
        ['GET', '/v1/bindings/b-01jgfjmxg0d0bjk6f46w3kmawh'],
        ['GET', '/v1/bindings/b-01jgfjmxg0d0bjk6f46w3kmawh/events'],
      ] as const) {
        const answer = await call(token, method, path, method === 'POST' ? bindingRequest() : undefined);
        expect({ method, path, status: answer.status, type: answer.contentType }).toEqual({
          method,
          path,
          status: 401,
          type: 'application/problem+json',
        });
      }
    }
    expect((await call(undefined, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(undefined, 'GET', '/v1/openapi.json')).status).toBe(200);
  });
});

describe('tenants', () => {
  let teamA: string;
  let bindingPolicies: string[];

  beforeAll(async () => {
    const request = bindingRequest({ namespace: 'team-a' });
    bindingPolicies = request.policyArns;
    const created = await call('local-team-a', 'POST', '/v1/bindings', request);
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ createdBy: 'local-team-a', tenant: 'team-a' });
    teamA = String(created.body.id);
    expect((await settled(teamA)).status).toBe('SUCCEEDED');
  }, 90_000);

  it("team-b cannot read, list, patch, retry, verify, delete or see events of team-a's binding: 404", async () => {
    const attempts = [
      ['GET', `/v1/bindings/${teamA}`, undefined],
      ['GET', `/v1/bindings/${teamA}/events`, undefined],
      ['PATCH', `/v1/bindings/${teamA}`, { policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }],
      ['POST', `/v1/bindings/${teamA}/retry`, undefined],
      ['POST', `/v1/bindings/${teamA}/verify`, undefined],
      ['DELETE', `/v1/bindings/${teamA}`, undefined],
    ] as const;
    for (const [method, path, body] of attempts) {
      const answer = await call('local-team-b', method, path, body);
      expect({ method, path, status: answer.status, type: answer.body.type }).toEqual({
        method,
        path,
        status: 404,
        type: 'urn:irsa-broker:problem:NotFoundError',
      });
    }
    const listed = await call('local-team-b', 'GET', '/v1/bindings?clusterName=demo');
    expect(listed.status).toBe(200);
    expect((listed.body.items as { id: string }[]).map((item) => item.id)).not.toContain(teamA);
    // Nothing changed: the binding is still SUCCEEDED and bound.
    expect((await call('local-team-a', 'GET', `/v1/bindings/${teamA}`)).body.status).toBe('SUCCEEDED');
  });

  it("team-a and admins see it; team-a's list holds only team-a's bindings", async () => {
    expect((await call('local-team-a', 'GET', `/v1/bindings/${teamA}`)).status).toBe(200);
    expect((await call('local-admin', 'GET', `/v1/bindings/${teamA}`)).status).toBe(200);
    const listed = await call('local-team-a', 'GET', '/v1/bindings');
    const items = listed.body.items as { id: string; tenant?: string }[];
    expect(items.map((item) => item.id)).toContain(teamA);
    expect(items.every((item) => item.tenant === 'team-a')).toBe(true);
  });

  it("team-b cannot bind in team-a's namespaces or on clusters outside its rules: 403 naming the rule", async () => {
    for (const [overrides, rule] of [
      [{ namespace: 'team-a' }, 'tenants.team-b.namespaces'],
      [{ namespace: 'team-a-jobs' }, 'tenants.team-b.namespaces'],
      [{ namespace: 'team-b', clusterName: 'prod-eu' }, 'tenants.team-b.clusters'],
    ] as const) {
      const answer = await call(
        'local-team-b',
        'POST',
        '/v1/bindings',
        bindingRequest({ ...overrides, policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }),
      );
      expect({ status: answer.status, rule: answer.body.rule }).toEqual({ status: 403, rule });
    }
    const listed = await call('local-admin', 'GET', '/v1/bindings?tenant=team-b');
    expect(listed.body.items).toEqual([]);
  });

  it('AdministratorAccess and an unlisted policy are refused for a tenant, with the rule named', async () => {
    const administrator = await call(
      'local-team-a',
      'POST',
      '/v1/bindings',
      bindingRequest({ namespace: 'team-a', policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }),
    );
    expect(administrator.status).toBe(403);
    expect(administrator.body.rule).toEqual(expect.any(String));
    expect(String(administrator.body.detail)).toContain('AdministratorAccess');

    const unlisted = await call(
      'local-team-a',
      'POST',
      '/v1/bindings',
      bindingRequest({
        namespace: 'team-a',
        policyArns: ['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess'],
      }),
    );
    expect(unlisted.status).toBe(403);
    expect(unlisted.body.rule).toBe('tenants.team-a.policyArns');
    expect(String(unlisted.body.detail)).toContain('AmazonSQSReadOnlyAccess');
  });

  it("team-a cannot widen its own binding past its tenant's rules: PATCH with an unlisted policy is 403", async () => {
    const patched = await call('local-team-a', 'PATCH', `/v1/bindings/${teamA}`, {
      policyArns: ['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess'],
    });
    expect(patched.status).toBe(403);
    expect(patched.body.rule).toBe('tenants.team-a.policyArns');
    const binding = (await call('local-team-a', 'GET', `/v1/bindings/${teamA}`)).body;
    expect(binding).toMatchObject({ status: 'SUCCEEDED', policyArns: bindingPolicies });
  });

  it('the audit trail holds the create and the refused attempts, with caller, time, request and outcome', async () => {
    const events = (await call('local-team-a', 'GET', `/v1/bindings/${teamA}/events`)).body.items as Record<
      string,
      unknown
    >[];
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actor: 'local-team-a',
          request: expect.objectContaining({ method: 'POST', path: '/v1/bindings' }),
          outcome: { status: 202 },
        }),
        expect.objectContaining({
          actor: 'local-team-b',
          request: expect.objectContaining({ method: 'DELETE', path: `/v1/bindings/${teamA}` }),
          outcome: { status: 404, code: 'NotFoundError' },
        }),
      ]),
    );
    expect(events.every((event) => typeof event.at === 'string')).toBe(true);
  });
});
