// The pod that proves a binding: it runs `aws sts get-caller-identity` as the bound service account.
import type { KubernetesObject } from '../../ports/kubernetes.js';
import { BINDING_LABEL, managedByLabels } from './labels.js';

export const TEST_POD_CONTAINER = 'verify';
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
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: testPodName(input.bindingId, input.attempt),
      namespace: input.namespace,
      labels: { ...managedByLabels(), [BINDING_LABEL]: input.bindingId },
    },
    spec: {
      serviceAccountName: input.serviceAccountName,
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.activeDeadlineSeconds,
      securityContext: { fsGroup: TOKEN_READER_FS_GROUP },
      containers: [
        {
          name: TEST_POD_CONTAINER,
          image: input.image,
          command: [...TEST_POD_COMMAND],
          // The CLI needs a region for STS; the webhook only injects one when it was configured with it.
          env: [{ name: 'AWS_DEFAULT_REGION', value: input.region }],
          resources: {
            requests: { cpu: '50m', memory: '64Mi' },
            limits: { memory: '256Mi' },
          },
        },
      ],
    },
  };
}
