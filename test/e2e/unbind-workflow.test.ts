// Unbind and rollback end to end: HTTP API → unbind / bind state machines → step handlers → sandbox AWS
// and clusters. One system per file: a process hosts one local runtime.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRoleCommand, ListRoleTagsCommand, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { createEksToken } from '../../lib/adapters/kubernetes/eks-token.js';
import { BINDING_ID_TAG } from '../../lib/domain/ownership.js';
import {
  type BindingView,
  bindingRequest,
  startTestSystem,
  stepStatuses,
  type TestSystem,
} from './system.js';

const ROLE_ARN = 'eks.amazonaws.com/role-arn';

let system: TestSystem;
let store: DynamoDbBindingStore;

/** The demo cluster as an operator with kubectl sees it: its own field managers, not irsa-broker's. */
async function operatorApi(): Promise<CoreV1Api> {
  const description = system.cloud.describeClusters().find((c) => c.name === 'demo');
  if (!description) throw new Error('no sandbox cluster demo');
  const credentials = system.cloud.account.brokerCredentials;
  const { token } = await createEksToken({
    clusterName: 'demo',
    region: description.region,
    credentials: async () => credentials,
    now: new Date(),
  });
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'demo', server: description.endpoint, caData: description.certificateAuthorityData }],
    users: [{ name: 'operator', token }],
    contexts: [{ name: 'demo', cluster: 'demo', user: 'operator' }],
    currentContext: 'demo',
  });
  return config.makeApiClient(CoreV1Api);
}

async function ensureNamespace(api: CoreV1Api, name: string): Promise<void> {
  try {
    await api.readNamespace({ name });
  } catch {
    await api.createNamespace({ body: { metadata: { name } }, fieldManager: 'kubectl-create' });
  }
}

