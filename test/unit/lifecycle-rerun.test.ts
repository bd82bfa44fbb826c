// Retry, update and drift-check requests over fake ports: who may re-run a binding from which status,
// what the store records, which workflow starts under which name, and the HTTP answers.
import { describe, expect, it } from '@jest/globals';
import {
  BIND_STEPS,
  type Binding,
  MIGRATE_STEPS,
  UPDATE_STEPS,
  VERIFY_STEPS,
} from '../../lib/domain/binding.js';
import { InputError, StatusConflictError, WorkflowStartFailedError } from '../../lib/domain/errors.js';
import { parseUpdateBindingRequest } from '../../lib/domain/update-rules.js';
import { retryBindingHandler } from '../../lib/http/handlers/retry-binding-handler.js';
import { updateBindingHandler } from '../../lib/http/handlers/update-binding-handler.js';
import { verifyBindingHandler } from '../../lib/http/handlers/verify-binding-handler.js';
import { startDriftCheck } from '../../lib/use-cases/check-drift.js';
import { retryBinding } from '../../lib/use-cases/retry-binding.js';
import { updateBinding } from '../../lib/use-cases/update-binding.js';
import { fakePorts } from './api-fakes.js';
import { httpEvent, lambdaContext, parse } from './api-http-events.js';

const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
const S3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/irsa-broker/irsa-prod-payments-ledger';

function stored(status: Binding['status'], overrides: Partial<Binding> = {}): Binding {
  return {
    id: 'b-1',
    clusterName: 'prod',
    region: 'eu-west-1',
    namespace: 'payments',
    serviceAccountName: 'ledger',
    policyArns: [READ_ONLY],
    roleName: 'irsa-prod-payments-ledger',
    createServiceAccount: true,
    verify: true,
    tags: { team: 'a' },
    status,
    createdAt: '2025-06-01T00:00:00.000Z',
    updatedAt: '2025-06-01T00:00:00.000Z',
    createdBy: 'creator',
    steps: BIND_STEPS.map((name) => ({ name, status: 'SUCCEEDED' })),
    ...overrides,
  };
}

function world(...bindings: Binding[]) {
  const deps = fakePorts();
  for (const binding of bindings) deps.store.bindings.set(binding.id, structuredClone(binding));
  return deps;
}

const failed = () =>
  stored('FAILED', {
    error: {
      step: 'ApplyServiceAccount',
      code: 'NotFoundError',
      message: 'Namespace payments does not exist',
    },
  });

