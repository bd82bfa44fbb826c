// Composition root of the bind workflow's step Lambdas: config validated and adapters built once per cold start.
import { createAwsAdapters } from '../adapters/aws/aws-clients.js';
import { WebCryptoServingKeyGenerator } from '../adapters/crypto/webcrypto-serving-key-generator.js';
import { createDynamoDbBindingStore } from '../adapters/dynamodb/create-dynamodb-binding-store.js';
import { EksKubernetesClusters } from '../adapters/kubernetes/eks-kubernetes-clusters.js';
import { systemClock } from '../adapters/system/system-clock.js';
import { loadWorkflowConfig, type WorkflowConfig } from '../config/workflow-config.js';
import type { BindingStore } from '../ports/binding-store.js';
import type { Clock } from '../ports/clock.js';
import type { EksClusters } from '../ports/eks.js';
import type { IamManagedPolicies, IamOidcProviders, IamRoles } from '../ports/iam.js';
import type { KubernetesClusters } from '../ports/kubernetes.js';
import type { ServingKeyGenerator } from '../ports/serving-key-generator.js';
import { RetryingKubernetesClusters } from './retrying-kubernetes-clusters.js';

export interface StepDependencies {
  config: WorkflowConfig;
  store: BindingStore;
  clock: Clock;
  clusters: EksClusters;
  roles: IamRoles;
  policies: IamManagedPolicies;
  oidcProviders: IamOidcProviders;
  kubernetes: KubernetesClusters;
  keys: ServingKeyGenerator;
}

/** Throws WorkflowConfigError naming every variable to fix, so a misconfigured Lambda fails at start-up. */
export function createStepDependencies(env: NodeJS.ProcessEnv = process.env): StepDependencies {
  const config = loadWorkflowConfig(env);
  const aws = createAwsAdapters(config.region);
  return {
    config,
    store: createDynamoDbBindingStore(config),
    clock: systemClock,
    clusters: aws.clusters,
    roles: aws.roles,
    policies: aws.policies,
    oidcProviders: aws.oidcProviders,
    kubernetes: new RetryingKubernetesClusters(new EksKubernetesClusters(), systemClock),
    keys: new WebCryptoServingKeyGenerator(),
  };
}

let shared: { environment: string; deps: StepDependencies } | undefined;

/**
 * The process's one set of dependencies: every step function of a process shares clients and caches.
 * In Lambda the environment never changes; a local runtime restarted in the same process (tests) gets
 * new endpoints, and with them new dependencies.
 */
export function stepDependencies(): StepDependencies {
  const environment = JSON.stringify(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (shared?.environment !== environment) shared = { environment, deps: createStepDependencies() };
  return shared.deps;
}
