// The HTTP handlers over fake ports: whole responses asserted, no SDK anywhere.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TransientError } from '../../lib/domain/errors.js';
import { createBindingHandler } from '../../lib/http/handlers/create-binding-handler.js';
import { getBindingHandler } from '../../lib/http/handlers/get-binding-handler.js';
import { listBindingsHandler } from '../../lib/http/handlers/list-bindings-handler.js';
import { healthHandler, openApiHandler } from '../../lib/http/handlers/static-handlers.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi-document.js';
import { fakePorts } from './api-fakes.js';
import { httpEvent, jsonPost, lambdaContext, parse } from './api-http-events.js';

const body = {
  clusterName: 'prod',
  region: 'eu-west-1',
  namespace: 'payments',
  serviceAccountName: 'ledger',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};

function setup() {
  const deps = fakePorts();
  const logged: string[] = [];
  const options = { log: (message: string) => logged.push(message) };
  const create = createBindingHandler(deps, options);
  return {
    deps,
    logged,
    post: async (event: Parameters<typeof create>[0]) => parse(await create(event, lambdaContext)),
    get: async (id: string) =>
      parse(await getBindingHandler(deps, options)(httpEvent({ pathParameters: { id } }), lambdaContext)),
    list: async (query?: Record<string, string>) =>
      parse(await listBindingsHandler(deps, options)(httpEvent(query ? { query } : {}), lambdaContext)),
  };
}

