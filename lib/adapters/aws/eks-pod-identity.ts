// EKS Pod Identity over the EKS API: the agent add-on and the associations of a cluster.
import {
  type Addon,
  CreateAddonCommand,
  CreatePodIdentityAssociationCommand,
  DeletePodIdentityAssociationCommand,
  DescribeAddonCommand,
  DescribePodIdentityAssociationCommand,
  type EKSClient,
  ListPodIdentityAssociationsCommand,
  type PodIdentityAssociation as SdkAssociation,
  UpdatePodIdentityAssociationCommand,
} from '@aws-sdk/client-eks';
import { ConflictError, NotFoundError } from '../../domain/errors.js';
import type {
  AddonInfo,
  AssociationChange,
  EksPodIdentity,
  NewPodIdentityAssociation,
  PodIdentityAssociation,
} from '../../ports/eks.js';
import { awsCall } from './aws-error.js';

function addonOf(addon: Addon | undefined, action: string): AddonInfo {
  if (!addon?.addonName || !addon.status) throw new Error(`${action} returned no add-on`);
  return {
    name: addon.addonName,
    status: addon.status,
    ...(addon.addonVersion ? { version: addon.addonVersion } : {}),
  };
}

function associationOf(a: SdkAssociation | undefined, action: string): PodIdentityAssociation {
  if (!a?.associationId || !a.associationArn || !a.namespace || !a.serviceAccount || !a.roleArn) {
    throw new Error(`${action} returned no association`);
  }
  return {
    associationId: a.associationId,
    associationArn: a.associationArn,
    clusterName: a.clusterName ?? '',
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn } : {}),
    disableSessionTags: a.disableSessionTags ?? false,
    tags: a.tags ?? {},
  };
}

const gone = () => undefined;

export class AwsEksPodIdentity implements EksPodIdentity {
  constructor(private readonly clientFor: (region: string) => EKSClient) {}

  async describeAddon(region: string, clusterName: string, addonName: string) {
    const action = `eks:DescribeAddon ${addonName} on ${clusterName} in ${region}`;
    try {
      const { addon } = await awsCall(action, () =>
        this.clientFor(region).send(new DescribeAddonCommand({ clusterName, addonName })),
      );
      return addonOf(addon, action);
    } catch (error) {
      // EKS answers ResourceNotFoundException both for a missing add-on and a missing cluster; the
      // cluster was described just before, so it is the add-on.
      if (error instanceof NotFoundError) return gone();
      throw error;
    }
  }

  async createAddon(region: string, clusterName: string, addonName: string) {
    const action = `eks:CreateAddon ${addonName} on ${clusterName} in ${region}`;
    const { addon } = await awsCall(action, () =>
      this.clientFor(region).send(new CreateAddonCommand({ clusterName, addonName })),
    );
    return addonOf(addon, action);
  }

  async findAssociation(region: string, clusterName: string, namespace: string, serviceAccount: string) {
    const action = `eks:ListPodIdentityAssociations on ${clusterName} in ${region}`;
    const { associations } = await awsCall(action, () =>
      this.clientFor(region).send(
        new ListPodIdentityAssociationsCommand({ clusterName, namespace, serviceAccount }),
      ),
    );
    const summary = (associations ?? []).find(
      (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
    );
    if (!summary?.associationId) return undefined;
    return this.describeAssociation(region, clusterName, summary.associationId);
  }

  async describeAssociation(region: string, clusterName: string, associationId: string) {
    const action = `eks:DescribePodIdentityAssociation ${associationId} on ${clusterName} in ${region}`;
    try {
      const { association } = await awsCall(action, () =>
        this.clientFor(region).send(
          new DescribePodIdentityAssociationCommand({ clusterName, associationId }),
        ),
      );
      return associationOf(association, action);
    } catch (error) {
      if (error instanceof NotFoundError) return gone();
      throw error;
    }
  }

  async createAssociation(region: string, input: NewPodIdentityAssociation) {
    const action = `eks:CreatePodIdentityAssociation for ${input.namespace}/${input.serviceAccount} on ${input.clusterName} in ${region}`;
    const { association } = await awsCall(
      action,
      () =>
        this.clientFor(region).send(
          new CreatePodIdentityAssociationCommand({
            clusterName: input.clusterName,
            namespace: input.namespace,
            serviceAccount: input.serviceAccount,
            roleArn: input.roleArn,
            ...(input.targetRoleArn === undefined ? {} : { targetRoleArn: input.targetRoleArn }),
            tags: input.tags,
            clientRequestToken: input.clientRequestToken,
          }),
        ),
      {
        ResourceInUse: (message, cause) => new ConflictError(message, undefined, { cause }),
      },
    );
    return associationOf(association, action);
  }

  async updateAssociation(
    region: string,
    clusterName: string,
    associationId: string,
    change: AssociationChange,
  ) {
    const action = `eks:UpdatePodIdentityAssociation ${associationId} on ${clusterName} in ${region}`;
    const { association } = await awsCall(action, () =>
      this.clientFor(region).send(
        new UpdatePodIdentityAssociationCommand({
          clusterName,
          associationId,
          ...(change.roleArn === undefined ? {} : { roleArn: change.roleArn }),
          // EKS removes the target role when given an empty targetRoleArn.
          ...(change.targetRoleArn === undefined ? {} : { targetRoleArn: change.targetRoleArn ?? '' }),
          ...(change.disableSessionTags === undefined
            ? {}
            : { disableSessionTags: change.disableSessionTags }),
        }),
      ),
    );
    return associationOf(association, action);
  }

  async deleteAssociation(region: string, clusterName: string, associationId: string) {
    const action = `eks:DeletePodIdentityAssociation ${associationId} on ${clusterName} in ${region}`;
    try {
      await awsCall(action, () =>
        this.clientFor(region).send(new DeletePodIdentityAssociationCommand({ clusterName, associationId })),
      );
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw error;
    }
  }
}
