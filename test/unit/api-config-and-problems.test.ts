// Cold-start configuration of the API functions, and how errors become problem responses.
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadCreateBindingConfig, loadStoreConfig } from '../../lib/config/api-config.js';
import {
  NotAllowedError,
  RateLimitedError,
  StatusConflictError,
  ThrottledError,
  VerificationFailedError,
} from '../../lib/domain/errors.js';
import type { listBindingsHandler } from '../../lib/http/handlers/list-bindings-handler.js';
import { errorResponse } from '../../lib/http/problem.js';
import { httpEvent, lambdaContext, parse } from './api-http-events.js';

type ListHandler = ReturnType<typeof listBindingsHandler>;

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:irsa-broker-dev-bind';

describe('API configuration', () => {
  it('reads the table, region and state machine', () => {
    expect(
      loadCreateBindingConfig({ BINDINGS_TABLE: 't', AWS_REGION: 'eu-west-1', BIND_STATE_MACHINE_ARN: ARN }),
    ).toEqual({
      bindingsTable: 't',
      region: 'eu-west-1',
      bindStateMachineArn: ARN,
      // Without DENIED_POLICY_ARNS: the built-in deny-list.
      deniedPolicyArns: [
        'arn:aws:iam::aws:policy/AdministratorAccess',
        'arn:aws:iam::aws:policy/IAMFullAccess',
        'arn:aws:iam::aws:policy/PowerUserAccess',
      ],
      // Without CALLBACK_ALLOWED_HOSTS: no callback host is allowed.
      callbacks: { allowedHosts: [], allowLoopbackHttp: false },
    });
    expect(
      loadCreateBindingConfig({
        BINDINGS_TABLE: 't',
        AWS_REGION: 'eu-west-1',
        BIND_STATE_MACHINE_ARN: ARN,
        CALLBACK_ALLOWED_HOSTS: 'Portal.example.com, *.hooks.example.net',
        CALLBACK_ALLOW_LOOPBACK_HTTP: 'false',
      }).callbacks,
    ).toEqual({ allowedHosts: ['portal.example.com', '*.hooks.example.net'], allowLoopbackHttp: false });
    expect(() =>
      loadCreateBindingConfig({
        BINDINGS_TABLE: 't',
        AWS_REGION: 'eu-west-1',
        BIND_STATE_MACHINE_ARN: ARN,
        CALLBACK_ALLOWED_HOSTS: 'https://portal.example.com',
      }),
    ).toThrow(/CALLBACK_ALLOWED_HOSTS must be comma-separated host names/);
    expect(loadStoreConfig({ BINDINGS_TABLE: 't', AWS_REGION: 'eu-west-1' })).toEqual({
      bindingsTable: 't',
      region: 'eu-west-1',
    });
  });

  it('names every missing or malformed variable and what to set', () => {
    const attempt = () => loadCreateBindingConfig({ AWS_REGION: 'Europe', BIND_STATE_MACHINE_ARN: 'bind' });

    expect(attempt).toThrow(/BINDINGS_TABLE/);
    expect(attempt).toThrow(/AWS_REGION must be a region code such as us-east-1/);
    expect(attempt).toThrow(/BIND_STATE_MACHINE_ARN must look like arn:aws:states:/);
  });
});

describe('handler cold start', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses to load createBinding without its configuration, saying what to set', async () => {
    delete process.env.BINDINGS_TABLE;
    delete process.env.BIND_STATE_MACHINE_ARN;
    process.env.AWS_REGION = 'eu-west-1';
    const url = pathToFileURL(
      new URL('../../functions/api/create-binding.ts', import.meta.url).pathname,
    ).href;

    await expect(import(`${url}?cold=1`)).rejects.toThrow(/set BIND_STATE_MACHINE_ARN/);
  });

  it('loads listBindings with its configuration and serves a 400 problem for a bad query', async () => {
    process.env.BINDINGS_TABLE = 'bindings';
    process.env.AWS_REGION = 'eu-west-1';
    process.env.ACCESS_POLICY_FILE = 'config/tenants.example.yaml';
    const url = pathToFileURL(new URL('../../functions/api/list-bindings.ts', import.meta.url).pathname).href;

    const module = (await import(`${url}?cold=2`)) as { handler: ListHandler };

    // Validation answers before any DynamoDB call, so no table is needed.
    const event = httpEvent({ query: { limit: '0' }, claims: { sub: 'local-admin' } });
    const response = parse(await module.handler(event, lambdaContext));
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ path: 'limit', message: expect.any(String) }]);
  });
});

describe('problem responses', () => {
  it.each([
    [new RateLimitedError('slow down', 7.2), 429, '8'],
    [new ThrottledError('busy'), 503, '1'],
    [new NotAllowedError('policy forbids it', 'no-admin'), 403, undefined],
    [new StatusConflictError('already FAILED'), 409, undefined],
    [new VerificationFailedError('not an API error'), 500, undefined],
  ])('maps %p to %i', (error, status, retryAfter) => {
    const response = errorResponse(error);

    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.headers?.['retry-after']).toBe(retryAfter);
    const body = JSON.parse(response.body ?? '{}') as { status: number; detail: string };
    expect(body.status).toBe(status);
    if (status !== 500) expect(body.detail).toBe(error.message);
    else expect(body.detail).not.toContain(error.message);
  });
});
