// EKS clusters held in memory, keyed by region and name.
import { ClusterNotFoundError, ConflictError, NotFoundError } from '../../../lib/domain/errors.js';
import type {
  AddonInfo,
  AssociationChange,
  ClusterInfo,
  EksClusters,
  EksPodIdentity,
  NewPodIdentityAssociation,
  PodIdentityAssociation,
} from '../../../lib/ports/eks.js';

const POD_IDENTITY_AGENT = 'eks-pod-identity-agent';

export function clusterInfo(overrides: Partial<ClusterInfo> = {}): ClusterInfo {
  const name = overrides.name ?? 'demo';
  const region = overrides.region ?? 'us-east-1';
  return {
    name,
    region,
    arn: `arn:aws:eks:${region}:111122223333:cluster/${name}`,
    version: '1.29',
    platformVersion: 'eks.7',
    status: 'ACTIVE',
    endpoint: `https://${name}.example.eks.amazonaws.com`,
    caData: Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n').toString('base64'),
    oidcIssuer: `https://oidc.eks.${region}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF`,
    ...overrides,
  };
}

export class FakeEksClusters implements EksClusters {
  readonly clusters = new Map<string, ClusterInfo>();

  add(cluster: ClusterInfo): this {
    this.clusters.set(`${cluster.region}/${cluster.name}`, cluster);
    return this;
  }

  async describe(region: string, name: string): Promise<ClusterInfo> {
    const cluster = this.clusters.get(`${region}/${name}`);
    if (!cluster) throw new ClusterNotFoundError(`No cluster ${name} in ${region}`);
    return structuredClone(cluster);
  }
}

/**
 * EKS Pod Identity held in memory: add-ons per cluster and associations, one per service account
 * (a second create is a ConflictError, as EKS's ResourceInUseException), client request tokens honoured.
 */
export class FakeEksPodIdentity implements EksPodIdentity {
  readonly addons = new Map<string, AddonInfo>();
  readonly associations = new Map<string, PodIdentityAssociation>();
  private readonly tokens = new Map<string, string>();
  private next = 1;

  constructor(private readonly account = '111122223333') {}

  withAgent(region: string, clusterName: string, status = 'ACTIVE'): this {
    this.addons.set(`${region}/${clusterName}/${POD_IDENTITY_AGENT}`, {
      name: POD_IDENTITY_AGENT,
      status,
      version: 'v1.3.4-eksbuild.1',
    });
    return this;
  }

  /** Adds an association as someone else (or an earlier binding) made it. */
  add(region: string, association: Omit<PodIdentityAssociation, 'associationId' | 'associationArn'>) {
    const id = `a-${String(this.next++).padStart(17, '0')}`;
    const made: PodIdentityAssociation = {
      ...association,
      associationId: id,
      associationArn: `arn:aws:eks:${region}:${this.account}:podidentityassociation/${association.clusterName}/${id}`,
    };
    this.associations.set(`${region}/${association.clusterName}/${id}`, made);
    return structuredClone(made);
  }

  async describeAddon(region: string, clusterName: string, addonName: string) {
    const addon = this.addons.get(`${region}/${clusterName}/${addonName}`);
    return addon ? structuredClone(addon) : undefined;
  }

  async createAddon(region: string, clusterName: string, addonName: string) {
    const key = `${region}/${clusterName}/${addonName}`;
    if (this.addons.has(key)) throw new ConflictError(`Addon ${addonName} already exists`);
    const addon = { name: addonName, status: 'CREATING', version: 'v1.3.4-eksbuild.1' };
    this.addons.set(key, addon);
    return structuredClone(addon);
  }

  private inCluster(region: string, clusterName: string) {
    return [...this.associations.entries()]
      .filter(([key]) => key.startsWith(`${region}/${clusterName}/`))
      .map(([, a]) => a);
  }

  async findAssociation(region: string, clusterName: string, namespace: string, serviceAccount: string) {
    const found = this.inCluster(region, clusterName).find(
      (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
    );
    return found ? structuredClone(found) : undefined;
  }

  async describeAssociation(region: string, clusterName: string, associationId: string) {
    const found = this.associations.get(`${region}/${clusterName}/${associationId}`);
    return found ? structuredClone(found) : undefined;
  }

  async createAssociation(region: string, association: NewPodIdentityAssociation) {
    const { clientRequestToken, ...rest } = association;
    const earlier = this.tokens.get(clientRequestToken);
    if (earlier) {
      const same = this.associations.get(`${region}/${association.clusterName}/${earlier}`);
      if (same) return structuredClone(same);
    }
    if (await this.findAssociation(region, rest.clusterName, rest.namespace, rest.serviceAccount)) {
      throw new ConflictError(`Association already exists for ${rest.namespace}/${rest.serviceAccount}`);
    }
    const made = this.add(region, { ...rest, disableSessionTags: false });
    this.tokens.set(clientRequestToken, made.associationId);
    return made;
  }

  async updateAssociation(
    region: string,
    clusterName: string,
    associationId: string,
    change: AssociationChange,
  ) {
    const key = `${region}/${clusterName}/${associationId}`;
    const found = this.associations.get(key);
    if (!found) throw new NotFoundError(`No association ${associationId}`);
    if (change.roleArn !== undefined) found.roleArn = change.roleArn;
    if (change.targetRoleArn === null) delete found.targetRoleArn;
    else if (change.targetRoleArn !== undefined) found.targetRoleArn = change.targetRoleArn;
    if (change.disableSessionTags !== undefined) found.disableSessionTags = change.disableSessionTags;
    return structuredClone(found);
  }

  async deleteAssociation(region: string, clusterName: string, associationId: string) {
    return this.associations.delete(`${region}/${clusterName}/${associationId}`);
  }
}
