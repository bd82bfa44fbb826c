// The unbind steps over fakes: who owns what decides what is removed; everything else is left alone.
import { describe, expect, it } from '@jest/globals';
import type { Binding } from '../../lib/domain/binding.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import type {
  ClusterConnection,
  KubernetesCluster,
  KubernetesClusters,
  KubernetesObject,
  ManagedFieldsEntry,
  ObjectRef,
} from '../../lib/ports/kubernetes.js';
import { deleteRole } from '../../lib/use-cases/unbind/delete-role.js';
import { managersOwning, otherManagers } from '../../lib/use-cases/unbind/managed-fields.js';
import { removeServiceAccountBinding } from '../../lib/use-cases/unbind/remove-service-account-binding.js';
import { runUnbindStep } from '../../lib/use-cases/unbind/run-unbind-step.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { FakeIamRoles, FakeTargetAccounts } from '../support/fakes/fake-iam.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';

const ROLE_ARN_KEY = 'eks.amazonaws.com/role-arn';
const ROLE_PATH = '/irsa-broker/';
const connection: ClusterConnection = {
  name: 'demo',
  region: 'us-east-1',
  endpoint: 'https://x',
  caData: 'Y2E=',
};

function binding(overrides: Partial<Binding> = {}): Binding {
  return { ...pendingBinding(), status: 'DELETING', ...overrides };
}

function ownedRole(roles: FakeIamRoles, b: Binding, tags = ownershipTags(b.id), path = ROLE_PATH) {
  return roles.put({
    name: b.roleName,
    path,
    trustPolicy: { Version: '2012-10-17', Statement: [] },
    tags,
    attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  });
}

const annotationOwner = (manager: string): ManagedFieldsEntry => ({
  manager,
  operation: 'Apply',
  fieldsV1: { 'f:metadata': { 'f:annotations': { [`f:${ROLE_ARN_KEY}`]: {} } } },
});
const labelOwner = (manager: string): ManagedFieldsEntry => ({
  manager,
  operation: 'Update',
  fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } },
});

/** One ServiceAccount with the managedFields a real API server reports; apply releases irsa-broker's fields. */
class OneServiceAccountCluster {
  deleted = false;
  applied: KubernetesObject[] = [];
  constructor(public account: KubernetesObject | undefined) {}
  async get(_ref: ObjectRef) {
    return this.account && structuredClone(this.account);
  }
  async delete(_ref: ObjectRef) {
    this.deleted = this.account !== undefined;
    this.account = undefined;
    return this.deleted;
  }
  async apply(object: KubernetesObject) {
    this.applied.push(object);
    if (!this.account) throw new Error('absent');
    const managed = this.account.metadata.managedFields ?? [];
    const others = managed.filter((m) => m.manager !== 'irsa-broker');
    const keep = others.some(
      (m) =>
        managersOwning({ ...this.account!, metadata: { managedFields: [m] } } as KubernetesObject, [
          'metadata',
          'annotations',
          ROLE_ARN_KEY,
        ]).length > 0,
    );
    const annotations = { ...this.account.metadata.annotations };
    if (!keep) delete annotations[ROLE_ARN_KEY];
    this.account = {
      ...this.account,
      metadata: { ...this.account.metadata, annotations, managedFields: others },
    };
    return structuredClone(this.account);
  }
}

function clusters(cluster: OneServiceAccountCluster): KubernetesClusters {
  return { connect: () => cluster as unknown as KubernetesCluster };
}

function serviceAccount(roleArn: string | undefined, managedFields: ManagedFieldsEntry[]): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: 'api',
      namespace: 'payments',
      labels: { team: 'payments' },
      ...(roleArn ? { annotations: { [ROLE_ARN_KEY]: roleArn } } : {}),
      managedFields,
    },
  };
}

describe('managed fields', () => {
  it('tells who owns a field and who else manages the object', () => {
    const account = serviceAccount('arn', [
      annotationOwner('irsa-broker'),
      labelOwner('kubectl'),
      { manager: 'empty', fieldsV1: {} },
    ]);

    expect(managersOwning(account, ['metadata', 'annotations', ROLE_ARN_KEY])).toEqual(['irsa-broker']);
    expect(managersOwning(account, ['metadata', 'labels', 'team'])).toEqual(['kubectl']);
    expect(otherManagers(account, 'irsa-broker')).toEqual(['kubectl']);
  });
});

