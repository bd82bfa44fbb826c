// Property-based: POST /v1/bindings through the real handler factory over in-memory ports, with
// thousands of generated bodies and headers. Invalid input — including injection attempts into the
// names that end up in the JSON trust policy, IAM tags and YAML manifests — only ever gets a 4xx
// problem+json, and leaves nothing stored and no workflow started.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { createBindingHandler } from '../../lib/http/handlers/create-binding-handler.js';
import { fakePorts } from './api-fakes.js';
import { httpEvent, lambdaContext, parse } from './api-http-events.js';

const valid = {
  clusterName: 'demo',
  region: 'us-east-1',
  namespace: 'payments',
  serviceAccountName: 'api',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};

/** Pieces no name field accepts: JSON and YAML breakers, template syntax, separators, odd unicode. */
const INJECTIONS = [
  '"',
  '"}',
  '"},{"Effect":"Allow","Action":"*"',
  '\n',
  '\r\n',
  '\nkind: ClusterRoleBinding\n',
  '${',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation/serverless placeholder, on purpose
  '${AWS::AccountId}',
  '{{',
  ': ',
  ':',
  '*',
  '\\',
  "'",
  '#',
  '</script>',
  '\u0000',
  '\u2028',
  '\u202e',
  'ı',
  '💥',
  '\t',
  ' ',
  '&anchor',
  '!!python/object',
  '%0a',
  '/',
];

const injected = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9-]{0,20}$/),
    fc.constantFrom(...INJECTIONS),
    fc.string({ maxLength: 30, unit: 'grapheme' }),
  )
  .map(([before, piece, after]) => `${before}${piece}${after}`);

const tooLong = fc.integer({ min: 254, max: 20_000 }).map((n) => 'a'.repeat(n));

const NAME_FIELDS = ['clusterName', 'namespace', 'serviceAccountName', 'roleName', 'region'] as const;

/** Any JSON value, deep and odd (fast-check's own generator), for whole bodies and wrong-typed fields. */
const anything = fc.jsonValue({ maxDepth: 4 });

function handlerWithPorts() {
  const ports = fakePorts();
  return { ports, handler: createBindingHandler(ports) };
}

async function post(
  handler: ReturnType<typeof createBindingHandler>,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  const result = await handler(httpEvent({ method: 'POST', headers, body }), lambdaContext);
  return { raw: result, ...parse(result) };
}

function expectProblem(response: Awaited<ReturnType<typeof post>>, status?: number) {
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  if (status !== undefined) expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.body.status).toBe(response.status);
  expect(typeof response.body.title).toBe('string');
  expect(typeof response.body.detail).toBe('string');
}

describe('POST /v1/bindings under generated input', () => {
  it('refuses injection attempts and over-long values in every name field with 400, storing nothing', async () => {
    const { ports, handler } = handlerWithPorts();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...NAME_FIELDS), fc.oneof(injected, tooLong), async (field, value) => {
        const response = await post(handler, JSON.stringify({ ...valid, [field]: value }));

        expectProblem(response, 400);
        expect(JSON.stringify(response.body.errors)).toContain(field);
        expect(ports.store.bindings.size).toBe(0);
        expect(ports.workflow.started).toEqual([]);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses injected policy ARNs and tags with 400, storing nothing', async () => {
    const { ports, handler } = handlerWithPorts();
    const tagBreaker = fc
      .tuple(
        fc.stringMatching(/^[a-z]{0,10}$/),
        fc.constantFrom('"', '"}', '\n', '${', '{{', '*', '\\', '#', '\u0000'),
      )
      .map(([a, b]) => `${a}${b}`);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // `/` (a policy path) and the name characters IAM allows make a valid ARN, not an injection.
          injected
            .filter((v) => /[^\w+=,.@/-]/.test(v))
            .map((v) => ({ policyArns: [`arn:aws:iam::aws:policy/${v}`] })),
          injected.map((v) => ({ policyArns: [v] })),
          tagBreaker.map((v) => ({ tags: { [v]: 'x' } })),
          tagBreaker.map((v) => ({ tags: { team: v } })),
          fc.constant({ tags: { 'irsa-broker:binding-id': 'b-spoofed' } }),
          fc.constant({ tags: { 'aws:cloudformation:stack-name': 'x' } }),
        ),
        async (change) => {
          const response = await post(handler, JSON.stringify({ ...valid, ...change }));

          expectProblem(response, 400);
          expect(ports.store.bindings.size).toBe(0);
        },
      ),
      { numRuns: 800 },
    );
  });

  it('answers any JSON body, any field of any type and unknown fields with 202 or a 4xx problem, never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          anything,
          fc
            .record({
              field: fc.constantFrom(
                ...Object.keys(valid),
                'tags',
                'verify',
                'maxSessionDuration',
                'audience',
                'description',
              ),
              value: anything,
            })
            .map(({ field, value }) => ({ ...valid, [field]: value })),
          fc
            .record({ key: fc.string({ maxLength: 20 }), value: anything })
            .map(({ key, value }) => ({ ...valid, [`x${key}`]: value })),
        ),
        async (body) => {
          const { ports, handler } = handlerWithPorts();
          const response = await post(handler, JSON.stringify(body));

          if (response.status === 202) {
            expect(ports.store.bindings.size).toBe(1);
            return;
          }
          expectProblem(response);
          expect(ports.store.bindings.size).toBe(0);
          expect(ports.workflow.started).toEqual([]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('answers raw bodies, content types and Idempotency-Key headers of any shape with 4xx problems, storing nothing', async () => {
    const { ports, handler } = handlerWithPorts();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200, unit: 'binary' }),
          injected,
          fc.constantFrom('{', '{"a":', '[]', 'null', '"x"', '1e999', '{"clusterName":"demo"}{', '\u0000'),
        ),
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json\n',
          '',
        ),
        fc.oneof(
          fc.constant(undefined),
          fc.string({ maxLength: 300, unit: 'binary' }).filter((k) => !/^[\x20-\x7E]{1,128}$/.test(k)),
        ),
        async (body, contentType, idempotencyKey) => {
          const headers: Record<string, string> = { 'content-type': contentType };
          if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
          const response = await post(handler, body, headers);

          expectProblem(response);
          expect(ports.store.bindings.size).toBe(0);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('accepts the valid request it mutates, so the properties above are not vacuous', async () => {
    const { ports, handler } = handlerWithPorts();
    const response = await post(handler, JSON.stringify(valid));
    expect(response.status).toBe(202);
    expect(ports.store.bindings.size).toBe(1);
  });
});