async function serviceAccount(namespace: string, name: string) {
  const api = await operatorApi();
  try {
    return await api.readNamespacedServiceAccount({ namespace, name });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}

async function roleExists(roleName: string): Promise<boolean> {
  try {
    await system.iam.send(new GetRoleCommand({ RoleName: roleName }));
    return true;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchEntity' || name === 'NoSuchEntityException') return false;
    throw error;
  }
}

function roleNameOf(binding: BindingView): string {
  const name = binding.outputs?.roleArn?.split('/').pop();
  if (!name) throw new Error(`binding ${binding.id} has no role ARN`);
  return name;
}

async function httpDelete(id: string): Promise<{ status: number; json: BindingView & { detail?: string } }> {
  const response = await fetch(`${system.url}/v1/bindings/${id}`, { method: 'DELETE' });
  return { status: response.status, json: (await response.json()) as BindingView & { detail?: string } };
}

async function bound(request: Record<string, unknown>): Promise<BindingView> {
  const created = await system.post(request);
  expect(created.status).toBe(202);
  const done = await system.waitFor(created.json.id);
  expect(done.status).toBe('SUCCEEDED');
  return done;
}

async function unbound(id: string): Promise<BindingView> {
  const accepted = await httpDelete(id);
  expect(accepted.status).toBe(202);
  expect(accepted.json.status).toBe('DELETING');
  return system.waitFor(id, (b) => b.status === 'DELETED' || b.status === 'FAILED');
}

beforeAll(async () => {
  // Pods take a moment to start, so a binding is observably RUNNING for a while.
  system = await startTestSystem({ sandbox: { podStartDelayMs: 400 } });
  store = new DynamoDbBindingStore({
    client: new DynamoDBClient({
      region: 'us-east-1',
      endpoint: system.runtime.dynamodbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    tableName: system.runtime.tableName,
  });
});

afterAll(async () => {
  await system?.stop();
});

describe('unbind on the sandbox', () => {
  it('keeps a ServiceAccount that existed before (annotation removed) and deletes the role', async () => {
    // Prepare: the team created the ServiceAccount with kubectl, with a label of its own.
    const request = bindingRequest({ namespace: 'team-pre' });
    const api = await operatorApi();
    await ensureNamespace(api, request.namespace);
    await api.createNamespacedServiceAccount({
      namespace: request.namespace,
      body: { metadata: { name: request.serviceAccountName, labels: { team: 'payments' } } },
      fieldManager: 'kubectl-create',
    });
    const binding = await bound(request);
    const roleName = roleNameOf(binding);
    expect(
      (await serviceAccount(request.namespace, request.serviceAccountName))?.metadata?.annotations?.[
        ROLE_ARN
      ],
    ).toBe(binding.outputs?.roleArn);

    // Act
    const done = await unbound(binding.id);

    // Assess
    expect(done.status).toBe('DELETED');
    expect(stepStatuses(done)).toMatchObject({
      DeleteTestPods: 'SKIPPED',
      RemoveServiceAccountBinding: 'SUCCEEDED',
      DeleteRole: 'SUCCEEDED',
      RecordUnbind: 'SUCCEEDED',
    });
    const account = await serviceAccount(request.namespace, request.serviceAccountName);
    expect(account).toBeDefined();
    expect(account?.metadata?.annotations?.[ROLE_ARN]).toBeUndefined();
    expect(account?.metadata?.labels?.team).toBe('payments');
    expect(await roleExists(roleName)).toBe(false);
    // The audit trail: who asked, then the workflow, with times.
    const events = await store.listEvents(binding.id);
    const deleting = events.find((e) => e.to === 'DELETING');
    const deleted = events.find((e) => e.to === 'DELETED');
    expect(deleting).toMatchObject({ from: 'SUCCEEDED', actor: 'anonymous' });
    expect(deleted).toMatchObject({ from: 'DELETING', actor: 'unbind-workflow' });
    expect(Date.parse(deleted?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(deleting?.at ?? ''));
  });

  it('deletes both the ServiceAccount and the role when irsa-broker created the ServiceAccount', async () => {
    const request = bindingRequest({ namespace: 'team-new' });
    const binding = await bound(request);
    const roleName = roleNameOf(binding);
    expect(binding.outputs).toMatchObject({ serviceAccountCreated: true });

    const done = await unbound(binding.id);

    expect(done.status).toBe('DELETED');
    expect(done.steps.find((s) => s.name === 'RemoveServiceAccountBinding')?.detail).toContain('deleted');
    expect(await serviceAccount(request.namespace, request.serviceAccountName)).toBeUndefined();
    expect(await roleExists(roleName)).toBe(false);
  });

  it.each([
    ['tagged by another binding', { retag: 'b-someoneelse' }],
    ['tagged by no one', { retag: undefined }],
  ])('never deletes a role %s', async (_label, { retag }) => {
    // Prepare: after the bind, the role's binding tag is changed by hand.
    const binding = await bound(bindingRequest({ namespace: 'team-tags' }));
    const roleName = roleNameOf(binding);
    if (retag) {
      await system.iam.send(
        new TagRoleCommand({ RoleName: roleName, Tags: [{ Key: BINDING_ID_TAG, Value: retag }] }),
      );
    } else {
      await system.iam.send(new UntagRoleCommand({ RoleName: roleName, TagKeys: [BINDING_ID_TAG] }));
    }

    // Act
    const done = await unbound(binding.id);

    // Assess
    expect(done.status).toBe('DELETED');
    const step = done.steps.find((s) => s.name === 'DeleteRole');
    expect(step?.status).toBe('SKIPPED');
    expect(step?.detail).toContain(retag ? `tagged for binding ${retag}` : 'no irsa-broker ownership tags');
    expect(await roleExists(roleName)).toBe(true);
    const tags = await system.iam.send(new ListRoleTagsCommand({ RoleName: roleName }));
    expect(tags.Tags?.find((t) => t.Key === BINDING_ID_TAG)?.Value).toBe(retag);
  });

  it('returns a DELETED binding unchanged with 200, and 404 for an unknown id', async () => {
    const binding = await bound(bindingRequest({ namespace: 'team-again' }));
    const done = await unbound(binding.id);

    const again = await httpDelete(binding.id);
    const unknown = await httpDelete('b-01jzzzzzzzzzzzzzzzzzzzzzzz');

    expect(again.status).toBe(200);
    expect(again.json).toEqual(done);
    expect(unknown.status).toBe(404);
  });

  it('refuses DELETE while the bind runs (409) and accepts a new binding once the old one is DELETED', async () => {
    // Prepare
    const request = bindingRequest({ namespace: 'team-slot' });
    const created = await system.post(request);
    const running = await system.waitFor(
      created.json.id,
      (b) => b.status === 'RUNNING' || b.status === 'SUCCEEDED' || b.status === 'FAILED',
    );
    expect(running.status).toBe('RUNNING');

    // Act
    const refused = await httpDelete(created.json.id);
    const whileActive = await system.post(request);

    // Assess
    expect(refused.status).toBe(409);
    expect(refused.json.detail).toContain('RUNNING');
    expect(whileActive.status).toBe(409);
    expect((await system.waitFor(created.json.id)).status).toBe('SUCCEEDED');

    // Act: once DELETED, the same service account can be bound again.
    expect((await unbound(created.json.id)).status).toBe('DELETED');
    const second = await system.post(request);

    // Assess
    expect(second.status).toBe(202);
    expect(second.json.id).not.toBe(created.json.id);
    const done = await system.waitFor(second.json.id);
    expect(done.status).toBe('SUCCEEDED');
    expect((await system.get(created.json.id)).status).toBe('DELETED');
  });
});

describe('rollback of a failed bind on the sandbox', () => {
  /** The team's GitOps tool owns the role-arn annotation: irsa-broker's apply conflicts on it. */
  async function foreignAnnotation(namespace: string, name: string): Promise<void> {
    const api = await operatorApi();
    await ensureNamespace(api, namespace);
    await api.patchNamespacedServiceAccount(
      {
        namespace,
        name,
        body: {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: {
            name,
            namespace,
            annotations: { [ROLE_ARN]: 'arn:aws:iam::111122223333:role/gitops-owned' },
          },
        },
        fieldManager: 'gitops',
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  }

  it('leaves no role behind when the bind fails at ApplyServiceAccount', async () => {
    // Prepare
    const request = bindingRequest({ namespace: 'team-conflict' });
    await foreignAnnotation(request.namespace, request.serviceAccountName);

    // Act
    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    // Assess
    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'ApplyServiceAccount', code: 'FieldOwnershipConflict' });
    expect(stepStatuses(done)).toMatchObject({
      EnsureRole: 'SUCCEEDED',
      ApplyServiceAccount: 'FAILED',
      VerifyIdentity: 'PENDING',
      RollbackTestPods: 'SKIPPED',
      RollbackServiceAccount: 'SKIPPED',
      RollbackRole: 'SUCCEEDED',
    });
    expect(await roleExists(String(done.roleName))).toBe(false);
    // The other manager's annotation is untouched.
    const account = await serviceAccount(request.namespace, request.serviceAccountName);
    expect(account?.metadata?.annotations?.[ROLE_ARN]).toBe('arn:aws:iam::111122223333:role/gitops-owned');
  });

  it('resolves a concurrent DELETE and retry of one FAILED binding to one winner and a 409', async () => {
    // Prepare: a binding that failed (and rolled back) at ApplyServiceAccount.
    const request = bindingRequest({ namespace: 'team-race' });
    await foreignAnnotation(request.namespace, request.serviceAccountName);
    const created = await system.post(request);
    expect((await system.waitFor(created.json.id)).status).toBe('FAILED');

    // Act
    const [deleted, retried] = await Promise.all([
      httpDelete(created.json.id),
      fetch(`${system.url}/v1/bindings/${created.json.id}/retry`, { method: 'POST' }),
    ]);

    // Assess: exactly one of them was accepted; the binding went the winner's way.
    expect([deleted.status, retried.status].sort()).toEqual([202, 409]);
    const settled = await system.waitFor(created.json.id, (b) =>
      ['DELETED', 'FAILED', 'SUCCEEDED'].includes(b.status),
    );
    expect(settled.status).toBe(deleted.status === 202 ? 'DELETED' : 'FAILED');
  });

  it('keeps what it created when the request asked keepOnFailure: true', async () => {
    const request = bindingRequest({ namespace: 'team-keep', keepOnFailure: true });
    await foreignAnnotation(request.namespace, request.serviceAccountName);

    const created = await system.post(request);
    const done = await system.waitFor(created.json.id);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ step: 'ApplyServiceAccount', code: 'FieldOwnershipConflict' });
    expect(stepStatuses(done)).toMatchObject({
      EnsureRole: 'SUCCEEDED',
      RollbackTestPods: 'SKIPPED',
      RollbackServiceAccount: 'SKIPPED',
      RollbackRole: 'SKIPPED',
    });
    expect(done.steps.find((s) => s.name === 'RollbackRole')?.detail).toContain('keepOnFailure');
    expect(await roleExists(String(done.roleName))).toBe(true);

    // A DELETE of the FAILED binding removes the role it kept.
    const deleted = await unbound(done.id);
    expect(deleted.status).toBe('DELETED');
    expect(await roleExists(String(done.roleName))).toBe(false);
  });
});
