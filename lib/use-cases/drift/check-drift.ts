// CheckDrift (a step of the verify workflow): compares what the binding set up with what is live — the
// OIDC provider, the role's ownership, permissions boundary, trust policy, attachments, tags and maximum
// session duration, the ServiceAccount's annotation — and, when asked, repairs what irsa-broker owns and
// checks again.
// Records what still differs on the binding; the fresh test pod (VerifyIdentity) runs next.
import type { Binding, DriftItem } from '../../domain/binding.js';
import { VerificationFailedError } from '../../domain/errors.js';
import { buildServiceAccount, ROLE_ARN_ANNOTATION } from '../../domain/manifests/service-account.js';
import { ownerOf } from '../../domain/ownership.js';
import { buildTrustPolicy, samePolicy, type TrustPolicy } from '../../domain/trust-policy.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import type { IamOidcProviders, IamRoles, RoleState } from '../../ports/iam.js';
import type { KubernetesCluster, KubernetesClusters } from '../../ports/kubernetes.js';
import type { ClusterFacts, OidcProviderFacts, RoleFacts } from '../bind/bind-state.js';

export interface CheckDriftDeps {
  /** The boundary every role of this deployment must carry. */
  config: { permissionsBoundaryArn: string };
  roles: IamRoles;
  oidcProviders: IamOidcProviders;
  kubernetes: KubernetesClusters;
  store: Pick<BindingStore, 'recordDrift'>;
  clock: Pick<Clock, 'now'>;
}

/** $.role of the verify workflow: the role as VerifyIdentity needs it, plus what the check found. */
export interface DriftFacts extends RoleFacts {
  oidcProvider: OidcProviderFacts;
  drift: DriftItem[];
  repaired: string[];
}

interface Live {
  drift: DriftItem[];
  role?: RoleState;
  /** The role is this binding's: repairs may touch it. */
  owned: boolean;
  serviceAccountAnnotation?: string | null;
  oidcProviderArn?: string;
}

const sorted = (values: readonly string[]) => [...values].sort();
/** IAM's maximum session duration for a role created without one. */
const DEFAULT_MAX_SESSION_DURATION = 3600;

/** The binding's own tags the role lacks or carries with another value (others' tags are not drift). */
function staleTagKeys(binding: Binding, role: RoleState): string[] {
  return Object.keys(binding.tags).filter((key) => role.tags[key] !== binding.tags[key]);
}

async function inspect(
  binding: Binding,
  cluster: ClusterFacts,
  expectedTrust: TrustPolicy | undefined,
  roleArn: string,
  k8s: KubernetesCluster,
  deps: CheckDriftDeps,
): Promise<Live> {
  const drift: DriftItem[] = [];
  const provider = await deps.oidcProviders.find(cluster.oidcIssuer);
  const expectedProvider = binding.outputs?.oidcProviderArn;
  if (!provider) {
    drift.push({ what: 'oidcProvider', expected: expectedProvider ?? cluster.oidcIssuer, actual: null });
  } else if (expectedProvider && provider.arn !== expectedProvider) {
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
    const wanted = sorted(binding.policyArns);
    if (attached.join('\n') !== wanted.join('\n')) {
      drift.push({ what: 'policyArns', expected: wanted, actual: attached });
    }
  }

  const sa = await k8s.get({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    namespace: binding.namespace,
    name: binding.serviceAccountName,
  });
  const annotation = sa ? (sa.metadata.annotations?.[ROLE_ARN_ANNOTATION] ?? null) : undefined;
  if (annotation === undefined) {
    drift.push({
      what: 'serviceAccount',
      expected: `${binding.namespace}/${binding.serviceAccountName}`,
      actual: null,
    });
  } else if (annotation !== roleArn) {
    drift.push({
      what: `serviceAccount.annotations.${ROLE_ARN_ANNOTATION}`,
      expected: roleArn,
      actual: annotation,
    });
  }
  return {
    drift,
    owned,
    ...(role ? { role } : {}),
    ...(annotation === undefined ? {} : { serviceAccountAnnotation: annotation }),
    ...(provider ? { oidcProviderArn: provider.arn } : {}),
  };
}

