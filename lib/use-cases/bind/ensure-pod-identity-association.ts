// EnsurePodIdentityAssociation (pod-identity and both modes): the Pod Identity agent add-on running on the
// cluster (installed when the configuration allows it), then the EKS Pod Identity association of the
// binding's service account with its role. An association irsa-broker does not own is never touched.
import { createHash } from 'node:crypto';
import { ACTIVE_STATUSES, type Binding, usesPodIdentity } from '../../domain/binding.js';
import {
  AssociationConflictError,
  ConflictError,
  NotYetError,
  PodIdentityAgentMissingError,
} from '../../domain/errors.js';
import { ownerOf, ownershipTags } from '../../domain/ownership.js';
import type { BindingStore } from '../../ports/binding-store.js';
import type { Clock } from '../../ports/clock.js';
import type { EksPodIdentity, PodIdentityAssociation } from '../../ports/eks.js';
import type { AssociationFacts, ClusterFacts, RoleFacts } from './bind-state.js';
import { POD_IDENTITY_AGENT_ADDON } from './describe-cluster.js';

export interface EnsureAssociationDeps {
  podIdentity: EksPodIdentity;
  store: Pick<BindingStore, 'get'>;
  clock: Clock;
  config: {
    installPodIdentityAgent: boolean;
    addonReadyTimeoutSeconds: number;
    stepPollBudgetSeconds: number;
  };
}

const ADDON_POLL_FIRST_MS = 2_000;
const ADDON_POLL_MAX_MS = 15_000;
/** Add-on statuses that will not turn ACTIVE by waiting. */
const ADDON_BROKEN = new Set(['CREATE_FAILED', 'DEGRADED', 'DELETING', 'DELETE_FAILED', 'UPDATE_FAILED']);

/** The step decided by the mode alone: an irsa binding has no association. */
export function associationSettled(cluster: ClusterFacts | undefined): AssociationFacts | undefined {
  if (!cluster || usesPodIdentity(cluster.mode ?? 'irsa')) return undefined;
  return { status: 'SKIPPED', detail: 'irsa mode: no Pod Identity association' };
}

/**
 * The idempotency token of this step's create: the same across the step's retries (it keeps its start),
 * new for a later run, so a retried create returns what the first made and a new run never gets back an
 * association that was deleted meanwhile.
 */
export function associationRequestToken(bindingId: string, roleArn: string, startedAt: Date): string {
  return createHash('sha256')
    .update(`${bindingId}|${roleArn}|${startedAt.toISOString()}`)
    .digest('hex')
    .slice(0, 64);
}

async function agentRunning(
  binding: Binding,
  cluster: ClusterFacts,
  startedAt: Date,
  deps: EnsureAssociationDeps,
): Promise<string> {
  if (cluster.podIdentityAgent === 'ACTIVE') return '';
  const { region, clusterName } = binding;
  const deadline = startedAt.getTime() + deps.config.addonReadyTimeoutSeconds * 1000;
  const invocationEnd = deps.clock.now().getTime() + deps.config.stepPollBudgetSeconds * 1000;
  let installed = false;
  let pause = ADDON_POLL_FIRST_MS;
  for (;;) {
    let addon = await deps.podIdentity.describeAddon(region, clusterName, POD_IDENTITY_AGENT_ADDON);
    if (!addon) {
      if (!deps.config.installPodIdentityAgent) {
        throw new PodIdentityAgentMissingError(
          `The ${POD_IDENTITY_AGENT_ADDON} add-on is no longer installed on cluster ${clusterName}; install it, ` +
            'or set INSTALL_POD_IDENTITY_AGENT=true',
        );
      }
      try {
        addon = await deps.podIdentity.createAddon(region, clusterName, POD_IDENTITY_AGENT_ADDON);
        installed = true;
      } catch (error) {
        // Installed by someone else since our look: wait for theirs.
        if (!(error instanceof ConflictError)) throw error;
        continue;
      }
    }
    if (addon.status === 'ACTIVE') {
      return installed || cluster.podIdentityAgent === 'missing'
        ? `installed the ${POD_IDENTITY_AGENT_ADDON} add-on (${addon.version ?? 'default version'}); `
        : '';
    }
    if (ADDON_BROKEN.has(addon.status)) {
      throw new PodIdentityAgentMissingError(
        `The ${POD_IDENTITY_AGENT_ADDON} add-on on cluster ${clusterName} is ${addon.status}; see ` +
          `"aws eks describe-addon --cluster-name ${clusterName} --addon-name ${POD_IDENTITY_AGENT_ADDON}" for its health issues`,
      );
    }
    const now = deps.clock.now().getTime();
    if (now >= deadline) {
      throw new PodIdentityAgentMissingError(
        `The ${POD_IDENTITY_AGENT_ADDON} add-on on cluster ${clusterName} is still ${addon.status} ` +
          `${deps.config.addonReadyTimeoutSeconds} s after this step began; raise ADDON_READY_TIMEOUT_SECONDS or check the add-on`,
      );
    }
    if (now >= invocationEnd) {
      throw new NotYetError(
        `Waiting for the ${POD_IDENTITY_AGENT_ADDON} add-on to become ACTIVE (${addon.status})`,
      );
    }
    await deps.clock.sleep(Math.min(pause, deadline - now, invocationEnd - now));
    pause = Math.min(pause * 2, ADDON_POLL_MAX_MS);
  }
}

