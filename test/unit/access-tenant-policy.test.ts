// The pure access rules over the committed example policy: who a caller is, where they may bind, what they see.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseAccessPolicy } from '../../lib/config/access-config.js';
import { InputError, NotAllowedError } from '../../lib/domain/errors.js';
import {
  authorizeBind,
  type BindRequestView,
  bindRequestView,
  canSee,
  listTenantFor,
  namespaceMatches,
  resolveCaller,
} from '../../lib/domain/tenant-policy.js';
import { groupsFrom } from '../../lib/http/auth/access-control.js';

const policy = parseAccessPolicy(readFileSync('config/tenants.example.yaml', 'utf8'), 'example');
const teamA = resolveCaller({ subject: 'local-team-a', groups: ['team-a'] }, policy);
const teamB = resolveCaller({ subject: 'someone', groups: ['team-b'] }, policy);
const admin = resolveCaller({ subject: 'ops', groups: ['irsa-broker-admins'] }, policy);
const nobody = resolveCaller({ subject: 'stranger', groups: ['marketing'] }, policy);

function request(overrides: Partial<BindRequestView> = {}): BindRequestView {
  return {
    clusterName: 'demo',
    namespace: 'team-a',
    serviceAccountName: 'app',
    policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
    hasInlinePolicies: false,
    ...overrides,
  };
}

function refusal(run: () => unknown): NotAllowedError {
  try {
    run();
  } catch (error) {
    if (error instanceof NotAllowedError) return error;
    throw error;
  }
  throw new Error('expected a NotAllowedError');
}

describe('resolveCaller', () => {
  it('maps subjects and groups to tenants and admin', () => {
    expect(teamA).toEqual({ subject: 'local-team-a', admin: false, tenants: ['team-a'] });
    expect(teamB).toEqual({ subject: 'someone', admin: false, tenants: ['team-b'] });
    expect(admin).toEqual({ subject: 'ops', admin: true, tenants: [] });
    expect(resolveCaller({ subject: 'local-admin', groups: [] }, policy).admin).toBe(true);
    expect(nobody).toEqual({ subject: 'stranger', admin: false, tenants: [] });
  });

  it('reads API Gateway flattened group claims', () => {
    expect(groupsFrom('[team-a irsa-broker-admins]')).toEqual(['team-a', 'irsa-broker-admins']);
    expect(groupsFrom(['x', 3, ''])).toEqual(['x']);
    expect(groupsFrom('solo')).toEqual(['solo']);
    expect(groupsFrom(undefined)).toEqual([]);
  });
});

describe('namespaceMatches', () => {
  it.each([
    ['team-a', 'team-a', true],
    ['team-a-*', 'team-a-dev', true],
    ['team-a-*', 'team-a', false],
    ['team-a', 'team-ab', false],
    ['team-a-*', 'team-b-dev', false],
    ['*-jobs', 'team-a-jobs', true],
  ])('%s ~ %s → %s', (pattern, namespace, expected) => {
    expect(namespaceMatches(pattern, namespace)).toBe(expected);
  });
});

describe('Pod Identity target roles in the tenant rules', () => {
  it('lets a tenant name target roles only in its targetAccounts; none by default', () => {
    const inPeer = request({ targetRoleArn: 'arn:aws:iam::444455556666:role/reader' });
    expect(authorizeBind(teamA, inPeer, policy)).toBe('team-a');
    const elsewhere = refusal(() =>
      authorizeBind(teamA, request({ targetRoleArn: 'arn:aws:iam::999988887777:role/reader' }), policy),
    );
    expect(elsewhere.rule).toBe('tenants.team-a.targetAccounts');
    expect(elsewhere.message).toContain('target role account 999988887777 is not one of 444455556666');
    const teamBRequest = request({
      namespace: 'team-b',
      policyArns: [],
      targetRoleArn: inPeer.targetRoleArn,
    });
    expect(refusal(() => authorizeBind(teamB, teamBRequest, policy)).message).toContain(
      'is not one of (none)',
    );
    expect(bindRequestView({ ...teamBRequest }).targetRoleArn).toBe(inPeer.targetRoleArn);
  });
});

