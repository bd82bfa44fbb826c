import { describe, expect, it } from '@jest/globals';
import { loadWorkflowConfig } from '../../lib/config/workflow-config.js';
import { NotAllowedError, QuotaExceededError } from '../../lib/domain/errors.js';
import {
  assertExactTrustPolicy,
  assertNoDeniedPolicy,
  coversAllIamActions,
  iamWildcardGrant,
  trustPolicyViolations,
} from '../../lib/domain/guardrails.js';
import { buildTrustPolicy } from '../../lib/domain/trust-policy.js';
import { DEMO_ISSUER_HOST } from '../support/fakes/cluster-facts.js';
import { testWorkflowConfig } from '../support/fakes/workflow-config.js';

const expected = {
  oidcProviderArn: `arn:aws:iam::111122223333:oidc-provider/${DEMO_ISSUER_HOST}`,
  issuer: `https://${DEMO_ISSUER_HOST}`,
  namespace: 'payments',
  serviceAccountName: 'api',
  audience: 'sts.amazonaws.com',
};
const exact = () => buildTrustPolicy(expected);

function refusal(act: () => void): NotAllowedError {
  try {
    act();
  } catch (error) {
    if (error instanceof NotAllowedError) return error;
    throw error;
  }
  throw new Error('expected a NotAllowedError');
}

describe('deny-list', () => {
  it.each([
    'arn:aws:iam::aws:policy/AdministratorAccess',
    'arn:aws:iam::aws:policy/IAMFullAccess',
    'arn:aws:iam::aws:policy/PowerUserAccess',
    'arn:aws-us-gov:iam::aws:policy/AdministratorAccess',
  ])('refuses %s whatever else is configured, naming the rule', (arn) => {
    const error = refusal(() => assertNoDeniedPolicy(['arn:aws:iam::aws:policy/ReadOnlyAccess', arn]));
    expect(error.rule).toBe('denied-policy');
    expect(error.message).toContain(arn);
    expect(error.message).toContain('rule denied-policy');
  });

  it('adds configured ARNs to the built-in ones and lets other policies pass', () => {
    const extra = 'arn:aws:iam::111122223333:policy/break-glass';
    expect(refusal(() => assertNoDeniedPolicy([extra], [extra])).rule).toBe('denied-policy');
    expect(() => assertNoDeniedPolicy(['arn:aws:iam::aws:policy/ReadOnlyAccess'], [extra])).not.toThrow();
  });

  it('is read from DENIED_POLICY_ARNS, with the built-in list always in it', () => {
    const config = testWorkflowConfig({ DENIED_POLICY_ARNS: ' arn:aws:iam::111122223333:policy/a ,' });
    expect(config.deniedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AdministratorAccess',
      'arn:aws:iam::aws:policy/IAMFullAccess',
      'arn:aws:iam::aws:policy/PowerUserAccess',
      'arn:aws:iam::111122223333:policy/a',
    ]);
    expect(() => testWorkflowConfig({ DENIED_POLICY_ARNS: 'AdministratorAccess' })).toThrow(
      /DENIED_POLICY_ARNS must be comma-separated managed policy ARNs/,
    );
  });

  it('requires PERMISSIONS_BOUNDARY_ARN to be a managed policy ARN', () => {
    const env = {
      BINDINGS_TABLE: 't',
      AWS_REGION: 'us-east-1',
      ROLE_PATH: '/irsa-broker/',
      ROLE_NAME_PREFIX: 'irsa-',
      CREATE_OIDC_PROVIDER: 'false',
      CREATE_NAMESPACE: 'false',
      VERIFY_IMAGE: 'public.ecr.aws/aws-cli/aws-cli:2.22.0',
      WEBHOOK_IMAGE: 'amazon/amazon-eks-pod-identity-webhook:v0.5.5',
    };
    expect(() => loadWorkflowConfig(env)).toThrow(
      /PERMISSIONS_BOUNDARY_ARN: PERMISSIONS_BOUNDARY_ARN is required/,
    );
    expect(() => loadWorkflowConfig({ ...env, PERMISSIONS_BOUNDARY_ARN: 'boundary' })).toThrow(
      /PERMISSIONS_BOUNDARY_ARN must be the ARN of a managed policy/,
    );
  });
});

