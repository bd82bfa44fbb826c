// The HTTP handlers under the example access policy: callers from authorizer claims only, tenants fenced,
// others' bindings not found, every mutating call in the binding's events.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseAccessPolicy } from '../../lib/config/access-config.js';
import { policyAccessControl } from '../../lib/http/auth/access-control.js';
import { createBindingHandler } from '../../lib/http/handlers/create-binding-handler.js';
import { getBindingHandler } from '../../lib/http/handlers/get-binding-handler.js';
import { listBindingEventsHandler } from '../../lib/http/handlers/list-binding-events-handler.js';
import { listBindingsHandler } from '../../lib/http/handlers/list-bindings-handler.js';
import { fakePorts } from './api-fakes.js';
import { httpEvent, jsonPost, lambdaContext, parse } from './api-http-events.js';

const access = policyAccessControl(
  parseAccessPolicy(readFileSync('config/tenants.example.yaml', 'utf8'), 'example'),
);
const TEAM_A = { sub: 'local-team-a', groups: '[team-a]' };
const TEAM_B = { sub: 'local-team-b', groups: '[team-b]' };
const ADMIN = { sub: 'local-admin' };

const body = (namespace: string, policyArns = ['arn:aws:iam::aws:policy/ReadOnlyAccess']) => ({
  clusterName: 'demo',
  region: 'us-east-1',
  namespace,
  serviceAccountName: 'app',
  policyArns,
});

function setup() {
  const ports = fakePorts();
  const deps = { ...ports, access };
  const options = { log: () => undefined };
  const as = (claims: Record<string, unknown> | undefined) => ({
    post: async (payload: unknown) => {
      const event = jsonPost(payload);
      if (claims) Object.assign(event.requestContext, { authorizer: { jwt: { claims, scopes: null } } });
      return parse(await createBindingHandler(deps, options)(event, lambdaContext));
    },
    get: async (id: string) =>
      parse(
        await getBindingHandler(deps, options)(
          httpEvent({ pathParameters: { id }, ...(claims ? { claims } : {}) }),
          lambdaContext,
        ),
      ),
    list: async (query: Record<string, string> = {}) =>
      parse(
        await listBindingsHandler(deps, options)(
          httpEvent({ query, ...(claims ? { claims } : {}) }),
          lambdaContext,
        ),
      ),
    events: async (id: string) =>
      parse(
        await listBindingEventsHandler(deps, options)(
          httpEvent({
            path: `/v1/bindings/${id}/events`,
            pathParameters: { id },
            ...(claims ? { claims } : {}),
          }),
          lambdaContext,
        ),
      ),
  });
  return { store: ports.store, a: as(TEAM_A), b: as(TEAM_B), admin: as(ADMIN), anonymous: as(undefined) };
}

describe('authentication', () => {
  it('answers 401 problems without an authorizer context, and stores nothing', async () => {
    const api = setup();
    for (const response of [
      await api.anonymous.post(body('team-a')),
      await api.anonymous.list(),
      await api.anonymous.get('b-01jgfjmxg0d0bjk6f46w3kmawh'),
    ]) {
      expect(response.status).toBe(401);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body.type).toBe('urn:irsa-broker:problem:Unauthenticated');
    }
    expect(api.store.bindings.size).toBe(0);
  });

  it('takes the creator from the claims, never from the body', async () => {
    const api = setup();
    const created = await api.a.post({ ...body('team-a'), createdBy: 'local-admin' });
    expect(created.status).toBe(400);
    const ok = await api.a.post(body('team-a'));
    expect(ok.body).toMatchObject({ createdBy: 'local-team-a', tenant: 'team-a' });
  });
});