describe('authorizeBind', () => {
  it("returns the caller's tenant for a request inside its rules", () => {
    expect(authorizeBind(teamA, request(), policy)).toBe('team-a');
    expect(authorizeBind(teamA, request({ namespace: 'team-a-batch', clusterName: 'legacy' }), policy)).toBe(
      'team-a',
    );
    expect(
      authorizeBind(
        teamA,
        request({ policyArns: ['arn:aws:iam::111122223333:policy/team-a/reader'] }),
        policy,
      ),
    ).toBe('team-a');
  });

  it("refuses another tenant's namespace, naming the rule", () => {
    const error = refusal(() => authorizeBind(teamA, request({ namespace: 'team-b' }), policy));
    expect(error.rule).toBe('tenants.team-a.namespaces');
    expect(error.message).toMatch(/namespace team-b matches none of team-a, team-a-\*/);
  });

  it('refuses a cluster the tenant may not use', () => {
    expect(refusal(() => authorizeBind(teamA, request({ clusterName: 'prod' }), policy)).rule).toBe(
      'tenants.team-a.clusters',
    );
  });

  it('refuses AdministratorAccess and any unlisted policy, naming the rule and the policy', () => {
    const admin = refusal(() =>
      authorizeBind(teamA, request({ policyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }), policy),
    );
    expect(admin.rule).toBe('tenants.team-a.policyArns');
    expect(admin.message).toContain('arn:aws:iam::aws:policy/AdministratorAccess');
    const unlisted = refusal(() =>
      authorizeBind(
        teamA,
        request({ policyArns: ['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess'] }),
        policy,
      ),
    );
    expect(unlisted.rule).toBe('tenants.team-a.policyArns');
    // A prefix is a prefix of the ARN, not of another team's path.
    const otherPath = refusal(() =>
      authorizeBind(teamA, request({ policyArns: ['arn:aws:iam::111122223333:policy/team-ab/x'] }), policy),
    );
    expect(otherPath.rule).toBe('tenants.team-a.policyArns');
  });

  it('refuses more policies than the tenant allows per role, inline policies and wildcard subjects', () => {
    const four = [
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess',
      'arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess',
      'arn:aws:iam::111122223333:policy/team-a/x',
    ];
    expect(refusal(() => authorizeBind(teamA, request({ policyArns: four }), policy)).rule).toBe(
      'tenants.team-a.maxPoliciesPerRole',
    );
    expect(refusal(() => authorizeBind(teamA, request({ hasInlinePolicies: true }), policy)).rule).toBe(
      'tenants.team-a.allowInlinePolicies',
    );
    expect(refusal(() => authorizeBind(teamA, request({ serviceAccountName: 'app-*' }), policy)).rule).toBe(
      'tenants.team-a.allowWildcardSubjects',
    );
  });

  it('refuses a caller of no tenant, naming the tenants rule', () => {
    const error = refusal(() => authorizeBind(nobody, request(), policy));
    expect(error.rule).toBe('tenants');
    expect(error.message).toMatch(/belongs to no tenant/);
  });

  it('lets an admin bind anywhere; the binding belongs to the tenant whose namespaces cover it', () => {
    expect(authorizeBind(admin, request({ namespace: 'team-b-jobs' }), policy)).toBe('team-b');
    expect(authorizeBind(admin, request({ namespace: 'kube-system' }), policy)).toBeUndefined();
    expect(
      authorizeBind(admin, request({ policyArns: ['arn:aws:iam::aws:policy/AmazonS3FullAccess'] }), policy),
    ).toBe('team-a');
  });

  it('a caller of two tenants binds under the first whose rules allow it', () => {
    const both = resolveCaller({ subject: 'x', groups: ['team-a', 'team-b'] }, policy);
    expect(authorizeBind(both, request({ namespace: 'team-b' }), policy)).toBe('team-b');
    const error = refusal(() => authorizeBind(both, request({ namespace: 'default' }), policy));
    expect(error.rule).toBe('tenants.team-a.namespaces');
    expect(error.message).toContain('tenants.team-b.namespaces');
  });
});

describe('bindRequestView', () => {
  it('counts inline policies only when the request carries some', () => {
    const base = { clusterName: 'demo', namespace: 'team-a', serviceAccountName: 'app', policyArns: [] };
    expect(bindRequestView(base).hasInlinePolicies).toBe(false);
    expect(bindRequestView({ ...base, inlinePolicies: {} } as typeof base).hasInlinePolicies).toBe(false);
    expect(
      bindRequestView({ ...base, inlinePolicies: { s3: { Version: '2012-10-17' } } } as typeof base)
        .hasInlinePolicies,
    ).toBe(true);
  });
});

describe('visibility', () => {
  it("shows a binding to its tenant's callers and admins only", () => {
    expect(canSee(teamA, { tenant: 'team-a' })).toBe(true);
    expect(canSee(teamB, { tenant: 'team-a' })).toBe(false);
    expect(canSee(teamA, {})).toBe(false);
    expect(canSee(admin, {})).toBe(true);
    expect(canSee(admin, { tenant: 'team-b' })).toBe(true);
  });

  it("lists the caller's tenant, refuses a foreign one and asks a two-tenant caller to choose", () => {
    expect(listTenantFor(teamA, undefined)).toBe('team-a');
    expect(listTenantFor(teamA, 'team-a')).toBe('team-a');
    expect(refusal(() => listTenantFor(teamA, 'team-b')).rule).toBe('tenants');
    expect(listTenantFor(admin, undefined)).toBeUndefined();
    expect(listTenantFor(admin, 'team-b')).toBe('team-b');
    const both = resolveCaller({ subject: 'x', groups: ['team-a', 'team-b'] }, policy);
    expect(() => listTenantFor(both, undefined)).toThrow(InputError);
    expect(refusal(() => listTenantFor(nobody, undefined)).rule).toBe('tenants');
  });
});
