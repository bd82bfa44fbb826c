// `npm run target-account -- --account <id> --broker-account <id> ...`: prints the CloudFormation
// template a target account's operators deploy so that irsa-broker can create Pod Identity target roles
// there: irsa-broker's access role (trusting only the broker's step roles) with the least privilege it
// needs, and the permissions boundary every target role gets (same path and name as the broker's).
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  SUGGESTED_BOUNDARY_DOCUMENT,
  targetAccessPolicy,
  targetAccessTrustPolicy,
  targetBoundaryArn,
} from '../lib/domain/target-role.js';

const DEFAULTS = {
  'role-path': '/irsa-broker/',
  'role-name-prefix': 'irsa-',
  'access-role-name': 'irsa-broker-target-access',
  /** serverless.yml puts EnsureRole, CheckDrift and DeleteRole's roles on this path. */
  'caller-path': '/irsa-broker-target-callers/',
};

const USAGE = `Usage: npm run target-account -- --account <id> --broker-account <id> --permissions-boundary-arn <arn> [options]

  --account                   the target account (where the target roles will live)
  --broker-account            the account irsa-broker is deployed in
  --permissions-boundary-arn  PERMISSIONS_BOUNDARY_ARN of the deployment; the same path and name is
                              created in the target account
  --role-path                 ROLE_PATH (default ${DEFAULTS['role-path']})
  --role-name-prefix          ROLE_NAME_PREFIX (default ${DEFAULTS['role-name-prefix']})
  --access-role-name          the targetAccountAccessRoleName param (default ${DEFAULTS['access-role-name']})
  --no-boundary               leave the boundary policy out (the account has it already)

Prints the template on stdout:
  npm run -s target-account -- --account 444455556666 --broker-account 111122223333 \\
    --permissions-boundary-arn arn:aws:iam::111122223333:policy/irsa-broker-boundary > target-account.yaml
  aws cloudformation deploy --template-file target-account.yaml --stack-name irsa-broker-target-access \\
    --capabilities CAPABILITY_NAMED_IAM     # with the target account's credentials`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function options(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        account: { type: 'string' },
        'broker-account': { type: 'string' },
        'permissions-boundary-arn': { type: 'string' },
        'role-path': { type: 'string', default: DEFAULTS['role-path'] },
        'role-name-prefix': { type: 'string', default: DEFAULTS['role-name-prefix'] },
        'access-role-name': { type: 'string', default: DEFAULTS['access-role-name'] },
        'no-boundary': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

function main(): void {
  const values = options(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const account = values.account?.trim() ?? '';
  const broker = values['broker-account']?.trim() ?? '';
  if (!/^\d{12}$/.test(account)) fail('--account must be the 12-digit id of the target account.');
  if (!/^\d{12}$/.test(broker))
    fail('--broker-account must be the 12-digit id of the account irsa-broker runs in.');
  const boundary = values['permissions-boundary-arn'] ?? '';
  const boundaryParts = /^arn:aws:iam::\d{12}:policy(\/(?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,128})$/.exec(
    boundary,
  );
  if (!boundaryParts)
    fail(
      "--permissions-boundary-arn must be the deployment's PERMISSIONS_BOUNDARY_ARN (a managed policy ARN).",
    );
  const rolePath = values['role-path'];
  if (!/^\/([\x21-\x7E]{0,510}\/)?$/.test(rolePath))
    fail('--role-path must start and end with "/", like ROLE_PATH.');
  const accessRoleName = values['access-role-name'];
  if (!/^[\w+=,.@-]{1,64}$/.test(accessRoleName)) fail('--access-role-name must be an IAM role name.');

  const config = {
    brokerAccount: broker,
    brokerPrincipalArnPattern: `arn:aws:iam::${broker}:role${DEFAULTS['caller-path']}*`,
    rolePath,
    roleNamePrefix: values['role-name-prefix'],
    boundaryArn: targetBoundaryArn(boundary, account),
  };
  const resources: Record<string, unknown> = {
    AccessRole: {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: accessRoleName,
        Description: 'irsa-broker creates and manages EKS Pod Identity target roles here through this role',
        AssumeRolePolicyDocument: targetAccessTrustPolicy(config),
        Policies: [
          { PolicyName: 'irsa-broker-target-access', PolicyDocument: targetAccessPolicy(config, account) },
        ],
      },
    },
  };
  if (!values['no-boundary']) {
    resources.Boundary = {
      Type: 'AWS::IAM::ManagedPolicy',
      Properties: {
        ManagedPolicyName: boundaryParts[2],
        Path: boundaryParts[1],
        Description: 'Permissions boundary of every target role irsa-broker creates in this account',
        PolicyDocument: SUGGESTED_BOUNDARY_DOCUMENT,
      },
    };
  }
  const template = {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: `irsa-broker target account ${account}: the access role irsa-broker (account ${broker}) assumes to manage Pod Identity target roles`,
    Resources: resources,
    Outputs: { AccessRoleArn: { Value: { 'Fn::GetAtt': ['AccessRole', 'Arn'] } } },
  };
  process.stdout.write(
    [
      `# Deploy in account ${account} with its credentials:`,
      '#   aws cloudformation deploy --template-file <this file> --stack-name irsa-broker-target-access --capabilities CAPABILITY_NAMED_IAM',
      `# The boundary ${config.boundaryArn} is what every target role irsa-broker creates here carries;`,
      '# adjust its document to what workloads may do in this account (it must keep denying IAM administration).',
      stringify(template, { lineWidth: 0, version: '1.1' }).trimEnd(),
      '',
    ].join('\n'),
  );
}

main();
