// DescribeCluster: what the later steps need to know about the binding's EKS cluster, and the mode the
// binding runs in (a request's `auto` becomes pod-identity where the Pod Identity agent add-on runs).
import {
  type Binding,
  type BindingMode,
  IRSA_ONLY_FIELDS,
  usesIrsa,
  usesPodIdentity,
} from '../../domain/binding.js';
import {
  ClusterNotActiveError,
  OidcProviderMissingError,
  PodIdentityAgentMissingError,
} from '../../domain/errors.js';
import type { EksClusters, EksPodIdentity } from '../../ports/eks.js';
import type { ClusterFacts } from './bind-state.js';

export const POD_IDENTITY_AGENT_ADDON = 'eks-pod-identity-agent';

export interface DescribeClusterDeps {
  clusters: EksClusters;
  podIdentity: Pick<EksPodIdentity, 'describeAddon'>;
  config: { installPodIdentityAgent: boolean };
}

/** The mode already decided for this binding, if any: asked for, or settled by an earlier run. */
export function decidedMode(binding: Binding): BindingMode | undefined {
  if (binding.mode !== undefined && binding.mode !== 'auto') return binding.mode;
  if (binding.outputs?.mode) return binding.outputs.mode;
  // Only Pod Identity chains into a target role.
  if (binding.targetRoleArn !== undefined) return 'pod-identity';
  // A binding bound before modes existed was bound through IRSA; a new run must not switch it.
  return binding.outputs?.roleArn ? 'irsa' : undefined;
}

export async function describeCluster(binding: Binding, deps: DescribeClusterDeps): Promise<ClusterFacts> {
  const where = `cluster ${binding.clusterName} in ${binding.region}`;
  // ClusterNotFound, Throttled and Transient come from the adapter with their ASL names.
  const cluster = await deps.clusters.describe(binding.region, binding.clusterName);
  if (cluster.status !== 'ACTIVE') {
    throw new ClusterNotActiveError(`The ${where} is ${cluster.status}; bind again once it is ACTIVE`);
  }
  if (!cluster.endpoint || !cluster.caData) {
    throw new ClusterNotActiveError(
      `The ${where} reports no API endpoint or CA yet; bind again once it is ACTIVE`,
    );
  }

  let decided = decidedMode(binding);
  // auto with IRSA's own settings (audience, token expiry, regional STS) asks for IRSA.
  const irsaField = IRSA_ONLY_FIELDS.find((field) => binding[field] !== undefined);
  const autoReason =
    decided === undefined && irsaField ? `auto: irsa, the request sets ${irsaField}` : undefined;
  if (autoReason) decided = 'irsa';
  let agent: string | undefined;
  if (decided === undefined || usesPodIdentity(decided)) {
    const addon = await deps.podIdentity.describeAddon(
      binding.region,
      binding.clusterName,
      POD_IDENTITY_AGENT_ADDON,
    );
    agent = addon?.status ?? 'missing';
  }
  const mode: BindingMode = decided ?? (agent === 'ACTIVE' ? 'pod-identity' : 'irsa');
  const how =
    autoReason ??
    (decided === undefined ? `auto: ${mode}, the ${POD_IDENTITY_AGENT_ADDON} add-on is ${agent}` : mode);

  if (usesIrsa(mode) && !cluster.oidcIssuer) {
    throw new OidcProviderMissingError(
      `The ${where} has no OIDC issuer; IRSA needs one (EKS clusters get one from version 1.13 on)` +
        (usesPodIdentity(mode) ? '' : '; or bind with mode "pod-identity"'),
    );
  }
  if (usesPodIdentity(mode) && agent === 'missing' && !deps.config.installPodIdentityAgent) {
    throw new PodIdentityAgentMissingError(
      `The ${where} does not run the ${POD_IDENTITY_AGENT_ADDON} add-on, which mode ${mode} needs. Install it ` +
        `(aws eks create-addon --cluster-name ${binding.clusterName} --addon-name ${POD_IDENTITY_AGENT_ADDON}), ` +
        'let irsa-broker install it (INSTALL_POD_IDENTITY_AGENT=true), or bind with mode "irsa"',
    );
  }
  const issuer = cluster.oidcIssuer ? `, issuer ${cluster.oidcIssuer}` : '';
  const agentNote = agent === undefined ? '' : `, ${POD_IDENTITY_AGENT_ADDON} ${agent}`;
  return {
    status: 'SUCCEEDED',
    detail: `${cluster.name} Kubernetes ${cluster.version} (${cluster.platformVersion}); mode ${how}${issuer}${decided === undefined ? '' : agentNote}`,
    name: cluster.name,
    region: cluster.region,
    arn: cluster.arn,
    version: cluster.version,
    endpoint: cluster.endpoint,
    caData: cluster.caData,
    oidcIssuer: cluster.oidcIssuer ?? '',
    mode,
    ...(agent === undefined ? {} : { podIdentityAgent: agent }),
  };
}
