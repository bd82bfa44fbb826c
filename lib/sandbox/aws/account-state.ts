// Everything the sandbox account remembers, as plain JSON so it can be snapshotted and restored.
import type { ClusterDescription, IssuerKeys } from '../contracts.js';
import type { CredentialRecord } from './credential-store.js';

export interface Tag {
  Key: string;
  Value: string;
}

export interface RoleRecord {
  roleName: string;
  roleId: string;
  arn: string;
  path: string;
  createDate: string;
  /** The trust policy exactly as submitted; IAM hands it back URL-encoded. */
  assumeRolePolicyDocument: string;
  description?: string;
  maxSessionDuration: number;
  permissionsBoundaryArn?: string;
  tags: Tag[];
  attachedPolicyArns: string[];
  inlinePolicies: Record<string, string>;
  /** Epoch ms from which STS sees the current trust policy (IAM eventual consistency). */
  trustEffectiveAt: number;
}

export interface CustomerPolicyRecord {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  description?: string;
  document: string;
  createDate: string;
  tags: Tag[];
}

export interface OidcProviderRecord {
  arn: string;
  /** Issuer host + path, as IAM stores it (no scheme). */
  url: string;
  clientIds: string[];
  thumbprints: string[];
  tags: Tag[];
  createDate: string;
}

export interface AccessScope {
  type: 'cluster' | 'namespace';
  namespaces: string[];
}

export interface AccessPolicyAssociation {
  policyArn: string;
  accessScope: AccessScope;
  associatedAt: string;
  modifiedAt: string;
}

export interface AccessEntryRecord {
  principalArn: string;
  accessEntryArn: string;
  kubernetesGroups: string[];
  username: string;
  type: string;
  tags: Record<string, string>;
  createdAt: string;
  modifiedAt: string;
  associations: AccessPolicyAssociation[];
}

export type StoredCluster = Omit<ClusterDescription, 'createdAt'> & { createdAt: string };

export interface PodIdentityAssociationRecord {
  associationId: string;
  associationArn: string;
  namespace: string;
  serviceAccount: string;
  roleArn: string;
  targetRoleArn?: string;
  /** Set when targetRoleArn is: EKS passes it to the target role's sts:AssumeRole as sts:ExternalId. */
  externalId?: string;
  disableSessionTags: boolean;
  tags: Record<string, string>;
  createdAt: string;
  modifiedAt: string;
  /** The token and parameters the association was created with, for CreatePodIdentityAssociation retries. */
  clientRequestToken?: string;
  createFingerprint: string;
  /** Epoch ms from which EKS Auth knows the association as it now is (EKS eventual consistency). */
  effectiveAt: number;
}

export interface AddonRecord {
  addonName: string;
  addonArn: string;
  addonVersion: string;
  serviceAccountRoleArn?: string;
  tags: Record<string, string>;
  createdAt: string;
  modifiedAt: string;
  /** Epoch ms at which the add-on's status turns from CREATING to ACTIVE. */
  activeAt: number;
  clientRequestToken?: string;
}

export interface ClusterRecord {
  description: StoredCluster;
  accessEntries: AccessEntryRecord[];
  podIdentityAssociations: PodIdentityAssociationRecord[];
  addons: AddonRecord[];
}

export interface EventBusRecord {
  name: string;
  arn: string;
  description?: string;
  createdAt: string;
}

/** An event EventBridge accepted, as a rule's target would receive it, and the bus it was put on. */
export interface PublishedEventRecord {
  eventBusName: string;
  event: {
    version: '0';
    id: string;
    'detail-type': string;
    source: string;
    account: string;
    time: string;
    region: string;
    resources: string[];
    detail: unknown;
  };
}

export interface AccountState {
  roles: Record<string, RoleRecord>;
  customerPolicies: Record<string, CustomerPolicyRecord>;
  oidcProviders: Record<string, OidcProviderRecord>;
  clusters: Record<string, ClusterRecord>;
  issuers: IssuerKeys[];
  credentials: CredentialRecord[];
  /** EventBridge buses created in the account (the default bus of each region is implicit), by ARN. */
  eventBuses: Record<string, EventBusRecord>;
  /** Every event PutEvents accepted, oldest first (the newest EVENTS_KEPT). */
  publishedEvents: PublishedEventRecord[];
}

export function emptyAccountState(): AccountState {
  return {
    roles: {},
    customerPolicies: {},
    oidcProviders: {},
    clusters: {},
    issuers: [],
    credentials: [],
    eventBuses: {},
    publishedEvents: [],
  };
}