describe('DeleteRole', () => {
  it('detaches the policies and deletes a role tagged for this binding', async () => {
    const b = binding();
    const roles = new FakeIamRoles();
    ownedRole(roles, b);

    const outcome = await deleteRole(b, b.roleName, {
      roles,
      targetAccounts: new FakeTargetAccounts(),
      config: { ...testWorkflowConfig(), rolePath: ROLE_PATH },
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.detail).toContain('after detaching 1 managed policy');
    expect(await roles.get(b.roleName)).toBeUndefined();
  });

  it.each([
    ['tagged for another binding', () => ownershipTags('b-other'), 'tagged for binding b-other'],
    ['without ownership tags', () => ({ team: 'payments' }), 'no irsa-broker ownership tags'],
    [
      'tagged managed-by only',
      () => ({ 'irsa-broker:managed-by': 'irsa-broker' }),
      'no irsa-broker ownership tags',
    ],
  ])('never touches a role %s', async (_label, tags, why) => {
    const b = binding();
    const roles = new FakeIamRoles();
    const role = ownedRole(roles, b, tags());

    const outcome = await deleteRole(b, b.roleName, {
      roles,
      targetAccounts: new FakeTargetAccounts(),
      config: { ...testWorkflowConfig(), rolePath: ROLE_PATH },
    });

    expect(outcome).toEqual({ status: 'SKIPPED', detail: expect.stringContaining(why) });
    expect(await roles.get(b.roleName)).toEqual(role);
    expect(roles.writes).toEqual([]);
  });

  it('never touches a role off the broker path, even tagged for this binding', async () => {
    const b = binding();
    const roles = new FakeIamRoles();
    ownedRole(roles, b, ownershipTags(b.id), '/');

    const outcome = await deleteRole(b, b.roleName, {
      roles,
      targetAccounts: new FakeTargetAccounts(),
      config: { ...testWorkflowConfig(), rolePath: ROLE_PATH },
    });

    expect(outcome.status).toBe('SKIPPED');
    expect(outcome.detail).toContain('not irsa-broker');
    expect(await roles.get(b.roleName)).toBeDefined();
  });

  it('reads the tags again before deleting: a role taken over meanwhile stays', async () => {
    const b = binding();
    const roles = new FakeIamRoles();
    ownedRole(roles, b);
    const detach = roles.detachPolicy.bind(roles);
    roles.detachPolicy = async (name, arn) => {
      await detach(name, arn);
      await roles.tag(name, ownershipTags('b-newer'));
    };

    const outcome = await deleteRole(b, b.roleName, {
      roles,
      targetAccounts: new FakeTargetAccounts(),
      config: { ...testWorkflowConfig(), rolePath: ROLE_PATH },
    });

    expect(outcome.status).toBe('SKIPPED');
    expect(outcome.detail).toContain('changed hands');
    expect(await roles.get(b.roleName)).toBeDefined();
  });

  it('skips a role that does not exist', async () => {
    const b = binding();
    const outcome = await deleteRole(b, b.roleName, {
      roles: new FakeIamRoles(),
      targetAccounts: new FakeTargetAccounts(),
      config: { ...testWorkflowConfig(), rolePath: ROLE_PATH },
    });
    expect(outcome).toEqual({ status: 'SKIPPED', detail: `IAM role ${b.roleName} does not exist` });
  });
});

describe('RemoveServiceAccountBinding', () => {
  const roleArn = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-demo-payments-api-1a2b3c4d';

  it('deletes a ServiceAccount this binding created when no other manager has fields in it', async () => {
    const b = binding();
    const cluster = new OneServiceAccountCluster(serviceAccount(roleArn, [annotationOwner('irsa-broker')]));
    const roles = new FakeIamRoles();
    ownedRole(roles, b);

    const outcome = await removeServiceAccountBinding(
      b,
      connection,
      { roleArn, created: true },
      { kubernetes: clusters(cluster), roles },
    );

    expect(outcome.status).toBe('SUCCEEDED');
    expect(cluster.deleted).toBe(true);
  });

  it.each([
    ['existed before the binding', false, [annotationOwner('irsa-broker'), labelOwner('kubectl')]],
    [
      'was created by it but another manager added fields',
      true,
      [annotationOwner('irsa-broker'), labelOwner('kubectl')],
    ],
  ])('only removes the annotation from a ServiceAccount that %s', async (_label, created, managed) => {
    const b = binding();
    const cluster = new OneServiceAccountCluster(serviceAccount(roleArn, managed));
    const roles = new FakeIamRoles();
    ownedRole(roles, b);

    const outcome = await removeServiceAccountBinding(
      b,
      connection,
      { roleArn, created },
      { kubernetes: clusters(cluster), roles },
    );

    expect(outcome.status).toBe('SUCCEEDED');
    expect(cluster.deleted).toBe(false);
    expect(cluster.applied).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'api', namespace: 'payments' } },
    ]);
    expect(cluster.account?.metadata.annotations?.[ROLE_ARN_KEY]).toBeUndefined();
    expect(cluster.account?.metadata.labels).toEqual({ team: 'payments' });
  });

  it.each([
    [
      'names another role',
      'arn:aws:iam::111122223333:role/other',
      [annotationOwner('irsa-broker')],
      'not this binding',
    ],
    ['is owned by another field manager', roleArn, [annotationOwner('gitops')], 'managed by gitops'],
  ])('leaves an annotation that %s unchanged', async (_label, annotated, managed, why) => {
    const b = binding();
    const cluster = new OneServiceAccountCluster(serviceAccount(annotated, managed));
    const roles = new FakeIamRoles();
    ownedRole(roles, b);

    const outcome = await removeServiceAccountBinding(
      b,
      connection,
      { roleArn, created: false },
      { kubernetes: clusters(cluster), roles },
    );

    expect(outcome.status).toBe('SKIPPED');
    expect(outcome.detail).toContain(why);
    expect(cluster.applied).toEqual([]);
    expect(cluster.account?.metadata.annotations?.[ROLE_ARN_KEY]).toBe(annotated);
  });

  it('leaves the annotation when a newer binding took the role over', async () => {
    const b = binding();
    const cluster = new OneServiceAccountCluster(serviceAccount(roleArn, [annotationOwner('irsa-broker')]));
    const roles = new FakeIamRoles();
    ownedRole(roles, b, ownershipTags('b-newer'));

    const outcome = await removeServiceAccountBinding(
      b,
      connection,
      { roleArn, created: true },
      { kubernetes: clusters(cluster), roles },
    );

    expect(outcome.status).toBe('SKIPPED');
    expect(outcome.detail).toContain('belongs to binding b-newer');
    expect(cluster.deleted).toBe(false);
  });

  it('skips when the binding never got a role (and so never annotated anything)', async () => {
    const cluster = new OneServiceAccountCluster(serviceAccount(roleArn, [annotationOwner('irsa-broker')]));
    const outcome = await removeServiceAccountBinding(
      binding(),
      connection,
      { roleArn: undefined, created: false },
      { kubernetes: clusters(cluster), roles: new FakeIamRoles() },
    );
    expect(outcome.status).toBe('SKIPPED');
    expect(cluster.account).toBeDefined();
  });
});

