import { describe, expect, it } from '@jest/globals';
import { parseCreateBindingRequest } from '../../lib/domain/binding-rules.js';
import { InputError } from '../../lib/domain/errors.js';

const valid = {
  clusterName: 'prod-eu_1',
  region: 'eu-west-1',
  namespace: 'payments',
  serviceAccountName: 'ledger.writer',
  policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
};

function issuesOf(body: unknown) {
  try {
    parseCreateBindingRequest(body);
  } catch (error) {
    if (error instanceof InputError) return error.issues;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseCreateBindingRequest', () => {
  it('applies the defaults to a minimal request', () => {
    const request = parseCreateBindingRequest(valid);

    expect(request).toEqual({ ...valid, createServiceAccount: true, verify: true, tags: {} });
  });

  it('accepts every optional field within its limits', () => {
    const full = {
      ...valid,
      region: 'us-gov-west-1',
      policyArns: [
        'arn:aws-us-gov:iam::123456789012:policy/team/app/Read',
        'arn:aws-cn:iam::aws:policy/service-role/AmazonS3',
      ],
      roleName: 'my.role+x=y,z@a_b-c',
      createServiceAccount: false,
      verify: false,
      tags: { team: 'payments', 'cost center': 'A/1', empty: '' },
      maxSessionDuration: 43200,
      description: 'Ledger writer\nowned by payments',
      stsRegionalEndpoints: true,
      tokenExpirationSeconds: 600,
      audience: 'sts.amazonaws.com',
    };

    expect(parseCreateBindingRequest(full)).toEqual(full);
  });

  it.each([
    ['clusterName', { clusterName: '-starts-with-dash' }],
    ['clusterName', { clusterName: 'a'.repeat(101) }],
    ['region', { region: 'mars-1' }],
    ['namespace', { namespace: 'Payments' }],
    ['namespace', { namespace: 'a'.repeat(64) }],
    ['serviceAccountName', { serviceAccountName: 'system:serviceaccount' }],
    ['serviceAccountName', { serviceAccountName: 'ledger*' }],
    ['serviceAccountName', { serviceAccountName: 'a'.repeat(254) }],
    ['policyArns.0', { policyArns: ['arn:aws:iam::12345:policy/x'] }],
    ['policyArns.0', { policyArns: ['arn:aws:iam::aws:role/x'] }],
    ['policyArns', { policyArns: ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::aws:policy/A'] }],
    ['policyArns', { policyArns: Array.from({ length: 11 }, (_, i) => `arn:aws:iam::aws:policy/P${i}`) }],
    ['roleName', { roleName: 'has space' }],
    ['roleName', { roleName: 'r'.repeat(65) }],
    ['tags.aws:owner', { tags: { 'aws:owner': 'x' } }],
    ['tags.irsa-broker:id', { tags: { 'irsa-broker:id': 'x' } }],
    ['tags.k', { tags: { k: 'semi;colon' } }],
    ['tags', { tags: Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, 'v'])) }],
    ['maxSessionDuration', { maxSessionDuration: 3599 }],
    ['maxSessionDuration', { maxSessionDuration: 3600.5 }],
    ['tokenExpirationSeconds', { tokenExpirationSeconds: 86401 }],
    ['description', { description: 'emoji 🚀' }],
    ['audience', { audience: 'a'.repeat(257) }],
    ['verify', { verify: 'yes' }],
    ['surprise', { surprise: 1 }],
  ])('names %s as the field to fix', (path, patch) => {
    const issues = issuesOf({ ...valid, ...patch });

    expect(issues.map((i) => i.path)).toEqual([path]);
    expect(issues[0]?.message.length).toBeGreaterThan(5);
  });

  it('says which required fields are missing', () => {
    const issues = issuesOf({});

    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'clusterName', message: 'clusterName is required' },
        { path: 'policyArns', message: 'policyArns is required (it may be empty)' },
      ]),
    );
  });

  it.each([null, 'text', 42, [valid]])('refuses a body that is not an object (%p)', (body) => {
    expect(issuesOf(body)).toEqual([{ path: '', message: 'the request body must be a JSON object' }]);
  });
});
