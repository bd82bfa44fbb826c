// A real CA and real PKCS#10 requests for CSR tests (WebCrypto + @peculiar/x509), so checks run on genuine DER.
import '../../../lib/domain/reflect-metadata-shim.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type X509Crypto = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1];
const crypto = webcrypto as unknown as X509Crypto;
const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 24 * 3600 * 1000;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, [
    'sign',
    'verify',
  ])) as unknown as CryptoKeyPair;
}

export interface CsrShape {
  commonName: string;
  organizations?: string[];
  dnsNames?: string[];
  /** Extra non-DNS SANs, e.g. an IP. */
  ips?: string[];
}

/** A PEM CERTIFICATE REQUEST with the given subject and SANs, and its PKCS#8 PEM key. */
export async function makeCsr(shape: CsrShape): Promise<{ csrPem: string; privateKeyPem: string }> {
  const keys = await newKeys();
  const name = [`CN=${shape.commonName}`, ...(shape.organizations ?? []).map((o) => `O=${o}`)].join(', ');
  const sans = [
    ...(shape.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(shape.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const request = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      name,
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
    },
    crypto,
  );
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { csrPem: request.toString('pem'), privateKeyPem: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') };
}

export const toBase64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** A self-signed cluster CA that signs CSRs as a Kubernetes signer would. */
export class TestCertificateAuthority {
  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly certificate: x509.X509Certificate,
  ) {}

  static async create(commonName = 'kubernetes', now = new Date()): Promise<TestCertificateAuthority> {
    const keys = await newKeys();
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: '01',
        name: `CN=${commonName}`,
        notBefore: new Date(now.getTime() - DAY),
        notAfter: new Date(now.getTime() + 3650 * DAY),
        keys,
        signingAlgorithm: ALGORITHM,
        extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
      },
      crypto,
    );
    return new TestCertificateAuthority(keys, certificate);
  }

  get pem(): string {
    return this.certificate.toString('pem');
  }

  /** DescribeCluster's certificateAuthority.data: base64 of the PEM. */
  get caData(): string {
    return toBase64(this.pem);
  }

  /** Issues a certificate for the request in `csrPem`, valid from `now` for `days`. */
  async sign(csrPem: string, now = new Date(), days = 365): Promise<string> {
    const request = new x509.Pkcs10CertificateRequest(csrPem);
    const san = request.extensions.find((e) => e.type === '2.5.29.17');
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: Date.now().toString(16).padStart(8, '0'),
        subject: request.subjectName,
        issuer: this.certificate.subjectName,
        notBefore: new Date(now.getTime() - 60_000),
        notAfter: new Date(now.getTime() + days * DAY),
        signingKey: this.keys.privateKey,
        publicKey: await request.publicKey.export(crypto),
        signingAlgorithm: ALGORITHM,
        extensions: san ? [san] : [],
      },
      crypto,
    );
    return certificate.toString('pem');
  }
}
