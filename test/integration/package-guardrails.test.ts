// The deployed stack's own permissions, read from the packaged CloudFormation template: roles are
// created only under the path and prefix and only with the boundary, the boundary cannot be changed or
// removed, roles are passed only to EKS Pod Identity, and the HTTP API is throttled.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  TEST_BOUNDARY_ARN as BOUNDARY,
  type Json,
  packagedResources,
  runPackage,
  TEST_ACCESS_POLICY_FILE,
  type TemplateResource,
} from '../support/packaged-template.js';

const ROLE_SCOPE = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, on purpose
  'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/irsa-broker/irsa-*',
};

type Resource = TemplateResource;
interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

let outDir: string;
let resources: Record<string, Resource>;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'irsa-guardrails-package-'));
  resources = await packagedResources();
}, 600_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function statementsOf(roleId: string): Statement[] {
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId} in the template`);
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

function allStatements(): [string, Statement][] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .flatMap(([id]) => statementsOf(id).map((s): [string, Statement] => [id, s]));
}

const allows = (action: string) =>
  allStatements().filter(([, s]) => s.Effect === 'Allow' && list(s.Action).includes(action));

describe('the packaged stack guards its own IAM powers', () => {
  it('lets only EnsureRole create roles; roles get boundaries and policies only under the path, prefix and boundary condition', () => {
    expect(allows('iam:CreateRole').map(([roleId]) => roleId)).toEqual(['EnsureRoleRole']);
    expect(allows('iam:PutRolePolicy').map(([roleId]) => roleId)).toEqual(['EnsureRoleRole']);
    for (const action of [
      'iam:CreateRole',
      'iam:PutRolePermissionsBoundary',
      'iam:AttachRolePolicy',
      // The target-role permission of a Pod Identity binding: still only on boundary-capped broker roles.
      'iam:PutRolePolicy',
    ]) {
      const grants = allows(action);
      expect(grants.length).toBeGreaterThan(0);
      for (const [roleId, statement] of grants) {
        expect({
          roleId,
          action,
          resources: list(statement.Resource),
          condition: statement.Condition,
        }).toEqual({
          roleId,
          action,
          resources: [ROLE_SCOPE],
          condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY } },
        });
      }
    }
  });

  it('lets every function that changes a status write each part of that transaction', () => {
    // DynamoDB authorizes a transaction part by part: the status change is an Update of the binding plus
    // a Put of its event, and FAILED/DELETED also Delete the service account slot.
    const dynamoDbActions = (fn: string) =>
      new Set(
        statementsOf(`${fn[0]?.toUpperCase()}${fn.slice(1)}Role`)
          .filter((s) => s.Effect === 'Allow')
          .flatMap((s) => list(s.Action))
          .filter((action) => action.startsWith('dynamodb:')),
      );
    const changesStatus = [
      'createBinding',
      'retryBinding',
      'updateBinding',
      'verifyBinding',
      'deleteBinding',
      // The step frame moves PENDING → RUNNING in whichever step runs first.
      'describeCluster',
      'ensureOidcProvider',
      'ensureRole',
      'ensureWebhook',
      'approveCsr',
      'applyServiceAccount',
      'verifyIdentity',
      'checkDrift',
      'recordOutcome',
      'recordUnbind',
      'executionEnded',
    ];
    const closes = ['createBinding', 'retryBinding', 'recordOutcome', 'recordUnbind', 'executionEnded'];
    for (const fn of changesStatus) {
      const actions = dynamoDbActions(fn);
      const needed = ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'];
      if (closes.includes(fn)) needed.push('dynamodb:DeleteItem');
      expect({ fn, missing: needed.filter((action) => !actions.has(action)) }).toEqual({ fn, missing: [] });
    }
  });

  it('lets CheckDrift make exactly the repairs it performs, and never create, delete or untag a role', () => {
    const actions = new Set(
      statementsOf('CheckDriftRole')
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => list(s.Action)),
    );
    for (const repair of [
      'iam:UpdateAssumeRolePolicy',
      'iam:AttachRolePolicy',
      'iam:DetachRolePolicy',
      'iam:TagRole',
      'iam:UpdateRole',
      'iam:PutRolePermissionsBoundary',
    ]) {
      expect({ repair, allowed: actions.has(repair) }).toEqual({ repair, allowed: true });
    }
    for (const never of [
      'iam:CreateRole',
      'iam:DeleteRole',
      'iam:UntagRole',
      'iam:DeleteRolePermissionsBoundary',
    ]) {
      expect({ never, allowed: actions.has(never) }).toEqual({ never, allowed: false });
    }
  });

  it('limits trust and tag changes, detaching and deleting to roles under the path and prefix', () => {
    for (const action of [
      'iam:UpdateAssumeRolePolicy',
      'iam:TagRole',
      'iam:UntagRole',
      'iam:UpdateRole',
      'iam:DetachRolePolicy',
      'iam:DeleteRole',
      'iam:DeleteRolePolicy',
    ]) {
      for (const [roleId, statement] of allows(action)) {
        expect({ roleId, action, resources: list(statement.Resource) }).toEqual({
          roleId,
          action,
          resources: [ROLE_SCOPE],
        });
      }
    }
    expect(allows('iam:UpdateAssumeRolePolicy').length).toBeGreaterThan(0);
    expect(allows('iam:DeleteRole').length).toBeGreaterThan(0);
  });

  it('passes roles only to EKS Pod Identity and grants nothing that could change or remove the boundary', () => {
    expect(allows('iam:PassRole').map(([roleId]) => roleId)).toEqual([
      'EnsurePodIdentityAssociationRole',
      'CheckDriftRole',
    ]);
    for (const action of [
      'iam:DeleteRolePermissionsBoundary',
      'iam:DeletePolicy',
      'iam:CreatePolicyVersion',
      'iam:DeletePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:CreatePolicy',
    ]) {
      expect({ action, grants: allows(action) }).toEqual({ action, grants: [] });
    }
    const denied = statementsOf('EnsureRoleRole').filter((s) => s.Effect === 'Deny');
    const onBoundary = denied.find((s) => list(s.Resource).includes(BOUNDARY));
    expect(list(onBoundary?.Action).sort()).toEqual([
      'iam:CreatePolicyVersion',
      'iam:DeletePolicy',
      'iam:DeletePolicyVersion',
      'iam:SetDefaultPolicyVersion',
    ]);
    expect(denied.some((s) => list(s.Action).includes('iam:DeleteRolePermissionsBoundary'))).toBe(true);
  });

  it('gives the step functions the boundary ARN they attach, and them and createBinding the deny-list', () => {
    const fn = resources.EnsureRoleLambdaFunction;
    const env = (fn?.Properties.Environment as { Variables: Json } | undefined)?.Variables;
    expect(env?.PERMISSIONS_BOUNDARY_ARN).toBe(BOUNDARY);
    expect(env?.DENIED_POLICY_ARNS).toMatch(/arn:aws:iam::aws:policy\/AdministratorAccess/);
    const create = resources.CreateBindingLambdaFunction;
    const createEnv = (create?.Properties.Environment as { Variables: Json } | undefined)?.Variables;
    expect(createEnv?.DENIED_POLICY_ARNS).toBe(env?.DENIED_POLICY_ARNS);
  });

  it('throttles the HTTP API stage', () => {
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage');
    const settings = stage?.Properties.DefaultRouteSettings as Json | undefined;
    expect(settings?.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings?.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it('refuses to package without a permissions boundary', async () => {
    const { code, output } = await runPackage([
      '--package',
      join(outDir, 'without-boundary'),
      '--param',
      `accessPolicyFile=${TEST_ACCESS_POLICY_FILE}`,
    ]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/PERMISSIONS_BOUNDARY_ARN": Value not found at "param" source/);
  }, 300_000);

  it('scopes every EKS grant to the clusters eksClusterNamePattern names', async () => {
    const dir = join(outDir, 'prod-clusters');
    const { code, output } = await runPackage([
      '--package',
      dir,
      '--param',
      `permissionsBoundaryArn=${BOUNDARY}`,
      '--param',
      `accessPolicyFile=${TEST_ACCESS_POLICY_FILE}`,
      '--param',
      'eksClusterNamePattern=prod-*',
    ]);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const template = JSON.parse(
      await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as { Resources: Record<string, Resource> };
    const eksResources = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role')
      .flatMap(
        (r) => (r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[] | undefined) ?? [],
      )
      .flatMap((p) => p.PolicyDocument.Statement)
      .filter((st) => list(st.Action).some((a) => a.startsWith('eks:')))
      .flatMap((st) => list(st.Resource).map((r) => JSON.stringify(r)));
    expect(eksResources.length).toBeGreaterThan(10);
    for (const resource of eksResources) {
      expect(resource).toMatch(/:(cluster|podidentityassociation|addon)\/prod-\*["/]/);
    }
  }, 300_000);

  it('refuses to package without the access policy file the API functions read', async () => {
    const { code, output } = await runPackage([
      '--package',
      join(outDir, 'without-policy'),
      '--param',
      `permissionsBoundaryArn=${BOUNDARY}`,
      '--param',
      'accessPolicyFile=config/no-such-policy.yaml',
    ]);
    expect(code).not.toBe(0);
    expect(output).toMatch(/custom\.requiredAccessPolicy": Value not found at "file" source/);
  }, 300_000);
});
