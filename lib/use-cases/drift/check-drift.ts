// CheckDrift (a step of the verify workflow): compares what the binding set up with what is live — the
// OIDC provider (irsa, both), the role's ownership, permissions boundary, trust policy, attachments, tags
// and maximum session duration, the ServiceAccount's annotation, the Pod Identity association (pod-identity,
// both: role, target role, session tags, ownership) — and, when asked, repairs what irsa-broker owns and
// checks again.
// Records what still differs on the binding; the fresh test pod (VerifyIdentity) runs next.
import {
  type Binding,
  type BindingMode,
  type DriftItem,
  effectiveMode,
  usesIrsa,
  usesPodIdentity,
} from '../../domain/binding.js';
import { RoleConflictError, TargetRoleUntrustedError, VerificationFailedError } from '../../domain/errors.js';
import { buildServiceAccount, ROLE_ARN_ANNOTATION } from '../../domain/manifests/service-account.js';
import { ownerOf, ownershipTags } from '../../domain/ownership.js';
import {
  samePolicy,
  TARGET_ROLE_POLICY_NAME,
  type TrustPolicy,
  targetRolePolicy,
} from '../../domain/trust-policy.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import type { EksPodIdentity, PodIdentityAssociation } from '../../ports/eks.js';
import type { IamOidcProviders, IamRoles, RoleState, TargetAccounts } from '../../ports/iam.js';
import type { KubernetesCluster, KubernetesClusters } from '../../ports/kubernetes.js';
import type { AssociationFacts, ClusterFacts, OidcProviderFacts, RoleFacts } from '../bind/bind-state.js';
import { associationRequestToken } from '../bind/ensure-pod-identity-association.js';
import { bindingTrust, ownPolicyArns } from '../bind/ensure-role.js';
import { ensureTargetRole, type TargetRoleDeps, targetRoleDrift } from '../bind/ensure-target-role.js';

export interface CheckDriftDeps {
  /** The boundary every role of this deployment must carry; where and how target roles are made. */
  config: TargetRoleDeps['config'];
  roles: IamRoles;
  targetAccounts: TargetAccounts;
  oidcProviders: IamOidcProviders;
  podIdentity: Pick<
    EksPodIdentity,
    'describeAssociation' | 'findAssociation' | 'createAssociation' | 'updateAssociation'
  >;
  kubernetes: KubernetesClusters;
  store: Pick<BindingStore, 'recordDrift' | 'get'>;
  clock: Pick<Clock, 'now'>;
}

/** $.role of the verify workflow: the role as VerifyIdentity needs it, plus what the check found. */
export interface DriftFacts extends RoleFacts {
  oidcProvider: OidcProviderFacts;
  /** The association as it stands after the check (pod-identity, both); SKIPPED in irsa mode. */
  association: AssociationFacts;
  drift: DriftItem[];
  repaired: string[];
}

interface Live {
  drift: DriftItem[];
  role?: RoleState;
  /** The role is this binding's: repairs may touch it. */
  owned: boolean;
  /** The pods can chain into the target role (true without one). */
  targetWorks: boolean;
  serviceAccountAnnotation?: string | null;
  oidcProviderArn?: string;
  /** pod-identity and both: the service account's association, if any. */
  association?: PodIdentityAssociation;
}

/** What the binding expects live: its mode, role and trust. */
interface Expected {
  mode: BindingMode;
  roleArn: string;
  trust: TrustPolicy | undefined;
}

const sorted = (values: readonly string[]) => [...values].sort();
/** IAM's maximum session duration for a role created without one. */
const DEFAULT_MAX_SESSION_DURATION = 3600;

/** The binding's own tags the role lacks or carries with another value (others' tags are not drift). */
function staleTagKeys(binding: Binding, role: RoleState): string[] {
  return Object.keys(binding.tags).filter((key) => role.tags[key] !== binding.tags[key]);
}

/** The association's differences from what the binding made: its role, no target role, session tags on. */
function associationDrift(
  association: PodIdentityAssociation,
  binding: Binding,
  roleArn: string,
): DriftItem[] {
  const drift: DriftItem[] = [];
  if (association.roleArn !== roleArn) {
    drift.push({ what: 'podIdentityAssociation.roleArn', expected: roleArn, actual: association.roleArn });
  }
  if (association.targetRoleArn !== binding.targetRoleArn) {
    drift.push({
      what: 'podIdentityAssociation.targetRoleArn',
      expected: binding.targetRoleArn ?? null,
      actual: association.targetRoleArn ?? null,
    });
  }
  // The trust policy admits only sessions tagged with the namespace and service account.
  if (association.disableSessionTags) {
    drift.push({ what: 'podIdentityAssociation.disableSessionTags', expected: false, actual: true });
  }
  const owner = ownerOf(association.tags, binding.id);
  if (owner.kind !== 'this-binding') {
    drift.push({
      what: 'podIdentityAssociationOwnership',
      expected: `irsa-broker binding ${binding.id}`,
      actual: owner.kind === 'other-binding' ? `irsa-broker binding ${owner.bindingId}` : 'not irsa-broker',
    });
  }
  return drift;
}