describe('POST /v1/bindings', () => {
  it('answers 202 with a Location and the stored binding, and starts its workflow', async () => {
    const api = setup();

    const response = await api.post(jsonPost(body));

    expect(response.status).toBe(202);
    const id = response.body.id as string;
    expect(response.headers.location).toBe(`/v1/bindings/${id}`);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['idempotent-replayed']).toBeUndefined();
    expect(response.body).toMatchObject({ ...body, status: 'PENDING', createdBy: 'anonymous', verify: true });
    expect(await api.deps.store.get(id)).toEqual(response.body);
    expect(api.deps.workflow.started).toEqual([{ name: id, input: { bindingId: id } }]);
  });

  it('records the JWT subject as creator and refuses an authorizer context without one', async () => {
    const api = setup();
    const event = jsonPost(body);
    Object.assign(event.requestContext, { authorizer: { jwt: { claims: { sub: 'team-payments' } } } });
    const noSub = jsonPost({ ...body, namespace: 'other' });
    Object.assign(noSub.requestContext, { authorizer: { jwt: { claims: { scope: 'x' } } } });

    const created = await api.post(event);
    const refused = await api.post(noSub);

    expect(created.body.createdBy).toBe('team-payments');
    expect(refused.status).toBe(401);
    expect(refused.body.type).toBe('urn:irsa-broker:problem:Unauthenticated');
    expect(api.deps.store.bindings.size).toBe(1);
  });

  it('replays a keyed request with the same binding, flagged, and starts nothing new', async () => {
    const api = setup();
    const headers = { 'Idempotency-Key': 'order-42' };

    const first = await api.post(jsonPost(body, headers));
    const again = await api.post(jsonPost({ ...body }, headers));

    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.location).toBe(first.headers.location);
    expect(api.deps.store.bindings.size).toBe(1);
    // Starting again under the same name and input is the same execution (StartExecution is idempotent).
    expect(new Set(api.deps.workflow.started.map((s) => s.name))).toEqual(new Set([first.body.id]));
  });

  it('answers 422 when a key is reused with another body', async () => {
    const api = setup();
    await api.post(jsonPost(body, { 'idempotency-key': 'k' }));

    const response = await api.post(jsonPost({ ...body, namespace: 'other' }, { 'idempotency-key': 'k' }));

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).toMatchObject({
      type: 'urn:irsa-broker:problem:IdempotencyKeyReused',
      status: 422,
    });
    expect(api.deps.store.bindings.size).toBe(1);
  });

  it('answers 409 naming the binding that holds the service account', async () => {
    const api = setup();
    const first = await api.post(jsonPost(body));

    const response = await api.post(jsonPost({ ...body, roleName: 'another' }));

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      type: 'urn:irsa-broker:problem:ConflictError',
      title: 'Conflict',
      status: 409,
      existingBindingId: first.body.id,
    });
    expect(typeof response.body.detail).toBe('string');
  });

  it('lists every invalid field and unknown field with what to change, storing nothing', async () => {
    const api = setup();

    const response = await api.post(
      jsonPost({ ...body, namespace: 'Bad_NS', serviceAccountName: 'sa:*', region: 'mars', extra: 1 }),
    );

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const paths = (response.body.errors as { path: string; message: string }[]).map((e) => e.path).sort();
    expect(paths).toEqual(['extra', 'namespace', 'region', 'serviceAccountName']);
    expect(response.body.detail).toContain('namespace');
    expect(api.deps.store.bindings.size).toBe(0);
    expect(api.deps.workflow.started).toHaveLength(0);
  });

  it('answers 413 for bodies over 64 KiB before looking at them', async () => {
    const api = setup();
    const big = JSON.stringify({ ...body, description: 'x'.repeat(64 * 1024) });

    const response = await api.post(jsonPost(big));
    const wrongTypeToo = await api.post(
      httpEvent({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: big }),
    );

    expect(response.status).toBe(413);
    expect(response.body.type).toBe('urn:irsa-broker:problem:PayloadTooLarge');
    expect(wrongTypeToo.status).toBe(413);
    expect(api.deps.store.bindings.size).toBe(0);
  });

  it.each([
    ['no content type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['form data', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['JSON in latin1', { 'content-type': 'application/json; charset=iso-8859-1' }],
  ])('answers 415 for %s', async (_, headers) => {
    const api = setup();

    const response = await api.post(httpEvent({ method: 'POST', headers, body: JSON.stringify(body) }));

    expect(response.status).toBe(415);
    expect(response.body.detail).toMatch(/application\/json|UTF-8/);
    expect(api.deps.store.bindings.size).toBe(0);
  });

  it('accepts JSON with a charset, a +json type, or base64-encoded by the gateway', async () => {
    const api = setup();

    const charset = await api.post(jsonPost(body, { 'content-type': 'application/json; charset=UTF-8' }));
    const vendor = await api.post(
      jsonPost({ ...body, namespace: 'two' }, { 'content-type': 'application/vnd.irsa+json' }),
    );
    const encoded = await api.post(
      httpEvent({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(JSON.stringify({ ...body, namespace: 'three' })).toString('base64'),
        isBase64Encoded: true,
      }),
    );

    expect([charset.status, vendor.status, encoded.status]).toEqual([202, 202, 202]);
    expect(encoded.body.namespace).toBe('three');
  });

  it.each([
    ['an empty body', ''],
    ['broken JSON', '{"clusterName": '],
    ['a JSON array', '[1,2]'],
    ['JSON null', 'null'],
    ['a JSON string', '"prod"'],
    ['deeply nested JSON', `${'['.repeat(20000)}${']'.repeat(20000)}`],
    ['a __proto__ key', JSON.stringify(body).replace(/^\{/, '{"__proto__":{"admin":true},')],
  ])('answers 400 for %s', async (_, text) => {
    const api = setup();

    const response = await api.post(jsonPost(text));

    expect(response.status).toBe(400);
    expect(response.body.type).toBe('urn:irsa-broker:problem:InputError');
    expect(Array.isArray(response.body.errors)).toBe(true);
    expect(api.deps.store.bindings.size).toBe(0);
  });

  it('answers 400 for bytes that are not UTF-8', async () => {
    const api = setup();

    const response = await api.post(
      httpEvent({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'),
        isBase64Encoded: true,
      }),
    );

    expect(response.status).toBe(400);
    expect(api.deps.store.bindings.size).toBe(0);
  });

  it('answers 503 when the workflow cannot start, leaving the binding FAILED', async () => {
    const api = setup();
    api.deps.workflow.failWith = new TransientError('states endpoint unreachable');

    const response = await api.post(jsonPost(body));

    expect(response.status).toBe(503);
    expect(response.body.type).toBe('urn:irsa-broker:problem:WorkflowStartFailed');
    const [stored] = api.deps.store.bindings.values();
    expect(stored?.status).toBe('FAILED');
    expect(response.body.detail).toContain(stored?.id);
  });

  it('answers a generic 500 for unexpected failures, logging them but leaking nothing', async () => {
    const api = setup();
    api.deps.store.create = async () => {
      throw new Error('secret internal detail');
    };

    const response = await api.post(jsonPost(body));

    expect(response.status).toBe(500);
    expect(response.body.type).toBe('urn:irsa-broker:problem:Internal');
    expect(JSON.stringify(response.body)).not.toContain('secret');
    expect(api.logged).toEqual(['request aws-req-1 failed']);
  });

  it('never answers 5xx or stores an invalid request, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc
            .record(
              {
                clusterName: fc.string(),
                region: fc.constantFrom('eu-west-1', 'x'),
                namespace: fc.string(),
                serviceAccountName: fc.string(),
                policyArns: fc.array(fc.string(), { maxLength: 3 }),
                tags: fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
              },
              { requiredKeys: [] },
            )
            .map((value) => JSON.stringify(value)),
        ),
        async (text) => {
          const api = setup();
          const response = await api.post(jsonPost(text));
          expect(response.status).toBeLessThan(500);
          expect(api.deps.store.bindings.size).toBe(response.status === 202 ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('GET /v1/bindings/{id}', () => {
  it('returns a stored binding', async () => {
    const api = setup();
    const created = await api.post(jsonPost(body));

    const response = await api.get(created.body.id as string);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(created.body);
  });

  it.each(['b-00000000000000000000000000', 'not-an-id', '../../etc', `b-${'u'.repeat(26)}`])(
    'answers 404 problem for %s',
    async (id) => {
      const api = setup();

      const response = await api.get(id);

      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('application/problem+json');
      expect(response.body).toMatchObject({ type: 'urn:irsa-broker:problem:NotFoundError', status: 404 });
      expect(response.body.detail).toContain(id);
    },
  );
});

describe('GET /v1/bindings', () => {
  it('returns a page of 20 by default with a null nextCursor from the store', async () => {
    const api = setup();
    for (let i = 0; i < 25; i++) await api.post(jsonPost({ ...body, namespace: `ns-${i}` }));

    const response = await api.list();

    expect(response.status).toBe(200);
    expect((response.body.items as unknown[]).length).toBe(20);
    expect(response.body.nextCursor).toBeNull();
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '101' }, 'limit'],
    [{ limit: 'ten' }, 'limit'],
    [{ limit: '5,6' }, 'limit'],
    [{ status: 'DONE' }, 'status'],
    [{ namespace: 'Bad_NS' }, 'namespace'],
    [{ clusterName: '-x' }, 'clusterName'],
    [{ cursor: '' }, 'cursor'],
    [{ sort: 'asc' }, 'sort'],
  ])('answers 400 naming the parameter for %j', async (query, path) => {
    const api = setup();

    const response = await api.list(query);

    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path, message: expect.any(String) }]);
  });
});

