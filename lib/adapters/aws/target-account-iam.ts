// IAM in a Pod Identity target role's account: irsa-broker assumes its access role there (STS AssumeRole)
// and signs IAM calls with that session. One session per account per process, renewed five minutes
// before it expires; IAM is global, so the same endpoint serves every account: the credentials decide.
import { IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import { TargetAccountAccessDeniedError } from '../../domain/errors.js';
import { TARGET_ACCOUNT_SESSION_NAME, targetAccessRoleArn } from '../../domain/target-role.js';
import type { TargetAccountIam, TargetAccounts } from '../../ports/iam.js';
import { awsCall } from './aws-error.js';
import { AwsIamManagedPolicies } from './iam-managed-policies.js';
import { AwsIamRoles } from './iam-roles.js';

const RENEW_BEFORE_MS = 5 * 60_000;

export class StsTargetAccounts implements TargetAccounts {
  private readonly accounts = new Map<string, TargetAccountIam>();
  private readonly sts: STSClient;

  constructor(
    private readonly config: { region: string; accessRoleName: string },
    sts?: STSClient,
  ) {
    this.sts = sts ?? new STSClient({ region: config.region });
  }

  async iam(account: string): Promise<TargetAccountIam> {
    const known = this.accounts.get(account);
    if (known) return known;
    let session = await this.assume(account);
    const credentials = async (): Promise<AwsCredentialIdentity> => {
      if (session.expiration && session.expiration.getTime() - RENEW_BEFORE_MS <= Date.now()) {
        session = await this.assume(account);
      }
      return session;
    };
    const client = new IAMClient({ region: this.config.region, credentials });
    const iam = { roles: new AwsIamRoles(client), policies: new AwsIamManagedPolicies(client) };
    this.accounts.set(account, iam);
    return iam;
  }

  private async assume(account: string): Promise<AwsCredentialIdentity> {
    const roleArn = targetAccessRoleArn(account, this.config.accessRoleName);
    const out = await awsCall(
      `sts:AssumeRole on ${roleArn}`,
      () =>
        this.sts.send(
          new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: TARGET_ACCOUNT_SESSION_NAME }),
        ),
      {
        AccessDenied: (message, cause) =>
          new TargetAccountAccessDeniedError(
            `${message}. irsa-broker acts in a target role's account through its access role ${roleArn}: ` +
              `create it there from the template \`npm run target-account -- --account ${account}\` prints ` +
              '(README "Target roles in other accounts"), or name a target role in an account that has it',
            { cause },
          ),
      },
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey)
      throw new Error(`STS AssumeRole on ${roleArn} returned no credentials`);
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      ...(c.Expiration ? { expiration: c.Expiration } : {}),
    };
  }
}
