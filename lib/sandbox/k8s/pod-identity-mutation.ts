// What amazon-eks-pod-identity-webhook does to a pod on CREATE, per the field notes.
import { child, type JsonObject, objectsAt, stringAt, stringMap } from './json.js';

export const TOKEN_VOLUME = 'aws-iam-token';
export const TOKEN_MOUNT_PATH = '/var/run/secrets/eks.amazonaws.com/serviceaccount';
export const TOKEN_FILE = `${TOKEN_MOUNT_PATH}/token`;
const DEFAULT_EXPIRATION = 86400;

export interface WebhookConfig {
  annotationPrefix: string;
  defaultAudience: string;
  /** Set when the webhook runs with a region (`--aws-default-region`); EKS's own webhook does. */
  region?: string;
}

function expirationSeconds(...candidates: (string | undefined)[]): number {
  for (const candidate of candidates) {
    if (candidate === undefined) continue;
    const parsed = Number.parseInt(candidate, 10);
    if (Number.isNaN(parsed)) continue;
    return Math.min(86400, Math.max(600, parsed));
  }
  return DEFAULT_EXPIRATION;
}

/** The pod as the webhook would return it, or `undefined` when the webhook leaves it alone. */
export function mutatePodForIrsa(
  pod: JsonObject,
  serviceAccount: JsonObject,
  config: WebhookConfig,
): JsonObject | undefined {
  const saAnnotations = stringMap(child(serviceAccount, 'metadata'), 'annotations');
  const podAnnotations = stringMap(child(pod, 'metadata'), 'annotations');
  const prefix = config.annotationPrefix;
  const roleArn = saAnnotations[`${prefix}/role-arn`];
  if (!roleArn) return undefined;
  const audience = saAnnotations[`${prefix}/audience`] ?? config.defaultAudience;
  const regional = saAnnotations[`${prefix}/sts-regional-endpoints`] === 'true';
  const expiration = expirationSeconds(
    podAnnotations[`${prefix}/token-expiration`],
    saAnnotations[`${prefix}/token-expiration`],
  );
  const skipped = new Set(
    (podAnnotations[`${prefix}/skip-containers`] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

  const mutated = structuredClone(pod);
  const spec = child(mutated, 'spec') ?? {};
  const injected: [string, string][] = [];
  if (regional) injected.push(['AWS_STS_REGIONAL_ENDPOINTS', 'regional']);
  if (config.region) injected.push(['AWS_DEFAULT_REGION', config.region], ['AWS_REGION', config.region]);
  injected.push(['AWS_ROLE_ARN', roleArn], ['AWS_WEB_IDENTITY_TOKEN_FILE', TOKEN_FILE]);

  for (const container of [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')]) {
    if (skipped.has(stringAt(container, 'name') ?? '')) continue;
    const env = objectsAt(container, 'env');
    const present = new Set(env.map((e) => stringAt(e, 'name')));
    if (!present.has('AWS_ROLE_ARN')) {
      for (const [name, value] of injected) if (!present.has(name)) env.push({ name, value });
      container.env = env;
    }
    const mounts = objectsAt(container, 'volumeMounts');
    if (!mounts.some((m) => stringAt(m, 'mountPath') === TOKEN_MOUNT_PATH)) {
      mounts.push({ name: TOKEN_VOLUME, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
      container.volumeMounts = mounts;
    }
  }
  const volumes = objectsAt(spec, 'volumes');
  if (!volumes.some((v) => stringAt(v, 'name') === TOKEN_VOLUME)) {
    volumes.push({
      name: TOKEN_VOLUME,
      projected: {
        sources: [{ serviceAccountToken: { audience, expirationSeconds: expiration, path: 'token' } }],
      },
    });
    spec.volumes = volumes;
  }
  return mutated;
}

/** Reads the webhook's configuration from its command-line flags. */
export function webhookConfigFromArgs(
  args: string[],
): WebhookConfig & { inCluster: boolean; namespace?: string; serviceName?: string; tlsSecret?: string } {
  const flags = new Map<string, string>();
  for (const arg of args) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(arg);
    if (m) flags.set(m[1]!, m[2] ?? 'true');
  }
  return {
    inCluster: flags.get('in-cluster') === 'true',
    namespace: flags.get('namespace'),
    serviceName: flags.get('service-name'),
    tlsSecret: flags.get('tls-secret'),
    annotationPrefix: flags.get('annotation-prefix') ?? 'eks.amazonaws.com',
    defaultAudience: flags.get('token-audience') ?? 'sts.amazonaws.com',
    region: flags.get('aws-default-region'),
  };
}

export const POD_IDENTITY_TOKEN_VOLUME = 'eks-pod-identity-token';
export const POD_IDENTITY_MOUNT_PATH = '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount';
export const POD_IDENTITY_TOKEN_FILE = `${POD_IDENTITY_MOUNT_PATH}/eks-pod-identity-token`;
/** Where the Pod Identity agent serves credentials on every node (IPv4 link-local). */
export const POD_IDENTITY_CREDENTIALS_URI = 'http://169.254.170.23/v1/credentials';
export const POD_IDENTITY_AUDIENCE = 'pods.eks.amazonaws.com';

/**
 * What EKS's webhook does to a new pod whose service account has a Pod Identity association: the
 * container-credentials variables the SDKs read, and a projected token for pods.eks.amazonaws.com.
 * A container that already sets AWS_CONTAINER_CREDENTIALS_FULL_URI keeps its own.
 */
export function mutatePodForPodIdentity(pod: JsonObject): JsonObject {
  const mutated = structuredClone(pod);
  const spec = child(mutated, 'spec') ?? {};
  const injected: [string, string][] = [
    ['AWS_CONTAINER_CREDENTIALS_FULL_URI', POD_IDENTITY_CREDENTIALS_URI],
    ['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE', POD_IDENTITY_TOKEN_FILE],
  ];
  for (const container of [...objectsAt(spec, 'initContainers'), ...objectsAt(spec, 'containers')]) {
    const env = objectsAt(container, 'env');
    const present = new Set(env.map((e) => stringAt(e, 'name')));
    if (!present.has('AWS_CONTAINER_CREDENTIALS_FULL_URI')) {
      for (const [name, value] of injected) if (!present.has(name)) env.push({ name, value });
      container.env = env;
    }
    const mounts = objectsAt(container, 'volumeMounts');
    if (!mounts.some((m) => stringAt(m, 'mountPath') === POD_IDENTITY_MOUNT_PATH)) {
      mounts.push({ name: POD_IDENTITY_TOKEN_VOLUME, readOnly: true, mountPath: POD_IDENTITY_MOUNT_PATH });
      container.volumeMounts = mounts;
    }
  }
  const volumes = objectsAt(spec, 'volumes');
  if (!volumes.some((v) => stringAt(v, 'name') === POD_IDENTITY_TOKEN_VOLUME)) {
    volumes.push({
      name: POD_IDENTITY_TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: POD_IDENTITY_AUDIENCE,
              expirationSeconds: DEFAULT_EXPIRATION,
              path: POD_IDENTITY_TOKEN_VOLUME,
            },
          },
        ],
      },
    });
    spec.volumes = volumes;
  }
  return mutated;
}
