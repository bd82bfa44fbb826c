// Server-side SigV4: recomputes a request's signature (Authorization header or presigned query) with
// the secret the account holds for the access key, the way an AWS endpoint authenticates a caller.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialRecord, CredentialStore } from './credential-store.js';

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Where the verifier looks up an access key's secret: one account's store, or several accounts' keys. */
export type SigningKeys = Pick<CredentialStore, 'find'>;

/** A request as it reached the endpoint: path still percent-encoded, query decoded, headers lower-case. */
export interface IncomingRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string>;
  body: string;
}

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-key'
  | 'invalid-token'
  | 'expired-token'
  | 'bad-signature'
  | 'signature-expired';

export type AuthResult =
  | { ok: true; record: CredentialRecord; scope: CredentialScope }
  | { ok: false; reason: AuthFailureReason; message: string };

const AUTH_HEADER =
  /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;

export function parseCredentialScope(credential: string): CredentialScope | undefined {
  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  if (!accessKeyId || !date || !region || !service || terminator !== 'aws4_request') return undefined;
  return { accessKeyId, date, region, service };
}

/** The credential scope of a header-signed request, read before any verification (routing needs it). */
export function scopeOfAuthorization(authorization: string | undefined): CredentialScope | undefined {
  const match = authorization ? AUTH_HEADER.exec(authorization) : null;
  return match?.[1] ? parseCredentialScope(match[1]) : undefined;
}

export function parseAmzDate(value: string | undefined): Date | undefined {
  const match = value ? /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value) : null;
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

