// The endpoint's SigV4 check against requests shaped like other SDKs sign them (botocore sends no
// x-amz-content-sha256), and against a signed payload hash that does not match the body.
import { createHash } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CredentialStore } from '../../lib/sandbox/aws/credential-store.js';
import { type IncomingRequest, verifySignedRequest } from '../../lib/sandbox/aws/sigv4-verifier.js';

const KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const BODY = 'Action=GetCallerIdentity&Version=2011-06-15';

function store(): CredentialStore {
  const credentials = new CredentialStore();
  credentials.add({
    ...KEYS,
    identity: { arn: 'arn:aws:iam::111122223333:user/alice', account: '111122223333', userId: 'AIDAEXAMPLE' },
  });
  return credentials;
}

async function signed(options: { sendPayloadHash: boolean; extraSigned?: Record<string, string> }) {
  const signer = new SignatureV4({
    credentials: KEYS,
    region: 'us-east-1',
    service: 'sts',
    sha256: Sha256,
    applyChecksum: options.sendPayloadHash,
  });
  const request = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 4566,
      path: '/',
      headers: {
        host: '127.0.0.1:4566',
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        ...options.extraSigned,
      },
      body: BODY,
    }),
    { signingDate: new Date(NOW), signableHeaders: new Set(Object.keys(options.extraSigned ?? {})) },
  );
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  return { method: 'POST', path: '/', query: {}, headers, body: BODY } satisfies IncomingRequest;
}

describe('SigV4 verification', () => {
  it('accepts a request whose client signed no payload hash header, as botocore signs', async () => {
    const request = await signed({ sendPayloadHash: false });

    const result = await verifySignedRequest(store(), request, NOW);

    expect(request.headers['x-amz-content-sha256']).toBeUndefined();
    expect(result).toMatchObject({ ok: true, scope: { service: 'sts', region: 'us-east-1' } });
  });

  it('accepts a header SDKs leave unsigned (user-agent) when the client signed it', async () => {
    const request = await signed({ sendPayloadHash: false, extraSigned: { 'user-agent': 'aws-cli/1.45' } });

    const result = await verifySignedRequest(store(), request, NOW);

    expect(request.headers.authorization).toContain('SignedHeaders=content-type;host;user-agent;x-amz-date');
    expect(result.ok).toBe(true);
  });

  it('refuses a signed payload hash that is not the hash of the body received', async () => {
    const request = await signed({ sendPayloadHash: true });
    const swapped = { ...request, body: 'Action=GetCallerIdentity&Version=2011-06-16' };

    const intact = await verifySignedRequest(store(), request, NOW);
    const result = await verifySignedRequest(store(), swapped, NOW);

    expect(request.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(BODY).digest('hex'));
    expect(intact.ok).toBe(true);
    expect(result).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});