describe('policies granting IAM', () => {
  it.each(['*', 'iam:*', 'IAM:*', 'i*', '*:*', 'ia?:*', 'iam:**'])('%s covers every IAM action', (p) => {
    expect(coversAllIamActions(p)).toBe(true);
  });
  it.each(['iam:Get*', 'iam:PassRole', 's3:*', 'iam', 'iam:', 'iam:?', 'ec2:*'])('%s does not', (p) => {
    expect(coversAllIamActions(p)).toBe(false);
  });

  it('finds iam:* in an Allow statement, as a string or in a list, and names the statement', () => {
    expect(
      iamWildcardGrant({ Statement: { Sid: 'Admin', Effect: 'Allow', Action: 'iam:*', Resource: '*' } }),
    ).toMatch(/statement Admin allows "iam:\*"/);
    expect(
      iamWildcardGrant({
        Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' },
          { Effect: 'Allow', Action: ['ec2:Describe*', '*'], Resource: 'arn:aws:s3:::b' },
        ],
      }),
    ).toMatch(/statement 2 allows "\*"/);
  });

  it('counts NotAction that leaves IAM allowed, not Deny statements or narrow IAM reads', () => {
    expect(iamWildcardGrant({ Statement: [{ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }] })).toMatch(
      /leaves all iam: actions allowed/,
    );
    expect(
      iamWildcardGrant({ Statement: [{ Effect: 'Allow', NotAction: ['iam:DeleteRole'], Resource: '*' }] }),
    ).toMatch(/leaves most iam: actions allowed/);
    expect(
      iamWildcardGrant({
        Statement: [{ Effect: 'Allow', NotAction: ['iam:*', 'organizations:*'], Resource: '*' }],
      }),
    ).toBeUndefined();
    expect(iamWildcardGrant({ Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] })).toBeUndefined();
    expect(
      iamWildcardGrant({
        Statement: [{ Effect: 'Allow', Action: ['iam:Get*', 'iam:List*'], Resource: '*' }],
      }),
    ).toBeUndefined();
  });
});

describe('exact trust policy', () => {
  it('accepts the trust policy irsa-broker builds', () => {
    expect(trustPolicyViolations(exact(), expected)).toEqual([]);
  });

  it.each([
    [
      'a wildcard subject',
      (p: ReturnType<typeof exact>) => {
        p.Statement[0]!.Condition.StringEquals[`${DEMO_ISSUER_HOST}:sub`] =
          'system:serviceaccount:payments:*';
      },
      /must be exactly system:serviceaccount:payments:api/,
    ],
    [
      'another namespace',
      (p: ReturnType<typeof exact>) => {
        p.Statement[0]!.Condition.StringEquals[`${DEMO_ISSUER_HOST}:sub`] =
          'system:serviceaccount:kube-system:api';
      },
      /must be exactly/,
    ],
    [
      'StringLike instead of StringEquals',
      (p: ReturnType<typeof exact>) => {
        const condition = p.Statement[0]!.Condition as Record<string, unknown>;
        condition.StringLike = condition.StringEquals;
        delete condition.StringEquals;
      },
      /condition operator StringLike is not allowed/,
    ],
    [
      'a missing aud',
      (p: ReturnType<typeof exact>) => {
        delete p.Statement[0]!.Condition.StringEquals[`${DEMO_ISSUER_HOST}:aud`];
      },
      /StringEquals must hold exactly/,
    ],
    [
      'a bare * principal',
      (p: ReturnType<typeof exact>) => {
        (p.Statement[0] as unknown as { Principal: unknown }).Principal = '*';
      },
      /Principal must be exactly/,
    ],
    [
      'a second statement',
      (p: ReturnType<typeof exact>) => {
        p.Statement.push(structuredClone(p.Statement[0]!));
      },
      /exactly one statement for mode irsa, found 2/,
    ],
  ])('refuses %s (rule exact-trust-policy)', (_name, mutate, message) => {
    const policy = exact();
    mutate(policy);
    const error = refusal(() => assertExactTrustPolicy(policy, expected));
    expect(error.rule).toBe('exact-trust-policy');
    expect(error.message).toMatch(message);
  });

  it('checks the length against the quota before IAM is called', () => {
    expect(() => assertExactTrustPolicy(exact(), expected, 200)).toThrow(QuotaExceededError);
    expect(() => assertExactTrustPolicy(exact(), expected, 2048)).not.toThrow();
  });
});