async function liveAssociation(binding: Binding, deps: CheckDriftDeps) {
  const { region, clusterName, namespace, serviceAccountName } = binding;
  const recorded = binding.outputs?.podIdentityAssociation;
  const byId = recorded
    ? await deps.podIdentity.describeAssociation(region, clusterName, recorded.associationId)
    : undefined;
  // Deleted and made anew by hand, or never recorded: what EKS holds for the service account now.
  return byId ?? deps.podIdentity.findAssociation(region, clusterName, namespace, serviceAccountName);
}

async function inspect(
  binding: Binding,
  cluster: ClusterFacts,
  expected: Expected,
  k8s: KubernetesCluster,
  deps: CheckDriftDeps,
): Promise<Live> {
  const { mode, roleArn, trust: expectedTrust } = expected;
  const drift: DriftItem[] = [];
  const provider = usesIrsa(mode) ? await deps.oidcProviders.find(cluster.oidcIssuer) : undefined;
  const expectedProvider = binding.outputs?.oidcProviderArn;
  if (usesIrsa(mode) && !provider) {
    drift.push({ what: 'oidcProvider', expected: expectedProvider ?? cluster.oidcIssuer, actual: null });
  } else if (provider && expectedProvider && provider.arn !== expectedProvider) {
    drift.push({ what: 'oidcProvider', expected: expectedProvider, actual: provider.arn });
  }

  const role = await deps.roles.get(binding.roleName);
  let owned = false;
  if (!role) {
    drift.push({ what: 'role', expected: roleArn, actual: null });
  } else {
    const owner = ownerOf(role.tags, binding.id);
    owned = owner.kind === 'this-binding';
    if (!owned) {
      drift.push({
        what: 'roleOwnership',
        expected: `irsa-broker binding ${binding.id}`,
        actual: owner.kind === 'other-binding' ? `irsa-broker binding ${owner.bindingId}` : 'not irsa-broker',
      });
    }
    if (role.permissionsBoundaryArn !== deps.config.permissionsBoundaryArn) {
      drift.push({
        what: 'permissionsBoundary',
        expected: deps.config.permissionsBoundaryArn,
        actual: role.permissionsBoundaryArn ?? null,
      });
    }
    if (expectedTrust && !samePolicy(role.trustPolicy, expectedTrust)) {
      drift.push({ what: 'trustPolicy', expected: expectedTrust, actual: role.trustPolicy });
    }
    const stale = staleTagKeys(binding, role);
    if (stale.length > 0) {
      drift.push({
        what: 'tags',
        expected: Object.fromEntries(stale.map((key) => [key, binding.tags[key]])),
        actual: Object.fromEntries(stale.map((key) => [key, role.tags[key] ?? null])),
      });
    }
    const duration = binding.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
    if (role.maxSessionDuration !== duration) {
      drift.push({ what: 'maxSessionDuration', expected: duration, actual: role.maxSessionDuration });
    }
    const attached = sorted(role.attachedPolicyArns);
    const wanted = sorted(ownPolicyArns(binding));
    if (attached.join('\n') !== wanted.join('\n')) {
      drift.push({ what: 'policyArns', expected: wanted, actual: attached });
    }
    if (binding.targetRoleArn !== undefined) {
      // Without it the association's role may not chain into the target role across accounts.
      const wantedPolicy = targetRolePolicy(binding.targetRoleArn);
      const policy = await deps.roles.getInlinePolicy(role.name, TARGET_ROLE_POLICY_NAME);
      if (!policy || !samePolicy(policy, wantedPolicy)) {
        drift.push({
          what: `inlinePolicy.${TARGET_ROLE_POLICY_NAME}`,
          expected: wantedPolicy,
          actual: policy ?? null,
        });
      }
    }
  }
  const target = await targetRoleDrift(binding, roleArn, deps);
  drift.push(...target.drift);

  const sa = await k8s.get({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    namespace: binding.namespace,
    name: binding.serviceAccountName,
  });
  const annotation = sa ? (sa.metadata.annotations?.[ROLE_ARN_ANNOTATION] ?? null) : undefined;
  // pod-identity: no annotation, or the webhook would inject IRSA's variables, which the SDKs try first.
  const wantedAnnotation = usesIrsa(mode) ? roleArn : null;
  if (annotation === undefined) {
    drift.push({
      what: 'serviceAccount',
      expected: `${binding.namespace}/${binding.serviceAccountName}`,
      actual: null,
    });
  } else if (annotation !== wantedAnnotation) {
    drift.push({
      what: `serviceAccount.annotations.${ROLE_ARN_ANNOTATION}`,
      expected: wantedAnnotation,
      actual: annotation,
    });
  }

  let association: PodIdentityAssociation | undefined;
  if (usesPodIdentity(mode)) {
    association = await liveAssociation(binding, deps);
    if (!association) {
      drift.push({
        what: 'podIdentityAssociation',
        expected: `${binding.namespace}/${binding.serviceAccountName} → ${roleArn}`,
        actual: null,
      });
    } else {
      drift.push(...associationDrift(association, binding, roleArn));
    }
  }
  return {
    drift,
    owned,
    targetWorks: target.works,
    ...(association ? { association } : {}),
    ...(role ? { role } : {}),
    ...(annotation === undefined ? {} : { serviceAccountAnnotation: annotation }),
    ...(provider ? { oidcProviderArn: provider.arn } : {}),
  };
}

