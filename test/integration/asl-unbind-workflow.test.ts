// statemachines/unbind.asl.yaml as the local runtime runs it: placeholders resolved from serverless.yml,
// validated with asl-validator, and executed by aws-local-stepfunctions over the real unbind step handlers
// with in-memory fakes behind the ports.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { StepDependencies } from '../../lib/composition/step-dependencies.js';
import { createUnbindStepHandlers } from '../../lib/composition/unbind-step-handlers.js';
import type { Binding } from '../../lib/domain/binding.js';
import { KubernetesAccessDeniedError, TransientError } from '../../lib/domain/errors.js';
import { ownershipTags } from '../../lib/domain/ownership.js';
import { loadServiceConfig } from '../../lib/local/serverless-config.js';
import { loadStateMachineDefinition } from '../../lib/local/state-machine-definition.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { clusterInfo, FakeEksClusters } from '../support/fakes/fake-eks.js';
import { FakeIamRoles } from '../support/fakes/fake-iam.js';
import { FakeWorkloadCluster, FakeWorkloadClusters } from '../support/fakes/fake-workload-cluster.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';
import { runnerOverHandlers, type StepHandler } from './asl-runner.js';

type AslValidator = (
  definition: unknown,
  options: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: unknown[] };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

const rootDir = fileURLToPath(new URL('../../', import.meta.url));
const region = 'us-east-1';
const accountId = '111122223333';
const functionArn = (key: string) =>
  `arn:aws:lambda:${region}:${accountId}:function:irsa-broker-local-${key}`;

let definition: StateMachineDefinition;

beforeAll(async () => {
  const config = await loadServiceConfig({ rootDir, stage: 'local', region });
  definition = await loadStateMachineDefinition(config, 'unbind', {
    functionArn,
    tableName: 'irsa-broker-local-bindings',
  });
});

interface States {
  [name: string]: {
    Type: string;
    TimeoutSeconds?: number;
    Retry?: { ErrorEquals: string[]; JitterStrategy?: string }[];
    Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  };
}

/** A SUCCEEDED binding now DELETING: its role, the ServiceAccount it created and a leftover test pod. */
function world() {
  const base = pendingBinding();
  const roles = new FakeIamRoles();
  const role = roles.put({
    name: base.roleName,
    path: '/irsa-broker/',
    trustPolicy: { Version: '2012-10-17', Statement: [] },
    tags: ownershipTags(base.id),
    attachedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  });
  const binding: Binding = {
    ...base,
    status: 'DELETING',
    steps: base.steps.map((s) => ({ ...s, status: 'SUCCEEDED' })),
    outputs: { roleArn: role.arn, serviceAccountCreated: true },
  };
  const store = new InMemoryBindingStore(binding);
  const k8s = new FakeWorkloadCluster(['default', binding.namespace]);
  k8s.put(
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: binding.serviceAccountName,
        namespace: binding.namespace,
        annotations: { 'eks.amazonaws.com/role-arn': role.arn },
      },
    },
    'irsa-broker',
  );
  k8s.put({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'irsa-verify-left-1',
      namespace: binding.namespace,
      labels: { 'irsa-broker/binding': binding.id, 'app.kubernetes.io/managed-by': 'irsa-broker' },
    },
  });
  const deps = {
    config: testWorkflowConfig(),
    store,
    clock: new FakeClock(),
    clusters: new FakeEksClusters().add(clusterInfo()),
    roles,
    kubernetes: new FakeWorkloadClusters(k8s),
  } as unknown as StepDependencies;
  const handlers = createUnbindStepHandlers(deps) as unknown as Record<string, StepHandler>;
  const { runner, invoked } = runnerOverHandlers({
    name: 'irsa-broker-local-unbind',
    definition,
    region,
    accountId,
    functionArn,
    handlers,
  });
  const run = () => runner.start({ bindingId: binding.id }).done;
  return { binding, store, roles, k8s, run, invoked };
}

const steps = (b: Binding | undefined) => Object.fromEntries((b?.steps ?? []).map((s) => [s.name, s.status]));

