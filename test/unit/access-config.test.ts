// The access policy document: the committed example loads; a broken one stops cold start naming what to fix.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadAccessPolicy, parseAccessPolicy } from '../../lib/config/access-config.js';

const tenant = `
    clusters: [demo]
    namespaces: [team-a]
    policyArns: { exact: [arn:aws:iam::aws:policy/ReadOnlyAccess] }
    maxPoliciesPerRole: 2`;

describe('parseAccessPolicy', () => {
  it('reads tenants in order with defaults for the optional fields', () => {
    const policy = parseAccessPolicy(`version: 1\ntenants:\n  team-a:${tenant}\n    groups: [a]\n`, 'test');
    expect(policy).toEqual({
      groupsClaim: 'groups',
      admins: { subjects: [], groups: [] },
      tenants: [
        {
          name: 'team-a',
          subjects: [],
          groups: ['a'],
          clusters: ['demo'],
          namespaces: ['team-a'],
          policyArns: { exact: ['arn:aws:iam::aws:policy/ReadOnlyAccess'], prefixes: [] },
          maxPoliciesPerRole: 2,
          allowInlinePolicies: false,
          allowWildcardSubjects: false,
          targetAccounts: [],
          existingTargetRoleAccounts: [],
        },
      ],
    });
  });

  it.each([
    ['an unknown key', `version: 1\nadmin: {}\ntenants: {}`, /Unrecognized key.*admin/i],
    ['a wrong version', `version: 2\ntenants: {}`, /version: version must be 1/],
    [
      'a tenant without clusters',
      `version: 1\ntenants:\n  t:\n    namespaces: [a]\n    policyArns: {}\n    maxPoliciesPerRole: 1`,
      /tenants\.t\.clusters/,
    ],
    [
      'a bad namespace pattern',
      `version: 1\ntenants:\n  t:${tenant.replace('[team-a]', '[Team_A]')}`,
      /tenants\.t\.namespaces\.0: a namespace pattern/,
    ],
    [
      'a prefix that is not a policy ARN prefix',
      `version: 1\ntenants:\n  t:${tenant.replace('{ exact: [arn:aws:iam::aws:policy/ReadOnlyAccess] }', "{ prefixes: ['*'] }")}`,
      /prefixes start with arn:aws:iam/,
    ],
    [
      'existing target roles allowed in an account the tenant may not name',
      `version: 1\ntenants:\n  t:${tenant}\n    existingTargetRoleAccounts: ['444455556666']`,
      /tenants\.t\.existingTargetRoleAccounts: existingTargetRoleAccounts must be among the tenant's targetAccounts/,
    ],
    ['not YAML', 'version: [1', /not YAML/],
  ])('refuses %s with a message naming it', (_what, text, message) => {
    expect(() => parseAccessPolicy(text, 'policy.yaml')).toThrow(message);
  });
});

describe('loadAccessPolicy', () => {
  it('loads the committed example', () => {
    const policy = loadAccessPolicy({ ACCESS_POLICY_FILE: 'config/tenants.example.yaml' });
    expect(policy.tenants.map((t) => t.name)).toEqual(['team-a', 'team-b']);
    expect(policy.admins.groups).toEqual(['irsa-broker-admins']);
  });

  it('says what to set when the variable is missing or the file unreadable', () => {
    expect(() => loadAccessPolicy({})).toThrow(/ACCESS_POLICY_FILE: set it/);
    expect(() => loadAccessPolicy({ ACCESS_POLICY_FILE: 'config/none.yaml' })).toThrow(
      /cannot read .*ENOENT/,
    );
  });

  it('takes a relative path from LAMBDA_TASK_ROOT', () => {
    const root = mkdtempSync(join(tmpdir(), 'access-'));
    writeFileSync(join(root, 'p.yaml'), `version: 1\ntenants: {}\n`);
    expect(loadAccessPolicy({ ACCESS_POLICY_FILE: 'p.yaml', LAMBDA_TASK_ROOT: root }).tenants).toEqual([]);
  });
});