/** Puts back what irsa-broker owns; returns what it changed. Never touches a role it does not own. */
async function repair(
  binding: Binding,
  live: Live,
  expected: Expected,
  context: { startedAt: Date },
  k8s: KubernetesCluster,
  deps: CheckDriftDeps,
): Promise<string[]> {
  const { mode, roleArn, trust: expectedTrust } = expected;
  const done: string[] = [];
  const { role } = live;
  if (role && live.owned) {
    if (role.permissionsBoundaryArn !== deps.config.permissionsBoundaryArn) {
      await deps.roles.setPermissionsBoundary(role.name, deps.config.permissionsBoundaryArn);
      done.push('permissions boundary');
    }
    if (expectedTrust && !samePolicy(role.trustPolicy, expectedTrust)) {
      await deps.roles.updateTrustPolicy(role.name, expectedTrust as unknown as Record<string, unknown>);
      done.push('trust policy');
    }
    const stale = staleTagKeys(binding, role);
    if (stale.length > 0) {
      await deps.roles.tag(role.name, Object.fromEntries(stale.map((key) => [key, binding.tags[key] ?? ''])));
      done.push('tags');
    }
    const duration = binding.maxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION;
    if (role.maxSessionDuration !== duration) {
      await deps.roles.update(role.name, { maxSessionDuration: duration });
      done.push('max session duration');
    }
    const own = ownPolicyArns(binding);
    for (const arn of own.filter((a) => !role.attachedPolicyArns.includes(a))) {
      await deps.roles.attachPolicy(role.name, arn);
      done.push(`attached ${arn}`);
    }
    for (const arn of role.attachedPolicyArns.filter((a) => !own.includes(a))) {
      await deps.roles.detachPolicy(role.name, arn);
      done.push(`detached ${arn}`);
    }
    if (
      binding.targetRoleArn !== undefined &&
      live.drift.some((d) => d.what === `inlinePolicy.${TARGET_ROLE_POLICY_NAME}`)
    ) {
      await deps.roles.putInlinePolicy(
        role.name,
        TARGET_ROLE_POLICY_NAME,
        targetRolePolicy(binding.targetRoleArn),
      );
      done.push('target role permission');
    }
    if (live.drift.some((d) => d.what.startsWith('targetRole'))) {
      try {
        await ensureTargetRole(binding, roleArn, deps);
        done.push('target role');
      } catch (error) {
        // A target role that is not ours and no longer trusts the binding's role stays as its owner left it.
        if (!(error instanceof TargetRoleUntrustedError) && !(error instanceof RoleConflictError))
          throw error;
      }
    }
  }
  const saMissing = live.serviceAccountAnnotation === undefined;
  const wantedAnnotation = usesIrsa(mode) ? roleArn : null;
  const annotationWrong = !saMissing && live.serviceAccountAnnotation !== wantedAnnotation;
  // A missing ServiceAccount is re-created only when irsa-broker was asked to create it in the first place.
  if (role && live.owned && (annotationWrong || (saMissing && binding.createServiceAccount))) {
    // No force: an annotation another field manager took over stays theirs (FieldOwnershipConflict).
    await k8s.apply(
      buildServiceAccount(
        {
          namespace: binding.namespace,
          name: binding.serviceAccountName,
          // Without an annotation the apply drops the one irsa-broker set; someone else's stays theirs.
          ...(usesIrsa(mode) ? { roleArn } : {}),
          ...(binding.stsRegionalEndpoints === undefined
            ? {}
            : { stsRegionalEndpoints: binding.stsRegionalEndpoints }),
          ...(binding.tokenExpirationSeconds === undefined
            ? {}
            : { tokenExpirationSeconds: binding.tokenExpirationSeconds }),
          ...(binding.audience === undefined ? {} : { audience: binding.audience }),
        },
        { annotateOnly: !binding.createServiceAccount },
      ),
    );
    done.push(saMissing ? 'service account' : 'role-arn annotation');
  }
  if (role && live.owned && usesPodIdentity(mode)) {
    const { region, clusterName } = binding;
    const association = live.association;
    if (!association) {
      await deps.podIdentity.createAssociation(region, {
        clusterName,
        namespace: binding.namespace,
        serviceAccount: binding.serviceAccountName,
        roleArn,
        ...(binding.targetRoleArn === undefined ? {} : { targetRoleArn: binding.targetRoleArn }),
        tags: { ...binding.tags, ...ownershipTags(binding.id) },
        clientRequestToken: associationRequestToken(binding.id, roleArn, context.startedAt),
      });
      done.push('pod identity association');
    } else if (
      ownerOf(association.tags, binding.id).kind === 'this-binding' &&
      associationDrift(association, binding, roleArn).length > 0
    ) {
      await deps.podIdentity.updateAssociation(region, clusterName, association.associationId, {
        roleArn,
        targetRoleArn: binding.targetRoleArn ?? null,
        disableSessionTags: false,
      });
      done.push('pod identity association');
    }
  }
  return done;
}

