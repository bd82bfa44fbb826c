// The binding: what a caller asked for, where the workflow is, and what it produced.

export const BINDING_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'DELETING', 'DELETED'] as const;
export type BindingStatus = (typeof BINDING_STATUSES)[number];

/**
 * Statuses that hold the (region, cluster, namespace, service account) slot: a second binding is refused.
 * DELETING holds it too: the unbind workflow is still removing what the binding put on that account.
 */
export const ACTIVE_STATUSES: readonly BindingStatus[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'DELETING'];

export const STEP_STATUSES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'SKIPPED'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * How the pods of the service account get the role's credentials: IRSA (OIDC web identity, the pod
 * identity webhook, the ServiceAccount annotation), EKS Pod Identity (an association and the agent), or
 * both at once while a workload migrates from one to the other.
 */
export const BINDING_MODES = ['irsa', 'pod-identity', 'both'] as const;
export type BindingMode = (typeof BINDING_MODES)[number];
/** What a request may ask for: a mode, or `auto` (pod-identity where the agent add-on runs, else irsa). */
export const REQUESTED_MODES = ['auto', ...BINDING_MODES] as const;
export type RequestedMode = (typeof REQUESTED_MODES)[number];

/** Request fields that shape the IRSA token or annotation; a pod-identity binding has neither. */
export const IRSA_ONLY_FIELDS = ['audience', 'tokenExpirationSeconds', 'stsRegionalEndpoints'] as const;
/** Whether `mode` uses IRSA (OIDC provider, webhook, annotation). */
export const usesIrsa = (mode: BindingMode): boolean => mode !== 'pod-identity';
/** Whether `mode` uses EKS Pod Identity (agent add-on, association). */
export const usesPodIdentity = (mode: BindingMode): boolean => mode !== 'irsa';

/** The bind workflow's steps, in order; also `steps[].name` in the API. */
export const BIND_STEPS = [
  'DescribeCluster',
  'EnsureOidcProvider',
  'EnsureRole',
  'EnsureWebhook',
  'ApproveCsr',
  'EnsurePodIdentityAssociation',
  'ApplyServiceAccount',
  'VerifyIdentity',
] as const;
export type BindStepName = (typeof BIND_STEPS)[number];

/** The bind workflow's rollback steps (after a failure, unless keepOnFailure), in order. */
export const ROLLBACK_STEPS = [
  'RollbackTestPods',
  'RollbackPodIdentityAssociation',
  'RollbackServiceAccount',
  'RollbackRole',
] as const;
/** The unbind workflow's steps, in order. */
export const UNBIND_STEPS = [
  'DeleteTestPods',
  'DeletePodIdentityAssociation',
  'RemoveServiceAccountBinding',
  'DeleteRole',
  'RecordUnbind',
] as const;
export type UnbindStepName = (typeof UNBIND_STEPS)[number] | (typeof ROLLBACK_STEPS)[number];

/** The update workflow's steps, in order (PATCH /v1/bindings/{id}): reconcile the role, prove it again. */
export const UPDATE_STEPS = [
  'DescribeCluster',
  'EnsureOidcProvider',
  'EnsureRole',
  'VerifyIdentity',
] as const;

/**
 * The update workflow's steps for a PATCH that changes the mode (a migration step): the role gets the new
 * mode's trust, the association and the annotation follow, and the test pod proves the new mode.
 */
export const MIGRATE_STEPS = [
  'DescribeCluster',
  'EnsureOidcProvider',
  'EnsureRole',
  'EnsurePodIdentityAssociation',
  'ApplyServiceAccount',
  'VerifyIdentity',
] as const;

/** A migration goes one step at a time: irsa ↔ both ↔ pod-identity, each proven before the next. */
export function migrationAllowed(from: BindingMode, to: BindingMode): boolean {
  return from !== to && (from === 'both' || to === 'both');
}

/** The drift check's steps, in order (POST /v1/bindings/{id}/verify). */
export const VERIFY_STEPS = ['DescribeCluster', 'CheckDrift', 'VerifyIdentity'] as const;
/** Any step a workflow records on a binding. */
export type WorkflowStepName = BindStepName | (typeof VERIFY_STEPS)[number];