describe('the unbind step frame', () => {
  it('records a rollback step SKIPPED without running it when the binding asked keepOnFailure', async () => {
    const b: Binding = { ...pendingBinding({ keepOnFailure: true }), status: 'RUNNING' };
    const store = new InMemoryBindingStore(b);
    let ran = false;

    const outcome = await runUnbindStep(
      'rollback',
      'role',
      b.id,
      { store, clock: new FakeClock() },
      async () => {
        ran = true;
        return { status: 'SUCCEEDED', detail: 'deleted' };
      },
    );

    expect(ran).toBe(false);
    expect(outcome.status).toBe('SKIPPED');
    expect((await store.get(b.id))?.steps.find((s) => s.name === 'RollbackRole')).toMatchObject({
      status: 'SKIPPED',
      detail: expect.stringContaining('keepOnFailure'),
    });
  });

  it('runs an unbind step only on a DELETING binding', async () => {
    const b: Binding = { ...pendingBinding(), status: 'SUCCEEDED' };
    const store = new InMemoryBindingStore(b);

    const attempt = runUnbindStep('unbind', 'role', b.id, { store, clock: new FakeClock() }, async () => ({
      status: 'SUCCEEDED',
      detail: 'deleted',
    }));

    await expect(attempt).rejects.toThrow('runs only on a DELETING binding');
  });

  it('records the step FAILED with the error and hands the error on under its name', async () => {
    const b = binding();
    const store = new InMemoryBindingStore(b);
    const failure = Object.assign(new Error('access denied'), { name: 'KubernetesAccessDenied' });

    const attempt = runUnbindStep(
      'unbind',
      'serviceAccount',
      b.id,
      { store, clock: new FakeClock() },
      async () => {
        throw failure;
      },
    );

    await expect(attempt).rejects.toBe(failure);
    expect(
      (await store.get(b.id))?.steps.find((s) => s.name === 'RemoveServiceAccountBinding'),
    ).toMatchObject({
      status: 'FAILED',
      detail: 'KubernetesAccessDenied: access denied',
    });
  });
});
