// EKS's aws-iam-authenticator checks on a `k8s-aws-v1.` bearer token, before STS verifies the
// presigned GetCallerIdentity request inside it.
import type { AwsErrorShape, CallerIdentity, SandboxSts } from '../contracts.js';

const PREFIX = 'k8s-aws-v1.';
const MAX_TOKEN_BYTES = 4096;
const TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const KNOWN_QUERY_KEYS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);

const STS_ATTEMPTS = 5;

/** Throttling and server-side failures, which an AWS client retries. */
export function isTransient(error: AwsErrorShape): boolean {
  return (
    error.httpStatus >= 500 || error.httpStatus === 429 || /Throttl|RequestLimitExceeded/.test(error.code)
  );
}

export type AwsTokenResult = { ok: true; identity: CallerIdentity } | { ok: false; reason: string };

function parseAmzDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

export async function authenticateAwsToken(
  token: string,
  clusterName: string,
  region: string,
  sts: SandboxSts,
  now = Date.now(),
): Promise<AwsTokenResult> {
  const fail = (reason: string): AwsTokenResult => ({ ok: false, reason });
  if (!token.startsWith(PREFIX)) return fail('not a k8s-aws-v1 token');
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return fail('token is too large');
  const encoded = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return fail('token is not base64url without padding');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return fail('token does not hold a URL');
  }
  if (url.protocol !== 'https:') return fail('unexpected scheme');
  if (url.port !== '') return fail('unexpected port');
  if (url.hostname !== 'sts.amazonaws.com' && url.hostname !== `sts.${region}.amazonaws.com`) {
    return fail(`unexpected hostname ${url.hostname}`);
  }
  if (url.pathname !== '/') return fail('unexpected path');
  const seen = new Set<string>();
  for (const key of url.searchParams.keys()) {
    const lower = key.toLowerCase();
    if (!KNOWN_QUERY_KEYS.has(lower)) return fail(`unexpected query parameter ${key}`);
    if (seen.has(lower)) return fail(`query parameter ${key} given twice`);
    seen.add(lower);
  }
  const param = (name: string) => {
    for (const [k, v] of url.searchParams) if (k.toLowerCase() === name) return v;
    return undefined;
  };
  if (param('action') !== 'GetCallerIdentity') return fail('unexpected action');
  const signedHeaders = (param('x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id')) return fail('x-k8s-aws-id is not a signed header');
  const expires = Number(param('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0 || expires > 900) return fail('invalid X-Amz-Expires');
  const date = parseAmzDate(param('x-amz-date') ?? '');
  if (date === undefined) return fail('invalid X-Amz-Date');
  if (now > date + TOKEN_LIFETIME_MS || date > now + TOKEN_LIFETIME_MS) return fail('token expired');
  const headers: Record<string, string> = { host: url.host, 'x-k8s-aws-id': clusterName };
  // The control plane's STS client retries throttling and 5xx before it gives up on a token, so a
  // transient STS fault does not turn into a 401 for a valid token.
  let outcome = await sts.verifyPresignedGetCallerIdentity({ url: url.toString(), headers });
  for (let attempt = 1; attempt < STS_ATTEMPTS && !outcome.ok && isTransient(outcome.error); attempt++) {
    outcome = await sts.verifyPresignedGetCallerIdentity({ url: url.toString(), headers });
  }
  if (!outcome.ok) return fail(`${outcome.error.code}: ${outcome.error.message}`);
  return { ok: true, identity: outcome.identity };
}

/**
 * When the token's presigned request was signed (X-Amz-Date), or undefined when it cannot be read.
 * EKS accepts a token for 15 minutes from then.
 */
export function awsTokenSignedAt(token: string): number | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  try {
    const url = new URL(Buffer.from(token.slice(PREFIX.length), 'base64url').toString('utf8'));
    for (const [key, value] of url.searchParams) {
      if (key.toLowerCase() === 'x-amz-date') return parseAmzDate(value);
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export const AWS_TOKEN_LIFETIME_MS = TOKEN_LIFETIME_MS;
