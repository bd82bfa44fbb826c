// Naming rules of the systems we drive (EKS, AWS regions, Kubernetes, IAM) and of our own binding ids.

/** EKS CreateCluster: 1..100 chars, starts alphanumeric. */
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
export const CLUSTER_NAME_MAX = 100;

/** Partition-aware region codes: us-east-1, ap-southeast-2, us-gov-west-1, cn-north-1, us-isob-east-1. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;

/** Kubernetes namespaces (RFC 1123 label). */
export const DNS1123_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS1123_LABEL_MAX = 63;

/** Kubernetes ServiceAccount names (RFC 1123 subdomain): never a `:` or `*` that could widen a trust policy `sub`. */
export const DNS1123_SUBDOMAIN_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const DNS1123_SUBDOMAIN_MAX = 253;

/** IAM managed policy ARN: AWS-managed (`iam::aws:`) or customer-managed (12-digit account), optional path. */
export const POLICY_ARN_PATTERN =
  /^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

/** IAM role ARN in an account (12 digits), optional path. */
export const ROLE_ARN_PATTERN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;

/** The account of an IAM ARN. */
export function accountOfArn(arn: string): string | undefined {
  return /^arn:[^:]+:[^:]+::(\d{12}):/.exec(arn)?.[1];
}

/** IAM role names; IAM compares them case-insensitively. */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;

/** IAM tag keys (1..128) and values (0..256): letters, digits, spaces and `_ . : / = + - @`. */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
export const TAG_VALUE_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** Prefixes a caller may not use: AWS reserves `aws:`, irsa-broker tags its own roles with `irsa-broker:`. */
export const RESERVED_TAG_PREFIXES = ['aws:', 'irsa-broker:'] as const;

/** IAM role description character set (tab, newline, CR, printable ASCII and Latin-1). */
export const ROLE_DESCRIPTION_PATTERN = /^[\t\n\r\u0020-\u007E\u00A1-\u00FF]*$/;
export const ROLE_DESCRIPTION_MAX = 1000;

/** Idempotency-Key header values: printable ASCII. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7E]{1,128}$/;

// A container image reference as registries and the kubelet parse it (the distribution reference
// grammar): [registry[:port]/]repository[:tag][@sha256:digest], repository components in lowercase.
export const IMAGE_REFERENCE_MAX = 512;
const IMAGE_DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IMAGE_PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_NAME = `(?:${IMAGE_DOMAIN_COMPONENT}(?:\\.${IMAGE_DOMAIN_COMPONENT})*(?::[0-9]{1,5})?/)?${IMAGE_PATH_COMPONENT}(?:/${IMAGE_PATH_COMPONENT})*`;
export const IMAGE_REFERENCE_PATTERN = new RegExp(
  `^${IMAGE_NAME}(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);

// Binding ids: `b-` + 26 chars of lower-case Crockford base32, time first, so ids sort by creation.
// They are also Step Functions execution names (1..80 chars, no spaces or special characters).
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
export const BINDING_ID_PATTERN = /^b-[0-9a-hjkmnp-tv-z]{26}$/;

export function isBindingId(value: string): boolean {
  return BINDING_ID_PATTERN.test(value);
}

/** Builds a binding id from a creation time (ms since epoch, 48 bits) and at least 10 random bytes (80 bits). */
export function bindingIdFrom(timeMs: number, random: Uint8Array): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs >= 2 ** 48) {
    throw new RangeError(`binding id time must be an integer in [0, 2^48), got ${timeMs}`);
  }
  if (random.length < 10) throw new RangeError('binding id needs at least 10 random bytes');
  let time = '';
  let rest = timeMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(random[i] ?? 0);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    randomPart = CROCKFORD[Number(bits & 31n)] + randomPart;
    bits >>= 5n;
  }
  return `b-${time}${randomPart}`;
}
