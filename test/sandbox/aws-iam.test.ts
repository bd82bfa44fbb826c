// The sandbox account's IAM through the real IAMClient: validation, error classes and statuses,
// URL-encoded documents, quotas and DeleteConflict.
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  EntityAlreadyExistsException,
  GetOpenIDConnectProviderCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  LimitExceededException,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListRoleTagsCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  RemoveClientIDFromOpenIDConnectProviderCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { createSandboxAccount, type SandboxAccount } from '../../lib/sandbox/aws/index.js';
import { AWS_MANAGED_POLICIES } from '../../lib/sandbox/aws/managed-policies.js';
import { type Clients, clientsFor, failure, irsaTrustPolicy, statusOf } from './aws-fixtures.js';

const EC2_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
const ISSUER_HOST_PATH = 'oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF';

describe('sandbox IAM through IAMClient', () => {
  let account: SandboxAccount;
  let iam: Clients['iam'];

  beforeEach(() => {
    account = createSandboxAccount();
    iam = clientsFor(account, { maxAttempts: 1 }).iam;
  });

  it('creates a role and returns its trust policy URL-encoded, decoding to what was sent', async () => {
    // Prepare
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: 'app-reader', Path: '/irsa/', AssumeRolePolicyDocument: EC2_TRUST }),
    );

    // Act
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'app-reader' }));

    // Assess
    expect(created.Role?.Arn).toBe('arn:aws:iam::111122223333:role/irsa/app-reader');
    expect(Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(Role?.AssumeRolePolicyDocument).not.toBe(EC2_TRUST);
    expect(Role?.AssumeRolePolicyDocument).toMatch(/^%7B%22Version%22/);
    expect(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')).toBe(EC2_TRUST);
    expect(Role?.MaxSessionDuration).toBe(3600);
  });

  it('answers a duplicate role name (case-insensitively) with EntityAlreadyExistsException 409', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'dup', AssumeRolePolicyDocument: EC2_TRUST }));

    const error = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'DUP', AssumeRolePolicyDocument: EC2_TRUST })),
    );

    expect(error).toBeInstanceOf(EntityAlreadyExistsException);
    expect(statusOf(error)).toBe(409);
    expect(error.message).toBe('Role with name DUP already exists.');
  });

  it('validates role names as IAM does: charset and 64 characters', async () => {
    const badCharset = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'has space', AssumeRolePolicyDocument: EC2_TRUST })),
    );
    const tooLong = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(65), AssumeRolePolicyDocument: EC2_TRUST })),
    );
    const longest = await iam.send(
      new CreateRoleCommand({ RoleName: 'r'.repeat(64), AssumeRolePolicyDocument: EC2_TRUST }),
    );

    expect(badCharset.name).toBe('ValidationError');
    expect(statusOf(badCharset)).toBe(400);
    expect(badCharset.message).toContain("Value 'has space' at 'roleName'");
    expect(tooLong.name).toBe('ValidationError');
    expect(longest.Role?.RoleName).toHaveLength(64);
  });

  it('answers malformed trust policies with MalformedPolicyDocumentException 400', async () => {
    const notJson = await failure(
      iam.send(new CreateRoleCommand({ RoleName: 'a', AssumeRolePolicyDocument: '{"Version":' })),
    );
    const withResource = await failure(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'b',
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 'ec2.amazonaws.com' },
                Action: 'sts:AssumeRole',
                Resource: '*',
              },
            ],
          }),
        }),
      ),
    );

    expect(notJson).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(statusOf(notJson)).toBe(400);
    expect(notJson.message).toBe('This policy contains invalid Json');
    expect(withResource).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(withResource.message).toBe('Has prohibited field Resource');
  });

  it('refuses a trust policy naming an OIDC provider the account does not have', async () => {
    const error = await failure(
      iam.send(
        new CreateRoleCommand({
          RoleName: 'irsa',
          AssumeRolePolicyDocument: irsaTrustPolicy('111122223333', ISSUER_HOST_PATH, 'demo', 'app'),
        }),
      ),
    );

    expect(error).toBeInstanceOf(MalformedPolicyDocumentException);
    expect(error.message).toContain(`oidc-provider/${ISSUER_HOST_PATH}`);
  });

  it('counts the trust policy quota of 2048 characters without whitespace', async () => {
    await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${ISSUER_HOST_PATH}`,
        ClientIDList: ['sts.amazonaws.com'],
      }),
    );
    const statement = (ns: number) =>
      JSON.parse(irsaTrustPolicy('111122223333', ISSUER_HOST_PATH, `namespace-${ns}`, 'service-account'))
        .Statement[0];
    const policyOf = (count: number, indent?: number) =>
      JSON.stringify(
        { Version: '2012-10-17', Statement: Array.from({ length: count }, (_, i) => statement(i)) },
        null,
        indent,
      );
    // Find the largest statement count that fits compactly; pretty-printing it must still fit.
    let fits = 1;
    while (policyOf(fits + 1).length <= 2048) fits++;
    await iam.send(new CreateRoleCommand({ RoleName: 'quota', AssumeRolePolicyDocument: EC2_TRUST }));

    await iam.send(
      new UpdateAssumeRolePolicyCommand({ RoleName: 'quota', PolicyDocument: policyOf(fits, 8) }),
    );
    const error = await failure(
      iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'quota', PolicyDocument: policyOf(fits + 1) })),
    );

    expect(policyOf(fits, 8).length).toBeGreaterThan(2048);
    expect(error).toBeInstanceOf(LimitExceededException);
    expect(statusOf(error)).toBe(409);
    expect(error.message).toBe('Cannot exceed quota for ACLSizePerRole: 2048');
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'quota' }));
    expect(JSON.parse(decodeURIComponent(Role?.AssumeRolePolicyDocument ?? '')).Statement).toHaveLength(fits);
  });

  it('attaches at most 10 managed policies to a role', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'many', AssumeRolePolicyDocument: EC2_TRUST }));
    const arns = [...AWS_MANAGED_POLICIES.keys()];
    for (const arn of arns.slice(0, 10)) {
      await iam.send(new AttachRolePolicyCommand({ RoleName: 'many', PolicyArn: arn }));
    }

    const error = await failure(
      iam.send(new AttachRolePolicyCommand({ RoleName: 'many', PolicyArn: arns[10] })),
    );
    // Re-attaching one already attached is not an eleventh.
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'many', PolicyArn: arns[0] }));

    expect(error).toBeInstanceOf(LimitExceededException);
    expect(error.message).toBe('Cannot exceed quota for PoliciesPerRole: 10');
    const listed = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'many' }));
    expect(listed.AttachedPolicies?.map((p) => p.PolicyArn).sort()).toEqual(arns.slice(0, 10).sort());
  });

  it('answers an unknown managed policy with NoSuchEntityException 404', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'r', AssumeRolePolicyDocument: EC2_TRUST }));

    const error = await failure(
      iam.send(
        new AttachRolePolicyCommand({
          RoleName: 'r',
          PolicyArn: 'arn:aws:iam::aws:policy/NoSuchPolicyAnywhere',
        }),
      ),
    );

    expect(error).toBeInstanceOf(NoSuchEntityException);
    expect(statusOf(error)).toBe(404);
    expect(error.message).toContain('NoSuchPolicyAnywhere does not exist or is not attachable');
  });

  it('refuses to delete a role with attached or inline policies (DeleteConflict), then deletes it', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'busy', AssumeRolePolicyDocument: EC2_TRUST }));
    const s3 = 'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess';
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'busy', PolicyArn: s3 }));

    const attached = await failure(iam.send(new DeleteRoleCommand({ RoleName: 'busy' })));
    await iam.send(new DetachRolePolicyCommand({ RoleName: 'busy', PolicyArn: s3 }));
    await iam.send(new DeleteRoleCommand({ RoleName: 'busy' }));
    const gone = await failure(iam.send(new GetRoleCommand({ RoleName: 'busy' })));

    expect(attached).toBeInstanceOf(DeleteConflictException);
    expect(statusOf(attached)).toBe(409);
    expect(gone).toBeInstanceOf(NoSuchEntityException);
    expect(gone.message).toBe('The role with name busy cannot be found.');
  });

  it('returns inline policies URL-encoded and keeps them apart from the trust policy', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'inline', AssumeRolePolicyDocument: EC2_TRUST }));
    const document = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/*' }],
    });
    await iam.send(
      new PutRolePolicyCommand({ RoleName: 'inline', PolicyName: 'read', PolicyDocument: document }),
    );

    const got = await iam.send(new GetRolePolicyCommand({ RoleName: 'inline', PolicyName: 'read' }));
    const blocked = await failure(iam.send(new DeleteRoleCommand({ RoleName: 'inline' })));

    expect(got.PolicyDocument).toContain('%2A');
    expect(decodeURIComponent(got.PolicyDocument ?? '')).toBe(document);
    expect(blocked).toBeInstanceOf(DeleteConflictException);
  });

  it('sets a customer managed policy as permissions boundary; an unknown one is NoSuchEntity', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'bounded', AssumeRolePolicyDocument: EC2_TRUST }));
    const { Policy } = await iam.send(
      new CreatePolicyCommand({
        PolicyName: 'irsa-boundary',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['s3:*', 'dynamodb:*'], Resource: '*' }],
        }),
      }),
    );

    await iam.send(
      new PutRolePermissionsBoundaryCommand({ RoleName: 'bounded', PermissionsBoundary: Policy?.Arn }),
    );
    const unknown = await failure(
      iam.send(
        new PutRolePermissionsBoundaryCommand({
          RoleName: 'bounded',
          PermissionsBoundary: 'arn:aws:iam::111122223333:policy/missing',
        }),
      ),
    );

    expect(Policy?.Arn).toBe('arn:aws:iam::111122223333:policy/irsa-boundary');
    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'bounded' }));
    expect(Role?.PermissionsBoundary?.PermissionsBoundaryArn).toBe(Policy?.Arn);
    expect(unknown).toBeInstanceOf(NoSuchEntityException);
  });

  it('tags and untags roles, merging values by key', async () => {
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'tagged',
        AssumeRolePolicyDocument: EC2_TRUST,
        Tags: [{ Key: 'a', Value: '1' }],
      }),
    );

    await iam.send(
      new TagRoleCommand({
        RoleName: 'tagged',
        Tags: [
          { Key: 'a', Value: '2' },
          { Key: 'b', Value: '3' },
        ],
      }),
    );
    await iam.send(new UntagRoleCommand({ RoleName: 'tagged', TagKeys: ['b'] }));

    const { Tags } = await iam.send(new ListRoleTagsCommand({ RoleName: 'tagged' }));
    expect(Tags).toEqual([{ Key: 'a', Value: '2' }]);
  });

  it('manages OIDC providers by issuer host and path', async () => {
    const { OpenIDConnectProviderArn } = await iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${ISSUER_HOST_PATH}`,
        ClientIDList: ['sts.amazonaws.com'],
      }),
    );
    const again = await failure(
      iam.send(
        new CreateOpenIDConnectProviderCommand({
          Url: `https://${ISSUER_HOST_PATH}`,
          ClientIDList: ['sts.amazonaws.com'],
        }),
      ),
    );
    await iam.send(
      new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn, ClientID: 'extra' }),
    );
    await iam.send(
      new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn, ClientID: 'extra' }),
    );
    const withExtra = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn }));
    await iam.send(
      new RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn, ClientID: 'extra' }),
    );
    const got = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn }));
    const listed = await iam.send(new ListOpenIDConnectProvidersCommand({}));
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn }));
    const gone = await failure(iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn })));

    expect(OpenIDConnectProviderArn).toBe(`arn:aws:iam::111122223333:oidc-provider/${ISSUER_HOST_PATH}`);
    expect(again).toBeInstanceOf(EntityAlreadyExistsException);
    expect(withExtra.ClientIDList).toEqual(['sts.amazonaws.com', 'extra']);
    expect(got.Url).toBe(ISSUER_HOST_PATH);
    expect(got.ClientIDList).toEqual(['sts.amazonaws.com']);
    expect(listed.OpenIDConnectProviderList).toEqual([{ Arn: OpenIDConnectProviderArn }]);
    expect(gone).toBeInstanceOf(NoSuchEntityException);
  });
});
