// The ServiceAccount: for IRSA the role-arn annotation plus the optional pod identity webhook settings;
// EKS Pod Identity needs none (the association names the service account).
import type { KubernetesObject } from '../../ports/kubernetes.js';
import { managedByLabels } from './labels.js';

export const ROLE_ARN_ANNOTATION = 'eks.amazonaws.com/role-arn';
export const AUDIENCE_ANNOTATION = 'eks.amazonaws.com/audience';
export const STS_REGIONAL_ENDPOINTS_ANNOTATION = 'eks.amazonaws.com/sts-regional-endpoints';
export const TOKEN_EXPIRATION_ANNOTATION = 'eks.amazonaws.com/token-expiration';

export interface ServiceAccountInput {
  namespace: string;
  name: string;
  /** The IRSA role; absent for a pod-identity binding, whose ServiceAccount carries no annotation. */
  roleArn?: string;
  stsRegionalEndpoints?: boolean;
  tokenExpirationSeconds?: number;
  audience?: string;
}

export function serviceAccountAnnotations(input: ServiceAccountInput): Record<string, string> {
  if (input.roleArn === undefined) return {};
  const annotations: Record<string, string> = { [ROLE_ARN_ANNOTATION]: input.roleArn };
  if (input.stsRegionalEndpoints !== undefined) {
    annotations[STS_REGIONAL_ENDPOINTS_ANNOTATION] = String(input.stsRegionalEndpoints);
  }
  if (input.tokenExpirationSeconds !== undefined) {
    annotations[TOKEN_EXPIRATION_ANNOTATION] = String(input.tokenExpirationSeconds);
  }
  if (input.audience !== undefined) annotations[AUDIENCE_ANNOTATION] = input.audience;
  return annotations;
}

/**
 * The ServiceAccount as irsa-broker applies it. With `annotateOnly` the apply carries only our
 * annotations: server-side apply then leaves every other field (and the managed-by label) to
 * whoever created the account. Without annotations (pod-identity), the apply removes those irsa-broker
 * set before (a migration's last step) and leaves everyone else's.
 */
export function buildServiceAccount(
  input: ServiceAccountInput,
  options: { annotateOnly?: boolean } = {},
): KubernetesObject {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name: input.name,
      namespace: input.namespace,
      ...(options.annotateOnly ? {} : { labels: managedByLabels() }),
      ...(input.roleArn === undefined ? {} : { annotations: serviceAccountAnnotations(input) }),
    },
  };
}
