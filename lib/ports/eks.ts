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
