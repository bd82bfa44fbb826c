// EKS bearer tokens: a presigned STS GetCallerIdentity URL, the way aws-iam-authenticator and
// `aws eks get-token` make them, and a cache that hands out a fresh one before the server stops
// accepting it.
import { Sha256 } from '@aws-crypto/sha256-js';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working. */
  expiration?: Date;
}

export type CredentialSource = () => Promise<AwsCredentials>;

export interface EksToken {
  /** `k8s-aws-v1.` + base64url (no padding) of the presigned URL. */
  token: string;
  /** When to stop using it: a minute before the API server stops accepting it. */
  expiresAt: Date;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** The header that binds a token to one cluster; EKS requires it among the signed headers. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';
/** EKS accepts a token for 15 minutes after X-Amz-Date whatever X-Amz-Expires says. */
const SERVER_ACCEPTS_MS = 15 * 60_000;
/** Refresh a minute early so a request in flight never carries a token that lapses on arrival. */
const REFRESH_AFTER_MS = 14 * 60_000;
/** What aws-iam-authenticator signs; EKS rejects anything above 900. */
const PRESIGN_EXPIRES_SECONDS = 60;

export interface CreateEksTokenInput {
  clusterName: string;
  region: string;
  credentials: CredentialSource;
  /** The signing time (tests pin it). */
  now?: Date;
}

/** The STS host EKS accepts for a region: always the public one, never a custom endpoint. */
export function stsHost(region: string): string {
  return `sts.${region}.amazonaws.com`;
}

export async function createEksToken(input: CreateEksTokenInput): Promise<EksToken> {
  const now = input.now ?? new Date();
  const credentials = await input.credentials();
  const signer = new SignatureV4({
    service: 'sts',
    region: input.region,
    credentials,
    sha256: Sha256,
  });
  const host = stsHost(input.region);
  const presigned = await signer.presign(
    new HttpRequest({
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host, [CLUSTER_ID_HEADER]: input.clusterName },
    }),
    { expiresIn: PRESIGN_EXPIRES_SECONDS, signingDate: now },
  );
  const query = Object.entries(presigned.query ?? {})
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([key, value]) => `${rfc3986(key)}=${rfc3986(value)}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  const refreshAt = now.getTime() + REFRESH_AFTER_MS;
  // Temporary credentials that lapse sooner make the signature worthless sooner.
  const credentialsLapse = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    expiresAt: new Date(Math.min(refreshAt, credentialsLapse, now.getTime() + SERVER_ACCEPTS_MS)),
  };
}

/** Form encoding would turn spaces into `+`; SigV4 and EKS expect RFC 3986 percent-encoding. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The SDK's default chain (env, web identity, container/instance roles, profiles); in the Lambda bundles,
 * the environment's credentials (lib/adapters/aws/lambda-credential-provider.ts).
 */
export function defaultCredentialSource(): CredentialSource {
  const provider = defaultProvider();
  return async () => provider();
}

export interface EksTokenCacheOptions {
  credentials?: CredentialSource;
  clock?: () => Date;
}

/** One token per cluster, reused until it is due for refresh; concurrent callers share one signing. */
export class EksTokenCache {
  private readonly credentials: CredentialSource;
  private readonly clock: () => Date;
  private readonly tokens = new Map<string, Promise<EksToken>>();

  constructor(options: EksTokenCacheOptions = {}) {
    this.credentials = options.credentials ?? defaultCredentialSource();
    this.clock = options.clock ?? (() => new Date());
  }

  async get(clusterName: string, region: string): Promise<EksToken> {
    const key = `${region}/${clusterName}`;
    const cached = this.tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresAt.getTime() > this.clock().getTime()) return token;
      if (this.tokens.get(key) !== cached) return this.get(clusterName, region);
    }
    const pending = createEksToken({ clusterName, region, credentials: this.credentials, now: this.clock() });
    this.tokens.set(key, pending);
    try {
      return await pending;
    } catch (error) {
      this.tokens.delete(key);
      throw error;
    }
  }
}
