import { describe, expect, it } from '@jest/globals';
import { BIND_STEPS } from '../../lib/domain/binding.js';
import {
  ConflictError,
  IdempotencyKeyReusedError,
  InputError,
  ThrottledError,
  WorkflowStartFailedError,
} from '../../lib/domain/errors.js';
import { createBinding } from '../../lib/use-cases/create-binding.js';
import { getBinding } from '../../lib/use-cases/get-binding.js';
import { listBindings } from '../../lib/use-cases/list-bindings.js';
import { fakePorts } from './api-fakes.js';

const body = {
  clusterName: 'prod',
  region: 'eu-west-1',
  namespace: 'payments',
  serviceAccountName: 'ledger',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};

describe('createBinding', () => {
  it('stores a PENDING binding with a derived role name and all steps pending, then starts the workflow', async () => {
    const deps = fakePorts();

    const { binding, created } = await createBinding({ body, createdBy: 'alice' }, deps);

    expect(created).toBe(true);
    expect(binding).toMatchObject({
      ...body,
      status: 'PENDING',
      createdBy: 'alice',
      createServiceAccount: true,
      verify: true,
      tags: {},
    });
    expect(binding.roleName).toMatch(/^irsa-prod-payments-ledger-[0-9a-f]{8}$/);
    expect(binding.steps).toEqual(BIND_STEPS.map((name) => ({ name, status: 'PENDING' })));
    expect(deps.workflow.started).toEqual([{ name: binding.id, input: { bindingId: binding.id } }]);
    expect(await deps.store.get(binding.id)).toEqual(binding);
  });

  it('records whether the binding may use an existing target role, as the access policy decides', async () => {
    const target = { ...body, targetRoleArn: 'arn:aws:iam::444455556666:role/reader', policyArns: [] };
    const asked: [string, string | undefined][] = [];
    const decide = (allowed: boolean) => (arn: string, tenant: string | undefined) => {
      asked.push([arn, tenant]);
      return allowed;
    };

    const allowed = await createBinding(
      { body: target, createdBy: 'a', authorize: () => 'team-a', mayUseExistingTargetRole: decide(true) },
      fakePorts(),
    );
    const refused = await createBinding(
      { body: target, createdBy: 'a', mayUseExistingTargetRole: decide(false) },
      fakePorts(),
    );
    const none = await createBinding(
      { body, createdBy: 'a', mayUseExistingTargetRole: decide(true) },
      fakePorts(),
    );

    expect(allowed.binding.allowExistingTargetRole).toBe(true);
    expect(refused.binding.allowExistingTargetRole).toBeUndefined();
    expect(none.binding.allowExistingTargetRole).toBeUndefined();
    expect(asked).toEqual([
      ['arn:aws:iam::444455556666:role/reader', 'team-a'],
      ['arn:aws:iam::444455556666:role/reader', undefined],
    ]);
  });

  it('keeps a role name the caller chose', async () => {
    const deps = fakePorts();

    const { binding } = await createBinding(
      { body: { ...body, roleName: 'ledger-role' }, createdBy: 'a' },
      deps,
    );

    expect(binding.roleName).toBe('ledger-role');
  });

  it('stores nothing and starts nothing for an invalid request', async () => {
    const deps = fakePorts();

    const attempt = createBinding({ body: { ...body, namespace: 'Bad_NS' }, createdBy: 'a' }, deps);

    await expect(attempt).rejects.toBeInstanceOf(InputError);
    expect(deps.store.bindings.size).toBe(0);
    expect(deps.workflow.started).toEqual([]);
  });

  it('refuses an unprintable idempotency key', async () => {
    const deps = fakePorts();

    const attempt = createBinding({ body, createdBy: 'a', idempotencyKey: 'tab\there' }, deps);

    await expect(attempt).rejects.toMatchObject({
      name: 'InputError',
      issues: [{ path: 'Idempotency-Key' }],
    });
  });

  it('replays the same keyed request without a second execution, whatever the key order', async () => {
    const deps = fakePorts();
    const first = await createBinding({ body, createdBy: 'a', idempotencyKey: 'k' }, deps);
    await deps.store.transition(first.binding.id, { from: ['PENDING'], to: 'RUNNING', actor: 'w', at: 't' });
    const reordered = Object.fromEntries(Object.entries({ ...body, verify: true }).reverse());

    const replay = await createBinding({ body: reordered, createdBy: 'a', idempotencyKey: 'k' }, deps);

    expect(replay).toMatchObject({ created: false, binding: { id: first.binding.id, status: 'RUNNING' } });
    expect(deps.workflow.started).toHaveLength(1);
  });

  it('starts again when the replayed binding is still PENDING (the first request died before starting)', async () => {
    const deps = fakePorts();
    const transition = deps.store.transition.bind(deps.store);
    deps.workflow.failWith = new Error('connection reset');
    deps.store.transition = async () => {
      throw new Error('the Lambda was killed');
    };
    await createBinding({ body, createdBy: 'a', idempotencyKey: 'k' }, deps).catch(() => undefined);
    deps.workflow.failWith = undefined;
    deps.store.transition = transition;

    const replay = await createBinding({ body, createdBy: 'a', idempotencyKey: 'k' }, deps);

    expect(replay).toMatchObject({ created: false, binding: { status: 'PENDING' } });
    expect(deps.workflow.started).toEqual([
      { name: replay.binding.id, input: { bindingId: replay.binding.id } },
    ]);
  });

  it('refuses the same key with a different body', async () => {
    const deps = fakePorts();
    await createBinding({ body, createdBy: 'a', idempotencyKey: 'k' }, deps);

    const attempt = createBinding(
      { body: { ...body, verify: false }, createdBy: 'a', idempotencyKey: 'k' },
      deps,
    );

    await expect(attempt).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('passes on a conflict naming the binding that holds the service account', async () => {
    const deps = fakePorts();
    const first = await createBinding({ body, createdBy: 'a' }, deps);

    const attempt = createBinding({ body, createdBy: 'b' }, deps);

    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ existingId: first.binding.id });
  });

  it('marks the binding FAILED with a Start error when the workflow cannot start', async () => {
    const deps = fakePorts();
    deps.workflow.failWith = new ThrottledError('Step Functions throttled StartExecution');

    const attempt = createBinding({ body, createdBy: 'a' }, deps).catch((error: unknown) => error);

    const error = await attempt;
    expect(error).toBeInstanceOf(WorkflowStartFailedError);
    const [stored] = [...deps.store.bindings.values()];
    expect(stored).toMatchObject({
      status: 'FAILED',
      error: {
        step: 'Start',
        code: 'WorkflowStartFailed',
        message: 'Step Functions throttled StartExecution',
      },
    });
  });
});

describe('getBinding and listBindings', () => {
  it('reads a stored binding and reports unknown or malformed ids as not found', async () => {
    const deps = fakePorts();
    const { binding } = await createBinding({ body, createdBy: 'a' }, deps);

    expect(await getBinding(binding.id, deps)).toEqual(binding);
    await expect(getBinding('b-00000000000000000000000000', deps)).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    await expect(getBinding('../etc/passwd', deps)).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('refuses limits outside 1..100', async () => {
    const deps = fakePorts();

    for (const limit of [0, 101, 1.5]) {
      await expect(listBindings({ limit }, deps)).rejects.toMatchObject({ name: 'InputError' });
    }
    expect(await listBindings({ limit: 100 }, deps)).toEqual({ items: [] });
  });
});