describe('retry', () => {
  it('moves a FAILED binding to PENDING with fresh steps and no error, and starts the bind workflow as <id>-r1, then -r2', async () => {
    const deps = world(failed());

    const pending = await retryBinding({ id: 'b-1', actor: 'alice' }, deps);

    expect(pending.status).toBe('PENDING');
    expect(pending.error).toBeUndefined();
    expect(pending.steps).toEqual(BIND_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started).toEqual([{ name: 'b-1-r1', input: { bindingId: 'b-1' } }]);
    expect(deps.store.events.at(-1)).toMatchObject({
      actor: 'alice',
      from: 'FAILED',
      to: 'PENDING',
      detail: 'retry',
    });

    deps.store.bindings.set('b-1', failed());
    await retryBinding({ id: 'b-1', actor: 'alice' }, deps);
    expect(deps.workflow.started.map((s) => s.name)).toEqual(['b-1-r1', 'b-1-r2']);
  });

  it.each(['PENDING', 'RUNNING', 'SUCCEEDED', 'DELETING', 'DELETED'] as const)(
    'refuses a %s binding with StatusConflict and starts nothing',
    async (status) => {
      const deps = world(stored(status));

      const error = await retryBinding({ id: 'b-1', actor: 'alice' }, deps).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(StatusConflictError);
      expect((error as Error).message).toBe(
        `Binding b-1 is ${status}; this needs it FAILED. Only a FAILED binding can be retried; GET it to see where it is.`,
      );
      expect(deps.workflow.started).toEqual([]);
    },
  );

  it('lets one of two concurrent retries win; the other is a StatusConflict', async () => {
    const deps = world(failed());

    const results = await Promise.allSettled([
      retryBinding({ id: 'b-1', actor: 'a' }, deps),
      retryBinding({ id: 'b-1', actor: 'b' }, deps),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(StatusConflictError);
    expect(deps.workflow.started).toHaveLength(1);
  });

  it('refuses when another binding took the service account meanwhile, naming it', async () => {
    const deps = world(failed(), stored('SUCCEEDED', { id: 'b-2' }));

    await expect(retryBinding({ id: 'b-1', actor: 'a' }, deps)).rejects.toMatchObject({
      name: 'ConflictError',
      existingId: 'b-2',
    });
    expect((await deps.store.get('b-1'))?.status).toBe('FAILED');
  });

  it('puts the binding back to FAILED with WorkflowStartFailed when the workflow cannot start', async () => {
    const deps = world(failed());
    deps.workflow.failWith = new Error('StateMachineDoesNotExist');

    const error = await retryBinding({ id: 'b-1', actor: 'a' }, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WorkflowStartFailedError);
    const after = await deps.store.get('b-1');
    expect(after?.status).toBe('FAILED');
    expect(after?.error).toEqual({
      step: 'Start',
      code: 'WorkflowStartFailed',
      message: 'StateMachineDoesNotExist',
    });
  });
});

describe('update', () => {
  it('stores the changed fields on a SUCCEEDED binding, resets the update steps and starts <id>-u1', async () => {
    const deps = world(stored('SUCCEEDED', { maxSessionDuration: 3600 }));

    const pending = await updateBinding(
      { id: 'b-1', actor: 'bob', body: { policyArns: [S3], maxSessionDuration: 7200 } },
      deps,
    );

    expect(pending).toMatchObject({
      status: 'PENDING',
      policyArns: [S3],
      maxSessionDuration: 7200,
      tags: { team: 'a' },
    });
    expect(pending.steps).toEqual(UPDATE_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started).toEqual([{ name: 'b-1-u1', input: { bindingId: 'b-1' } }]);

    expect(deps.store.events.at(-1)).toMatchObject({
      actor: 'bob',
      from: 'SUCCEEDED',
      to: 'PENDING',
      detail: `update: policyArns +${S3} -${READ_ONLY}; maxSessionDuration 3600 → 7200`,
    });

    deps.store.bindings.set('b-1', stored('SUCCEEDED', { tags: { team: 'a', cost: 'x' } }));
    const retagged = await updateBinding(
      { id: 'b-1', actor: 'bob', body: { tags: { cost: 'y', owner: 'z' } } },
      deps,
    );
    expect(deps.workflow.started[1]).toEqual({ name: 'b-1-u2', input: { bindingId: 'b-1' } });
    // Kept on the binding, so EnsureRole of this run, or of a retry if this run fails, removes it.
    expect(retagged).toMatchObject({ tags: { cost: 'y', owner: 'z' }, droppedTagKeys: ['team'] });
    expect((await deps.store.get('b-1'))?.droppedTagKeys).toEqual(['team']);
  });

  it('migrates one mode step at a time: the migration steps, migrate in the input, the mode on the binding', async () => {
    const irsa = { roleArn: ROLE_ARN, trustPolicy: {}, mode: 'irsa' as const };
    const deps = world(stored('SUCCEEDED', { outputs: irsa }));

    await expect(
      updateBinding({ id: 'b-1', actor: 'bob', body: { mode: 'pod-identity' } }, deps),
    ).rejects.toThrow(/bound in mode irsa; a migration goes one step at a time, so go to mode "both" first/);
    expect(deps.workflow.started).toEqual([]);

    const pending = await updateBinding({ id: 'b-1', actor: 'bob', body: { mode: 'both' } }, deps);

    expect(pending).toMatchObject({ status: 'PENDING', mode: 'both' });
    expect(pending.steps).toEqual(MIGRATE_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started).toEqual([{ name: 'b-1-u1', input: { bindingId: 'b-1', migrate: true } }]);
    expect(deps.store.events.at(-1)).toMatchObject({ detail: 'update: mode irsa → both' });

    // The mode it is in already is no migration: a plain update.
    deps.store.bindings.set('b-1', stored('SUCCEEDED', { mode: 'both', outputs: { ...irsa, mode: 'both' } }));
    const same = await updateBinding(
      { id: 'b-1', actor: 'bob', body: { mode: 'both', tags: { x: 'y' } } },
      deps,
    );
    expect(same.steps).toEqual(UPDATE_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started[1]).toEqual({ name: 'b-1-u2', input: { bindingId: 'b-1' } });
    expect(() => parseUpdateBindingRequest({ mode: 'auto' })).toThrow(
      /mode must be one of irsa, pod-identity, both/,
    );
  });

  it('keeps tag keys an earlier update dropped until a run removes them, unless set again', async () => {
    const deps = world(stored('SUCCEEDED', { tags: { cost: 'x' }, droppedTagKeys: ['team', 'owner'] }));
    const pending = await updateBinding({ id: 'b-1', actor: 'bob', body: { tags: { owner: 'z' } } }, deps);
    expect(pending.droppedTagKeys).toEqual(['cost', 'team']);
  });

  it.each(['PENDING', 'RUNNING', 'FAILED', 'DELETED'] as const)('refuses a %s binding', async (status) => {
    const deps = world(stored(status));
    await expect(
      updateBinding({ id: 'b-1', actor: 'bob', body: { policyArns: [S3] } }, deps),
    ).rejects.toBeInstanceOf(StatusConflictError);
    expect(deps.workflow.started).toEqual([]);
    expect((await deps.store.get('b-1'))?.policyArns).toEqual([READ_ONLY]);
  });
});

describe('PATCH body rules', () => {
  it('leaves a SUCCEEDED binding as it was, steps and fields, when the update workflow cannot start', async () => {
    const before = stored('SUCCEEDED', { outputs: { roleArn: ROLE_ARN } });
    const deps = world(before);
    deps.workflow.failWith = new Error('ServiceUnavailable');

    const error = await updateBinding(
      { id: 'b-1', actor: 'dave', body: { policyArns: [], tags: { team: 'b' } } },
      deps,
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WorkflowStartFailedError);
    expect(String((error as Error).message)).toMatch(/SUCCEEDED and unchanged/);
    const after = await deps.store.get('b-1');
    expect(after).toMatchObject({
      status: 'SUCCEEDED',
      policyArns: before.policyArns,
      tags: before.tags,
      steps: before.steps,
    });
    expect(after?.error).toBeUndefined();
  });

  it('accepts any of policyArns, tags and maxSessionDuration, validated as on create', () => {
    expect(parseUpdateBindingRequest({ policyArns: [] })).toEqual({ policyArns: [] });
    expect(parseUpdateBindingRequest({ tags: { team: 'b' }, maxSessionDuration: 43200 })).toEqual({
      tags: { team: 'b' },
      maxSessionDuration: 43200,
    });
  });

  it('names every identity field it refuses, with what to do instead, besides other problems', () => {
    let error: unknown;
    try {
      parseUpdateBindingRequest({
        namespace: 'x',
        serviceAccountName: 'y',
        roleName: 'z',
        policyArns: ['nope'],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const issues = (error as InputError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      'namespace',
      'serviceAccountName',
      'roleName',
      'policyArns.0',
    ]);
    expect(issues[0]?.message).toMatch(
      /cannot be changed: .*trust policy.*delete the binding and create a new one/,
    );
  });

  it.each([
    [{}, ''],
    [[], ''],
    [{ maxSessionDuration: 100 }, 'maxSessionDuration'],
    [{ policyArns: [READ_ONLY, READ_ONLY] }, 'policyArns'],
    [{ tags: { 'aws:x': 'y' } }, 'tags.aws:x'],
    [{ unknown: 1 }, 'unknown'],
  ])('refuses %j at path "%s"', (body, path) => {
    expect(() => parseUpdateBindingRequest(body)).toThrow(InputError);
    try {
      parseUpdateBindingRequest(body);
    } catch (e) {
      expect((e as InputError).issues.map((i) => i.path)).toContain(path);
    }
  });
});

describe('drift check request', () => {
  it('starts the verify workflow as <id>-v1 with repair from the body, from SUCCEEDED', async () => {
    const deps = world(stored('SUCCEEDED', { outputs: { roleArn: ROLE_ARN } }));

    const pending = await startDriftCheck({ id: 'b-1', actor: 'carol', body: { repair: true } }, deps);

    expect(pending.steps).toEqual(VERIFY_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started).toEqual([{ name: 'b-1-v1', input: { bindingId: 'b-1', repair: true } }]);
    expect(deps.store.events.at(-1)).toMatchObject({ actor: 'carol', detail: 'drift check with repair' });
  });

  it('checks a FAILED binding that was bound once (to repair it), not one that never got a role', async () => {
    const bound = world(failed(), stored('FAILED', { id: 'b-2', outputs: { roleArn: ROLE_ARN } }));
    bound.store.bindings.set('b-1', { ...failed(), namespace: 'elsewhere' });

    await expect(startDriftCheck({ id: 'b-1', actor: 'c', body: undefined }, bound)).rejects.toThrow(
      /never bound to a role; retry it/,
    );
    const pending = await startDriftCheck({ id: 'b-2', actor: 'c', body: undefined }, bound);
    expect(pending.status).toBe('PENDING');
    expect(bound.workflow.started).toEqual([{ name: 'b-2-v1', input: { bindingId: 'b-2', repair: false } }]);
  });

  it('refuses a body other than {"repair": boolean}', async () => {
    const deps = world(stored('SUCCEEDED', { outputs: { roleArn: ROLE_ARN } }));
    await expect(
      startDriftCheck({ id: 'b-1', actor: 'c', body: { repair: 'yes' } }, deps),
    ).rejects.toMatchObject({
      issues: [{ path: 'repair', message: 'repair must be true or false' }],
    });
    await expect(startDriftCheck({ id: 'b-1', actor: 'c', body: { fix: true } }, deps)).rejects.toMatchObject(
      {
        issues: [{ path: 'fix', message: 'unknown field; remove it' }],
      },
    );
  });
});

describe('HTTP answers', () => {
  const post = (path: string, id: string, body?: string, method = 'POST') =>
    httpEvent({
      method,
      path,
      pathParameters: { id },
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body }),
    });

  it('retry: 202 with Location, 409 problem on a second try, 404 for an unknown id', async () => {
    const deps = world(failed());
    const handler = retryBindingHandler(deps, { log: () => undefined });

    const first = parse(await handler(post('/v1/bindings/b-1/retry', 'b-1'), lambdaContext));
    const second = parse(await handler(post('/v1/bindings/b-1/retry', 'b-1'), lambdaContext));
    const unknown = parse(await handler(post('/v1/bindings/nope/retry', 'nope'), lambdaContext));

    expect(first.status).toBe(202);
    expect(first.headers.location).toBe('/v1/bindings/b-1');
    expect(first.body).toMatchObject({ id: 'b-1', status: 'PENDING' });
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(second.body.detail).toMatch(/is PENDING; this needs it FAILED/);
    expect(unknown.status).toBe(404);
  });

  it('update: 400 naming the identity field, 415 without JSON, 202 for a valid change', async () => {
    const deps = world(stored('SUCCEEDED'));
    const handler = updateBindingHandler(deps, { log: () => undefined });

    const identity = parse(
      await handler(post('/v1/bindings/b-1', 'b-1', '{"clusterName":"other"}', 'PATCH'), lambdaContext),
    );
    const notJson = parse(
      await handler(httpEvent({ method: 'PATCH', pathParameters: { id: 'b-1' }, body: 'x' }), lambdaContext),
    );
    const ok = parse(
      await handler(post('/v1/bindings/b-1', 'b-1', '{"tags":{"team":"b"}}', 'PATCH'), lambdaContext),
    );

    expect(identity.status).toBe(400);
    expect(identity.body.errors).toEqual([
      { path: 'clusterName', message: expect.stringMatching(/^cannot be changed: the cluster is part/) },
    ]);
    expect(notJson.status).toBe(415);
    expect(ok.status).toBe(202);
    expect(ok.body).toMatchObject({ status: 'PENDING', tags: { team: 'b' } });
  });

  it('verify: a request without a body is a plain check; a malformed body is 400', async () => {
    const deps = world(stored('SUCCEEDED', { outputs: { roleArn: ROLE_ARN } }));
    const handler = verifyBindingHandler(deps, { log: () => undefined });

    const malformed = parse(
      await handler(post('/v1/bindings/b-1/verify', 'b-1', '{"repair":'), lambdaContext),
    );
    const plain = parse(await handler(post('/v1/bindings/b-1/verify', 'b-1'), lambdaContext));

    expect(malformed.status).toBe(400);
    expect(plain.status).toBe(202);
    expect(deps.workflow.started).toEqual([{ name: 'b-1-v1', input: { bindingId: 'b-1', repair: false } }]);
  });
});