describe('GET /v1/openapi.json and /v1/health', () => {
  it('serves an OpenAPI 3.1 document built from the validating schemas', async () => {
    const response = parse(await openApiHandler(buildOpenApiDocument())(httpEvent(), lambdaContext));

    expect(response.status).toBe(200);
    const doc = response.body as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
      components: { schemas: Record<string, { required?: string[]; additionalProperties?: unknown }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/bindings',
      '/v1/bindings/{id}',
      '/v1/bindings/{id}/events',
      '/v1/bindings/{id}/retry',
      '/v1/bindings/{id}/verify',
      '/v1/health',
      '/v1/openapi.json',
    ]);
    const request = doc.components.schemas.CreateBindingRequest;
    expect(request?.required?.sort()).toEqual(
      ['clusterName', 'namespace', 'policyArns', 'region', 'serviceAccountName'].sort(),
    );
    expect(request?.additionalProperties).toBe(false);
    const listParams = doc.paths['/v1/bindings']?.get?.parameters?.map((p) => `${p.in}:${p.name}`);
    expect(listParams?.sort()).toEqual(
      [
        'query:clusterName',
        'query:cursor',
        'query:limit',
        'query:namespace',
        'query:status',
        'query:tenant',
      ].sort(),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Binding', 'Problem']));
  });

  it('documents as required exactly the fields validation requires, and every $ref resolves', async () => {
    const doc = buildOpenApiDocument() as unknown as {
      components: { schemas: Record<string, { required?: string[] }> };
    };
    const api = setup();

    const empty = await api.post(jsonPost({}));

    const requiredByValidation = (empty.body.errors as { path: string; message: string }[])
      .filter((issue) => issue.message.includes('required'))
      .map((issue) => issue.path)
      .sort();
    expect(doc.components.schemas.CreateBindingRequest?.required?.sort()).toEqual(requiredByValidation);
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const name = ref.replace(/^.*\/schemas\//, '').replace(/"$/, '');
      expect(Object.keys(doc.components.schemas)).toContain(name);
    }
  });

  it('answers health with 200', async () => {
    const response = parse(await healthHandler()(httpEvent({ path: '/v1/health' }), lambdaContext));

    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
  });
});
