// What a pod identity webhook CSR must look like before irsa-broker approves it.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { CertificateSigningRequest } from '../ports/kubernetes.js';
import { WEBHOOK_NAME, webhookServiceDnsName } from './manifests/pod-identity-webhook.js';
import { Pkcs10CertificateRequest, SubjectAlternativeNameExtension } from './x509.js';

export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
export const EKS_APP_SERVING_SIGNER = 'beta.eks.amazonaws.com/app-serving';
export const SERVER_USAGES = ['digital signature', 'key encipherment', 'server auth'] as const;

const SAN_DNS_OID = 'dns';
const SAN_EXTENSION_OID = '2.5.29.17';

/** What the PKCS#10 request inside a CSR asks for. */
export interface CsrSubject {
  commonNames: string[];
  organizations: string[];
  dnsNames: string[];
  /** SANs of any kind other than DNS (IP, email, URI, ...): a webhook serving cert needs none. */
  otherSans: string[];
}

export interface CsrExpectation {
  /** The webhook's namespace: fixes the CN and DNS names. */
  namespace: string;
  /** Acceptable signer names; `undefined` stands for none / `kubernetes.io/legacy-unknown`. */
  signers: readonly (string | undefined)[];
  /** Who must have filed it; undefined when irsa-broker filed it itself (then the name is what matters). */
  requester?: string;
}

/** Parses the base64 PEM `CERTIFICATE REQUEST` of a CSR. Throws when it is not one. */
export function parseCsrRequest(requestBase64: string): CsrSubject {
  const pem = Buffer.from(requestBase64, 'base64').toString('utf8');
  const request = new Pkcs10CertificateRequest(pem);
  const name = request.subjectName;
  const dnsNames: string[] = [];
  const otherSans: string[] = [];
  for (const extension of request.extensions) {
    if (extension.type !== SAN_EXTENSION_OID) continue;
    const san = new SubjectAlternativeNameExtension(extension.rawData);
    for (const entry of san.names.toJSON()) {
      if (entry.type === SAN_DNS_OID) dnsNames.push(entry.value);
      else otherSans.push(`${entry.type}:${entry.value}`);
    }
  }
  return {
    commonNames: name.getField('CN'),
    organizations: name.getField('O'),
    dnsNames,
    otherSans,
  };
}

/** The names a serving certificate of the webhook Service may carry, all in its own namespace. */
export function allowedWebhookDnsNames(namespace: string): string[] {
  return [WEBHOOK_NAME, `${WEBHOOK_NAME}.${namespace}`, webhookServiceDnsName(namespace)];
}

/**
 * Every reason not to approve `csr`; empty means approve. Never throws: an unparseable request is
 * itself a reason.
 */
export function csrProblems(csr: CertificateSigningRequest, expected: CsrExpectation): string[] {
  const problems: string[] = [];
  // A v1beta1 CSR filed without a signer is reported either way; both mean the legacy signer.
  const signer = csr.signerName === LEGACY_UNKNOWN_SIGNER ? undefined : csr.signerName;
  if (!expected.signers.includes(signer)) {
    problems.push(
      `signer "${csr.signerName ?? '(none)'}" is not ${expected.signers.map((s) => s ?? '(none)').join(' or ')}`,
    );
  }
  if (expected.requester !== undefined && csr.username !== expected.requester) {
    problems.push(`requested by "${csr.username}", expected "${expected.requester}"`);
  }
  const usages = [...new Set(csr.usages)].sort();
  const wanted = [...SERVER_USAGES].sort();
  if (usages.length !== csr.usages.length || usages.join(',') !== wanted.join(',')) {
    problems.push(`usages [${csr.usages.join(', ')}] are not exactly [${SERVER_USAGES.join(', ')}]`);
  }
  let subject: CsrSubject;
  try {
    subject = parseCsrRequest(csr.request);
  } catch (error) {
    problems.push(`request is not a PEM PKCS#10 certificate request (${(error as Error).message})`);
    return problems;
  }
  const cn = webhookServiceDnsName(expected.namespace);
  if (subject.commonNames.length !== 1 || subject.commonNames[0] !== cn) {
    problems.push(`CN [${subject.commonNames.join(', ')}] is not "${cn}"`);
  }
  const allowed = allowedWebhookDnsNames(expected.namespace);
  const foreign = subject.dnsNames.filter((dns) => !allowed.includes(dns));
  if (foreign.length > 0) problems.push(`DNS names [${foreign.join(', ')}] are not the webhook Service's`);
  if (subject.otherSans.length > 0)
    problems.push(`non-DNS subject alternative names [${subject.otherSans.join(', ')}]`);
  const privileged = subject.organizations.filter((o) => o.startsWith('system:'));
  if (privileged.length > 0) problems.push(`asks for privileged organization(s) [${privileged.join(', ')}]`);
  return problems;
}

export function isCsrDecided(csr: CertificateSigningRequest): boolean {
  return csr.conditions.some(
    (c) => ['Approved', 'Denied', 'Failed'].includes(c.type) && c.status !== 'False',
  );
}

export function isCsrApproved(csr: CertificateSigningRequest): boolean {
  return csr.conditions.some((c) => c.type === 'Approved' && c.status !== 'False');
}

export interface ServingCertificateCheck {
  certificatePem: string;
  privateKeyPem: string;
  /** PEM of the cluster CA: the MutatingWebhookConfiguration's caBundle must verify the certificate. */
  caPem: string;
  namespace: string;
  now: Date;
  /** A certificate expiring sooner than this counts as unusable. */
  minRemainingMs: number;
}

/** Every reason the webhook could not serve TLS with this certificate and key; empty means usable. */
export function servingCertificateProblems(check: ServingCertificateCheck): string[] {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(check.certificatePem);
  } catch (error) {
    return [`the certificate is not a PEM X.509 certificate (${(error as Error).message})`];
  }
  const problems: string[] = [];
  try {
    if (!certificate.checkPrivateKey(createPrivateKey(check.privateKeyPem))) {
      problems.push('the certificate does not match the private key');
    }
  } catch (error) {
    problems.push(`the private key is not a PEM private key (${(error as Error).message})`);
  }
  try {
    if (!certificate.verify(new X509Certificate(check.caPem).publicKey)) {
      problems.push('the certificate is not signed by the cluster CA');
    }
  } catch (error) {
    problems.push(`the cluster CA is not a PEM X.509 certificate (${(error as Error).message})`);
  }
  const dns = webhookServiceDnsName(check.namespace);
  if (certificate.checkHost(dns) === undefined) problems.push(`the certificate does not name ${dns}`);
  const notBefore = new Date(certificate.validFrom).getTime();
  const notAfter = new Date(certificate.validTo).getTime();
  if (notBefore > check.now.getTime())
    problems.push(`the certificate is not valid before ${certificate.validFrom}`);
  if (notAfter - check.now.getTime() < check.minRemainingMs) {
    problems.push(`the certificate expires ${certificate.validTo}`);
  }
  return problems;
}
