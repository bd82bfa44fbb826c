// Ports: how a signed callback is POSTed (HTTPS in AWS, loopback HTTP locally) and where its signing
// secret comes from (SSM in AWS, the local configuration under npm start).

export interface CallbackRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export type CallbackResponse =
  /** The receiver answered (any HTTP status). */
  | { kind: 'answered'; status: number }
  /** No answer: connection refused or reset, timeout, DNS failure. Worth another try. */
  | { kind: 'unreachable'; reason: string }
  /** Not sent: the host resolves to an address callbacks must not reach (private, link-local, ...). */
  | { kind: 'refused'; reason: string };

export interface CallbackTransport {
  post(request: CallbackRequest): Promise<CallbackResponse>;
}

export interface SigningSecret {
  /** The HMAC-SHA256 key callbacks are signed with. */
  value(): Promise<string>;
}