describe('unbind.asl.yaml', () => {
  it('is valid ASL once serverless.yml placeholders are resolved', () => {
    const result = validateAsl(structuredClone(definition), { checkPaths: true, checkArn: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('gives every Task a timeout and a catch-all into RecordUnbindFailure, and retries only what can pass', () => {
    const states = definition.States as unknown as States;
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    const retryable = new Set([
      'Transient',
      'Throttled',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Sandbox.Timedout',
    ]);

    expect(tasks.map(([name]) => name)).toEqual([
      'DeleteTestPods',
      'DeletePodIdentityAssociation',
      'RemoveServiceAccountBinding',
      'DeleteRole',
      'RecordUnbind',
      'RecordUnbindFailure',
    ]);
    for (const [name, task] of tasks) {
      expect([name, typeof task.TimeoutSeconds]).toEqual([name, 'number']);
      for (const retrier of task.Retry ?? []) {
        expect([name, retrier.ErrorEquals.filter((e) => !retryable.has(e)), retrier.JitterStrategy]).toEqual([
          name,
          [],
          'FULL',
        ]);
      }
      if (name !== 'RecordUnbindFailure') {
        expect([name, task.Catch]).toEqual([
          name,
          [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordUnbindFailure' }],
        ]);
      }
    }
  });

  it('removes the test pod, the ServiceAccount it created and its role, and records DELETED with every step', async () => {
    const { binding, store, roles, k8s, run, invoked } = world();

    const execution = await run();

    expect(execution.status).toBe('SUCCEEDED');
    expect(invoked).toEqual([
      'deleteTestPods',
      'deletePodIdentityAssociation',
      'removeServiceAccountBinding',
      'deleteRole',
      'recordUnbind',
    ]);
    const stored = await store.get(binding.id);
    expect(stored?.status).toBe('DELETED');
    expect(steps(stored)).toMatchObject({
      DeleteTestPods: 'SUCCEEDED',
      RemoveServiceAccountBinding: 'SUCCEEDED',
      DeleteRole: 'SUCCEEDED',
      RecordUnbind: 'SUCCEEDED',
    });
    expect(await roles.get(binding.roleName)).toBeUndefined();
    expect(
      await k8s.get({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        namespace: binding.namespace,
        name: binding.serviceAccountName,
      }),
    ).toBeUndefined();
    expect(await k8s.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: binding.namespace })).toEqual([]);
    expect(store.events.at(-1)).toMatchObject({ from: 'DELETING', to: 'DELETED', actor: 'unbind-workflow' });
  });

  it('retries a transient failure and still ends DELETED', async () => {
    const { binding, store, roles, run } = world();
    let failures = 2;
    const remove = roles.delete.bind(roles);
    roles.delete = async (name) => {
      if (failures-- > 0) throw new TransientError('IAM is busy');
      return remove(name);
    };

    const execution = await run();

    expect(execution.status).toBe('SUCCEEDED');
    expect((await store.get(binding.id))?.status).toBe('DELETED');
    expect(await roles.get(binding.roleName)).toBeUndefined();
  });

  it('stops at the first final failure, keeps the role, and records FAILED with the step and code', async () => {
    const { binding, store, roles, k8s, run, invoked } = world();
    const list = k8s.list.bind(k8s);
    k8s.list = async (kind, options) => {
      if (kind.kind === 'Pod') throw new KubernetesAccessDeniedError('pods is forbidden for irsa-broker');
      return list(kind, options);
    };

    const execution = await run();

    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('UnbindFailed');
    expect(invoked).toEqual(['deleteTestPods', 'recordUnbind']);
    const stored = await store.get(binding.id);
    expect(stored?.status).toBe('FAILED');
    expect(stored?.error).toEqual({
      step: 'DeleteTestPods',
      code: 'KubernetesAccessDenied',
      message: 'pods is forbidden for irsa-broker',
    });
    expect(steps(stored)).toMatchObject({ DeleteTestPods: 'FAILED', RecordUnbind: 'FAILED' });
    expect(await roles.get(binding.roleName)).toBeDefined();
  });
});
