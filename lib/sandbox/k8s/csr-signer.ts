// CertificateSigningRequests: the approval and status subresources, creation-time defaulting, and
// the signers this cluster runs (kubernetes.io/legacy-unknown before 1.22,
// beta.eks.amazonaws.com/app-serving from 1.22).
import { child, ensureChild, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { type KeyAndCert, parseCsr, signCsr } from './pki.js';
import { resourceTypeOfKind } from './resource-types.js';
import { invalid, type StatusCause } from './status.js';

export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';
export const EKS_APP_SERVING_SIGNER = 'beta.eks.amazonaws.com/app-serving';
const APP_SERVING_USAGES = new Set(['digital signature', 'key encipherment', 'server auth']);

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What the API server fills in on CSR create: the requester, and v1beta1 defaults. */
export function defaultCsrOnCreate(
  csr: JsonObject,
  requester: { user: string; groups: string[]; uid?: string },
  servedVersion: string,
) {
  const spec = ensureChild(csr, 'spec');
  if (servedVersion === 'v1beta1') {
    spec.signerName ??= LEGACY_UNKNOWN_SIGNER;
    spec.usages ??= ['digital signature', 'key encipherment'];
  }
  spec.username = requester.user;
  spec.groups = requester.groups;
  if (requester.uid) spec.uid = requester.uid;
  csr.status = {};
}

/** PUT .../approval: replaces the Approved/Denied conditions. */
export function approveOrDeny(existing: JsonObject, body: JsonObject): JsonObject {
  const name = stringAt(child(existing, 'metadata'), 'name') ?? '';
  const requested = objectsAt(child(body, 'status'), 'conditions');
  const causes: StatusCause[] = [];
  const types = requested.map((c) => stringAt(c, 'type'));
  if (types.includes('Approved') && types.includes('Denied')) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'status.conditions',
      message: 'Invalid value: "Approved": Approved and Denied conditions are mutually exclusive',
    });
  }
  requested.forEach((c, i) => {
    if (!['Approved', 'Denied'].includes(stringAt(c, 'type') ?? '')) {
      causes.push({
        reason: 'FieldValueNotSupported',
        field: `status.conditions[${i}].type`,
        message: `Unsupported value: "${stringAt(c, 'type') ?? ''}": supported values: "Approved", "Denied"`,
      });
    }
  });
  const existingConditions = objectsAt(child(existing, 'status'), 'conditions');
  for (const decided of existingConditions) {
    const type = stringAt(decided, 'type');
    if ((type === 'Approved' || type === 'Denied') && !types.includes(type)) {
      causes.push({
        reason: 'FieldValueForbidden',
        field: 'status.conditions',
        message: `Forbidden: updates may not remove a condition of type "${type}"`,
      });
    }
  }
  if (causes.length) throw invalid('CertificateSigningRequest', 'certificates.k8s.io', name, causes);
  const updated = structuredClone(existing);
  const kept = existingConditions.filter((c) => !['Approved', 'Denied'].includes(stringAt(c, 'type') ?? ''));
  const decisions = requested.map((c) => ({
    type: stringAt(c, 'type') ?? '',
    status: stringAt(c, 'status') ?? 'True',
    reason: stringAt(c, 'reason') ?? '',
    message: stringAt(c, 'message') ?? '',
    lastUpdateTime: stringAt(c, 'lastUpdateTime') ?? now(),
    lastTransitionTime: stringAt(c, 'lastTransitionTime') ?? now(),
  }));
  ensureChild(updated, 'status').conditions = [...decisions, ...kept];
  return updated;
}

/** PUT .../status: a signer sets the certificate or a Failed condition; approvals go via /approval. */
export function updateCsrStatus(existing: JsonObject, body: JsonObject): JsonObject {
  const updated = structuredClone(existing);
  const status = ensureChild(updated, 'status');
  const incoming = child(body, 'status') ?? {};
  if (typeof incoming.certificate === 'string') status.certificate = incoming.certificate;
  const decisions = objectsAt(status, 'conditions').filter((c) =>
    ['Approved', 'Denied'].includes(stringAt(c, 'type') ?? ''),
  );
  const others = objectsAt(incoming, 'conditions').filter(
    (c) => !['Approved', 'Denied'].includes(stringAt(c, 'type') ?? ''),
  );
  status.conditions = [...decisions, ...others];
  return updated;
}

function hasCondition(csr: JsonObject, type: string): boolean {
  return objectsAt(child(csr, 'status'), 'conditions').some(
    (c) => stringAt(c, 'type') === type && stringAt(c, 'status') !== 'False',
  );
}

/**
 * The signing controllers: each approved, unsigned CSR for a signer this cluster runs gets a
 * certificate from the cluster CA, or a Failed condition when the signer refuses it.
 */
export async function runSigners(store: ObjectStore, ca: KeyAndCert, minor: number): Promise<void> {
  const type = resourceTypeOfKind('CertificateSigningRequest');
  for (const csr of store.list(type)) {
    if (!hasCondition(csr, 'Approved') || hasCondition(csr, 'Denied') || hasCondition(csr, 'Failed'))
      continue;
    const status = ensureChild(csr, 'status');
    if (status.certificate) continue;
    const spec = child(csr, 'spec') ?? {};
    const signer = stringAt(spec, 'signerName');
    const usages = (Array.isArray(spec.usages) ? spec.usages : []).map(String);
    let failure: string | undefined;
    if (signer === LEGACY_UNKNOWN_SIGNER && minor < 22) {
      // legacy-unknown signs whatever usages were asked for, as kube-controller-manager did.
    } else if (signer === EKS_APP_SERVING_SIGNER && minor >= 22) {
      const refused = usages.filter((u) => !APP_SERVING_USAGES.has(u));
      if (refused.length) failure = `invalid usage for app-serving certificate: ${refused.join(', ')}`;
      else if (!usages.includes('server auth'))
        failure = 'app-serving certificates must request the server auth usage';
    } else continue;

    const pem = Buffer.from(stringAt(spec, 'request') ?? '', 'base64').toString('utf8');
    let signed: string | undefined;
    if (!failure) {
      try {
        const parsed = await parseCsr(pem);
        if (!parsed.signatureValid) failure = 'the certificate request signature is invalid';
        else if (parsed.organizations.includes('system:masters'))
          failure = 'refusing to sign a certificate for O=system:masters';
        else signed = await signCsr(ca, parsed, usages);
      } catch (error) {
        failure = `unable to parse the certificate request: ${(error as Error).message}`;
      }
    }
    const latest = store.get(type, undefined, stringAt(child(csr, 'metadata'), 'name') ?? '');
    if (!latest || ensureChild(latest, 'status').certificate) continue;
    const latestStatus = ensureChild(latest, 'status');
    if (signed) latestStatus.certificate = Buffer.from(signed).toString('base64');
    else {
      latestStatus.conditions = [
        ...objectsAt(latestStatus, 'conditions'),
        {
          type: 'Failed',
          status: 'True',
          reason: 'SignerValidationFailure',
          message: failure ?? '',
          lastUpdateTime: now(),
          lastTransitionTime: now(),
        },
      ];
    }
    store.replace(type, latest, latest);
  }
}
