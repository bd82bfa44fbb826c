// Port: what the bind workflow learns about an EKS cluster from the EKS control plane.

export type ClusterStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING' | 'PENDING';

/** A cluster as DescribeCluster reports it. Plain JSON: it travels through Step Functions state. */
export interface ClusterInfo {
  name: string;
  region: string;
  arn: string;
  /** Kubernetes minor version, e.g. "1.29". */
  version: string;
  platformVersion: string;
  status: ClusterStatus;
  /** The API server URL; absent while the cluster is still being created. */
  endpoint?: string;
  /** base64 of the PEM of the cluster CA (as EKS serves it); absent while creating. */
  caData?: string;
  /** `https://oidc.eks.<region>.amazonaws.com/id/<hex>`; absent if the cluster has no OIDC issuer. */
  oidcIssuer?: string;
}

export interface EksClusters {
  /**
   * Describes cluster `name` in `region`.
   * Throws ClusterNotFoundError (no such cluster in that account and region),
   * NotAllowedError (the broker's IAM identity may not call eks:DescribeCluster on it),
   * ThrottledError (EKS asked us to slow down), TransientError (5xx, timeouts, connection failures).
   */
  describe(region: string, name: string): Promise<ClusterInfo>;
}

/** An EKS add-on as DescribeAddon reports it (CREATING, ACTIVE, DEGRADED, CREATE_FAILED, ...). */
export interface AddonInfo {
  name: string;
  status: string;
  version?: string;
}

/** An EKS Pod Identity association as DescribePodIdentityAssociation reports it. */
export interface PodIdentityAssociation {
  associationId: string;
  associationArn: string;
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  targetRoleArn?: string;
  disableSessionTags: boolean;
  tags: Record<string, string>;
}

export interface NewPodIdentityAssociation {
  clusterName: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  /** A role the association's role chains into (EKS passes its credentials to the pods). */
  targetRoleArn?: string;
  tags: Record<string, string>;
  /** Makes a retried create return the association the first one made. */
  clientRequestToken: string;
}

/** What UpdatePodIdentityAssociation changes; absent fields stay. `targetRoleArn: null` removes the target. */
export interface AssociationChange {
  roleArn?: string;
  targetRoleArn?: string | null;
  disableSessionTags?: boolean;
}

/** EKS Pod Identity: the agent add-on and the associations of a cluster. Errors as EksClusters'. */
export interface EksPodIdentity {
  /** The add-on `addonName` of the cluster; undefined when it is not installed. */
  describeAddon(region: string, clusterName: string, addonName: string): Promise<AddonInfo | undefined>;
  /** Installs add-on `addonName` (default version); ConflictError when it is already there. */
  createAddon(region: string, clusterName: string, addonName: string): Promise<AddonInfo>;
  /** The association of one service account, if any (EKS allows one per service account). */
  findAssociation(
    region: string,
    clusterName: string,
    namespace: string,
    serviceAccount: string,
  ): Promise<PodIdentityAssociation | undefined>;
  describeAssociation(
    region: string,
    clusterName: string,
    associationId: string,
  ): Promise<PodIdentityAssociation | undefined>;
  /** ConflictError when the service account has an association already (ResourceInUseException). */
  createAssociation(region: string, association: NewPodIdentityAssociation): Promise<PodIdentityAssociation>;
  updateAssociation(
    region: string,
    clusterName: string,
    associationId: string,
    change: AssociationChange,
  ): Promise<PodIdentityAssociation>;
  /** Deletes the association; false when it was already gone. */
  deleteAssociation(region: string, clusterName: string, associationId: string): Promise<boolean>;
}
