// statemachines/bind.asl.yaml as the local runtime runs it: placeholders resolved from serverless.yml,
// validated with asl-validator, and executed by aws-local-stepfunctions over the real step handlers with
// in-memory fakes behind the ports.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { WebCryptoServingKeyGenerator } from '../../lib/adapters/crypto/webcrypto-serving-key-generator.js';
import { DynamoDbBindingStore } from '../../lib/adapters/dynamodb/dynamodb-binding-store.js';
import { createStepHandlers } from '../../lib/composition/bind-step-handlers.js';
import type { StepDependencies } from '../../lib/composition/step-dependencies.js';
import { createUnbindStepHandlers } from '../../lib/composition/unbind-step-handlers.js';
import { BIND_STEPS, type Binding } from '../../lib/domain/binding.js';
import { TransientError } from '../../lib/domain/errors.js';
import { loadServiceConfig, type ServiceConfig } from '../../lib/local/serverless-config.js';
import { loadStateMachineDefinition } from '../../lib/local/state-machine-definition.js';
import type { BindingStore } from '../../lib/ports/binding-store.js';
import { FakeClock } from '../support/fakes/fake-clock.js';
import { clusterInfo, FakeEksClusters, FakeEksPodIdentity } from '../support/fakes/fake-eks.js';
import {
  FakeIamManagedPolicies,
  FakeIamRoles,
  FakeOidcProviders,
  FakeTargetAccounts,
} from '../support/fakes/fake-iam.js';
import { FakeWorkloadCluster, FakeWorkloadClusters } from '../support/fakes/fake-workload-cluster.js';
import { InMemoryBindingStore, pendingBinding } from '../support/fakes/in-memory-binding-store.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';
import { runnerOverHandlers, type StepHandler } from './asl-runner.js';
import { dynamoDbLocalClient, freshTable, newBinding } from './store-fixtures.js';

type AslValidator = (
  definition: unknown,
  options: { checkPaths: boolean; checkArn: boolean },
) => { isValid: boolean; errors: unknown[] };
const validateAsl = createRequire(import.meta.url)('asl-validator') as AslValidator;

const rootDir = fileURLToPath(new URL('../../', import.meta.url));
const region = 'us-east-1';
const accountId = '111122223333';
const functionArn = (key: string) => `arn:aws:lambda:${region}:${accountId}:function:irsa-broker-test-${key}`;

let config: ServiceConfig;
let definition: StateMachineDefinition;

beforeAll(async () => {
  config = await loadServiceConfig({
    rootDir,
    stage: 'test',
    region,
    // Required for every deployed stage, as `--param` gives it to `serverless package`.
    params: { permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/irsa-broker/test-boundary' },
  });
  definition = await loadStateMachineDefinition(config, 'bind', {
    functionArn,
    tableName: 'irsa-broker-test-bindings',
  });
});

interface States {
  [name: string]: {
    Type: string;
    Resource?: string;
    TimeoutSeconds?: number;
    Retry?: {
      ErrorEquals: string[];
      MaxDelaySeconds?: number;
      JitterStrategy?: string;
      BackoffRate?: number;
    }[];
    Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  };
}

function world(
  options: { binding?: Binding; workflowEnv?: Record<string, string>; store?: BindingStore } = {},
) {
  const binding = options.binding ?? pendingBinding();
  const store = options.store ?? new InMemoryBindingStore(binding);
  const clusters = new FakeEksClusters().add(clusterInfo());
  const roles = new FakeIamRoles();
  const podIdentity = new FakeEksPodIdentity();
  const oidcProviders = new FakeOidcProviders();
  const k8s = new FakeWorkloadCluster(['default', 'kube-system', binding.namespace]);
  // EKS ≥ 1.21: the webhook is built into the control plane.
  k8s.put({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'pod-identity-webhook' },
    webhooks: [
      { name: 'iam-for-pods.amazonaws.com', clientConfig: { url: 'https://127.0.0.1:23443/mutate' } },
    ],
  });
  const deps: StepDependencies = {
    config: testWorkflowConfig(options.workflowEnv),
    store,
    clock: new FakeClock(),
    clusters,
    podIdentity,
    roles,
    policies: new FakeIamManagedPolicies(),
    oidcProviders,
    targetAccounts: new FakeTargetAccounts(),
    kubernetes: new FakeWorkloadClusters(k8s),
    keys: new WebCryptoServingKeyGenerator(),
  };
  k8s.podOutcome = () => ({
    phase: 'Succeeded',
    log: JSON.stringify({
      UserId: 'AROAEXAMPLE:botocore-session-1',
      Account: accountId,
      Arn: `arn:aws:sts::${accountId}:assumed-role/${binding.roleName}/botocore-session-1`,
    }),
  });
  // The rollback branch runs the unbind steps.
  const handlers = { ...createStepHandlers(deps), ...createUnbindStepHandlers(deps) } as unknown as Record<
    string,
    StepHandler
  >;
  const { runner, invoked } = runnerOverHandlers({
    name: 'irsa-broker-test-bind',
    definition,
    region,
    accountId,
    functionArn,
    handlers,
  });
  const run = () => runner.start({ bindingId: binding.id }).done;
  return { binding, store, clusters, podIdentity, roles, oidcProviders, k8s, deps, runner, run, invoked };
}

