// `npm run target-account` prints the template a target account deploys for irsa-broker: the access role
// trusting only the step roles serverless.yml puts on the caller path, with the shipped least privilege.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { targetAccessPolicy } from '../../lib/domain/target-role.js';

async function targetAccount(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [resolve('node_modules/tsx/dist/cli.mjs'), resolve('scripts/target-account.ts'), ...args],
      { timeout: 60_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

const BOUNDARY = 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-broker-boundary';

describe('npm run target-account', () => {
  it('prints an access role trusting only the broker account’s target callers, with the shipped policy and the boundary', async () => {
    const { code, stdout } = await targetAccount([
      '--account=444455556666',
      '--broker-account=111122223333',
      `--permissions-boundary-arn=${BOUNDARY}`,
    ]);

    expect(code).toBe(0);
    const template = parse(stdout) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const role = template.Resources.AccessRole!.Properties;
    expect(role.RoleName).toBe('irsa-broker-target-access');
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Principal: { AWS: 'arn:aws:iam::111122223333:root' },
          Action: 'sts:AssumeRole',
          Condition: {
            ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::111122223333:role/irsa-broker-target-callers/*' },
          },
        },
      ],
    });
    const boundaryHere = 'arn:aws:iam::444455556666:policy/irsa-broker/irsa-broker-boundary';
    expect((role.Policies as { PolicyDocument: unknown }[])[0]!.PolicyDocument).toEqual(
      targetAccessPolicy(
        {
          brokerAccount: '111122223333',
          brokerPrincipalArnPattern: '',
          rolePath: '/irsa-broker/',
          roleNamePrefix: 'irsa-',
          boundaryArn: boundaryHere,
        },
        '444455556666',
      ),
    );
    expect(template.Resources.Boundary!.Properties).toMatchObject({
      ManagedPolicyName: 'irsa-broker-boundary',
      Path: '/irsa-broker/',
    });
  });

  it('refuses a malformed account with the usage (exit 2)', async () => {
    const { code, stderr } = await targetAccount(['--account=12', '--broker-account=111122223333']);

    expect(code).toBe(2);
    expect(stderr).toContain('--account must be the 12-digit id of the target account');
  });

  it('matches serverless.yml: the roles that assume it sit on the caller path, and only they may', () => {
    const text = readFileSync(resolve('serverless.yml'), 'utf8');
    const onPath = [
      ...text.matchAll(/^ {4}(\w+):\n(?: {6}.*\n)*? {8}Path: \/irsa-broker-target-callers\/$/gm),
    ].map((m) => m[1]);
    const assumers = [...text.matchAll(/^ {4}(\w+Role):\n[\s\S]*?(?=^ {4}\w+:\n)/gm)]
      .filter((m) => m[0].includes('Sid: ActInTargetAccounts'))
      .map((m) => m[1]);

    expect(onPath.sort()).toEqual(['CheckDriftRole', 'DeleteRoleRole', 'EnsureRoleRole']);
    expect(assumers.sort()).toEqual(['CheckDriftRole', 'DeleteRoleRole', 'EnsureRoleRole']);
  });
});
