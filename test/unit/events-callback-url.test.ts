// Callback URLs at POST /v1/bindings: HTTPS to a host on the operator's allow-list only (plain HTTP to
// loopback where the operator allows it, i.e. locally); refused with a field error otherwise, nothing stored.
import { describe, expect, it } from '@jest/globals';
import {
  type CallbackPolicy,
  callbackHostAllowed,
  callbackUrlProblem,
} from '../../lib/domain/callback-url.js';
import { InputError } from '../../lib/domain/errors.js';
import { createBinding } from '../../lib/use-cases/create-binding.js';
import { fakePorts } from './api-fakes.js';

const policy: CallbackPolicy = {
  allowedHosts: ['portal.example.com', '*.hooks.example.net'],
  allowLoopbackHttp: false,
};

const body = {
  clusterName: 'prod',
  region: 'eu-west-1',
  namespace: 'payments',
  serviceAccountName: 'ledger',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};

describe('callback URL rules', () => {
  it('allows https to an allowed host or a subdomain of an allowed wildcard', () => {
    expect(callbackUrlProblem('https://portal.example.com/irsa', policy)).toBeUndefined();
    expect(callbackUrlProblem('https://a.hooks.example.net:8443/x?y=1', policy)).toBeUndefined();
    expect(callbackHostAllowed('hooks.example.net', policy.allowedHosts)).toBe(false);
    expect(callbackHostAllowed('evilhooks.example.net', policy.allowedHosts)).toBe(false);
  });

  it('refuses other schemes, other hosts, credentials and fragments, saying what to change', () => {
    expect(callbackUrlProblem('http://portal.example.com/irsa', policy)).toBe('callbackUrl must use https');
    expect(callbackUrlProblem('https://evil.example.org/', policy)).toBe(
      'callbackUrl host evil.example.org is not one the operator allows (portal.example.com, *.hooks.example.net)',
    );
    expect(callbackUrlProblem('https://u:p@portal.example.com/', policy)).toBe(
      'callbackUrl must not carry a user name or password',
    );
    expect(callbackUrlProblem('https://portal.example.com/#x', policy)).toBe(
      'callbackUrl must not have a #fragment',
    );
    expect(callbackUrlProblem('portal.example.com', policy)).toMatch(/must be an absolute URL/);
    expect(
      callbackUrlProblem('https://portal.example.com/', { allowedHosts: [], allowLoopbackHttp: false }),
    ).toMatch(/callbacks are not enabled/);
  });

  it('allows plain http to loopback only where the operator allows it', () => {
    const local: CallbackPolicy = { allowedHosts: ['127.0.0.1', 'localhost'], allowLoopbackHttp: true };
    expect(callbackUrlProblem('http://127.0.0.1:4010/events', local)).toBeUndefined();
    expect(callbackUrlProblem('http://127.0.0.1:4010/events', { ...local, allowLoopbackHttp: false })).toBe(
      'callbackUrl must use https',
    );
  });
});

describe('createBinding with a callbackUrl', () => {
  it('stores the callback URL of an allowed host with the binding', async () => {
    const deps = { ...fakePorts(), callbacks: policy };
    const { binding } = await createBinding(
      { body: { ...body, callbackUrl: 'https://portal.example.com/irsa' }, createdBy: 'alice' },
      deps,
    );
    expect((await deps.store.get(binding.id))?.callbackUrl).toBe('https://portal.example.com/irsa');
  });

  it('refuses a host off the allow-list with a field error and stores nothing', async () => {
    const deps = { ...fakePorts(), callbacks: policy };
    const attempt = createBinding(
      { body: { ...body, callbackUrl: 'https://169.254.169.254/latest' }, createdBy: 'alice' },
      deps,
    );
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({
      issues: [
        {
          path: 'callbackUrl',
          message:
            'callbackUrl host 169.254.169.254 is not one the operator allows (portal.example.com, *.hooks.example.net)',
        },
      ],
    });
    expect(deps.workflow.started).toEqual([]);
  });

  it('refuses every callback URL where the operator allows none', async () => {
    const deps = fakePorts();
    await expect(
      createBinding({ body: { ...body, callbackUrl: 'https://portal.example.com/' }, createdBy: 'a' }, deps),
    ).rejects.toBeInstanceOf(InputError);
  });
});
