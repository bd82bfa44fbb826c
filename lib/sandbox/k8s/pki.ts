// The cluster's certificate authority: its own CA and API serving certificate, signing of approved
// CSRs, and the chain/key checks a TLS client would make.
import './reflect-metadata-shim.js';
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface KeyAndCert {
  /** PKCS#8 PEM */
  keyPem: string;
  certPem: string;
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
}

function serial(): string {
  return `01${Array.from(webcrypto.getRandomValues(new Uint8Array(15)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

export async function createCa(commonName: string): Promise<KeyAndCert> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 10 * YEAR_MS),
    keys,
    signingAlgorithm: EC,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.digitalSignature |
          x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keyPem: await exportKeyPem(keys.privateKey), certPem: cert.toString('pem') };
}

/** A key pair plus a serving certificate for `dnsNames`/`ips`, signed by `ca`. */
export async function issueServingCert(
  ca: KeyAndCert,
  commonName: string,
  dnsNames: string[],
  ips: string[] = [],
) {
  const keys = await generateKeys();
  const cert = await signPublicKey(
    ca,
    keys.publicKey,
    `CN=${commonName}`,
    [
      ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...ips.map((value) => ({ type: 'ip' as const, value })),
    ],
    ['digital signature', 'key encipherment', 'server auth'],
  );
  return { keyPem: await exportKeyPem(keys.privateKey), certPem: cert };
}

type SanEntry = { type: 'dns' | 'ip' | 'email' | 'url'; value: string };

const KEY_USAGE_FLAGS: Record<string, number> = {
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
};
const EXTENDED_USAGES: Record<string, string> = {
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
};

async function signPublicKey(
  ca: KeyAndCert,
  publicKey: CryptoKey,
  subject: string,
  sans: SanEntry[],
  usages: string[],
) {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importKeyPem(ca.keyPem);
  const keyUsage = usages.reduce((flags, u) => flags | (KEY_USAGE_FLAGS[u] ?? 0), 0);
  const extended = usages.flatMap((u) => (EXTENDED_USAGES[u] ? [EXTENDED_USAGES[u]] : []));
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true)];
  if (keyUsage) extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (extended.length) extensions.push(new x509.ExtendedKeyUsageExtension(extended));
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(caCert));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + YEAR_MS),
    publicKey,
    signingKey: caKey,
    signingAlgorithm: EC,
    extensions,
  });
  return cert.toString('pem');
}

export interface ParsedCsr {
  subject: string;
  commonName: string | undefined;
  organizations: string[];
  dnsNames: string[];
  ips: string[];
  signatureValid: boolean;
  request: x509.Pkcs10CertificateRequest;
}

/** Parses a PEM PKCS#10 request; throws when it is not one. */
export async function parseCsr(pem: string): Promise<ParsedCsr> {
  const request = new x509.Pkcs10CertificateRequest(pem);
  const san = request.extensions.find(
    (e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension,
  );
  const names = san?.names.items ?? [];
  const name = request.subjectName;
  return {
    subject: request.subject,
    commonName: name.getField('CN')[0],
    organizations: name.getField('O'),
    dnsNames: names.filter((n) => n.type === 'dns').map((n) => n.value),
    ips: names.filter((n) => n.type === 'ip').map((n) => n.value),
    signatureValid: await request.verify(),
    request,
  };
}

/** Signs a verified CSR: subject and SANs from the request, the given usages, one year, no CA bit. */
export async function signCsr(ca: KeyAndCert, csr: ParsedCsr, usages: string[]): Promise<string> {
  const publicKey = await csr.request.publicKey.export();
  return signPublicKey(
    ca,
    publicKey,
    csr.subject,
    [
      ...csr.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...csr.ips.map((value) => ({ type: 'ip' as const, value })),
    ],
    usages,
  );
}

/** A PKCS#10 request as a client (e.g. the in-cluster webhook) would generate it. */
export async function createCsr(
  commonName: string,
  dnsNames: string[],
): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await generateKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: EC,
    extensions: [new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns', value })))],
  });
  return { keyPem: await exportKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** Whether any certificate in `caBundlePem` signed `certPem` (what a TLS handshake would check). */
export function certSignedBy(certPem: string, caBundlePem: string): boolean {
  try {
    const cert = new NodeX509(certPem);
    const cas = caBundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return cas.some((pem) => {
      const ca = new NodeX509(pem);
      return cert.checkIssued(ca) && cert.verify(ca.publicKey) && new Date(cert.validTo) > new Date();
    });
  } catch {
    return false;
  }
}

export function certHasDnsName(certPem: string, dnsName: string): boolean {
  try {
    return (new NodeX509(certPem).subjectAltName ?? '').split(', ').includes(`DNS:${dnsName}`);
  } catch {
    return false;
  }
}

/** Whether the private key in `keyPem` is the one `certPem` certifies. */
export function keyMatchesCert(keyPem: string, certPem: string): boolean {
  try {
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
    const fromCert = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
    return fromKey.equals(fromCert);
  } catch {
    return false;
  }
}
