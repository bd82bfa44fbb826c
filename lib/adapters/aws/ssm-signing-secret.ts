// SigningSecret from an SSM SecureString parameter, read once per cold start and again every few minutes,
// so a rotated secret is picked up without a deployment.
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { SigningSecret } from '../../ports/callbacks.js';
import { awsCall } from './aws-error.js';

const REFRESH_MS = 5 * 60 * 1000;

export class SsmSigningSecret implements SigningSecret {
  private cached: { value: string; at: number } | undefined;

  constructor(
    private readonly client: SSMClient,
    private readonly parameterName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async value(): Promise<string> {
    if (this.cached && this.now() - this.cached.at < REFRESH_MS) return this.cached.value;
    const { Parameter } = await awsCall(`ssm:GetParameter on ${this.parameterName}`, () =>
      this.client.send(new GetParameterCommand({ Name: this.parameterName, WithDecryption: true })),
    );
    const value = Parameter?.Value;
    if (!value)
      throw new Error(
        `SSM parameter ${this.parameterName} holds no value; put the callback signing secret there`,
      );
    this.cached = { value, at: this.now() };
    return value;
  }
}

export function createSsmSigningSecret(config: { region: string; parameterName: string }): SigningSecret {
  return new SsmSigningSecret(new SSMClient({ region: config.region }), config.parameterName);
}