/** One difference the drift check found between what the binding set up and what is live. */
export interface DriftItem {
  what: string;
  expected: unknown;
  actual: unknown;
}

/** What the caller asked for, after validation and defaults. Immutable once stored. */
export interface BindingRequest {
  clusterName: string;
  region: string;
  namespace: string;
  serviceAccountName: string;
  policyArns: string[];
  /** Resolved role name: the caller's, or one derived from cluster/namespace/service account. */
  roleName: string;
  createServiceAccount: boolean;
  verify: boolean;
  tags: Record<string, string>;
  maxSessionDuration?: number;
  description?: string;
  /** Optional pod identity webhook annotations on the ServiceAccount. */
  stsRegionalEndpoints?: boolean;
  tokenExpirationSeconds?: number;
  audience?: string;
  /** Keep what a failed bind created (no rollback), e.g. to inspect it. Absent: false. */
  keepOnFailure?: boolean;
  /** The mode asked for; absent (bindings made before modes existed, or omitted): `auto`. */
  mode?: RequestedMode;
  /**
   * pod-identity only: a role (usually in another account) the association's role chains into; the pods
   * get its credentials. Its own trust must admit the binding's role.
   */
  targetRoleArn?: string;
  /** Where each status event of the binding is POSTed too (signed), for portals that cannot read EventBridge. */
  callbackUrl?: string;
}

export interface StepRecord {
  name: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  detail?: string;
}

export interface Verification {
  arn: string;
  account: string;
  userId: string;
}

export interface BindingOutputs {
  roleArn?: string;
  oidcProviderArn?: string;
  /** The trust policy document as applied to the role. */
  trustPolicy?: unknown;
  verification?: Verification;
  /** Whether ApplyServiceAccount created the ServiceAccount (unbind may then delete it). */
  serviceAccountCreated?: boolean;
  /** The mode DescribeCluster settled on (absent on bindings made before modes existed: irsa). */
  mode?: BindingMode;
  /**
   * The EKS Pod Identity association this binding made or owns (pod-identity and both modes); null once
   * a migration step back to irsa deleted it.
   */
  podIdentityAssociation?: PodIdentityAssociationRef | null;
}

export interface PodIdentityAssociationRef {
  associationId: string;
  associationArn: string;
}

/** The mode a stored binding runs in: the one its workflow settled on, or irsa for older bindings. */
export function effectiveMode(binding: { outputs?: BindingOutputs; mode?: RequestedMode }): BindingMode {
  if (binding.outputs?.mode) return binding.outputs.mode;
  return binding.mode === undefined || binding.mode === 'auto' ? 'irsa' : binding.mode;
}

export interface BindingError {
  step: string;
  code: string;
  message: string;
}

export interface Binding extends BindingRequest {
  id: string;
  status: BindingStatus;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  /** The tenant of the access policy the binding belongs to; its callers see it. None: admins only. */
  tenant?: string;
  /**
   * Set when the caller may name a target role irsa-broker did not create (an admin, or a tenant whose
   * existingTargetRoleAccounts list the role's account): its trust is then only checked, never changed.
   */
  allowExistingTargetRole?: boolean;
  steps: StepRecord[];
  outputs?: BindingOutputs;
  error?: BindingError;
  /** What the last drift check found still differing (empty: none); absent until one ran. */
  drift?: DriftItem[];
  /**
   * Tag keys an update removed from the binding that the role may still carry: EnsureRole removes them
   * from the role in every run until one succeeds (a retry after a failed update included).
   */
  droppedTagKeys?: string[];
  driftCheckedAt?: string;
}

/** An audit record of one status change, or of one API call on the binding (with `request` and `outcome`). */
export interface BindingEvent {
  bindingId: string;
  at: string;
  actor: string;
  from: BindingStatus | null;
  to: BindingStatus;
  detail?: string;
  request?: AuditedRequest;
  outcome?: AuditedOutcome;
}

/** A mutating API call as the audit trail keeps it. */
export interface AuditedRequest {
  method: string;
  path: string;
  requestId: string;
  /** The JSON body as sent (absent when there was none or it was not JSON). */
  body?: unknown;
}

export interface AuditedOutcome {
  /** HTTP status of the answer. */
  status: number;
  /** Problem code when the call was refused or failed. */
  code?: string;
}
