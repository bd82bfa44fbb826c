import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  type AwsCredentials,
  createEksToken,
  EKS_TOKEN_PREFIX,
  EksTokenCache,
} from '../../lib/adapters/kubernetes/eks-token.js';

const credentials: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'FwoGZXIvYXdzE+session/token==',
};
const signedAt = new Date('2024-05-01T12:34:56Z');

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  expect(body).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const rfc3986 = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** SigV4 for a presigned GET, written independently of the signer under test. */
function expectedSignature(url: URL, headers: Record<string, string>, secret: string): string {
  const params = [...url.searchParams.entries()].filter(([k]) => k !== 'X-Amz-Signature');
  const canonicalQuery = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = url.searchParams.get('X-Amz-SignedHeaders') ?? '';
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${headers[h]}\n`)
    .join('');
  const canonicalRequest = [
    'GET',
    url.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const amzDate = url.searchParams.get('X-Amz-Date') ?? '';
  const [, date, region, service, terminator] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
  const scope = [date, region, service, terminator].join('/');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key = hmac(`AWS4${secret}`, date ?? '');
  for (const part of [region, service, terminator]) key = hmac(key, part ?? '');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('createEksToken', () => {
  it('presigns GetCallerIdentity against the regional STS host, bound to the cluster', async () => {
    // Prepare / Act
    const { token, expiresAt } = await createEksToken({
      clusterName: 'demo',
      region: 'eu-west-1',
      credentials: async () => credentials,
      now: signedAt,
    });

    // Assess
    const url = decode(token);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const keys = [...url.searchParams.keys()];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual(
      [
        'Action',
        'Version',
        'X-Amz-Algorithm',
        'X-Amz-Credential',
        'X-Amz-Date',
        'X-Amz-Expires',
        'X-Amz-Security-Token',
        'X-Amz-Signature',
        'X-Amz-SignedHeaders',
      ].sort(),
    );
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20240501T123456Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIAIOSFODNN7EXAMPLE/20240501/eu-west-1/sts/aws4_request',
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(credentials.sessionToken);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(expiresAt.toISOString()).toBe('2024-05-01T12:48:56.000Z');
    expect(Buffer.byteLength(token)).toBeLessThanOrEqual(4096);
  });

  it('carries a signature that verifies when recomputed from the URL and the cluster header', async () => {
    // Prepare
    const { token } = await createEksToken({
      clusterName: 'payments-prod',
      region: 'us-east-1',
      credentials: async () => credentials,
      now: signedAt,
    });
    const url = decode(token);

    // Act
    const good = expectedSignature(
      url,
      { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'payments-prod' },
      credentials.secretAccessKey,
    );
    const otherCluster = expectedSignature(
      url,
      { host: 'sts.us-east-1.amazonaws.com', 'x-k8s-aws-id': 'someone-else' },
      credentials.secretAccessKey,
    );

    // Assess
    expect(url.searchParams.get('X-Amz-Signature')).toBe(good);
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(otherCluster);
  });

  it('percent-encodes the query the RFC 3986 way (no form-style plus signs)', async () => {
    const { token } = await createEksToken({
      clusterName: 'demo',
      region: 'us-east-1',
      credentials: async () => ({ ...credentials, sessionToken: 'a b+c/d=' }),
      now: signedAt,
    });
    const raw = Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8');
    expect(raw).toContain('X-Amz-Security-Token=a%20b%2Bc%2Fd%3D');
  });

  it('expires early when the credentials lapse before the token would', async () => {
    const { expiresAt } = await createEksToken({
      clusterName: 'demo',
      region: 'us-east-1',
      credentials: async () => ({ ...credentials, expiration: new Date(signedAt.getTime() + 5 * 60_000) }),
      now: signedAt,
    });
    expect(expiresAt.toISOString()).toBe('2024-05-01T12:39:56.000Z');
  });
});

describe('EksTokenCache', () => {
  it('reuses a token until 14 minutes have passed, then signs a new one', async () => {
    // Prepare
    let now = signedAt.getTime();
    const cache = new EksTokenCache({ credentials: async () => credentials, clock: () => new Date(now) });

    // Act
    const first = await cache.get('demo', 'us-east-1');
    now += 13 * 60_000 + 59_000;
    const beforeRefresh = await cache.get('demo', 'us-east-1');
    now += 1_000;
    const afterRefresh = await cache.get('demo', 'us-east-1');

    // Assess
    expect(beforeRefresh.token).toBe(first.token);
    expect(afterRefresh.token).not.toBe(first.token);
    expect(decode(afterRefresh.token).searchParams.get('X-Amz-Date')).toBe('20240501T124856Z');
    expect(afterRefresh.expiresAt.getTime()).toBe(now + 14 * 60_000);
  });

  it('keeps one token per cluster and region, and shares one signing among concurrent callers', async () => {
    let signings = 0;
    const cache = new EksTokenCache({
      credentials: async () => {
        signings += 1;
        return credentials;
      },
      clock: () => signedAt,
    });
    const [a, b] = await Promise.all([cache.get('demo', 'us-east-1'), cache.get('demo', 'us-east-1')]);
    const other = await cache.get('demo', 'eu-west-1');
    expect(a.token).toBe(b.token);
    expect(signings).toBe(2);
    expect(decode(other.token).host).toBe('sts.eu-west-1.amazonaws.com');
  });

  it('does not keep a failed signing: the next call tries again', async () => {
    let fail = true;
    const cache = new EksTokenCache({
      credentials: async () => {
        if (fail) throw new Error('no credentials yet');
        return credentials;
      },
      clock: () => signedAt,
    });
    await expect(cache.get('demo', 'us-east-1')).rejects.toThrow('no credentials yet');
    fail = false;
    await expect(cache.get('demo', 'us-east-1')).resolves.toHaveProperty('token');
  });
});
