// IAM roles and OIDC providers held in memory, with IAM's rules that matter to the workflow.
import {
  ConflictError,
  NotFoundError,
  PolicyNotFoundError,
  RoleConflictError,
  TargetAccountAccessDeniedError,
} from '../../../lib/domain/errors.js';
import type {
  IamManagedPolicies,
  IamOidcProviders,
  IamRoles,
  OidcProvider,
  PolicyDocument,
  RoleSpec,
  RoleState,
  Tags,
  TargetAccountIam,
  TargetAccounts,
} from '../../../lib/ports/iam.js';

export const ACCOUNT_ID = '111122223333';

const hostPath = (issuer: string) => issuer.replace(/^https:\/\//, '').replace(/\/+$/, '');

export class FakeOidcProviders implements IamOidcProviders {
  readonly providers = new Map<string, OidcProvider>();

  add(issuerUrl: string, clientIds = ['sts.amazonaws.com']): OidcProvider {
    const provider: OidcProvider = {
      arn: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/${hostPath(issuerUrl)}`,
      url: `https://${hostPath(issuerUrl)}`,
      clientIds: [...clientIds],
      tags: {},
    };
    this.providers.set(hostPath(issuerUrl), provider);
    return provider;
  }

  async find(issuerUrl: string): Promise<OidcProvider | undefined> {
    const provider = this.providers.get(hostPath(issuerUrl));
    return provider && structuredClone(provider);
  }

  async create(issuerUrl: string, clientIds: string[], tags: Tags): Promise<OidcProvider> {
    if (this.providers.has(hostPath(issuerUrl))) throw new ConflictError(`provider for ${issuerUrl} exists`);
    const provider = this.add(issuerUrl, clientIds);
    provider.tags = { ...tags };
    return structuredClone(provider);
  }

  async addClientId(providerArn: string, clientId: string): Promise<void> {
    const provider = [...this.providers.values()].find((p) => p.arn === providerArn);
    if (!provider) throw new NotFoundError(providerArn);
    if (!provider.clientIds.includes(clientId)) provider.clientIds.push(clientId);
  }
}

export class FakeIamRoles implements IamRoles {
  readonly roles = new Map<string, RoleState>();
  /** Managed policies that exist in the account. */
  readonly policies = new Set<string>(['arn:aws:iam::aws:policy/ReadOnlyAccess']);
  /** Every mutating call, for asserting that a role was left alone. */
  readonly writes: string[] = [];

  /** `accountId`: the account the roles are in (another one for a target account's IAM). */
  constructor(readonly accountId = ACCOUNT_ID) {}

  put(role: Partial<RoleState> & { name: string; trustPolicy: PolicyDocument }): RoleState {
    const path = role.path ?? '/';
    const state: RoleState = {
      arn: `arn:aws:iam::${this.accountId}:role${path}${role.name}`,
      path,
      tags: {},
      attachedPolicyArns: [],
      maxSessionDuration: 3600,
      ...role,
    };
    this.roles.set(role.name.toLowerCase(), state);
    return state;
  }

  private must(name: string): RoleState {
    const role = this.roles.get(name.toLowerCase());
    if (!role) throw new NotFoundError(`no role ${name}`);
    return role;
  }

  async get(name: string): Promise<RoleState | undefined> {
    const role = this.roles.get(name.toLowerCase());
    return role && structuredClone(role);
  }

  async create(spec: RoleSpec): Promise<RoleState> {
    if (this.roles.has(spec.name.toLowerCase())) throw new RoleConflictError(`role ${spec.name} exists`);
    this.writes.push(`create ${spec.name}`);
    return structuredClone(
      this.put({
        name: spec.name,
        path: spec.path,
        trustPolicy: structuredClone(spec.trustPolicy),
        tags: { ...spec.tags },
        maxSessionDuration: spec.maxSessionDuration ?? 3600,
        ...(spec.description === undefined ? {} : { description: spec.description }),
        ...(spec.permissionsBoundaryArn === undefined
          ? {}
          : { permissionsBoundaryArn: spec.permissionsBoundaryArn }),
      }),
    );
  }

  async updateTrustPolicy(name: string, trustPolicy: PolicyDocument): Promise<void> {
    this.writes.push(`updateTrustPolicy ${name}`);
    this.must(name).trustPolicy = structuredClone(trustPolicy);
  }

  async update(name: string, change: { description?: string; maxSessionDuration?: number }): Promise<void> {
    this.writes.push(`update ${name}`);
    Object.assign(this.must(name), change);
  }

  async setPermissionsBoundary(name: string, boundaryArn: string | undefined): Promise<void> {
    this.writes.push(`setPermissionsBoundary ${name}`);
    const role = this.must(name);
    if (boundaryArn === undefined) delete role.permissionsBoundaryArn;
    else role.permissionsBoundaryArn = boundaryArn;
  }

  async attachPolicy(name: string, policyArn: string): Promise<void> {
    const role = this.must(name);
    if (!this.policies.has(policyArn)) throw new PolicyNotFoundError(`no policy ${policyArn}`);
    this.writes.push(`attachPolicy ${name} ${policyArn}`);
    if (!role.attachedPolicyArns.includes(policyArn)) role.attachedPolicyArns.push(policyArn);
  }

  async detachPolicy(name: string, policyArn: string): Promise<void> {
    this.writes.push(`detachPolicy ${name} ${policyArn}`);
    const role = this.roles.get(name.toLowerCase());
    if (role) role.attachedPolicyArns = role.attachedPolicyArns.filter((arn) => arn !== policyArn);
  }

  /** Inline policies by role name (lower case), then policy name. */
  readonly inline = new Map<string, Map<string, PolicyDocument>>();

  async getInlinePolicy(name: string, policyName: string): Promise<PolicyDocument | undefined> {
    const found = this.inline.get(name.toLowerCase())?.get(policyName);
    return found && structuredClone(found);
  }

  async putInlinePolicy(name: string, policyName: string, document: PolicyDocument): Promise<void> {
    this.must(name);
    this.writes.push(`putInlinePolicy ${name} ${policyName}`);
    const policies = this.inline.get(name.toLowerCase()) ?? new Map<string, PolicyDocument>();
    policies.set(policyName, structuredClone(document));
    this.inline.set(name.toLowerCase(), policies);
  }

  async deleteInlinePolicy(name: string, policyName: string): Promise<boolean> {
    this.writes.push(`deleteInlinePolicy ${name} ${policyName}`);
    return this.inline.get(name.toLowerCase())?.delete(policyName) ?? false;
  }

  async tag(name: string, tags: Tags): Promise<void> {
    this.writes.push(`tag ${name}`);
    Object.assign(this.must(name).tags, tags);
  }

  async untag(name: string, keys: string[]): Promise<void> {
    this.writes.push(`untag ${name}`);
    const role = this.must(name);
    for (const key of keys) delete role.tags[key];
  }

  async delete(name: string): Promise<boolean> {
    this.writes.push(`delete ${name}`);
    return this.roles.delete(name.toLowerCase());
  }
}

const allowAll = (actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});