describe('bind.asl.yaml', () => {
  it('is valid ASL once serverless.yml placeholders are resolved (asl-validator, checkPaths and checkArn)', () => {
    const result = validateAsl(structuredClone(definition), { checkPaths: true, checkArn: true });

    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('gives every Task a timeout, a catch-all into the rollback, and retries only errors that can pass', () => {
    const states = definition.States as unknown as States;
    const retryable = new Set([
      'Transient',
      'Throttled',
      'NotYet',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Sandbox.Timedout',
    ]);
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');

    expect(tasks.map(([name]) => name)).toEqual([
      'DescribeCluster',
      'EnsureOidcProvider',
      'EnsureRole',
      'EnsureWebhook',
      'ApproveCsr',
      'EnsurePodIdentityAssociation',
      'ApplyServiceAccount',
      'VerifyIdentity',
      'RecordOutcome',
      'RollbackTestPods',
      'RollbackPodIdentityAssociation',
      'RollbackServiceAccount',
      'RollbackRole',
      'RecordFailure',
    ]);
    for (const [name, task] of tasks) {
      expect([name, task.TimeoutSeconds]).toEqual([name, expect.any(Number)]);
      for (const retrier of task.Retry ?? []) {
        expect([name, retrier.ErrorEquals.filter((e) => !retryable.has(e))]).toEqual([name, []]);
        expect([name, retrier.JitterStrategy, typeof retrier.MaxDelaySeconds]).toEqual([
          name,
          'FULL',
          'number',
        ]);
      }
      // A bind step's failure rolls back; the outcome record and the rollback go on to RecordFailure.
      const next: Record<string, string> = {
        RecordOutcome: 'RecordFailure',
        RollbackTestPods: 'RollbackPodIdentityAssociation',
        RollbackPodIdentityAssociation: 'RollbackServiceAccount',
        RollbackServiceAccount: 'RollbackRole',
        RollbackRole: 'RecordFailure',
      };
      if (name !== 'RecordFailure') {
        expect([name, task.Catch]).toEqual([
          name,
          [
            {
              ErrorEquals: ['States.ALL'],
              // A failed rollback step must not overwrite the error the binding failed with.
              ResultPath: name.startsWith('Rollback')
                ? `$.${name[0]?.toLowerCase()}${name.slice(1)}Error`
                : '$.error',
              Next: next[name] ?? 'Rollback',
            },
          ],
        ]);
      }
    }
    expect(states.Rollback).toMatchObject({ Type: 'Pass', Result: 'rollback', ResultPath: '$.phase' });
    const pollers = tasks.filter(([, task]) => task.Retry?.some((r) => r.ErrorEquals.includes('NotYet')));
    expect(pollers.map(([name]) => name)).toEqual([
      'ApproveCsr',
      'EnsurePodIdentityAssociation',
      'VerifyIdentity',
    ]);
  });

  it('binds on a cluster with the built-in webhook in 8 state transitions and records every step', async () => {
    // Prepare
    const { binding, store, run, roles } = world();

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stats.stateTransitions).toBe(8);
    expect(execution.stats.stateTransitions).toBeLessThanOrEqual(20);
    const stored = await store.get(binding.id);
    const role = await roles.get(binding.roleName);
    expect(stored?.status).toBe('SUCCEEDED');
    expect(stored?.outputs).toEqual({
      mode: 'irsa',
      serviceAccountCreated: true,
      roleArn: role?.arn,
      oidcProviderArn: expect.stringMatching(/^arn:aws:iam::111122223333:oidc-provider\/oidc\.eks\./),
      trustPolicy: role?.trustPolicy,
      verification: {
        arn: `arn:aws:sts::${accountId}:assumed-role/${binding.roleName}/botocore-session-1`,
        account: accountId,
        userId: 'AROAEXAMPLE:botocore-session-1',
      },
    });
    expect(stored?.steps.map((s) => [s.name, s.status])).toEqual([
      ['DescribeCluster', 'SUCCEEDED'],
      ['EnsureOidcProvider', 'SUCCEEDED'],
      ['EnsureRole', 'SUCCEEDED'],
      ['EnsureWebhook', 'SKIPPED'],
      ['ApproveCsr', 'SKIPPED'],
      ['EnsurePodIdentityAssociation', 'SKIPPED'],
      ['ApplyServiceAccount', 'SUCCEEDED'],
      ['VerifyIdentity', 'SUCCEEDED'],
    ]);
    // A step the state machine routed around was never started; it still says when and why it was skipped.
    expect(
      stored?.steps.every((s) => (s.startedAt || s.status === 'SKIPPED') && s.finishedAt && s.detail),
    ).toBe(true);
    expect(stored?.steps.find((s) => s.name === 'EnsurePodIdentityAssociation')?.detail).toBe(
      'irsa mode: no Pod Identity association',
    );
    expect(stored?.steps.find((s) => s.name === 'EnsureRole')?.detail).toBe(`created ${role?.arn}`);
  });

  it('records progress and the outcome through the DynamoDB store (DynamoDB Local)', async () => {
    // Prepare
    const client = dynamoDbLocalClient();
    const store = new DynamoDbBindingStore({ client, tableName: await freshTable(client, 'asl-bind') });
    const binding = newBinding({
      roleName: 'irsa-demo-payments-api-1a2b3c4d',
      namespace: 'payments',
      serviceAccountName: 'api',
      clusterName: 'demo',
      region,
    });
    await store.create(binding);
    const { run, roles } = world({ binding, store });

    // Act
    const execution = await run();

    // Assess
    const stored = await store.get(binding.id);
    const events = await store.listEvents(binding.id);
    client.destroy();
    expect(execution.status).toBe('SUCCEEDED');
    expect(stored?.status).toBe('SUCCEEDED');
    expect(stored?.outputs?.roleArn).toBe((await roles.get(binding.roleName))?.arn);
    expect(stored?.outputs?.verification?.arn).toContain(`assumed-role/${binding.roleName}/`);
    expect(stored?.steps.map((s) => s.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(events.map((e) => [e.from, e.to])).toEqual(
      expect.arrayContaining([
        ['PENDING', 'RUNNING'],
        ['RUNNING', 'SUCCEEDED'],
      ]),
    );
  });

  it('catches a final error into RecordFailure without retrying it: unknown cluster → FAILED ClusterNotFound', async () => {
    // Prepare
    const { binding, store, run, invoked } = world({ binding: pendingBinding({ clusterName: 'nope' }) });

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('BindingFailed');
    expect(invoked).toEqual([
      'describeCluster',
      'deleteTestPods',
      'deletePodIdentityAssociation',
      'removeServiceAccountBinding',
      'deleteRole',
      'recordOutcome',
    ]);
    const stored = await store.get(binding.id);
    expect(stored?.status).toBe('FAILED');
    expect(stored?.error).toEqual({
      step: 'DescribeCluster',
      code: 'ClusterNotFound',
      message: expect.stringContaining('nope'),
    });
    const bindSteps = stored?.steps.filter((s) => (BIND_STEPS as readonly string[]).includes(s.name)) ?? [];
    expect(bindSteps.slice(1).every((s) => s.status === 'PENDING')).toBe(true);
    // Nothing was created, so the rollback had nothing to undo.
    expect(stored?.steps.filter((s) => s.name.startsWith('Rollback')).map((s) => s.status)).toEqual([
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
    ]);
  });

  it('fails RoleConflict on a foreign role, leaves it untouched, and never reaches the cluster', async () => {
    // Prepare
    const { binding, store, run, roles, k8s } = world();
    const foreign = roles.put({
      name: binding.roleName,
      trustPolicy: { Version: '2012-10-17', Statement: [] },
      tags: { team: 'other' },
    });

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('FAILED');
    expect((await store.get(binding.id))?.error).toMatchObject({ step: 'EnsureRole', code: 'RoleConflict' });
    expect(await roles.get(binding.roleName)).toEqual(foreign);
    expect(k8s.podsCreated).toBe(0);
  });

  it('retries Transient errors with the same input until the step succeeds', async () => {
    // Prepare: IAM fails twice with a retryable error.
    const { binding, store, run, roles } = world();
    let failures = 2;
    const create = roles.create.bind(roles);
    roles.create = async (spec) => {
      if (failures-- > 0) throw new TransientError('ConcurrentModification');
      return create(spec);
    };

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stats.retries).toBe(2);
    expect(execution.stats.stateTransitions).toBe(10);
    expect((await store.get(binding.id))?.status).toBe('SUCCEEDED');
  });

  it('records FAILED, with the step that kept failing, once retries of a transient error run out', async () => {
    // Prepare
    const { binding, store, run, clusters } = world();
    clusters.describe = async () => {
      throw new TransientError('EKS answered 503');
    };

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.stats.retries).toBe(8);
    const stored = await store.get(binding.id);
    expect(stored?.error).toEqual({
      step: 'DescribeCluster',
      code: 'Transient',
      message: 'EKS answered 503',
    });
    expect(stored?.steps[0]).toMatchObject({
      name: 'DescribeCluster',
      status: 'FAILED',
      finishedAt: expect.any(String),
    });
  });

  it('polls a slow test pod across invocations through the NotYet retry and then succeeds', async () => {
    // Prepare: a poll budget of 5 s cannot wait for a pod that needs 10 reads.
    const { binding, store, run, k8s } = world({ workflowEnv: { STEP_POLL_BUDGET_SECONDS: '5' } });
    k8s.pollsUntilDone = 10;

    // Act
    const execution = await run();

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stats.retries).toBeGreaterThan(0);
    expect(k8s.podsCreated).toBe(1);
    expect((await store.get(binding.id))?.outputs?.verification?.arn).toContain(binding.roleName);
  });

  it('fails WebhookDidNotMutate when no webhook mutates the test pod, and cleans the pod up', async () => {
    const { binding, store, run, k8s } = world();
    k8s.webhookInstalled = false;

    const execution = await run();

    expect(execution.status).toBe('FAILED');
    expect((await store.get(binding.id))?.error).toMatchObject({
      step: 'VerifyIdentity',
      code: 'WebhookDidNotMutate',
    });
    expect(k8s.pods()).toEqual([]);
  });
});