/** Puts back what irsa-broker owns; returns what it changed. Never touches a role it does not own. */
async function repair(
  binding: Binding,
  live: Live,
  expectedTrust: TrustPolicy | undefined,
  roleArn: string,
  k8s: KubernetesCluster,
  deps: CheckDriftDeps,
): Promise<string[]> {
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
    for (const arn of binding.policyArns.filter((a) => !role.attachedPolicyArns.includes(a))) {
      await deps.roles.attachPolicy(role.name, arn);
      done.push(`attached ${arn}`);
    }
    for (const arn of role.attachedPolicyArns.filter((a) => !binding.policyArns.includes(a))) {
      await deps.roles.detachPolicy(role.name, arn);
      done.push(`detached ${arn}`);
    }
  }
  const saMissing = live.serviceAccountAnnotation === undefined;
  const annotationWrong = !saMissing && live.serviceAccountAnnotation !== roleArn;
  // A missing ServiceAccount is re-created only when irsa-broker was asked to create it in the first place.
  if (role && live.owned && (annotationWrong || (saMissing && binding.createServiceAccount))) {
    // No force: an annotation another field manager took over stays theirs (FieldOwnershipConflict).
    await k8s.apply(
      buildServiceAccount(
        {
          namespace: binding.namespace,
          name: binding.serviceAccountName,
          roleArn,
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
  return done;
}

const whatOf = (drift: DriftItem[]) => drift.map((d) => d.what).join(', ');

export async function checkDrift(
  binding: Binding,
  cluster: ClusterFacts,
  options: { repair: boolean },
  deps: CheckDriftDeps,
): Promise<DriftFacts> {
  const roleArn = binding.outputs?.roleArn;
  if (!roleArn) {
    throw new VerificationFailedError(
      `Binding ${binding.id} never got a role, so there is nothing to check; retry it (POST /v1/bindings/${binding.id}/retry)`,
    );
  }
  const k8s = deps.kubernetes.connect(cluster);
  const providerArn = binding.outputs?.oidcProviderArn;
  const expectedTrust = providerArn
    ? buildTrustPolicy({
        oidcProviderArn: providerArn,
        issuer: cluster.oidcIssuer,
        namespace: binding.namespace,
        serviceAccountName: binding.serviceAccountName,
        ...(binding.audience === undefined ? {} : { audience: binding.audience }),
      })
    : undefined;

  let live = await inspect(binding, cluster, expectedTrust, roleArn, k8s, deps);
  const found = live.drift;
  let repaired: string[] = [];
  if (options.repair && found.length > 0) {
    repaired = await repair(binding, live, expectedTrust, roleArn, k8s, deps);
    if (repaired.length > 0) live = await inspect(binding, cluster, expectedTrust, roleArn, k8s, deps);
  }
  await deps.store.recordDrift(binding.id, live.drift, deps.clock.now().toISOString());

  const summary =
    found.length === 0
      ? 'no drift'
      : `drift in ${whatOf(found)}${repaired.length ? `; repaired ${repaired.join(', ')}` : options.repair ? '' : ' (not repaired: send {"repair": true})'}${repaired.length && live.drift.length ? `; still differs: ${whatOf(live.drift)}` : ''}`;
  if (!live.role || !live.owned || !providerArn || !expectedTrust) {
    // Without its own role there is nothing a test pod could prove.
    throw new VerificationFailedError(`Binding ${binding.id} no longer works: ${summary}`);
  }
  return {
    status: 'SUCCEEDED',
    detail: summary,
    name: live.role.name,
    arn: live.role.arn,
    trustPolicy: expectedTrust,
    oidcProvider: { status: 'SUCCEEDED', detail: 'from the binding', arn: providerArn },
    drift: live.drift,
    repaired,
  };
}
