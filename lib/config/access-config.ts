// The access policy document (YAML): read once at cold start, validated, refused with a message naming what to fix.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
// js-yaml rather than `yaml`: a third of the size in every API bundle, and the Kubernetes steps carry it anyway.
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import * as z from 'zod/mini';
import { CLUSTER_NAME_PATTERN, POLICY_ARN_PATTERN } from '../domain/names.js';
import type { TenantPolicy } from '../domain/tenant-policy.js';
import '../domain/validation-locale.js';

const TENANT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A namespace pattern: DNS-1123 label characters and `*`. */
const NAMESPACE_PATTERN = /^[a-z0-9*]([-a-z0-9*]{0,61}[a-z0-9*])?$/;
const POLICY_ARN_PREFIX = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]*$/;

const identifiers = (what: string) =>
  z._default(
    z.array(
      z.string().check(z.minLength(1, { error: `${what} must not be empty strings` }), z.maxLength(256)),
      { error: `${what} must be a list of strings` },
    ),
    [],
  );

const tenantSchema = z
  .strictObject({
    subjects: identifiers('subjects'),
    groups: identifiers('groups'),
    clusters: z
      .array(z.string().check(z.regex(CLUSTER_NAME_PATTERN, { error: 'a cluster is an EKS cluster name' })), {
        error: 'clusters must be a list of EKS cluster names',
      })
      .check(z.minLength(1, { error: 'name at least one cluster the tenant may bind on' })),
    namespaces: z
      .array(
        z.string().check(
          z.regex(NAMESPACE_PATTERN, {
            error:
              'a namespace pattern is a DNS-1123 label in which * stands for any characters, e.g. team-a-*',
          }),
        ),
        { error: 'namespaces must be a list of namespace patterns' },
      )
      .check(z.minLength(1, { error: 'name at least one namespace pattern' })),
    policyArns: z.strictObject(
      {
        exact: z._default(
          z.array(
            z.string().check(z.regex(POLICY_ARN_PATTERN, { error: 'exact entries are managed policy ARNs' })),
          ),
          [],
        ),
        prefixes: z._default(
          z.array(
            z.string().check(
              z.regex(POLICY_ARN_PREFIX, {
                error:
                  'prefixes start with arn:aws:iam::<account or aws>:policy/, e.g. arn:aws:iam::111122223333:policy/team-a/',
              }),
            ),
          ),
          [],
        ),
      },
      { error: 'policyArns has `exact` and `prefixes` lists' },
    ),
    maxPoliciesPerRole: z
      .int({ error: 'maxPoliciesPerRole must be a whole number' })
      .check(
        z.minimum(0),
        z.maximum(20, { error: 'maxPoliciesPerRole must be at most 20 (the IAM hard limit)' }),
      ),
    allowInlinePolicies: z._default(z.boolean({ error: 'allowInlinePolicies must be true or false' }), false),
    allowWildcardSubjects: z._default(
      z.boolean({ error: 'allowWildcardSubjects must be true or false' }),
      false,
    ),
    targetAccounts: z._default(
      z.array(
        z.string().check(z.regex(/^\d{12}$/, { error: 'targetAccounts are 12-digit AWS account ids' })),
      ),
      [],
    ),
    existingTargetRoleAccounts: z._default(
      z.array(
        z
          .string()
          .check(z.regex(/^\d{12}$/, { error: 'existingTargetRoleAccounts are 12-digit AWS account ids' })),
      ),
      [],
    ),
  })
  .check(
    z.refine(
      (tenant) =>
        tenant.existingTargetRoleAccounts.every((account) => tenant.targetAccounts.includes(account)),
      {
        message:
          "existingTargetRoleAccounts must be among the tenant's targetAccounts (add the account there too)",
        path: ['existingTargetRoleAccounts'],
      },
    ),
  );

export const AccessPolicySchema = z.strictObject({
  version: z.literal(1, { error: 'version must be 1' }),
  groupsClaim: z._default(z.string().check(z.minLength(1), z.maxLength(128)), 'groups'),
  admins: z._default(
    z.strictObject({ subjects: identifiers('admins.subjects'), groups: identifiers('admins.groups') }),
    { subjects: [], groups: [] },
  ),
  tenants: z.record(
    z.string().check(z.regex(TENANT_NAME, { error: 'tenant names are DNS-1123 labels' })),
    tenantSchema,
  ),
});

/** Validates a policy document's text; `source` names it in the error (a file path, a parameter). */
export function parseAccessPolicy(text: string, source: string): TenantPolicy {
  let document: unknown;
  try {
    document = loadYaml(text, { schema: CORE_SCHEMA, filename: source });
  } catch (error) {
    throw new Error(
      `Invalid irsa-broker access policy ${source}: not YAML (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const result = AccessPolicySchema.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`,
    );
    throw new Error(`Invalid irsa-broker access policy ${source}:\n  ${problems.join('\n  ')}`);
  }
  const parsed = result.data;
  return {
    groupsClaim: parsed.groupsClaim,
    admins: parsed.admins,
    tenants: Object.entries(parsed.tenants).map(([name, tenant]) => ({ name, ...tenant })),
  };
}

type Env = Record<string, string | undefined>;

/**
 * The policy named by ACCESS_POLICY_FILE, a file shipped in the package; a relative path is taken from
 * the function's root (LAMBDA_TASK_ROOT on Lambda, the working directory locally).
 */
export function loadAccessPolicy(env: Env = process.env): TenantPolicy {
  const file = env.ACCESS_POLICY_FILE;
  if (!file) {
    throw new Error(
      'Invalid irsa-broker API configuration:\n  ACCESS_POLICY_FILE: set it to the access policy YAML shipped with the functions (see config/tenants.example.yaml)',
    );
  }
  const path = isAbsolute(file) ? file : resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(
      `Invalid irsa-broker API configuration:\n  ACCESS_POLICY_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}); ship the policy file with the package or fix the path`,
    );
  }
  return parseAccessPolicy(text, path);
}
