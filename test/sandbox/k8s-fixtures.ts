// Test helpers for the sandbox clusters: a small fake of the account's STS that really checks SigV4
// presigned GetCallerIdentity requests and service-account JWTs, EKS tokens, and client-node configs.
import { Sha256 } from '@aws-crypto/sha256-js';
import { KubeConfig } from '@kubernetes/client-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createLocalJWKSet, type JWK, jwtVerify } from 'jose';
import { createEksToken } from '../../lib/adapters/kubernetes/eks-token.js';
import type { CallerIdentity, IssuerKeys, SandboxSts, StsOutcome } from '../../lib/sandbox/contracts.js';
import type { SandboxCluster, SandboxClusterOptions } from '../../lib/sandbox/k8s/index.js';
import { startSandboxCluster } from '../../lib/sandbox/k8s/index.js';

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';

export interface FakeUser {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
}

export const BROKER: FakeUser = {
  accessKeyId: 'AKIABROKER0000000001',
  secretAccessKey: 'broker-secret',
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-api/session-1`,
};
export const STRANGER: FakeUser = {
  accessKeyId: 'AKIASTRANGER00000001',
  secretAccessKey: 'stranger-secret',
  arn: `arn:aws:iam::${ACCOUNT}:user/stranger`,
};

const fail = (code: string, message: string, httpStatus = 403): StsOutcome => ({
  ok: false,
  error: { code, message, httpStatus },
});

/**
 * STS as far as the clusters need it: presigned GetCallerIdentity verified by recomputing the SigV4
 * signature; AssumeRoleWithWebIdentity that verifies the JWT against the registered issuers' keys and
 * admits exactly the `sub` each role trusts.
 */
export class FakeSts implements SandboxSts {
  readonly users = new Map<string, FakeUser>();
  readonly issuers: IssuerKeys[] = [];
  /** role ARN → the service-account subject its trust policy admits */
  readonly trusts = new Map<string, string>();
  now: () => number = Date.now;
  /** The next this-many presigned GetCallerIdentity checks answer Throttling (a transient fault). */
  throttleNext = 0;
  /** The next this-many AssumeRoleWithWebIdentity calls answer Throttling. */
  throttleAssumeNext = 0;

  constructor(users: FakeUser[] = [BROKER, STRANGER]) {
    for (const user of users) this.users.set(user.accessKeyId, user);
  }

  async verifyPresignedGetCallerIdentity(request: {
    url: string;
    headers: Record<string, string>;
  }): Promise<StsOutcome> {
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      return fail('Throttling', 'Rate exceeded', 400);
    }
    const url = new URL(request.url);
    const q = (k: string) => url.searchParams.get(k) ?? '';
    const [accessKeyId, , region] = q('X-Amz-Credential').split('/');
    const user = this.users.get(accessKeyId ?? '');
    if (!user) return fail('InvalidClientTokenId', 'The security token included in the request is invalid.');
    const date = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q('X-Amz-Date'));
    if (!date) return fail('IncompleteSignature', 'X-Amz-Date is malformed');
    const signingDate = new Date(
      Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!, +date[4]!, +date[5]!, +date[6]!),
    );
    const signed = new Set(q('X-Amz-SignedHeaders').split(';'));
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([k]) => signed.has(k)));
    const signer = new SignatureV4({
      service: 'sts',
      region: region ?? REGION,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
      sha256: Sha256,
    });
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!k.startsWith('X-Amz-')) query[k] = v;
    const expected = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: url.hostname,
        path: '/',
        query,
        headers,
      }),
      { expiresIn: Number(q('X-Amz-Expires')), signingDate },
    );
    if (expected.query?.['X-Amz-Signature'] !== q('X-Amz-Signature')) {
      return fail(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
    return {
      ok: true,
      identity: { arn: user.arn, account: ACCOUNT, userId: `AIDA${user.accessKeyId.slice(4)}` },
    };
  }

  async assumeRoleWithWebIdentity(input: {
    roleArn: string;
    webIdentityToken: string;
    roleSessionName: string;
  }): Promise<StsOutcome> {
    if (this.throttleAssumeNext > 0) {
      this.throttleAssumeNext -= 1;
      return fail('Throttling', 'Rate exceeded', 400);
    }
    let sub: string | undefined;
    let verified = false;
    for (const issuer of this.issuers) {
      try {
        const { payload } = await jwtVerify(
          input.webIdentityToken,
          createLocalJWKSet({ keys: issuer.jwks as JWK[] }),
          {
            issuer: issuer.issuer,
            audience: 'sts.amazonaws.com',
            currentDate: new Date(this.now()),
          },
        );
        sub = payload.sub;
        verified = true;
      } catch {
        // try the next issuer
      }
    }
    if (!verified)
      return fail(
        'InvalidIdentityToken',
        'No OpenIDConnect provider found in your account for the token issuer',
        400,
      );
    const roleName = input.roleArn.split('/').pop() ?? '';
    if (this.trusts.get(input.roleArn) !== sub) {
      return fail('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    }
    const identity: CallerIdentity = {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${input.roleSessionName}`,
      account: ACCOUNT,
      userId: `AROAEXAMPLEROLEID0001:${input.roleSessionName}`,
    };
    return { ok: true, identity };
  }

  instanceRoleIdentity(clusterName: string): CallerIdentity {
    return {
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${clusterName}-node-role/i-0123456789abcdef0`,
      account: ACCOUNT,
      userId: 'AROAEXAMPLENODEROLE01:i-0123456789abcdef0',
    };
  }
}

/** The broker's role (any session of it) is an access entry with cluster admin; everyone else has none. */
export function brokerOnly(principalArn: string): { username: string; groups: string[] } | undefined {
  if (principalArn.startsWith(`arn:aws:sts::${ACCOUNT}:assumed-role/irsa-broker-api/`)) {
    return { username: 'irsa-broker', groups: ['system:masters'] };
  }
  return undefined;
}

export async function startCluster(
  sts: FakeSts,
  overrides: Partial<SandboxClusterOptions> = {},
): Promise<SandboxCluster> {
  const cluster = await startSandboxCluster({
    name: 'demo',
    region: REGION,
    accountId: ACCOUNT,
    version: '1.31',
    webhook: 'builtin',
    sts,
    kubernetesIdentity: brokerOnly,
    podStartDelayMs: 20,
    ...overrides,
  });
  sts.issuers.push(cluster.issuer);
  return cluster;
}

export async function eksToken(
  clusterName: string,
  user: FakeUser = BROKER,
  now: Date = new Date(),
): Promise<string> {
  const { token } = await createEksToken({
    clusterName,
    region: REGION,
    credentials: async () => ({ accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey }),
    now,
  });
  return token;
}

export function kubeConfig(cluster: SandboxCluster, token: string): KubeConfig {
  const { name, endpoint, certificateAuthorityData } = cluster.description;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name, server: endpoint, caData: certificateAuthorityData, skipTLSVerify: false }],
    users: [{ name: 'tester', token }],
    contexts: [{ name, cluster: name, user: 'tester' }],
    currentContext: name,
  });
  return config;
}

/** A raw HTTPS call to the cluster (subresources, discovery, odd content types; bytes are sent as they are). */
export async function raw(
  cluster: SandboxCluster,
  token: string | undefined,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; headers: Headers; text: string; json: () => Record<string, unknown> }> {
  const { request } = await import('node:https');
  const { endpoint, certificateAuthorityData } = cluster.description;
  const url = new URL(path, endpoint);
  const payload =
    body === undefined || typeof body === 'string' || body instanceof Uint8Array
      ? body
      : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: Buffer.from(certificateAuthorityData, 'base64').toString('utf8'),
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'content-type': contentType } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({
            status: res.statusCode ?? 0,
            headers,
            text,
            json: () => JSON.parse(text) as Record<string, unknown>,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls until `check` returns a value (the cluster works on timers). */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
