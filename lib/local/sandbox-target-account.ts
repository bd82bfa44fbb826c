// The sandbox's second account as a target account's operators set it up before a tenant may chain into
// it: the boundary policy (same path and name as the broker's) and irsa-broker's access role, with the
// trust and permissions `npm run target-account` prints for real accounts.
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  IAMClient,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { targetAccessPolicy, targetAccessTrustPolicy, targetBoundaryArn } from '../domain/target-role.js';
import type { SandboxCloud } from '../sandbox/index.js';
import { LOCAL_BOUNDARY_DOCUMENT } from './sandbox-boundary.js';

export interface LocalTargetAccountConfig {
  rolePath: string;
  roleNamePrefix: string;
  permissionsBoundaryArn: string;
  accessRoleName: string;
}

export const ACCESS_POLICY_NAME = 'irsa-broker-target-access';

const ignoreExisting = (error: unknown) => {
  // The SDK names IAM's EntityAlreadyExists error class EntityAlreadyExistsException.
  if (!(error instanceof EntityAlreadyExistsException)) throw error;
};

/** Creates (or, on a kept sandbox state, refreshes) the peer account's boundary and access role. */
export async function ensureLocalTargetAccount(
  cloud: SandboxCloud,
  config: LocalTargetAccountConfig,
): Promise<string> {
  const peer = cloud.peerAccount;
  const boundaryArn = targetBoundaryArn(config.permissionsBoundaryArn, peer.accountId);
  const [, boundaryPath, boundaryName] = /:policy(\/(?:.*\/)?)([^/]+)$/.exec(boundaryArn) ?? [];
  const access = {
    brokerAccount: cloud.account.accountId,
    // Locally every step runs as the one broker principal; on AWS, the step roles' path.
    brokerPrincipalArnPattern: cloud.account.brokerRoleArn,
    rolePath: config.rolePath,
    roleNamePrefix: config.roleNamePrefix,
    boundaryArn,
  };
  const iam = new IAMClient({
    region: peer.region,
    credentials: peer.operatorCredentials,
    requestHandler: peer.requestHandler,
  });
  try {
    await iam
      .send(
        new CreatePolicyCommand({
          PolicyName: boundaryName,
          Path: boundaryPath,
          PolicyDocument: JSON.stringify(LOCAL_BOUNDARY_DOCUMENT),
          Description: 'Permissions boundary of every target role irsa-broker creates in this account',
        }),
      )
      .catch(ignoreExisting);
    const trust = JSON.stringify(targetAccessTrustPolicy(access));
    await iam
      .send(
        new CreateRoleCommand({
          RoleName: config.accessRoleName,
          AssumeRolePolicyDocument: trust,
          Description: 'irsa-broker creates and manages Pod Identity target roles here through this role',
        }),
      )
      .catch(async (error: unknown) => {
        ignoreExisting(error);
        await iam.send(
          new UpdateAssumeRolePolicyCommand({ RoleName: config.accessRoleName, PolicyDocument: trust }),
        );
      });
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: config.accessRoleName,
        PolicyName: ACCESS_POLICY_NAME,
        PolicyDocument: JSON.stringify(targetAccessPolicy(access, peer.accountId)),
      }),
    );
  } finally {
    iam.destroy();
  }
  return `arn:aws:iam::${peer.accountId}:role/${config.accessRoleName}`;
}
