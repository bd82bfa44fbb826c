// CallbackTransport on Node's http/https: resolves the host once, refuses it when any address is not public
// (private, loopback, link-local such as instance metadata; loopback only where the policy allows plain
// HTTP to it, i.e. locally), then connects to the address it checked, so a second lookup cannot point the
// request elsewhere (DNS rebinding).
import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { isLoopbackAddress, isPublicAddress } from '../../domain/callback-url.js';
import type { CallbackRequest, CallbackResponse, CallbackTransport } from '../../ports/callbacks.js';

export interface NodeCallbackTransportOptions {
  /** Loopback addresses may be called (the local stage's portal developer). */
  allowLoopback: boolean;
  timeoutMs?: number;
  /** DNS resolution; the system resolver by default. */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

/** A receiver's answer is read up to this much and dropped: only its status counts. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export class NodeCallbackTransport implements CallbackTransport {
  private readonly allowLoopback: boolean;
  private readonly timeoutMs: number;
  private readonly resolve: (host: string) => Promise<{ address: string; family: number }[]>;

  constructor(options: NodeCallbackTransportOptions) {
    this.allowLoopback = options.allowLoopback;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.resolve = options.resolve ?? ((host) => lookup(host, { all: true, verbatim: true }));
  }

  async post(callback: CallbackRequest): Promise<CallbackResponse> {
    const url = new URL(callback.url);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: { address: string; family: number }[];
    try {
      addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await this.resolve(host);
    } catch (error) {
      return { kind: 'unreachable', reason: `${host} does not resolve: ${(error as Error).message}` };
    }
    const barred = addresses.find(
      (a) => !isPublicAddress(a.address) && !(this.allowLoopback && isLoopbackAddress(a.address)),
    );
    if (barred || addresses.length === 0) {
      return {
        kind: 'refused',
        reason: `${host} resolves to ${barred?.address ?? 'no address'}, which callbacks may not reach`,
      };
    }
    const target = addresses[0]!;
    const pinned: LookupFunction = (_hostname, options, done) => {
      if (typeof options === 'object' && options.all) done(null, [target]);
      else done(null, target.address, target.family);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<CallbackResponse>((resolve) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: { ...callback.headers, 'content-length': String(Buffer.byteLength(callback.body)) },
          lookup: pinned,
          timeout: this.timeoutMs,
        },
        (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) res.destroy();
          });
          res.on('close', () => resolve({ kind: 'answered', status: res.statusCode ?? 0 }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on('error', (error) => resolve({ kind: 'unreachable', reason: error.message }));
      req.end(callback.body);
    });
  }
}
