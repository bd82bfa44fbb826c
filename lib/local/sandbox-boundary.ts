// The permissions boundary every role irsa-broker creates must carry, made in the sandbox account the
// way an operator makes it in a real one before deploying (serverless.yml param permissionsBoundaryArn).
import { CreatePolicyCommand, EntityAlreadyExistsException, IAMClient } from '@aws-sdk/client-iam';
import { SUGGESTED_BOUNDARY_DOCUMENT } from '../domain/target-role.js';
import type { SandboxCloud } from '../sandbox/index.js';

export const LOCAL_BOUNDARY_PATH = '/irsa-broker/';
export const LOCAL_BOUNDARY_NAME = 'irsa-broker-local-boundary';

/** Workloads may use any service but may never administer IAM, Organizations or the account. */
export const LOCAL_BOUNDARY_DOCUMENT = SUGGESTED_BOUNDARY_DOCUMENT;

/** Creates the boundary policy unless a kept sandbox state already has it; returns its ARN. */
export async function ensureLocalBoundary(cloud: SandboxCloud): Promise<string> {
  const arn = `arn:aws:iam::${cloud.account.accountId}:policy${LOCAL_BOUNDARY_PATH}${LOCAL_BOUNDARY_NAME}`;
  const iam = new IAMClient({
    region: cloud.account.region,
    credentials: cloud.account.brokerCredentials,
    requestHandler: cloud.account.requestHandler,
  });
  try {
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: LOCAL_BOUNDARY_NAME,
        Path: LOCAL_BOUNDARY_PATH,
        PolicyDocument: JSON.stringify(LOCAL_BOUNDARY_DOCUMENT),
        Description: 'Permissions boundary of every role irsa-broker creates under npm start',
      }),
    );
  } catch (error) {
    // The SDK names IAM's EntityAlreadyExists error class EntityAlreadyExistsException.
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
  } finally {
    iam.destroy();
  }
  return arn;
}