/** Managed policy documents by ARN; unknown ARNs are PolicyNotFound, like IAM's NoSuchEntity. */
export class FakeIamManagedPolicies implements IamManagedPolicies {
  readonly documents = new Map<string, PolicyDocument>([
    ['arn:aws:iam::aws:policy/ReadOnlyAccess', allowAll(['*:Describe*', '*:Get*', '*:List*'])],
    ['arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess', allowAll(['s3:Get*', 's3:List*'])],
    ['arn:aws:iam::aws:policy/AdministratorAccess', allowAll(['*'])],
    ['arn:aws:iam::aws:policy/IAMFullAccess', allowAll(['iam:*'])],
  ]);
  /** Every ARN read, in order. */
  readonly reads: string[] = [];

  async document(policyArn: string): Promise<PolicyDocument> {
    this.reads.push(policyArn);
    const document = this.documents.get(policyArn);
    if (!document) throw new PolicyNotFoundError(`no policy ${policyArn}`);
    return structuredClone(document);
  }
}

/** Target accounts' IAM in memory: each account its own roles and policies; `unreachable` ones refuse us. */
export class FakeTargetAccounts implements TargetAccounts {
  readonly accounts = new Map<string, { roles: FakeIamRoles; policies: FakeIamManagedPolicies }>();
  /** Accounts without irsa-broker's access role (AssumeRole is refused). */
  readonly unreachable = new Set<string>();

  of(account: string): { roles: FakeIamRoles; policies: FakeIamManagedPolicies } {
    let iam = this.accounts.get(account);
    if (!iam) {
      iam = { roles: new FakeIamRoles(account), policies: new FakeIamManagedPolicies() };
      this.accounts.set(account, iam);
    }
    return iam;
  }

  async iam(account: string): Promise<TargetAccountIam> {
    if (this.unreachable.has(account)) {
      throw new TargetAccountAccessDeniedError(
        `sts:AssumeRole on arn:aws:iam::${account}:role/irsa-broker-target-access failed: AccessDenied`,
      );
    }
    return this.of(account);
  }
}
