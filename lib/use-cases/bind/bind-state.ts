// The bind workflow's execution state: the start input plus each step's result, placed by ResultPath.
// It travels through every Step Functions transition, so it holds facts later steps need and nothing more.
import type { BindingMode, PodIdentityAssociationRef, Verification } from '../../domain/binding.js';
import type { TrustPolicy } from '../../domain/trust-policy.js';
import type { ClusterConnection } from '../../ports/kubernetes.js';

/** What every step returns besides its data: how the step ended and a short line for the API. */
export interface StepOutcome {
  status: 'SUCCEEDED' | 'SKIPPED';
  detail: string;
}

/** $.cluster — DescribeCluster. */
export interface ClusterFacts extends StepOutcome, ClusterConnection {
  arn: string;
  version: string;
  /** '' when the cluster has none (allowed in pod-identity mode only). */
  oidcIssuer: string;
  /** The mode this run binds in: the request's, or what `auto` chose. Absent in states from before modes: irsa. */
  mode?: BindingMode;
  /** Status of the eks-pod-identity-agent add-on (`missing` when not installed); absent when not looked at. */
  podIdentityAgent?: string;
}

/** $.association — EnsurePodIdentityAssociation. */
export interface AssociationFacts extends StepOutcome {
  association?: PodIdentityAssociationRef;
}

/** $.oidcProvider — EnsureOidcProvider. */
export interface OidcProviderFacts extends StepOutcome {
  arn: string;
}

/** $.role — EnsureRole. */
export interface RoleFacts extends StepOutcome {
  name: string;
  arn: string;
  trustPolicy: TrustPolicy;
}

/** $.serviceAccount — ApplyServiceAccount. */
export interface ServiceAccountFacts extends StepOutcome {
  namespace: string;
  name: string;
  /** The ServiceAccount did not exist before this binding applied it (unbind and rollback may delete it). */
  created: boolean;
}

/** $.verification — VerifyIdentity (no identity when SKIPPED). */
export interface VerificationFacts extends StepOutcome {
  identity?: Verification;
  podName?: string;
  attempt?: number;
}

/** $.error — what a Catch puts there: Step Functions' error name and cause (a JSON string for Lambda errors). */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

export interface BindState {
  bindingId: string;
  cluster?: ClusterFacts;
  oidcProvider?: OidcProviderFacts;
  role?: RoleFacts;
  webhook?: unknown;
  csr?: unknown;
  association?: AssociationFacts;
  serviceAccount?: ServiceAccountFacts;
  verification?: VerificationFacts;
  error?: CaughtError;
}
