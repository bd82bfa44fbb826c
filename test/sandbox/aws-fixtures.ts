// Test helpers for the sandbox AWS account: SDK clients wired to it, a test OIDC issuer minting
// service-account tokens with jose, and cluster descriptions.
import { randomBytes } from 'node:crypto';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { SandboxAccount, SandboxCredentials } from '../../lib/sandbox/aws/index.js';
import type { ClusterDescription, IssuerKeys } from '../../lib/sandbox/contracts.js';

export interface Clients {
  iam: IAMClient;
  sts: STSClient;
  eks: EKSClient;
}

export function clientsFor(
  account: SandboxAccount,
  options: { credentials?: SandboxCredentials; region?: string; maxAttempts?: number } = {},
): Clients {
  const config = {
    region: options.region ?? 'us-east-1',
    credentials: options.credentials ?? account.brokerCredentials,
    requestHandler: account.requestHandler,
    ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
  };
  return { iam: new IAMClient(config), sts: new STSClient(config), eks: new EKSClient(config) };
}

export interface TestIssuer {
  issuer: string;
  /** issuer without https://, as IAM condition keys and provider ARNs use it */
  hostPath: string;
  keys: IssuerKeys;
  mint(
    claims: JWTPayload & { sub: string },
    options?: { expiresInSeconds?: number; issuedAt?: number },
  ): Promise<string>;
}

// RSA key generation is slow; issuers share one key pair unless a test needs a key of its own.
let sharedKeyPair: ReturnType<typeof generateKeyPair> | undefined;

/**
 * A test issuer with a random EKS-shaped URL. `issuerUrl` reuses an existing issuer's URL, and then
 * the issuer gets a key pair of its own (to forge that issuer's tokens).
 */
export async function createTestIssuer(region = 'us-east-1', issuerUrl?: string): Promise<TestIssuer> {
  const id = randomBytes(16).toString('hex').toUpperCase();
  const issuer = issuerUrl ?? `https://oidc.eks.${region}.amazonaws.com/id/${id}`;
  if (issuerUrl === undefined) sharedKeyPair ??= generateKeyPair('RS256');
  const { privateKey, publicKey } = await (issuerUrl === undefined
    ? sharedKeyPair!
    : generateKeyPair('RS256'));
  const jwk = { ...(await exportJWK(publicKey)), kid: id.slice(0, 8), alg: 'RS256', use: 'sig' };
  return {
    issuer,
    hostPath: issuer.replace('https://', ''),
    keys: { issuer, jwks: [jwk] },
    async mint(claims, options = {}) {
      const iat = options.issuedAt ?? Math.floor(Date.now() / 1000);
      return new SignJWT({ aud: 'sts.amazonaws.com', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
        .setIssuer(issuer)
        .setIssuedAt(iat)
        .setExpirationTime(iat + (options.expiresInSeconds ?? 3600))
        .sign(privateKey);
    },
  };
}

export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export function clusterDescription(name: string, issuer: string, region = 'us-east-1'): ClusterDescription {
  return {
    name,
    region,
    arn: `arn:aws:eks:${region}:111122223333:cluster/${name}`,
    version: '1.31',
    platformVersion: 'eks.12',
    status: 'ACTIVE',
    endpoint: 'https://127.0.0.1:6443',
    certificateAuthorityData: Buffer.from(
      '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ).toString('base64'),
    oidcIssuer: issuer,
    createdAt: new Date('2026-01-02T03:04:05Z'),
  };
}

/** The trust policy irsa-broker writes: one namespace/service account of one issuer. */
export function irsaTrustPolicy(
  accountId: string,
  hostPath: string,
  namespace: string,
  name: string,
): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/${hostPath}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${hostPath}:sub`]: serviceAccountSubject(namespace, name),
            [`${hostPath}:aud`]: 'sts.amazonaws.com',
          },
        },
      },
    ],
  });
}

/** Catches the SDK error a promise rejects with. */
export async function failure(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export function statusOf(error: Record<string, unknown>): number | undefined {
  return (error.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
}
