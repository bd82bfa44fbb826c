// Serving key + CSR from Node's WebCrypto: ECDSA P-256, which the EKS app-serving signer accepts.
import { webcrypto } from 'node:crypto';
import {
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  PemConverter,
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
} from '../../domain/x509.js';
import type { ServingKeyAndCsr, ServingKeyGenerator } from '../../ports/serving-key-generator.js';

type X509Crypto = Parameters<typeof Pkcs10CertificateRequestGenerator.create>[1];

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export class WebCryptoServingKeyGenerator implements ServingKeyGenerator {
  async generate(commonName: string, dnsNames: string[]): Promise<ServingKeyAndCsr> {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const csr = await Pkcs10CertificateRequestGenerator.create(
      {
        name: `CN=${commonName}`,
        keys: keys as Parameters<typeof Pkcs10CertificateRequestGenerator.create>[0]['keys'],
        signingAlgorithm: ALGORITHM,
        extensions: [
          new SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
          new KeyUsagesExtension(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment, true),
          new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
        ],
      },
      webcrypto as X509Crypto,
    );
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return {
      privateKeyPem: PemConverter.encode(pkcs8, 'PRIVATE KEY'),
      csrPem: csr.toString('pem'),
    };
  }
}
