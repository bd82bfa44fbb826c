// Port: a fresh private key and the PKCS#10 request for a TLS serving certificate.

export interface ServingKeyAndCsr {
  /** PKCS#8 PEM `PRIVATE KEY`. */
  privateKeyPem: string;
  /** PEM `CERTIFICATE REQUEST`. */
  csrPem: string;
}

export interface ServingKeyGenerator {
  /** A new key and a CSR with CN `commonName`, SAN DNS names `dnsNames`, no organization. */
  generate(commonName: string, dnsNames: string[]): Promise<ServingKeyAndCsr>;
}