const whatOf = (drift: DriftItem[]) => drift.map((d) => d.what).join(', ');

export async function checkDrift(
  binding: Binding,
  cluster: ClusterFacts,
  options: { repair: boolean; startedAt?: Date },
  deps: CheckDriftDeps,
): Promise<DriftFacts> {
  const roleArn = binding.outputs?.roleArn;
  if (!roleArn) {
    throw new VerificationFailedError(
      `Binding ${binding.id} never got a role, so there is nothing to check; retry it (POST /v1/bindings/${binding.id}/retry)`,
    );
  }
  const k8s = deps.kubernetes.connect(cluster);
  const mode = cluster.mode ?? effectiveMode(binding);
  const providerArn = binding.outputs?.oidcProviderArn;
  // Without the provider it was bound through, an IRSA trust cannot be rebuilt: the role is not repaired.
  const expectedTrust =
    usesIrsa(mode) && !providerArn ? undefined : bindingTrust(binding, cluster, mode, providerArn).policy;
  const expected: Expected = { mode, roleArn, trust: expectedTrust };
  const startedAt = options.startedAt ?? deps.clock.now();

  let live = await inspect(binding, cluster, expected, k8s, deps);
  const found = live.drift;
  let repaired: string[] = [];
  if (options.repair && found.length > 0) {
    repaired = await repair(binding, live, expected, { startedAt }, k8s, deps);
    if (repaired.length > 0) live = await inspect(binding, cluster, expected, k8s, deps);
  }
  await deps.store.recordDrift(binding.id, live.drift, deps.clock.now().toISOString());

  const summary =
    found.length === 0
      ? 'no drift'
      : `drift in ${whatOf(found)}${repaired.length ? `; repaired ${repaired.join(', ')}` : options.repair ? '' : ' (not repaired: send {"repair": true})'}${repaired.length && live.drift.length ? `; still differs: ${whatOf(live.drift)}` : ''}`;
  const associationWorks =
    !usesPodIdentity(mode) ||
    (live.association !== undefined && associationDrift(live.association, binding, roleArn).length === 0);
  if (!live.role || !live.owned || !expectedTrust || !associationWorks || !live.targetWorks) {
    // Without its own role there is nothing a test pod could prove.
    throw new VerificationFailedError(`Binding ${binding.id} no longer works: ${summary}`);
  }
  return {
    status: 'SUCCEEDED',
    detail: summary,
    name: live.role.name,
    arn: live.role.arn,
    trustPolicy: expectedTrust,
    oidcProvider:
      usesIrsa(mode) && providerArn
        ? { status: 'SUCCEEDED', detail: 'from the binding', arn: providerArn }
        : { status: 'SKIPPED', detail: `${mode} mode: no OIDC provider`, arn: '' },
    association:
      usesPodIdentity(mode) && live.association
        ? {
            status: 'SUCCEEDED',
            detail: `association ${live.association.associationId}`,
            association: {
              associationId: live.association.associationId,
              associationArn: live.association.associationArn,
            },
          }
        : { status: 'SKIPPED', detail: `${mode} mode: no Pod Identity association` },
    drift: live.drift,
    repaired,
  };
}