/**
 * irsa mode after a migration step back from both: the association this binding made goes (pods then get
 * only IRSA's variables); one it does not own stays. Nothing to do for a binding that never had one.
 */
async function leavePodIdentity(binding: Binding, deps: EnsureAssociationDeps): Promise<AssociationFacts> {
  const recorded = binding.outputs?.podIdentityAssociation;
  if (!recorded) return { status: 'SKIPPED', detail: 'irsa mode: no Pod Identity association' };
  const { region, clusterName } = binding;
  const live = await deps.podIdentity.describeAssociation(region, clusterName, recorded.associationId);
  if (!live)
    return { status: 'SKIPPED', detail: `irsa mode: association ${recorded.associationId} is gone already` };
  if (ownerOf(live.tags, binding.id).kind !== 'this-binding') {
    return {
      status: 'SKIPPED',
      detail: `irsa mode: association ${live.associationId} is not this binding's; left unchanged`,
    };
  }
  await deps.podIdentity.deleteAssociation(region, clusterName, live.associationId);
  return { status: 'SUCCEEDED', detail: `irsa mode: deleted association ${live.associationId}` };
}

/** Whether this binding may manage `association`: its own, or one a binding no longer active made. */
async function claim(
  association: PodIdentityAssociation,
  binding: Binding,
  deps: EnsureAssociationDeps,
): Promise<'own' | 'take-over'> {
  const owner = ownerOf(association.tags, binding.id);
  if (owner.kind === 'this-binding') return 'own';
  if (owner.kind === 'other-binding') {
    const previous = await deps.store.get(owner.bindingId);
    if (!previous || !ACTIVE_STATUSES.includes(previous.status)) return 'take-over';
  }
  const whose =
    owner.kind === 'other-binding'
      ? `it belongs to irsa-broker binding ${owner.bindingId}, which is still active`
      : 'irsa-broker did not create it';
  throw new AssociationConflictError(
    `Service account ${binding.namespace}/${binding.serviceAccountName} on cluster ${binding.clusterName} already has ` +
      `Pod Identity association ${association.associationId} (role ${association.roleArn}) and ${whose}; it was left ` +
      'unchanged. Delete it (aws eks delete-pod-identity-association) or bind with mode "irsa"',
  );
}

export async function ensurePodIdentityAssociation(
  binding: Binding,
  cluster: ClusterFacts,
  role: RoleFacts,
  context: { startedAt: Date },
  deps: EnsureAssociationDeps,
): Promise<AssociationFacts> {
  if (!usesPodIdentity(cluster.mode ?? 'irsa')) return leavePodIdentity(binding, deps);
  const agentNote = await agentRunning(binding, cluster, context.startedAt, deps);
  const { region, clusterName, namespace, serviceAccountName } = binding;
  const done = (association: PodIdentityAssociation, action: string): AssociationFacts => ({
    status: 'SUCCEEDED',
    detail: `${agentNote}${action} association ${association.associationId} of ${namespace}/${serviceAccountName} with ${association.roleArn}${association.targetRoleArn ? ` → target ${association.targetRoleArn}` : ''}`,
    association: { associationId: association.associationId, associationArn: association.associationArn },
  });

  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await deps.podIdentity.findAssociation(
      region,
      clusterName,
      namespace,
      serviceAccountName,
    );
    if (existing) {
      const how = await claim(existing, binding, deps);
      if (how === 'own') {
        if (existing.roleArn === role.arn && existing.targetRoleArn === binding.targetRoleArn) {
          return done(existing, 'kept');
        }
        const updated = await deps.podIdentity.updateAssociation(
          region,
          clusterName,
          existing.associationId,
          {
            roleArn: role.arn,
            targetRoleArn: binding.targetRoleArn ?? null,
          },
        );
        return done(updated, 'updated');
      }
      // A dead binding's association: replaced by one carrying this binding's tags.
      await deps.podIdentity.deleteAssociation(region, clusterName, existing.associationId);
    }
    try {
      const created = await deps.podIdentity.createAssociation(region, {
        clusterName,
        namespace,
        serviceAccount: serviceAccountName,
        roleArn: role.arn,
        ...(binding.targetRoleArn === undefined ? {} : { targetRoleArn: binding.targetRoleArn }),
        // Ownership tags last: a caller's tag must not be able to claim or disown the association.
        tags: { ...binding.tags, ...ownershipTags(binding.id) },
        clientRequestToken: associationRequestToken(binding.id, role.arn, context.startedAt),
      });
      return done(
        created,
        existing
          ? `replaced association ${existing.associationId} of a binding no longer active;`
          : 'created',
      );
    } catch (error) {
      // Someone created one since our look: decide by its tags, as above.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new AssociationConflictError(
    `The Pod Identity association of ${namespace}/${serviceAccountName} on cluster ${clusterName} kept changing while ` +
      'irsa-broker created its own; retry the binding',
  );
}
