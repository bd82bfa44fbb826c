// The cluster's service-account token issuer: signs projected tokens for pods (what STS checks for
// IRSA) and verifies the tokens pods present back to the API server.
import { randomBytes, type webcrypto } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';

type CryptoKey = webcrypto.CryptoKey;

export interface SigningKeyState {
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface ServiceAccountClaims {
  namespace: string;
  serviceAccount: string;
  serviceAccountUid: string;
  pod?: { name: string; uid: string };
}

let sharedKeyPair: Promise<{ privateJwk: JWK; publicJwk: JWK }> | undefined;

function processKeyPair(): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  sharedKeyPair ??= (async () => {
    const pair = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    return { privateJwk: await exportJWK(pair.privateKey), publicJwk: await exportJWK(pair.publicKey) };
  })();
  return sharedKeyPair;
}

/** The audience of tokens the API server itself accepts. */
export const API_SERVER_AUDIENCE = 'https://kubernetes.default.svc';

export class ServiceAccountTokenIssuer {
  private keys: Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> | undefined;

  /** An issuer over existing keys (a restore); the keys are imported on first use. */
  constructor(
    readonly issuer: string,
    private readonly state: SigningKeyState,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new issuer with fresh keys. RSA 2048 generation takes ~300 ms, so one key pair is generated per
   * process and shared by new issuers (each with its own `kid`); tokens still differ by issuer, which
   * is what STS looks keys up by.
   */
  static async create(issuer: string, now: () => number = Date.now): Promise<ServiceAccountTokenIssuer> {
    const shared = await processKeyPair();
    const kid = randomBytes(20).toString('hex');
    const keys = {
      privateJwk: { ...shared.privateJwk, kid, alg: 'RS256', use: 'sig' },
      publicJwk: { ...shared.publicJwk, kid, alg: 'RS256', use: 'sig' },
    };
    return new ServiceAccountTokenIssuer(issuer, keys, now);
  }

  private imported(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey }> {
    this.keys ??= (async () => ({
      privateKey: (await importJWK(this.state.privateJwk, 'RS256')) as CryptoKey,
      publicKey: (await importJWK(this.state.publicJwk, 'RS256')) as CryptoKey,
    }))();
    return this.keys;
  }

  keyState(): SigningKeyState {
    return structuredClone(this.state);
  }

  publicJwks(): Record<string, unknown>[] {
    return [{ ...this.state.publicJwk }];
  }

  async issue(claims: ServiceAccountClaims, audience: string[], expirationSeconds: number): Promise<string> {
    const now = Math.floor(this.now() / 1000);
    const kubernetes: Record<string, unknown> = {
      namespace: claims.namespace,
      serviceaccount: { name: claims.serviceAccount, uid: claims.serviceAccountUid },
    };
    if (claims.pod) kubernetes.pod = claims.pod;
    return new SignJWT({ 'kubernetes.io': kubernetes })
      .setProtectedHeader({ alg: 'RS256', kid: String(this.state.publicJwk.kid) })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${claims.namespace}:${claims.serviceAccount}`)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + expirationSeconds)
      .sign((await this.imported()).privateKey);
  }

  /** The service account a token names, when this cluster issued it for the API server. */
  async verify(token: string): Promise<{ namespace: string; name: string; uid: string } | undefined> {
    try {
      const { payload } = await jwtVerify(token, (await this.imported()).publicKey, {
        issuer: this.issuer,
        audience: API_SERVER_AUDIENCE,
        currentDate: new Date(this.now()),
      });
      const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(payload.sub ?? '');
      const k8s = payload['kubernetes.io'] as { serviceaccount?: { uid?: string } } | undefined;
      if (!match) return undefined;
      return { namespace: match[1]!, name: match[2]!, uid: k8s?.serviceaccount?.uid ?? '' };
    } catch {
      return undefined;
    }
  }
}