describe('bind.asl.yaml in Pod Identity mode', () => {
  function podIdentityWorld(options: { mode?: 'pod-identity' | 'both'; failVerify?: boolean } = {}) {
    const w = world({ binding: pendingBinding({ mode: options.mode ?? 'pod-identity' }) });
    w.podIdentity.withAgent(region, 'demo');
    w.k8s.podIdentityAssociated = (namespace, serviceAccount) =>
      [...w.podIdentity.associations.values()].some(
        (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
      );
    if (options.failVerify) {
      w.k8s.podOutcome = () => ({ phase: 'Succeeded', log: 'An error occurred (AccessDenied) when calling' });
    }
    return w;
  }

  it('binds pod-identity in 9 transitions: no OIDC provider or webhook, an owned association, no annotation', async () => {
    const { binding, store, run, invoked, podIdentity, k8s, oidcProviders } = podIdentityWorld();

    const execution = await run();

    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.stats.stateTransitions).toBe(9);
    expect(invoked).toEqual([
      'describeCluster',
      'ensureOidcProvider',
      'ensureRole',
      'ensureWebhook',
      'ensurePodIdentityAssociation',
      'applyServiceAccount',
      'verifyIdentity',
      'recordOutcome',
    ]);
    const stored = await store.get(binding.id);
    expect(stored?.outputs).toMatchObject({
      mode: 'pod-identity',
      podIdentityAssociation: expect.any(Object),
    });
    expect(stored?.steps.map((s) => [s.name, s.status])).toEqual([
      ['DescribeCluster', 'SUCCEEDED'],
      ['EnsureOidcProvider', 'SKIPPED'],
      ['EnsureRole', 'SUCCEEDED'],
      ['EnsureWebhook', 'SKIPPED'],
      ['ApproveCsr', 'SKIPPED'],
      ['EnsurePodIdentityAssociation', 'SUCCEEDED'],
      ['ApplyServiceAccount', 'SUCCEEDED'],
      ['VerifyIdentity', 'SUCCEEDED'],
    ]);
    expect(oidcProviders.providers.size).toBe(0);
    expect(podIdentity.associations.size).toBe(1);
    const sa = await k8s.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: 'payments',
      name: 'api',
    });
    expect(sa?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
  });

  it('rolls back the association it created, then the role, when the test pod is refused', async () => {
    const { binding, store, run, podIdentity, roles } = podIdentityWorld({ mode: 'both', failVerify: true });

    const execution = await run();

    expect(execution.status).toBe('FAILED');
    const stored = await store.get(binding.id);
    expect(stored?.error?.step).toBe('VerifyIdentity');
    expect(stored?.steps.find((s) => s.name === 'RollbackPodIdentityAssociation')?.status).toBe('SUCCEEDED');
    expect(podIdentity.associations.size).toBe(0);
    expect(await roles.get(binding.roleName)).toBeUndefined();
  });
});
