// Managed policy documents (the default version), read to check what a policy grants before attaching it.
import { GetPolicyCommand, GetPolicyVersionCommand, type IAMClient } from '@aws-sdk/client-iam';
import { InputError, PolicyNotFoundError } from '../../domain/errors.js';
import type { IamManagedPolicies, PolicyDocument } from '../../ports/iam.js';
import { awsCall, type ErrorOverrides } from './aws-error.js';
import { decodePolicyDocument } from './policy-document.js';

export class AwsIamManagedPolicies implements IamManagedPolicies {
  constructor(private readonly iam: IAMClient) {}

  async document(policyArn: string): Promise<PolicyDocument> {
    const overrides: ErrorOverrides = {
      NoSuchEntity: (m, cause) =>
        new PolicyNotFoundError(
          `${m}. Check that managed policy ${policyArn} exists in this account or is AWS-managed.`,
          { cause },
        ),
      InvalidInput: (m, cause) =>
        new InputError(`${m}. ${policyArn} is not a valid managed policy ARN.`, [], { cause }),
    };
    const versionId = await awsCall(
      `iam:GetPolicy on ${policyArn}`,
      async () => {
        const out = await this.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
        const id = out.Policy?.DefaultVersionId;
        if (!id) throw new Error(`iam:GetPolicy on ${policyArn} returned no default version`);
        return id;
      },
      overrides,
    );
    const text = await awsCall(
      `iam:GetPolicyVersion ${versionId} of ${policyArn}`,
      async () => {
        const out = await this.iam.send(
          new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId }),
        );
        const document = out.PolicyVersion?.Document;
        if (!document) throw new Error(`iam:GetPolicyVersion on ${policyArn} returned no document`);
        return document;
      },
      overrides,
    );
    return decodePolicyDocument(text);
  }
}