describe('authorization', () => {
  it("refuses to bind in another tenant's namespace with 403 naming the rule, storing nothing", async () => {
    const api = setup();
    const response = await api.a.post(body('team-b'));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({
      type: 'urn:irsa-broker:problem:NotAllowed',
      rule: 'tenants.team-a.namespaces',
    });
    expect(String(response.body.detail)).toContain('namespace team-b');
    expect(api.store.bindings.size).toBe(0);
  });

  it('refuses an unlisted policy with 403 naming the policyArns rule', async () => {
    const api = setup();
    const response = await api.b.post(body('team-b', ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess']));
    expect(response.status).toBe(403);
    expect(response.body.rule).toBe('tenants.team-b.policyArns');
    expect(String(response.body.detail)).toContain('AmazonS3ReadOnlyAccess');
  });

  it("hides another tenant's binding and its events as 404; its own tenant and admins see them", async () => {
    const api = setup();
    const id = String((await api.a.post(body('team-a-dev'))).body.id);

    const foreign = await api.b.get(id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.type).toBe('urn:irsa-broker:problem:NotFoundError');
    // The same answer as for an id that does not exist: nothing tells them apart.
    const missing = await api.b.get('b-01jgfjmxg0d0bjk6f46w3kmawh');
    expect(foreign.body.detail).toBe(String(missing.body.detail).replace('b-01jgfjmxg0d0bjk6f46w3kmawh', id));
    expect((await api.b.events(id)).status).toBe(404);

    expect((await api.a.get(id)).body.id).toBe(id);
    expect((await api.admin.get(id)).body.id).toBe(id);
    expect((await api.a.events(id)).status).toBe(200);
  });

  it("lists only the caller's tenant; admins list all or one tenant", async () => {
    const api = setup();
    const a = String((await api.a.post(body('team-a'))).body.id);
    const b = String((await api.b.post(body('team-b'))).body.id);
    const other = String((await api.admin.post(body('kube-system'))).body.id);

    const ids = (response: { body: Record<string, unknown> }) =>
      (response.body.items as { id: string }[]).map((item) => item.id).sort();
    expect(ids(await api.a.list())).toEqual([a]);
    expect(ids(await api.b.list())).toEqual([b]);
    expect(ids(await api.admin.list())).toEqual([a, b, other].sort());
    expect(ids(await api.admin.list({ tenant: 'team-b' }))).toEqual([b]);
    const foreign = await api.a.list({ tenant: 'team-b' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.rule).toBe('tenants');
  });
});

describe('audit', () => {
  it('records the create call with caller, time, request and outcome in the events', async () => {
    const api = setup();
    const id = String((await api.a.post(body('team-a'))).body.id);

    const events = (await api.a.events(id)).body.items as Record<string, unknown>[];
    const call = events.find((event) => event.request !== undefined);
    expect(call).toMatchObject({
      bindingId: id,
      actor: 'local-team-a',
      from: 'PENDING',
      to: 'PENDING',
      at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      request: { method: 'POST', path: '/v1/bindings', requestId: 'req-1', body: body('team-a') },
      outcome: { status: 202 },
    });
  });
});

describe('audit of calls that name no binding', () => {
  it('records a refused create with caller, request and outcome, though no binding keeps it', async () => {
    // Prepare
    const entries: unknown[] = [];
    const deps = { ...fakePorts(), access };
    const options = { log: () => undefined, unbound: (entry: unknown) => entries.push(entry) };
    const refused = jsonPost(body('team-a'));
    Object.assign(refused.requestContext, { authorizer: { jwt: { claims: TEAM_B, scopes: null } } });

    // Act
    const response = parse(await createBindingHandler(deps, options)(refused, lambdaContext));
    const anonymous = parse(
      await createBindingHandler(deps, options)(jsonPost(body('team-a')), lambdaContext),
    );

    // Assess
    expect([response.status, anonymous.status]).toEqual([403, 401]);
    expect(deps.store.bindings.size).toBe(0);
    expect(entries).toEqual([
      {
        at: expect.any(String),
        actor: 'local-team-b',
        request: expect.objectContaining({ method: 'POST', path: '/v1/bindings', body: body('team-a') }),
        outcome: { status: 403, code: 'NotAllowed' },
      },
      {
        at: expect.any(String),
        actor: 'unauthenticated',
        request: expect.objectContaining({ method: 'POST', path: '/v1/bindings' }),
        outcome: { status: 401, code: 'Unauthenticated' },
      },
    ]);
  });
});
