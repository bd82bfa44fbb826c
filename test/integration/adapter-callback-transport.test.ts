// The Node callback transport: it never connects to a host that resolves to a non-public address (the
// instance metadata service, private networks), reaches loopback only where allowed, and reports a
// receiver's status or why there was none.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NodeCallbackTransport } from '../../lib/adapters/callbacks/node-callback-transport.js';

let server: Server;
let port: number;
const bodies: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      bodies.push(body);
      response.writeHead(202).end('accepted');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const post = (transport: NodeCallbackTransport, url: string) =>
  transport.post({ url, headers: { 'content-type': 'application/json' }, body: '{"n":1}' });

describe('Node callback transport', () => {
  it('refuses hosts that resolve to link-local, private or (by default) loopback addresses, without connecting', async () => {
    const metadata = new NodeCallbackTransport({
      allowLoopback: false,
      resolve: async () => [{ address: '169.254.169.254', family: 4 }],
    });
    const mixed = new NodeCallbackTransport({
      allowLoopback: false,
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ],
    });
    const strict = new NodeCallbackTransport({ allowLoopback: false });

    expect(await post(metadata, 'https://portal.example.com/x')).toEqual({
      kind: 'refused',
      reason: 'portal.example.com resolves to 169.254.169.254, which callbacks may not reach',
    });
    expect((await post(mixed, 'https://portal.example.com/x')).kind).toBe('refused');
    expect((await post(strict, `http://127.0.0.1:${port}/x`)).kind).toBe('refused');
    expect(bodies).toEqual([]);
  });

  it('posts to loopback where allowed and connects to the address it checked, whatever DNS says later', async () => {
    let lookups = 0;
    const transport = new NodeCallbackTransport({
      allowLoopback: true,
      resolve: async () => {
        lookups++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    expect(await post(transport, `http://receiver.test:${port}/hook`)).toEqual({
      kind: 'answered',
      status: 202,
    });
    expect(lookups).toBe(1);
    expect(bodies).toEqual(['{"n":1}']);
  });

  it('reports an unreachable receiver with the reason', async () => {
    const transport = new NodeCallbackTransport({ allowLoopback: true, timeoutMs: 1000 });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const free = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const result = await post(transport, `http://127.0.0.1:${free}/hook`);
    expect(result.kind).toBe('unreachable');
  });
});
