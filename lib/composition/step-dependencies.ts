// Composition roots of the step Lambdas. Each step function builds only the parts it calls (core: config,
// store, clock; IAM; EKS; Kubernetes; serving keys), each part in its own module so that a function's
// bundle carries only the SDKs it uses. Config is validated once per cold start.
import { createDynamoDbBindingStore } from '../adapters/dynamodb/create-dynamodb-binding-store.js';
import { systemClock } from '../adapters/system/system-clock.js';
import { loadWorkflowConfig, type WorkflowConfig } from '../config/workflow-config.js';
import type { BindingStore } from '../ports/binding-store.js';
import type { Clock } from '../ports/clock.js';
import type { EksClusters, EksPodIdentity } from '../ports/eks.js';
import type { IamManagedPolicies, IamOidcProviders, IamRoles, TargetAccounts } from '../ports/iam.js';
import type { KubernetesClusters } from '../ports/kubernetes.js';
import type { ServingKeyGenerator } from '../ports/serving-key-generator.js';

export interface StepDependencies {
  config: WorkflowConfig;
  store: BindingStore;
  clock: Clock;
  clusters: EksClusters;
  podIdentity: EksPodIdentity;
  roles: IamRoles;
  policies: IamManagedPolicies;
  oidcProviders: IamOidcProviders;
  /** IAM in Pod Identity target roles' accounts. */
  targetAccounts: TargetAccounts;
  kubernetes: KubernetesClusters;
  keys: ServingKeyGenerator;
}

export type CoreDependencies = Pick<StepDependencies, 'config' | 'store' | 'clock'>;

let shared: { environment: string; parts: Map<string, unknown> } | undefined;

/**
 * One instance of a part per process: every step function of a process shares its clients and caches.
 * In Lambda the environment never changes; a local runtime restarted in the same process (tests) gets
 * new endpoints, and with them new parts.
 */
export function processShared<T>(part: string, build: () => T): T {
  const environment = JSON.stringify(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (shared?.environment !== environment) shared = { environment, parts: new Map() };
  if (!shared.parts.has(part)) shared.parts.set(part, build());
  return shared.parts.get(part) as T;
}

/** Throws WorkflowConfigError naming every variable to fix, so a misconfigured Lambda fails at start-up. */
export function coreDependencies(): CoreDependencies {
  return processShared('core', () => {
    const config = loadWorkflowConfig(process.env);
    return { config, store: createDynamoDbBindingStore(config), clock: systemClock };
  });
}
