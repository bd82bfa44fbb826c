import { describe, expect, it } from '@jest/globals';
import { loadCreateBindingConfig } from '../../lib/config/api-config.js';
import { NotAllowedError } from '../../lib/domain/errors.js';
import { createBindingHandler } from '../../lib/http/handlers/create-binding-handler.js';
import { updateBinding } from '../../lib/use-cases/update-binding.js';
import { fakePorts } from './api-fakes.js';
import { jsonPost, lambdaContext, parse } from './api-http-events.js';

const request = {
  clusterName: 'demo',
  region: 'us-east-1',
  namespace: 'payments',
  serviceAccountName: 'api',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};
const breakGlass = 'arn:aws:iam::123456789012:policy/break-glass';

describe('deny-list at the API', () => {
  it('refuses AdministratorAccess at POST for an admin with 403 naming the rule, storing nothing', async () => {
    const ports = fakePorts();
    const handler = createBindingHandler(ports);

    const response = parse(
      await handler(
        jsonPost({ ...request, policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }),
        lambdaContext,
      ),
    );

    expect(response.status).toBe(403);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body.detail).toMatch(
      /AdministratorAccess is on irsa-broker's deny-list.*rule denied-policy/,
    );
    expect(ports.store.bindings.size).toBe(0);
    expect(ports.workflow.started).toEqual([]);
  });

  it('refuses the configured DENIED_POLICY_ARNS at POST', async () => {
    const config = loadCreateBindingConfig({
      BINDINGS_TABLE: 'bindings',
      AWS_REGION: 'us-east-1',
      BIND_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:bind',
      DENIED_POLICY_ARNS: `arn:aws:iam::aws:policy/AdministratorAccess,${breakGlass}`,
    });
    const ports = fakePorts();
    const handler = createBindingHandler({ ...ports, deniedPolicyArns: config.deniedPolicyArns });

    const refused = parse(await handler(jsonPost({ ...request, policyArns: [breakGlass] }), lambdaContext));
    const accepted = parse(await handler(jsonPost(request), lambdaContext));

    expect(config.deniedPolicyArns).toContain('arn:aws:iam::aws:policy/PowerUserAccess');
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toContain(breakGlass);
    expect(accepted.status).toBe(202);
    expect(ports.store.bindings.size).toBe(1);
  });

  it('refuses a PATCH that would add a denied policy before reading anything', async () => {
    const attempt = updateBinding(
      { id: 'b-1', body: { policyArns: ['arn:aws:iam::aws:policy/IAMFullAccess'] }, actor: 'alice' },
      {} as Parameters<typeof updateBinding>[1],
    );

    await expect(attempt).rejects.toBeInstanceOf(NotAllowedError);
    await expect(attempt).rejects.toMatchObject({ rule: 'denied-policy' });
  });
});
