// The seams inside the sandbox cloud: what the simulated AWS account offers the simulated EKS
// clusters and back, plus the shared fault and counter hooks. The sandbox models AWS and EKS only:
// nothing under lib/sandbox imports irsa-broker's domain, use cases or adapters.

/** A principal as STS reports it. */
export interface CallerIdentity {
  arn: string;
  account: string;
  userId: string;
}

/** An error as the AWS CLI / SDK would surface it (code like "AccessDenied", "InvalidIdentityToken"). */
export interface AwsErrorShape {
  code: string;
  message: string;
  httpStatus: number;
}

export type StsOutcome = { ok: true; identity: CallerIdentity } | { ok: false; error: AwsErrorShape };

/** What the account's STS does for the clusters (EKS authn) and for pods (the AWS CLI inside). */
export interface SandboxSts {
  /**
   * EKS's side of bearer-token authentication: the API server hands over the presigned
   * GetCallerIdentity request decoded from a `k8s-aws-v1.` token; STS checks the SigV4 signature
   * against the credentials it knows and answers who signed it.
   */
  verifyPresignedGetCallerIdentity(request: {
    url: string;
    headers: Record<string, string>;
  }): Promise<StsOutcome>;
  /** What `aws sts get-caller-identity` does in a pod that has a web identity token. */
  assumeRoleWithWebIdentity(input: {
    roleArn: string;
    webIdentityToken: string;
    roleSessionName: string;
  }): Promise<StsOutcome>;
  /** The node's instance role, for pods without IRSA credentials. */
  instanceRoleIdentity(clusterName: string): CallerIdentity;
}

/** What the account's EKS does for a cluster's Pod Identity: the add-on, the associations, EKS Auth. */
export interface SandboxPodIdentity {
  /** Whether the eks-pod-identity-agent add-on is ACTIVE on the cluster. */
  agentActive(clusterName: string): boolean;
  /** Whether EKS has a Pod Identity association for the service account (what EKS's pod mutation checks). */
  hasAssociation(clusterName: string, namespace: string, serviceAccount: string): boolean;
  /** The agent's call for a pod: EKS Auth AssumeRoleForPodIdentity with the pod's projected token. */
  assumeRoleForPodIdentity(input: { clusterName: string; token: string }): Promise<StsOutcome>;
  /** Lets EKS Auth ask whether the pod a token is bound to still runs (the API server's answer). */
  setPodLiveness(clusterName: string, alive: (namespace: string, name: string, uid: string) => boolean): void;
}

/** What a cluster publishes about itself; the EKS control plane serves it via DescribeCluster. */
export interface ClusterDescription {
  name: string;
  region: string;
  arn: string;
  version: string;
  platformVersion: string;
  status: 'CREATING' | 'ACTIVE' | 'DELETING' | 'FAILED' | 'UPDATING';
  endpoint: string;
  /** base64 of the PEM of the cluster CA. */
  certificateAuthorityData: string;
  /** https://oidc.eks.<region>.amazonaws.com/id/<32 upper-case hex> */
  oidcIssuer: string;
  createdAt: Date;
}

/** The public half of a cluster's service-account token signing key, as its OIDC discovery would serve it. */
export interface IssuerKeys {
  issuer: string;
  /** JWKS `keys` array (public JWKs). */
  jwks: Record<string, unknown>[];
}

/** Faults the sandbox injects; one decision per operation call. */
export type FaultKind =
  | 'throttle' // AWS ThrottlingException / Kubernetes 429 with Retry-After
  | 'server-error' // AWS 5xx (ServiceUnavailable / InternalFailure) / Kubernetes 500/503
  | 'latency' // add latencyMs before answering
  | 'permanent' // fails every time with a non-retryable error
  | 'image-pull' // pods of matching images: ErrImagePull → ImagePullBackOff
  | 'webhook-no-csr'; // an in-cluster webhook never files its CSR

export interface FaultDecision {
  kind: FaultKind;
  latencyMs?: number;
  retryAfterSeconds?: number;
}

export interface FaultInjector {
  /**
   * Decides, for one call of `service`/`operation` (e.g. "iam"/"CreateRole",
   * "k8s:demo"/"POST pods"), whether to inject a fault. Seeded: replaying the same seed and call
   * sequence gives the same decisions.
   */
  decide(service: string, operation: string): FaultDecision | undefined;
}

export interface CallCounter {
  /** Counts one call of `operation` on `service` (e.g. "eks", "DescribeCluster"). */
  count(service: string, operation: string): void;
}
