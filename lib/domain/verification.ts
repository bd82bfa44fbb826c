// Reading the test pod: was it mutated (by the pod identity webhook for IRSA, by EKS for Pod Identity),
// what did the AWS CLI print, and what follows.

import type { KubernetesObject } from '../ports/kubernetes.js';
import type { BindingMode, Verification } from './binding.js';
import { testPodContainers } from './manifests/test-pod.js';

export const TOKEN_MOUNT_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
/** Where EKS mounts the Pod Identity token (audience pods.eks.amazonaws.com). */
export const POD_IDENTITY_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
/** How much of the pod log goes into a failure message. */
export const LOG_EXCERPT_CHARS = 500;

interface ContainerShape {
  name?: string;
  env?: { name?: string; value?: string }[];
  volumeMounts?: { mountPath?: string }[];
}

function hasIrsa(container: ContainerShape): boolean {
  const env = new Set((container.env ?? []).map((e) => e.name));
  const mounted = (container.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH);
  return env.has('AWS_ROLE_ARN') && env.has('AWS_WEB_IDENTITY_TOKEN_FILE') && mounted;
}

function hasPodIdentity(container: ContainerShape): boolean {
  const env = new Set((container.env ?? []).map((e) => e.name));
  const mounted = (container.volumeMounts ?? []).some((m) => m.mountPath === POD_IDENTITY_MOUNT_PATH);
  return (
    env.has('AWS_CONTAINER_CREDENTIALS_FULL_URI') &&
    env.has('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE') &&
    mounted
  );
}

/**
 * What is missing from the test pod for `mode`, one phrase per mechanism, or [] when each container got
 * what it proves: IRSA's role and token from the webhook, Pod Identity's credentials URI and token from EKS.
 * In mode both the Pod Identity container must not have IRSA's variables, or they would win.
 */
export function podMutationProblems(pod: KubernetesObject, mode: BindingMode): ('irsa' | 'pod-identity')[] {
  const spec = pod.spec as { containers?: ContainerShape[] } | undefined;
  const problems = new Set<'irsa' | 'pod-identity'>();
  for (const { name, proves } of testPodContainers(mode)) {
    const container = (spec?.containers ?? []).find((c) => c.name === name);
    if (!container) {
      problems.add(proves);
    } else if (proves === 'irsa' ? !hasIrsa(container) : !hasPodIdentity(container)) {
      problems.add(proves);
    }
  }
  return [...problems];
}

export type CallerIdentityLog =
  | { kind: 'identity'; identity: Verification }
  | { kind: 'sts-error'; code: 'AccessDenied' | 'InvalidIdentityToken'; message: string }
  /** The Pod Identity agent refused (EKS Auth: no association yet, or the role's trust refused). */
  | { kind: 'agent-error'; code: string; message: string }
  /** STS or the network failed after the AWS CLI's own retries: says nothing about the binding. */
  | { kind: 'transient-error'; code: string; message: string }
  | { kind: 'unrecognized' };

const STS_ERROR = /An error occurred \((AccessDenied|InvalidIdentityToken)\)[^:]*:\s*(.*)/;
/** Error codes the AWS CLI prints for throttling and service-side failures (botocore's retryable set). */
const TRANSIENT_ERROR =
  /An error occurred \((Throttling|ThrottlingException|ThrottledException|RequestLimitExceeded|RequestThrottled|TooManyRequestsException|ServiceUnavailable|InternalFailure|InternalError|IDPCommunicationError|RequestTimeout)\)[^:]*:\s*(.*)/;
/**
 * botocore's container provider, when the agent answers non-200:
 * `Error when retrieving credentials from container-role: Error retrieving metadata: Received non 200
 * response (404) from container metadata: [id]: (ResourceNotFoundException): message, fault: client`.
 */
const AGENT_ERROR =
  /Error when retrieving credentials from container-role: Error retrieving metadata: Received non 200 response \((\d{3})\) from container metadata: (?:\[[^\]]*\]: )?\(([A-Za-z]+)\): ([^\n]*)/;
const AGENT_UNREACHABLE = /Error when retrieving credentials from container-role: ([^\n]*)/;
const NETWORK_ERROR =
  /(Could not connect to the endpoint URL|Connection was closed|Read timeout on endpoint URL)[^\n]*/;