function sameSignature(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function signerFor(record: CredentialRecord, scope: CredentialScope, sessionToken: string | undefined) {
  return new SignatureV4({
    credentials: {
      accessKeyId: record.accessKeyId,
      secretAccessKey: record.secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
    },
    region: scope.region,
    service: scope.service,
    sha256: Sha256,
    uriEscapePath: true,
    // The verifier signs only what the client signed: a client that did not send
    // x-amz-content-sha256 (botocore, the AWS CLI) did not sign it either.
    applyChecksum: false,
  });
}

function checkKey(
  store: SigningKeys,
  scope: CredentialScope,
  presentedToken: string | undefined,
  now: number,
): AuthResult {
  const record = store.find(scope.accessKeyId);
  if (!record) {
    return {
      ok: false,
      reason: 'unknown-key',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (record.sessionToken !== undefined && presentedToken !== record.sessionToken) {
    return {
      ok: false,
      reason: 'invalid-token',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (record.expiresAt !== undefined && now >= record.expiresAt) {
    return {
      ok: false,
      reason: 'expired-token',
      message: 'The security token included in the request is expired',
    };
  }
  return { ok: true, record, scope };
}

function pickHeaders(headers: Record<string, string>, names: string[]): Record<string, string> | undefined {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) return undefined;
    picked[name] = value;
  }
  return picked;
}

function signatureExpired(signedAt: Date, now: number): AuthResult {
  const earliest = new Date(now - MAX_CLOCK_SKEW_MS).toISOString();
  return {
    ok: false,
    reason: 'signature-expired',
    message: `Signature expired: ${signedAt.toISOString()} is now earlier than ${earliest} (${new Date(now).toISOString()} - 15 min.)`,
  };
}

/** Verifies an Authorization-header signature, allowing ±15 minutes of clock skew. */
export async function verifySignedRequest(
  store: SigningKeys,
  request: IncomingRequest,
  now: number,
): Promise<AuthResult> {
  const authorization = request.headers.authorization;
  if (!authorization) {
    return {
      ok: false,
      reason: 'missing',
      message: 'Request is missing Authentication Token',
    };
  }
  const match = AUTH_HEADER.exec(authorization);
  const scope = match?.[1] ? parseCredentialScope(match[1]) : undefined;
  const signedAt = parseAmzDate(request.headers['x-amz-date']);
  if (!match || !scope || !signedAt) {
    return {
      ok: false,
      reason: 'malformed',
      message: `Authorization header requires a valid SigV4 form: ${authorization}`,
    };
  }
  const keyCheck = checkKey(store, scope, request.headers['x-amz-security-token'], now);
  if (!keyCheck.ok) return keyCheck;
  if (Math.abs(now - signedAt.getTime()) > MAX_CLOCK_SKEW_MS) return signatureExpired(signedAt, now);

  const signedHeaderNames = match[2]!.split(';');
  const headers = pickHeaders(request.headers, signedHeaderNames);
  if (!headers) return badSignature();
  // A signed payload hash must be the hash of the body that arrived, not merely a signed claim.
  const claimedPayloadHash = headers['x-amz-content-sha256'];
  if (
    claimedPayloadHash !== undefined &&
    claimedPayloadHash !== createHash('sha256').update(request.body).digest('hex')
  ) {
    return badSignature();
  }
  const toSign = new HttpRequest({
    method: request.method,
    protocol: 'https:',
    hostname: headers.host ?? '',
    path: request.path,
    query: request.query,
    headers,
    body: request.body,
  });
  const signed = await signerFor(keyCheck.record, scope, request.headers['x-amz-security-token']).sign(
    toSign,
    // Every header the client signed is part of the canonical request, even ones SDKs never sign.
    { signingDate: signedAt, signableHeaders: new Set(signedHeaderNames) },
  );
  const recomputed = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization ?? '')?.[1] ?? '';
  return sameSignature(recomputed, match[3]!) ? keyCheck : badSignature();
}

function badSignature(): AuthResult {
  return {
    ok: false,
    reason: 'bad-signature',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  };
}

/**
 * Verifies a presigned URL's query-string signature. `maxAgeMs` bounds how long after X-Amz-Date the
 * URL is honoured (EKS's authenticator: 15 minutes, whatever X-Amz-Expires says).
 */
export async function verifyPresignedUrl(
  store: SigningKeys,
  input: { method: string; url: URL; headers: Record<string, string> },
  now: number,
  maxAgeMs: number,
): Promise<AuthResult> {
  const params = input.url.searchParams;
  const scope = parseCredentialScope(params.get('X-Amz-Credential') ?? '');
  const signedAt = parseAmzDate(params.get('X-Amz-Date') ?? undefined);
  const signature = params.get('X-Amz-Signature') ?? '';
  const signedHeaders = params.get('X-Amz-SignedHeaders');
  const expiresIn = Number(params.get('X-Amz-Expires'));
  if (params.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256' || !scope || !signedAt || !signedHeaders) {
    return {
      ok: false,
      reason: 'malformed',
      message: 'The presigned URL lacks a valid AWS4-HMAC-SHA256 signature.',
    };
  }
  const keyCheck = checkKey(store, scope, params.get('X-Amz-Security-Token') ?? undefined, now);
  if (!keyCheck.ok) return keyCheck;
  if (signedAt.getTime() - now > MAX_CLOCK_SKEW_MS || now - signedAt.getTime() > maxAgeMs) {
    return signatureExpired(signedAt, now);
  }

  const lowerHeaders: Record<string, string> = { host: input.url.host };
  for (const [name, value] of Object.entries(input.headers)) lowerHeaders[name.toLowerCase()] = value;
  const headers = pickHeaders(lowerHeaders, signedHeaders.split(';'));
  if (!headers) return badSignature();
  // presign() re-adds the X-Amz-* parameters itself; give it only the caller's own ones.
  const query: Record<string, string> = {};
  for (const [key, value] of params) if (!key.startsWith('X-Amz-')) query[key] = value;
  const toSign = new HttpRequest({
    method: input.method,
    protocol: input.url.protocol,
    hostname: input.url.hostname,
    path: input.url.pathname,
    query,
    headers,
  });
  const presigned = await signerFor(
    keyCheck.record,
    scope,
    params.get('X-Amz-Security-Token') ?? undefined,
  ).presign(toSign, { signingDate: signedAt, expiresIn, unhoistableHeaders: new Set(Object.keys(headers)) });
  const recomputed = presigned.query?.['X-Amz-Signature'];
  return typeof recomputed === 'string' && sameSignature(recomputed, signature) ? keyCheck : badSignature();
}
