// The account the broker acts in, from STS GetCallerIdentity, asked once per process.
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AccountIdentity } from '../../ports/iam.js';
import { awsCall } from './aws-error.js';

export class StsAccountIdentity implements AccountIdentity {
  private cached: Promise<string> | undefined;

  constructor(private readonly sts: STSClient) {}

  accountId(): Promise<string> {
    if (!this.cached) {
      this.cached = awsCall('sts:GetCallerIdentity', async () => {
        const identity = await this.sts.send(new GetCallerIdentityCommand({}));
        if (!identity.Account) throw new Error('STS GetCallerIdentity returned no Account');
        return identity.Account;
      });
      // A failed lookup must not stick for the life of the Lambda container.
      this.cached.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached;
  }
}
