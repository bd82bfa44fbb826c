// The unbind steps' Lambda handlers, shared by the unbind workflow and the bind workflow's rollback
// branch (`phase: rollback` in the state): parse the state, run one use case in the unbind step frame.
import middy from '@middy/core';
import type { Binding } from '../domain/binding.js';
import { parseBindState } from '../use-cases/bind/run-step.js';
import { reachCluster } from '../use-cases/unbind/cluster-connection.js';
import { deletePodIdentityAssociation } from '../use-cases/unbind/delete-pod-identity-association.js';
import { deleteRole } from '../use-cases/unbind/delete-role.js';
import { deleteTestPods } from '../use-cases/unbind/delete-test-pods.js';
import { type RecordUnbindResult, recordUnbind } from '../use-cases/unbind/record-unbind.js';
import { removeServiceAccountBinding } from '../use-cases/unbind/remove-service-account-binding.js';
import { runUnbindStep, type UnbindTask } from '../use-cases/unbind/run-unbind-step.js';
import { phaseOf, type UnbindOutcome, type UnbindState } from '../use-cases/unbind/unbind-state.js';
import type { StepDependencies } from './step-dependencies.js';

type UnbindDeps = Pick<
  StepDependencies,
  'config' | 'store' | 'clock' | 'clusters' | 'podIdentity' | 'roles' | 'kubernetes' | 'targetAccounts'
>;
/** What every unbind step's frame needs. */
type UnbindFrame = Pick<StepDependencies, 'store' | 'clock'>;

function unbindHandler(
  deps: UnbindFrame,
  task: UnbindTask,
  work: (state: UnbindState, binding: Binding) => Promise<UnbindOutcome>,
) {
  return middy<unknown, UnbindOutcome>().handler(async (event) => {
    const state = parseBindState(event) as UnbindState;
    return runUnbindStep(phaseOf(state), task, state.bindingId, deps, (binding) => work(state, binding));
  });
}

/** A binding whose bind never started the step that creates a resource created no such resource. */
function neverRan(binding: Binding, step: string): boolean {
  return binding.steps.find((s) => s.name === step)?.status === 'PENDING';
}

export const deleteTestPodsHandler = (
  deps: UnbindFrame & Pick<StepDependencies, 'clusters' | 'kubernetes'>,
) =>
  unbindHandler(deps, 'testPods', async (state, binding) => {
    if (neverRan(binding, 'VerifyIdentity')) {
      return { status: 'SKIPPED', detail: 'VerifyIdentity never ran: no test pods were started' };
    }
    const cluster = await reachCluster(binding, state, deps);
    if (cluster.kind === 'gone') return { status: 'SKIPPED', detail: cluster.why };
    return deleteTestPods(binding, cluster.connection, deps);
  });

export const deletePodIdentityAssociationHandler = (
  deps: UnbindFrame & Pick<StepDependencies, 'podIdentity'>,
) =>
  unbindHandler(deps, 'association', async (state, binding) => {
    if (neverRan(binding, 'EnsurePodIdentityAssociation') && !binding.outputs?.podIdentityAssociation) {
      return {
        status: 'SKIPPED',
        detail: 'EnsurePodIdentityAssociation never ran: no association was created',
      };
    }
    return deletePodIdentityAssociation(binding, state, deps);
  });

export const removeServiceAccountBindingHandler = (
  deps: UnbindFrame & Pick<StepDependencies, 'clusters' | 'kubernetes' | 'roles'>,
) =>
  unbindHandler(deps, 'serviceAccount', async (state, binding) => {
    if (neverRan(binding, 'ApplyServiceAccount')) {
      return {
        status: 'SKIPPED',
        detail: 'ApplyServiceAccount never ran: the ServiceAccount was not changed',
      };
    }
    const cluster = await reachCluster(binding, state, deps);
    if (cluster.kind === 'gone') return { status: 'SKIPPED', detail: cluster.why };
    const roleArn = state.role?.arn ?? binding.outputs?.roleArn;
    const created = state.serviceAccount?.created ?? binding.outputs?.serviceAccountCreated ?? false;
    return removeServiceAccountBinding(binding, cluster.connection, { roleArn, created }, deps);
  });

export const deleteRoleHandler = (
  deps: UnbindFrame & Pick<StepDependencies, 'config' | 'roles' | 'targetAccounts'>,
) =>
  unbindHandler(deps, 'role', async (state, binding) => {
    if (neverRan(binding, 'EnsureRole')) {
      return { status: 'SKIPPED', detail: 'EnsureRole never ran: no role was created' };
    }
    return deleteRole(binding, state.role?.name ?? binding.roleName, deps);
  });

export const recordUnbindHandler = (deps: UnbindFrame) =>
  middy<unknown, RecordUnbindResult>().handler(async (event) =>
    recordUnbind(parseBindState(event) as UnbindState, deps),
  );

/** All of the unbind steps' handlers over one set of dependencies (tests, tools). */
export function createUnbindStepHandlers(deps: UnbindDeps) {
  return {
    deleteTestPods: deleteTestPodsHandler(deps),
    deletePodIdentityAssociation: deletePodIdentityAssociationHandler(deps),
    removeServiceAccountBinding: removeServiceAccountBindingHandler(deps),
    deleteRole: deleteRoleHandler(deps),
    recordUnbind: recordUnbindHandler(deps),
  };
}
