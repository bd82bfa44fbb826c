// The AWS managed policies the sandbox account can attach, with their real ARNs and paths.
import { createHash } from 'node:crypto';

export interface AwsManagedPolicy {
  arn: string;
  policyName: string;
  path: string;
  policyId: string;
  document: string;
}

const allow = (actions: string[] | string, notActions?: string[]): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      notActions
        ? { Effect: 'Allow', NotAction: notActions, Resource: '*' }
        : { Effect: 'Allow', Action: actions, Resource: '*' },
    ],
  });

const CATALOGUE: [name: string, path: string, document: string][] = [
  ['AdministratorAccess', '/', allow('*')],
  ['PowerUserAccess', '/', allow([], ['iam:*', 'organizations:*', 'account:*'])],
  ['ReadOnlyAccess', '/', allow(['*:Describe*', '*:Get*', '*:List*'])],
  [
    'IAMFullAccess',
    '/',
    allow(['iam:*', 'organizations:DescribeAccount', 'organizations:DescribeOrganization']),
  ],
  [
    'AmazonS3ReadOnlyAccess',
    '/',
    allow(['s3:Get*', 's3:List*', 's3:Describe*', 's3-object-lambda:Get*', 's3-object-lambda:List*']),
  ],
  ['AmazonS3FullAccess', '/', allow(['s3:*', 's3-object-lambda:*'])],
  [
    'AmazonDynamoDBReadOnlyAccess',
    '/',
    allow([
      'dynamodb:BatchGetItem',
      'dynamodb:Describe*',
      'dynamodb:List*',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:PartiQLSelect',
    ]),
  ],
  ['AmazonDynamoDBFullAccess', '/', allow(['dynamodb:*'])],
  [
    'AmazonSQSReadOnlyAccess',
    '/',
    allow([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ListDeadLetterSourceQueues',
      'sqs:ListQueues',
      'sqs:ListMessageMoveTasks',
      'sqs:ListQueueTags',
    ]),
  ],
  [
    'AmazonSNSReadOnlyAccess',
    '/',
    allow([
      'sns:GetTopicAttributes',
      'sns:List*',
      'sns:CheckIfPhoneNumberIsOptedOut',
      'sns:GetEndpointAttributes',
      'sns:GetDataProtectionPolicy',
      'sns:GetPlatformApplicationAttributes',
      'sns:GetSMSAttributes',
      'sns:GetSMSSandboxAccountStatus',
      'sns:GetSubscriptionAttributes',
    ]),
  ],
  [
    'CloudWatchReadOnlyAccess',
    '/',
    allow([
      'cloudwatch:Describe*',
      'cloudwatch:Get*',
      'cloudwatch:List*',
      'logs:Get*',
      'logs:List*',
      'logs:Describe*',
      'logs:FilterLogEvents',
    ]),
  ],
  [
    'AmazonEC2ReadOnlyAccess',
    '/',
    allow([
      'ec2:Describe*',
      'elasticloadbalancing:Describe*',
      'cloudwatch:Describe*',
      'autoscaling:Describe*',
    ]),
  ],
  [
    'SecretsManagerReadWrite',
    '/',
    allow(['secretsmanager:*', 'kms:DescribeKey', 'kms:ListAliases', 'kms:ListKeys']),
  ],
  ['AmazonSSMReadOnlyAccess', '/', allow(['ssm:Describe*', 'ssm:Get*', 'ssm:List*'])],
  [
    'AmazonEKSClusterPolicy',
    '/',
    allow(['ec2:Describe*', 'ec2:CreateNetworkInterface', 'elasticloadbalancing:*', 'kms:DescribeKey']),
  ],
  [
    'AmazonEKSWorkerNodePolicy',
    '/',
    allow([
      'ec2:DescribeInstances',
      'ec2:DescribeRouteTables',
      'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets',
      'ec2:DescribeVolumes',
      'ec2:DescribeVpcs',
      'eks:DescribeCluster',
      'eks-auth:AssumeRoleForPodIdentity',
    ]),
  ],
  [
    'AmazonEKS_CNI_Policy',
    '/',
    allow([
      'ec2:AssignPrivateIpAddresses',
      'ec2:AttachNetworkInterface',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:Describe*',
      'ec2:DetachNetworkInterface',
      'ec2:ModifyNetworkInterfaceAttribute',
      'ec2:UnassignPrivateIpAddresses',
    ]),
  ],
  [
    'AmazonEC2ContainerRegistryReadOnly',
    '/',
    allow([
      'ecr:GetAuthorizationToken',
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetDownloadUrlForLayer',
      'ecr:GetRepositoryPolicy',
      'ecr:DescribeRepositories',
      'ecr:ListImages',
      'ecr:DescribeImages',
      'ecr:BatchGetImage',
    ]),
  ],
  [
    'AWSLambdaBasicExecutionRole',
    '/service-role/',
    allow(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
  ],
];

// Stable ids: the same managed policy has the same id in every account and every run, as in AWS.
function stablePolicyId(arn: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const digest = createHash('sha256').update(arn).digest();
  let id = 'ANPA';
  for (let i = 0; i < 17; i++) id += alphabet[digest[i]! % alphabet.length];
  return id;
}

export const AWS_MANAGED_POLICIES: ReadonlyMap<string, AwsManagedPolicy> = new Map(
  CATALOGUE.map(([policyName, path, document]) => {
    const arn = `arn:aws:iam::aws:policy${path}${policyName}`;
    return [arn, { arn, policyName, path, policyId: stablePolicyId(arn), document }];
  }),
);

export const AWS_MANAGED_POLICY_CREATE_DATE = new Date('2015-02-06T18:40:00Z');
