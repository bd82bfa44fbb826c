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
