import { describe, expect, it } from '@jest/globals';
import { ROLE_NAME_PATTERN } from '../../lib/domain/names.js';
import { deriveRoleName } from '../../lib/domain/role-name.js';

const base = {
  region: 'eu-west-1',
  clusterName: 'prod',
  namespace: 'payments',
  serviceAccountName: 'ledger',
};

describe('deriveRoleName', () => {
  it('reads as irsa-<cluster>-<namespace>-<sa> with a short hash', () => {
    const name = deriveRoleName(base);

    expect(name).toMatch(/^irsa-prod-payments-ledger-[0-9a-f]{8}$/);
    expect(name).toMatch(ROLE_NAME_PATTERN);
  });

  it('is stable for the same input', () => {
    expect(deriveRoleName({ ...base })).toBe(deriveRoleName(base));
  });

  it('fits 64 characters and stays a valid IAM name for the longest inputs', () => {
    const name = deriveRoleName({
      region: 'us-gov-west-1',
      clusterName: `C${'x'.repeat(99)}`,
      namespace: 'n'.repeat(63),
      serviceAccountName: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
    });

    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(ROLE_NAME_PATTERN);
    expect(name.startsWith('irsa-Cxxx')).toBe(true);
  });

  it('does not end the readable part with a separator before the hash', () => {
    const name = deriveRoleName({ ...base, clusterName: `${'a'.repeat(45)}-${'b'.repeat(20)}` });

    expect(name).not.toMatch(/[-._]-[0-9a-f]{8}$/);
    expect(name.length).toBeLessThanOrEqual(64);
  });

  it('tells apart tuples whose readable parts collide or get truncated alike', () => {
    const longSa = 's'.repeat(80);
    const names = [
      deriveRoleName({ ...base, clusterName: 'a-b', namespace: 'c' }),
      deriveRoleName({ ...base, clusterName: 'a', namespace: 'b-c' }),
      deriveRoleName({ ...base, clusterName: 'Prod' }),
      deriveRoleName({ ...base, region: 'us-east-1' }),
      deriveRoleName({ ...base, serviceAccountName: `${longSa}1` }),
      deriveRoleName({ ...base, serviceAccountName: `${longSa}2` }),
    ];
    const lowerCased = names.map((n) => n.toLowerCase()); // IAM role names are case-insensitive

    expect(new Set(lowerCased).size).toBe(names.length);
  });

  it('gives distinct names across many service accounts of one namespace', () => {
    const names = new Set<string>();
    for (let i = 0; i < 5000; i++) names.add(deriveRoleName({ ...base, serviceAccountName: `sa-${i}` }));

    expect(names.size).toBe(5000);
  });
});