describe('image references', () => {
  it.each([
    'public.ecr.aws/aws-cli/aws-cli:2.22.0',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/aws-cli:2.22.0',
    `123456789012.dkr.ecr.eu-west-1.amazonaws.com/aws-cli@sha256:${'a'.repeat(64)}`,
    `amazon/aws-cli:2.22.0@sha256:${'0f'.repeat(32)}`,
    'epamedp/edp-jenkins-terraform-agent:3.0.9',
    'localhost:5000/tools/aws_cli',
    'aws-cli',
  ])('VERIFY_IMAGE %s is taken', (image) => {
    expect(testWorkflowConfig({ VERIFY_IMAGE: image }).testPodImage).toBe(image);
  });

  it.each([
    ['Amazon/AWS-CLI:2', 'lowercase repository'],
    ['aws-cli:', 'optional :tag'],
    ['aws cli', 'image reference'],
    ['https://public.ecr.aws/aws-cli/aws-cli', 'image reference'],
    ['aws-cli@sha256:abc', '@sha256:<digest>'],
    [`aws-cli:${'t'.repeat(129)}`, 'image reference'],
    ['aws-cli:2;rm -rf /', 'image reference'],
  ])('VERIFY_IMAGE %s is refused, saying what to change', (image, hint) => {
    expect(() => testWorkflowConfig({ VERIFY_IMAGE: image })).toThrow(
      /VERIFY_IMAGE must be an image reference/,
    );
    expect(() => testWorkflowConfig({ VERIFY_IMAGE: image })).toThrow(hint);
  });

  it('reads TEST_POD_IMAGE, its earlier name, and refuses the two set differently', () => {
    const { VERIFY_IMAGE: _unused, ...env } = {
      VERIFY_IMAGE: '',
      BINDINGS_TABLE: 't',
      AWS_REGION: 'us-east-1',
      ROLE_PATH: '/irsa-broker/',
      ROLE_NAME_PREFIX: 'irsa-',
      PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::111122223333:policy/boundary',
      CREATE_OIDC_PROVIDER: 'false',
      CREATE_NAMESPACE: 'false',
      WEBHOOK_IMAGE: 'amazon/amazon-eks-pod-identity-webhook:v0.5.5',
    };
    const old = 'example.com/mirror/aws-cli:2';
    expect(loadWorkflowConfig({ ...env, TEST_POD_IMAGE: old }).testPodImage).toBe(old);
    expect(() => loadWorkflowConfig({ ...env, TEST_POD_IMAGE: old, VERIFY_IMAGE: 'aws-cli:2' })).toThrow(
      /VERIFY_IMAGE and TEST_POD_IMAGE \(its earlier name\) differ/,
    );
    expect(() => loadWorkflowConfig(env)).toThrow(/VERIFY_IMAGE: VERIFY_IMAGE is required/);
  });

  it('checks WEBHOOK_IMAGE the same way', () => {
    expect(() => testWorkflowConfig({ WEBHOOK_IMAGE: 'w w' })).toThrow(
      /WEBHOOK_IMAGE must be an image reference/,
    );
  });
});
