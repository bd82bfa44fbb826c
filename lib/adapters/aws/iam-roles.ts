// IAM roles for IRSA: read with decoded trust policy, create, reconcile, delete.
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListRolePolicies,
  type Role,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from '@aws-sdk/client-iam';
import {
  ConflictError,
  NotAllowedError,
  NotFoundError,
  PolicyNotFoundError,
  QuotaExceededError,
  RoleConflictError,
} from '../../domain/errors.js';
import type { IamRoles, PolicyDocument, RoleSpec, RoleState, Tags } from '../../ports/iam.js';
import { awsCall, type ErrorFactory } from './aws-error.js';
import { decodePolicyDocument } from './policy-document.js';

const roleMissing =
  (name: string): ErrorFactory =>
  (_message, cause) =>
    new NotFoundError(`IAM role "${name}" does not exist.`, { cause });

export class AwsIamRoles implements IamRoles {
  constructor(private readonly iam: IAMClient) {}

  async get(name: string): Promise<RoleState | undefined> {
    let role: Role | undefined;
    try {
      role = await awsCall(`iam:GetRole on ${name}`, async () => {
        const out = await this.iam.send(new GetRoleCommand({ RoleName: name }));
        return out.Role;
      });
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    if (!role) return undefined;
    return this.toState(role, await this.attachedPolicyArns(name));
  }

  async create(spec: RoleSpec): Promise<RoleState> {
    const role = await awsCall(
      `iam:CreateRole on ${spec.name}`,
      async () => {
        const out = await this.iam.send(
          new CreateRoleCommand({
            RoleName: spec.name,
            Path: spec.path,
            AssumeRolePolicyDocument: JSON.stringify(spec.trustPolicy),
            Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
            Description: spec.description,
            MaxSessionDuration: spec.maxSessionDuration,
            PermissionsBoundary: spec.permissionsBoundaryArn,
          }),
        );
        if (!out.Role) throw new Error(`iam:CreateRole on ${spec.name} returned no role`);
        return out.Role;
      },
      {
        EntityAlreadyExists: (_m, cause) =>
          new RoleConflictError(
            `An IAM role named "${spec.name}" already exists. Choose another roleName, or bind with the role's owner.`,
            { cause },
          ),
        NoSuchEntity: (m, cause) =>
          new PolicyNotFoundError(
            `${m}. Check the permissions boundary ARN ${spec.permissionsBoundaryArn}.`,
            {
              cause,
            },
          ),
        LimitExceeded: (m, cause) =>
          new QuotaExceededError(
            `${m}. The account's role quota or the trust policy length quota is reached: raise it or remove roles.`,
            { cause },
          ),
      },
    );
    return this.toState({ ...role, Tags: role.Tags ?? this.tagList(spec.tags) }, []);
  }

  async updateTrustPolicy(name: string, trustPolicy: PolicyDocument): Promise<void> {
    await awsCall(
      `iam:UpdateAssumeRolePolicy on ${name}`,
      () =>
        this.iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trustPolicy) }),
        ),
      {
        NoSuchEntity: roleMissing(name),
        LimitExceeded: (m, cause) =>
          new QuotaExceededError(
            `${m}. The trust policy is longer than the account allows: raise the quota.`,
            {
              cause,
            },
          ),
        UnmodifiableEntity: (m, cause) => new NotAllowedError(m, 'unmodifiable-role', { cause }),
      },
    );
  }

  async update(name: string, change: { description?: string; maxSessionDuration?: number }): Promise<void> {
    if (change.description === undefined && change.maxSessionDuration === undefined) return;
    await awsCall(
      `iam:UpdateRole on ${name}`,
      () =>
        this.iam.send(
          new UpdateRoleCommand({
            RoleName: name,
            Description: change.description,
            MaxSessionDuration: change.maxSessionDuration,
          }),
        ),
      { NoSuchEntity: roleMissing(name) },
    );
  }

  async setPermissionsBoundary(name: string, boundaryArn: string | undefined): Promise<void> {
    if (boundaryArn === undefined) {
      try {
        await awsCall(`iam:DeleteRolePermissionsBoundary on ${name}`, () =>
          this.iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: name })),
        );
      } catch (error) {
        // Removing a boundary that is not there is what we wanted.
        if (!(error instanceof NotFoundError)) throw error;
      }
      return;
    }
    await awsCall(
      `iam:PutRolePermissionsBoundary on ${name}`,
      () =>
        this.iam.send(
          new PutRolePermissionsBoundaryCommand({ RoleName: name, PermissionsBoundary: boundaryArn }),
        ),
      {
        NoSuchEntity: (m, cause) =>
          new PolicyNotFoundError(
            `${m}. Check that role "${name}" and boundary policy ${boundaryArn} exist.`,
            {
              cause,
            },
          ),
      },
    );
  }

  async attachPolicy(name: string, policyArn: string): Promise<void> {
    await awsCall(
      `iam:AttachRolePolicy ${policyArn} to ${name}`,
      () => this.iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn })),
      {
        NoSuchEntity: (m, cause) =>
          new PolicyNotFoundError(
            `${m}. Check that managed policy ${policyArn} exists in this account or is AWS-managed.`,
            {
              cause,
            },
          ),
        LimitExceeded: (m, cause) =>
          new QuotaExceededError(
            `${m}. Role "${name}" has the maximum number of managed policies: request fewer.`,
            {
              cause,
            },
          ),
        PolicyNotAttachable: (m, cause) =>
          new PolicyNotFoundError(`${m}. ${policyArn} cannot be attached to roles: pick another policy.`, {
            cause,
          }),
      },
    );
  }

  async detachPolicy(name: string, policyArn: string): Promise<void> {
    try {
      await awsCall(`iam:DetachRolePolicy ${policyArn} from ${name}`, () =>
        this.iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn })),
      );
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }

  async getInlinePolicy(name: string, policyName: string): Promise<PolicyDocument | undefined> {
    try {
      const out = await awsCall(`iam:GetRolePolicy ${policyName} on ${name}`, () =>
        this.iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName })),
      );
      return out.PolicyDocument ? decodePolicyDocument(out.PolicyDocument) : undefined;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async putInlinePolicy(name: string, policyName: string, document: PolicyDocument): Promise<void> {
    await awsCall(`iam:PutRolePolicy ${policyName} on ${name}`, () =>
      this.iam.send(
        new PutRolePolicyCommand({
          RoleName: name,
          PolicyName: policyName,
          PolicyDocument: JSON.stringify(document),
        }),
      ),
    );
  }

  async deleteInlinePolicy(name: string, policyName: string): Promise<boolean> {
    try {
      await awsCall(`iam:DeleteRolePolicy ${policyName} on ${name}`, () =>
        this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName })),
      );
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  async tag(name: string, tags: Tags): Promise<void> {
    if (Object.keys(tags).length === 0) return;
    await awsCall(
      `iam:TagRole on ${name}`,
      () => this.iam.send(new TagRoleCommand({ RoleName: name, Tags: this.tagList(tags) })),
      {
        NoSuchEntity: roleMissing(name),
        LimitExceeded: (m, cause) =>
          new QuotaExceededError(`${m}. A role holds at most 50 tags: send fewer tags.`, { cause }),
      },
    );
  }

  async untag(name: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await awsCall(
      `iam:UntagRole on ${name}`,
      () => this.iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: keys })),
      { NoSuchEntity: roleMissing(name) },
    );
  }

  async delete(name: string): Promise<boolean> {
    try {
      for (const arn of await this.attachedPolicyArns(name)) await this.detachPolicy(name, arn);
      for (const policyName of await this.inlinePolicyNames(name)) {
        await awsCall(`iam:DeleteRolePolicy ${policyName} on ${name}`, () =>
          this.iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policyName })),
        );
      }
      await awsCall(
        `iam:DeleteRole on ${name}`,
        () => this.iam.send(new DeleteRoleCommand({ RoleName: name })),
        {
          DeleteConflict: (m, cause) =>
            new ConflictError(
              `${m}. Remove role "${name}" from its instance profiles, then retry.`,
              undefined,
              {
                cause,
              },
            ),
          UnmodifiableEntity: (m, cause) => new NotAllowedError(m, 'unmodifiable-role', { cause }),
        },
      );
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }

  private async attachedPolicyArns(name: string): Promise<string[]> {
    return awsCall(`iam:ListAttachedRolePolicies on ${name}`, async () => {
      const arns: string[] = [];
      for await (const page of paginateListAttachedRolePolicies({ client: this.iam }, { RoleName: name })) {
        for (const policy of page.AttachedPolicies ?? []) if (policy.PolicyArn) arns.push(policy.PolicyArn);
      }
      return arns;
    });
  }

  private async inlinePolicyNames(name: string): Promise<string[]> {
    return awsCall(`iam:ListRolePolicies on ${name}`, async () => {
      const names: string[] = [];
      for await (const page of paginateListRolePolicies({ client: this.iam }, { RoleName: name })) {
        names.push(...(page.PolicyNames ?? []));
      }
      return names;
    });
  }

  private tagList(tags: Tags): { Key: string; Value: string }[] {
    return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
  }

  private toState(role: Role, attachedPolicyArns: string[]): RoleState {
    if (!role.RoleName || !role.Arn) throw new Error('IAM returned a role without name or ARN');
    const tags: Tags = {};
    for (const tag of role.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    return {
      name: role.RoleName,
      arn: role.Arn,
      path: role.Path ?? '/',
      trustPolicy: decodePolicyDocument(role.AssumeRolePolicyDocument ?? '{}'),
      tags,
      attachedPolicyArns,
      maxSessionDuration: role.MaxSessionDuration ?? 3600,
      ...(role.Description ? { description: role.Description } : {}),
      ...(role.PermissionsBoundary?.PermissionsBoundaryArn
        ? { permissionsBoundaryArn: role.PermissionsBoundary.PermissionsBoundaryArn }
        : {}),
    };
  }
}
