// Callback URLs: where a portal that cannot read EventBridge gets a binding's status events by HTTPS POST.
// The operator decides which hosts may be called; a caller can only pick among them.

/** What the operator allows: hosts (exact, or `*.example.com` for its subdomains) and plain HTTP on loopback. */
export interface CallbackPolicy {
  allowedHosts: readonly string[];
  /** Local development only: `http://127.0.0.1:<port>/…` and `http://localhost:<port>/…` are allowed too. */
  allowLoopbackHttp: boolean;
}

export const CALLBACK_URL_MAX_LENGTH = 2048;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Whether `host` (lower-case, no port) is on the allow-list. */
export function callbackHostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  return allowedHosts.some((entry) => {
    const allowed = entry.toLowerCase();
    if (allowed.startsWith('*.')) return host.endsWith(allowed.slice(1)) && host.length > allowed.length - 1;
    return host === allowed;
  });
}

/** Why a callback URL is refused under `policy`, in words a caller can act on; undefined when it is fine. */
export function callbackUrlProblem(value: string, policy: CallbackPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'callbackUrl must be an absolute URL such as https://portal.example.com/irsa-events';
  }
  if (url.username !== '' || url.password !== '') return 'callbackUrl must not carry a user name or password';
  if (url.hash !== '') return 'callbackUrl must not have a #fragment';
  const host = url.hostname.toLowerCase();
  const loopbackHttp = policy.allowLoopbackHttp && url.protocol === 'http:' && LOOPBACK_HOSTS.has(host);
  if (url.protocol !== 'https:' && !loopbackHttp) return 'callbackUrl must use https';
  if (policy.allowedHosts.length === 0) {
    return 'callbacks are not enabled on this irsa-broker (its operator allows no callback host); subscribe to the EventBridge bus instead';
  }
  if (!callbackHostAllowed(host, policy.allowedHosts)) {
    return `callbackUrl host ${host} is not one the operator allows (${policy.allowedHosts.join(', ')})`;
  }
  return undefined;
}

/** IPv4 ranges a callback must never reach: this network, private, CGNAT, loopback, link-local (metadata), reserved. */
const BLOCKED_V4: readonly [number, number][] = [
  [0x00000000, 8], // 0.0.0.0/8
  [0x0a000000, 8], // 10.0.0.0/8
  [0x64400000, 10], // 100.64.0.0/10
  [0x7f000000, 8], // 127.0.0.0/8
  [0xa9fe0000, 16], // 169.254.0.0/16 (instance metadata lives here)
  [0xac100000, 12], // 172.16.0.0/12
  [0xc0000000, 24], // 192.0.0.0/24
  [0xc0a80000, 16], // 192.168.0.0/16
  [0xc6120000, 15], // 198.18.0.0/15
  [0xe0000000, 3], // 224.0.0.0/3 multicast and reserved
];

function ipv4Number(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function isLoopbackAddress(address: string): boolean {
  const v4 = ipv4Number(address.replace(/^::ffff:/i, ''));
  if (v4 !== undefined) return v4 >>> 24 === 127;
  return address === '::1';
}

/**
 * Whether a resolved address is one a callback may reach: public unicast only. IPv6 loopback,
 * unspecified, link-local (fe80::/10), unique-local (fc00::/7), multicast and IPv4-mapped private
 * addresses are refused like their IPv4 kin.
 */
export function isPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const v4 = ipv4Number(mapped ?? address);
  if (v4 !== undefined) {
    return !BLOCKED_V4.some(([base, bits]) => v4 >>> (32 - bits) === base >>> (32 - bits));
  }
  const lower = address.toLowerCase();
  if (lower === '::' || lower === '::1') return false;
  const first = Number.parseInt(lower.split(':')[0] || '0', 16);
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7
  if ((first & 0xff00) === 0xff00) return false; // ff00::/8
  if (lower.startsWith('64:ff9b::') || lower.startsWith('::ffff:')) return false; // translated, mapped
  return true;
}