/** Parses what `aws sts get-caller-identity --output json` printed. */
export function parseCallerIdentityLog(log: string): CallerIdentityLog {
  const error = STS_ERROR.exec(log);
  if (error) {
    return {
      kind: 'sts-error',
      code: error[1] as 'AccessDenied' | 'InvalidIdentityToken',
      message: error[2]!.trim(),
    };
  }
  const agent = AGENT_ERROR.exec(log);
  if (agent) {
    const [, status, code, message] = agent;
    if (Number(status) >= 500) return { kind: 'transient-error', code: code!, message: message!.trim() };
    return { kind: 'agent-error', code: code!, message: message!.trim() };
  }
  const unreachable = AGENT_UNREACHABLE.exec(log);
  if (unreachable) return { kind: 'agent-error', code: 'AgentUnreachable', message: unreachable[1]!.trim() };
  const transient = TRANSIENT_ERROR.exec(log);
  if (transient) return { kind: 'transient-error', code: transient[1]!, message: transient[2]!.trim() };
  const network = NETWORK_ERROR.exec(log);
  if (network) return { kind: 'transient-error', code: 'NetworkError', message: network[0].trim() };
  const start = log.indexOf('{');
  const end = log.lastIndexOf('}');
  if (start === -1 || end < start) return { kind: 'unrecognized' };
  try {
    const parsed = JSON.parse(log.slice(start, end + 1)) as Record<string, unknown>;
    const { Arn, Account, UserId } = parsed;
    if (typeof Arn === 'string' && typeof Account === 'string' && typeof UserId === 'string') {
      return { kind: 'identity', identity: { arn: Arn, account: Account, userId: UserId } };
    }
  } catch {
    // Not JSON after all: falls through to unrecognized.
  }
  return { kind: 'unrecognized' };
}

/** The first characters of a log, on one line, for an error message. */
export function logExcerpt(log: string, max = LOG_EXCERPT_CHARS): string {
  const flat = log.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** `arn:<partition>:sts::<account>:assumed-role/<roleName>/<session>` for the expected role. */
export function isAssumedRoleArn(arn: string, roleArn: string): boolean {
  const role = /^arn:([^:]+):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
  if (!role) return false;
  const [, partition, account, roleName] = role;
  const prefix = `arn:${partition}:sts::${account}:assumed-role/${roleName}/`;
  return arn.startsWith(prefix) && arn.length > prefix.length;
}

export type VerificationDecision =
  | { kind: 'succeeded'; identity: Verification }
  | { kind: 'retry'; reason: string }
  | { kind: 'failed'; message: string };

export interface VerificationContext {
  roleArn: string;
  /** Seconds since the first attempt started. */
  elapsedSeconds: number;
  /** How long IAM may take to make a new or changed role assumable. */
  propagationWindowSeconds: number;
}

/** What a finished test pod's log means for the binding. */
export function decideVerification(log: string, context: VerificationContext): VerificationDecision {
  const parsed = parseCallerIdentityLog(log);
  if (parsed.kind === 'identity') {
    if (isAssumedRoleArn(parsed.identity.arn, context.roleArn)) {
      return { kind: 'succeeded', identity: parsed.identity };
    }
    return {
      kind: 'failed',
      message:
        `The test pod ran as ${parsed.identity.arn}, not as role ${context.roleArn}; ` +
        'check that the service account annotation was not changed and that no other credentials are injected',
    };
  }
  if (parsed.kind === 'transient-error') {
    // Bounded by the verification timeout, not the propagation window: an outage is not a verdict.
    return { kind: 'retry', reason: `STS unavailable (${parsed.code})` };
  }
  if (parsed.kind === 'agent-error') {
    // A new association or role takes a few seconds to reach EKS Auth: inside the window it is not a verdict.
    if (context.elapsedSeconds < context.propagationWindowSeconds) {
      return { kind: 'retry', reason: `Pod Identity agent: ${parsed.code} within the propagation window` };
    }
    const hint =
      parsed.code === 'ResourceNotFoundException'
        ? 'EKS has no Pod Identity association for the service account'
        : parsed.code === 'AgentUnreachable'
          ? 'the eks-pod-identity-agent does not answer on the node'
          : "the role's trust policy does not admit pods.eks.amazonaws.com for this cluster and service account";
    return {
      kind: 'failed',
      message: `The Pod Identity agent gave no credentials (${parsed.code}) after ${Math.round(context.elapsedSeconds)} s: ${hint}. Log: ${logExcerpt(log)}`,
    };
  }
  if (parsed.kind === 'sts-error') {
    if (context.elapsedSeconds < context.propagationWindowSeconds) {
      return { kind: 'retry', reason: `${parsed.code} within the IAM propagation window` };
    }
    const hint =
      parsed.code === 'InvalidIdentityToken'
        ? 'the account has no IAM OIDC provider for the cluster issuer'
        : 'the trust policy does not match the service account, audience or OIDC provider';
    return {
      kind: 'failed',
      message: `STS refused the web identity (${parsed.code}) after ${Math.round(context.elapsedSeconds)} s: ${hint}. Log: ${logExcerpt(log)}`,
    };
  }
  return {
    kind: 'failed',
    message: `The test pod printed no caller identity; check VERIFY_IMAGE runs the AWS CLI. Log: ${logExcerpt(log)}`,
  };
}
