// The pod that proves a binding: it runs `aws sts get-caller-identity` as the bound service account.
import type { KubernetesObject } from '../../ports/kubernetes.js';
import type { BindingMode } from '../binding.js';
import { BINDING_LABEL, managedByLabels } from './labels.js';

export const TEST_POD_CONTAINER = 'verify';
/** In mode both, the container that proves Pod Identity: the IRSA webhook is told to skip it. */
export const POD_IDENTITY_TEST_CONTAINER = 'verify-pod-identity';
/** The pod identity webhook's annotation: containers it leaves alone. */
export const SKIP_CONTAINERS_ANNOTATION = 'eks.amazonaws.com/skip-containers';
export const TEST_POD_COMMAND = ['aws', 'sts', 'get-caller-identity', '--output', 'json'] as const;
/** The `nobody` group: lets the non-root CLI read the projected token file. */
export const TOKEN_READER_FS_GROUP = 65534;

export interface TestPodInput {
  bindingId: string;
  attempt: number;
  namespace: string;
  serviceAccountName: string;
  image: string;
  activeDeadlineSeconds: number;
  region: string;
  /** irsa and pod-identity: one container; both: a second one, without IRSA, that proves Pod Identity. */
  mode?: BindingMode;
}

/** The containers of the test pod and the mechanism each one proves. */
export function testPodContainers(
  mode: BindingMode = 'irsa',
): { name: string; proves: 'irsa' | 'pod-identity' }[] {
  if (mode === 'both') {
    return [
      { name: TEST_POD_CONTAINER, proves: 'irsa' },
      { name: POD_IDENTITY_TEST_CONTAINER, proves: 'pod-identity' },
    ];
  }
  return [{ name: TEST_POD_CONTAINER, proves: mode === 'pod-identity' ? 'pod-identity' : 'irsa' }];
}

/** Binding ids share their leading time characters; the random tail keeps pod names apart. */
export function shortBindingId(bindingId: string): string {
  const plain = bindingId.toLowerCase().replace(/[^a-z0-9]/g, '');
  return plain.slice(-12);
}

/** Deterministic per binding and attempt, so a retried step finds (and cleans up) its own pod. */
export function testPodName(bindingId: string, attempt: number): string {
  return `irsa-verify-${shortBindingId(bindingId)}-${attempt}`;
}

export function buildTestPod(input: TestPodInput): KubernetesObject {
  const containers = testPodContainers(input.mode);
  // With both, IRSA's variables would win in the SDK's credential chain: one container goes without them.
  const skipped = containers.filter((c) => c.proves === 'pod-identity' && containers.length > 1);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: testPodName(input.bindingId, input.attempt),
      namespace: input.namespace,
      labels: { ...managedByLabels(), [BINDING_LABEL]: input.bindingId },
      ...(skipped.length > 0
        ? { annotations: { [SKIP_CONTAINERS_ANNOTATION]: skipped.map((c) => c.name).join(',') } }
        : {}),
    },
    spec: {
      serviceAccountName: input.serviceAccountName,
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      securityContext: { fsGroup: TOKEN_READER_FS_GROUP },
      containers: containers.map(({ name }) => ({
        name,
        image: input.image,
        command: [...TEST_POD_COMMAND],
        // The CLI needs a region for STS; the webhook only injects one when it was configured with it.
        env: [{ name: 'AWS_DEFAULT_REGION', value: input.region }],
        resources: {
          requests: { cpu: '50m', memory: '64Mi' },
          limits: { memory: '256Mi' },
        },
      })),
    },
  };
}
