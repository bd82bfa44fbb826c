// Port: the Kubernetes API of one EKS cluster, as the bind workflow uses it.
// Objects are plain manifest-shaped JSON (what `kubectl get -o json` shows), never client classes.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  fieldsType?: string;
  fieldsV1?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Which kind, e.g. `{ apiVersion: 'apps/v1', kind: 'Deployment' }`. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

/** One object; `namespace` only for namespaced kinds. */
export interface ObjectRef extends KindRef {
  name: string;
  namespace?: string;
}

export type CsrVersion = 'v1' | 'v1beta1';

export interface CsrCondition {
  type: 'Approved' | 'Denied' | 'Failed' | string;
  status: string;
  reason?: string;
  message?: string;
}

/** A CertificateSigningRequest, the same shape for v1 and v1beta1. */
export interface CertificateSigningRequest {
  name: string;
  version: CsrVersion;
  /** v1beta1 CSRs filed without one report `kubernetes.io/legacy-unknown` or nothing. */
  signerName?: string;
  /** base64 of the PEM `CERTIFICATE REQUEST`. */
  request: string;
  usages: string[];
  /** Who filed it, as the API server authenticated them. */
  username: string;
  groups: string[];
  conditions: CsrCondition[];
  /** base64 of the issued PEM certificate, once signed. */
  certificate?: string;
  expirationSeconds?: number;
  creationTimestamp?: string;
}

export interface NewCsr {
  /** Exactly one of name / generateName. */
  name?: string;
  generateName?: string;
  /** base64 of the PEM `CERTIFICATE REQUEST`. */
  request: string;
  signerName?: string;
  usages: string[];
  expirationSeconds?: number;
  labels?: Record<string, string>;
}

export interface ApplyOptions {
  /**
   * Take over fields another field manager owns. Only for fields irsa-broker owns by design;
   * without it a conflict throws FieldOwnershipConflictError.
   */
  force?: boolean;
}

/** Which objects a list returns: the API server's own selectors (equality terms, comma-separated). */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  /** e.g. `involvedObject.uid=<uid>,type=Warning` */
  fieldSelector?: string;
}

/**
 * Errors every method may throw besides those listed on it:
 * KubernetesAccessDeniedError (401/403: the broker's role needs an EKS access entry or RBAC),
 * ThrottledError (429), TransientError (5xx, timeouts, connection or TLS failures).
 */
export interface KubernetesCluster {
  /** Whether the API server serves `groupVersion` (`v1`, `certificates.k8s.io/v1beta1`, ...). */
  serves(groupVersion: string): Promise<boolean>;
  /** The object, or undefined when absent (404). */
  get(ref: ObjectRef): Promise<KubernetesObject | undefined>;
  /** All objects of a kind (every page), optionally in one namespace and filtered by label/field selector. */
  list(kind: KindRef, options?: ListOptions): Promise<KubernetesObject[]>;
  /**
   * Server-side apply under field manager `irsa-broker`; returns the object as stored.
   * Throws FieldOwnershipConflictError (409: fields owned by another manager; the message names them),
   * InputError (422 invalid, with causes), NotFoundError (the namespace or kind does not exist).
   */
  apply(object: KubernetesObject, options?: ApplyOptions): Promise<KubernetesObject>;
  /**
   * Creates an object (for generateName and objects we must not co-own, e.g. pods).
   * Throws ConflictError (409 AlreadyExists), InputError (422), NotFoundError (namespace missing).
   */
  create(object: KubernetesObject): Promise<KubernetesObject>;
  /** Deletes (background propagation); false when it was already absent. */
  delete(ref: ObjectRef): Promise<boolean>;

  /** The CSR, or undefined. Throws NotFoundError when the version is not served. */
  getCsr(name: string, version: CsrVersion): Promise<CertificateSigningRequest | undefined>;
  listCsrs(version: CsrVersion, options?: { labelSelector?: string }): Promise<CertificateSigningRequest[]>;
  /** Throws ConflictError (name taken), InputError (422, e.g. unknown signer or usages). */
  createCsr(csr: NewCsr, version: CsrVersion): Promise<CertificateSigningRequest>;
  /**
   * Adds the Approved condition through the `/approval` subresource. Approving twice is harmless.
   * Throws NotFoundError (no such CSR), InputError (422, e.g. already denied).
   */
  approveCsr(
    name: string,
    version: CsrVersion,
    approval: { reason: string; message: string },
  ): Promise<CertificateSigningRequest>;
  /** Deletes a CSR; false when absent. */
  deleteCsr(name: string, version: CsrVersion): Promise<boolean>;

  /**
   * The pod's log text (first container unless named), at most `limitBytes`.
   * Throws NotFoundError (no such pod), NotYetError (the container has not started: try later).
   */
  readPodLog(
    namespace: string,
    name: string,
    options: { limitBytes: number; container?: string },
  ): Promise<string>;
}

/** What connecting needs: DescribeCluster's endpoint and CA. */
export interface ClusterConnection {
  name: string;
  region: string;
  endpoint: string;
  /** base64 of the PEM of the cluster CA. */
  caData: string;
}

export interface KubernetesClusters {
  /** A client for the cluster, authenticated with a fresh EKS bearer token. Cheap: nothing is called yet. */
  connect(cluster: ClusterConnection): KubernetesCluster;
}
