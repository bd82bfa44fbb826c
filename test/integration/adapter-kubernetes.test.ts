import { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EksKubernetesCluster } from '../../lib/adapters/kubernetes/eks-kubernetes-cluster.js';
import { EksKubernetesClusters } from '../../lib/adapters/kubernetes/eks-kubernetes-clusters.js';
import { EksTokenCache } from '../../lib/adapters/kubernetes/eks-token.js';
import { KubernetesTransport } from '../../lib/adapters/kubernetes/kubernetes-transport.js';
import {
  ConflictError,
  FieldOwnershipConflictError,
  InputError,
  KubernetesAccessDeniedError,
  NotYetError,
  ThrottledError,
  TransientError,
} from '../../lib/domain/errors.js';
import type { ClusterConnection } from '../../lib/ports/kubernetes.js';

// @peculiar/x509 loads tsyringe, which needs a Reflect metadata API; the smallest one it accepts,
// installed before the (dynamic) import so no extra dependency is needed.
const metadata = new WeakMap<object, Map<unknown, unknown>>();
const reflect = Reflect as unknown as Record<string, unknown>;
reflect.getMetadata ??= (key: unknown, target: object) => {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    const value = metadata.get(t)?.get(key);
    if (value !== undefined) return value;
  }
  return undefined;
};
reflect.getOwnMetadata ??= (key: unknown, target: object) => metadata.get(target)?.get(key);
reflect.defineMetadata ??= (key: unknown, value: unknown, target: object) => {
  metadata.set(target, (metadata.get(target) ?? new Map()).set(key, value));
};
const x509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function makeCa(name: string) {
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { keys, cert };
}

/** A fake API server: TLS with a certificate from its own CA, records requests, answers from `reply`. */
async function startApiServer() {
  const ca = await makeCa('test-cluster-ca');
  const serverKeys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const serverCert = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=kube-apiserver',
    issuer: ca.cert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 86_400_000),
    signingKey: ca.keys.privateKey,
    publicKey: serverKeys.publicKey,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        { type: 'dns', value: 'localhost' },
      ]),
    ],
  });
  const requests: Recorded[] = [];
  const state = { reply: (_r: Recorded): Reply => ({ status: 200, json: {} }) };
  const server: Server = createServer(
    {
      key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey)),
      cert: serverCert.toString('pem'),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const recorded = {
          method: req.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        requests.push(recorded);
        const reply = state.reply(recorded);
        const isText = reply.text !== undefined;
        res.writeHead(reply.status, {
          'content-type': isText ? 'text/plain' : 'application/json',
          ...reply.headers,
        });
        res.end(isText ? reply.text : JSON.stringify(reply.json));
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const caData = Buffer.from(ca.cert.toString('pem')).toString('base64');
  return { server, requests, state, port, caData };
}

const statusBody = (code: number, reason: string, message: string, causes: unknown[] = []) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  code,
  reason,
  message,
  details: { causes },
});

describe('EksKubernetesCluster against an HTTPS API server', () => {
  let api: Awaited<ReturnType<typeof startApiServer>>;
  let connection: ClusterConnection;
  let now: number;
  let tokens: EksTokenCache;

  beforeAll(async () => {
    api = await startApiServer();
    connection = {
      name: 'demo',
      region: 'us-east-1',
      endpoint: `https://127.0.0.1:${api.port}`,
      caData: api.caData,
    };
  });
  afterAll(async () => {
    await new Promise((resolve) => api.server.close(resolve));
  });

  function connect() {
    api.requests.length = 0;
    now = Date.parse('2024-05-01T12:00:00Z');
    tokens = new EksTokenCache({
      credentials: async () => ({ accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' }),
      clock: () => new Date(now),
    });
    return new EksKubernetesClusters(tokens).connect(connection);
  }

  it('applies server-side with the apply content type, field manager irsa-broker and force only when asked', async () => {
    // Prepare
    const cluster = connect();
    api.state.reply = (r) => ({
      status: 200,
      json: { ...JSON.parse(r.body), metadata: { name: 'web', uid: 'u1' } },
    });
    const sa = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'web',
        namespace: 'apps',
        annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::111122223333:role/web' },
      },
    };

    // Act
    const applied = await cluster.apply(sa);
    await cluster.apply(sa, { force: true });

    // Assess
    const [plain, forced] = api.requests;
    expect(plain?.method).toBe('PATCH');
    expect(plain?.path).toBe('/api/v1/namespaces/apps/serviceaccounts/web');
    expect(plain?.headers['content-type']).toBe('application/apply-patch+yaml');
    expect(plain?.query.get('fieldManager')).toBe('irsa-broker');
    expect(plain?.query.has('force')).toBe(false);
    expect(JSON.parse(plain?.body ?? '')).toEqual(sa);
    expect(forced?.query.get('force')).toBe('true');
    expect(applied.metadata.uid).toBe('u1');
  });

  it('authenticates with an EKS bearer token and signs a fresh one after 14 minutes', async () => {
    // Prepare
    const cluster = connect();
    api.state.reply = () => ({
      status: 200,
      json: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } },
    });
    const ref = { apiVersion: 'v1', kind: 'Namespace', name: 'x' };

    // Act
    await cluster.get(ref);
    now += 14 * 60_000;
    await cluster.get(ref);

    // Assess
    const [first, second] = api.requests.map((r) => String(r.headers.authorization));
    expect(first).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
    expect(second).toMatch(/^Bearer k8s-aws-v1\./);
    expect(second).not.toBe(first);
  });

  it('turns an apply conflict into FieldOwnershipConflict naming the fields and their managers', async () => {
    const cluster = connect();
    api.state.reply = () => ({
      status: 409,
      json: statusBody(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "kubectl-edit"', [
        {
          reason: 'FieldManagerConflict',
          message: 'conflict with "kubectl-edit" using v1',
          field: '.metadata.annotations.eks.amazonaws.com/role-arn',
        },
      ]),
    });
    const attempt = cluster.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'web', namespace: 'apps' },
    });
    await expect(attempt).rejects.toBeInstanceOf(FieldOwnershipConflictError);
    await expect(attempt).rejects.toThrow(
      /\.metadata\.annotations\.eks\.amazonaws\.com\/role-arn \(conflict with "kubectl-edit" using v1\)/,
    );
  });

  it.each([
    [401, 'Unauthorized', KubernetesAccessDeniedError],
    [403, 'Forbidden', KubernetesAccessDeniedError],
    [409, 'AlreadyExists', ConflictError],
    [422, 'Invalid', InputError],
    [429, 'TooManyRequests', ThrottledError],
    [503, 'ServiceUnavailable', TransientError],
  ])('maps a %d %s Status on create to a domain error', async (code, reason, type) => {
    const cluster = connect();
    api.state.reply = () => ({ status: code, json: statusBody(code, reason, `${reason} says no`) });
    await expect(
      cluster.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'apps' } }),
    ).rejects.toBeInstanceOf(type);
  });

  it('tells the operator to grant an EKS access entry when the API server refuses the broker', async () => {
    const cluster = connect();
    api.state.reply = () => ({
      status: 403,
      json: statusBody(403, 'Forbidden', 'forbidden: User cannot get'),
    });
    await expect(
      cluster.get({ apiVersion: 'v1', kind: 'Secret', name: 's', namespace: 'apps' }),
    ).rejects.toThrow(/EKS access entry/);
  });

  it('carries 422 causes as input issues', async () => {
    const cluster = connect();
    api.state.reply = () => ({
      status: 422,
      json: statusBody(422, 'Invalid', 'Pod "p" is invalid', [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers' },
      ]),
    });
    const attempt = cluster.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'apps' },
    });
    await expect(attempt).rejects.toMatchObject({
      issues: [{ path: 'spec.containers', message: 'Required value' }],
    });
  });

  it('answers undefined for a missing object and false for deleting one', async () => {
    const cluster = connect();
    api.state.reply = () => ({ status: 404, json: statusBody(404, 'NotFound', 'not found') });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'd', namespace: 'kube-system' };
    await expect(cluster.get(ref)).resolves.toBeUndefined();
    await expect(cluster.delete(ref)).resolves.toBe(false);
    expect(api.requests[0]?.path).toBe('/apis/apps/v1/namespaces/kube-system/deployments/d');
    expect(api.requests[1]?.query.get('propagationPolicy')).toBe('Background');
  });

  it('follows continue tokens through every page of a list and fills in apiVersion and kind', async () => {
    const cluster = connect();
    api.state.reply = (r) =>
      r.query.get('continue') === 'next'
        ? { status: 200, json: { items: [{ metadata: { name: 'b' } }], metadata: {} } }
        : { status: 200, json: { items: [{ metadata: { name: 'a' } }], metadata: { continue: 'next' } } };
    const items = await cluster.list(
      { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration' },
      { labelSelector: 'app=pod-identity-webhook' },
    );
    expect(items.map((i) => [i.apiVersion, i.kind, i.metadata.name])).toEqual([
      ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'a'],
      ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration', 'b'],
    ]);
    expect(api.requests[0]?.path).toBe('/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations');
    expect(api.requests[0]?.query.get('labelSelector')).toBe('app=pod-identity-webhook');
  });

  it('discovers served group versions once', async () => {
    const cluster = connect();
    api.state.reply = (r) =>
      r.path === '/api'
        ? { status: 200, json: { kind: 'APIVersions', versions: ['v1'] } }
        : {
            status: 200,
            json: {
              kind: 'APIGroupList',
              groups: [
                { name: 'certificates.k8s.io', versions: [{ groupVersion: 'certificates.k8s.io/v1' }] },
              ],
            },
          };
    expect(await cluster.serves('certificates.k8s.io/v1')).toBe(true);
    expect(await cluster.serves('certificates.k8s.io/v1beta1')).toBe(false);
    expect(await cluster.serves('v1')).toBe(true);
    expect(api.requests).toHaveLength(2);
  });

  it('files and approves a v1beta1 CSR through the raw certificates.k8s.io/v1beta1 path', async () => {
    // Prepare
    const cluster = connect();
    const stored = {
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'csr-abc', resourceVersion: '7' },
      spec: {
        request: 'UkVR',
        usages: ['digital signature', 'key encipherment', 'server auth'],
        username: 'system:serviceaccount:kube-system:pod-identity-webhook',
        groups: ['system:serviceaccounts'],
      },
      status: {},
    };
    api.state.reply = (r) => {
      if (r.method === 'POST') {
        // Like the API server: the requester's identity is set by the server, not the client.
        const sent = JSON.parse(r.body);
        const spec = { ...sent.spec, username: stored.spec.username, groups: stored.spec.groups };
        return { status: 201, json: { ...sent, metadata: stored.metadata, spec, status: {} } };
      }
      if (r.method === 'PUT') return { status: 200, json: JSON.parse(r.body) };
      return { status: 200, json: stored };
    };

    // Act
    const filed = await cluster.createCsr(
      { generateName: 'csr-', request: 'UkVR', usages: stored.spec.usages },
      'v1beta1',
    );
    const approved = await cluster.approveCsr('csr-abc', 'v1beta1', {
      reason: 'IrsaBroker',
      message: 'checked',
    });

    // Assess
    const [create, read, approve] = api.requests;
    expect(create?.path).toBe('/apis/certificates.k8s.io/v1beta1/certificatesigningrequests');
    expect(JSON.parse(create?.body ?? '').metadata).toEqual({ generateName: 'csr-' });
    expect(JSON.parse(create?.body ?? '').spec).not.toHaveProperty('signerName');
    expect(filed).toMatchObject({ name: 'csr-abc', version: 'v1beta1', username: stored.spec.username });
    expect(read?.method).toBe('GET');
    expect(approve?.method).toBe('PUT');
    expect(approve?.path).toBe(
      '/apis/certificates.k8s.io/v1beta1/certificatesigningrequests/csr-abc/approval',
    );
    expect(JSON.parse(approve?.body ?? '').status.conditions).toEqual([
      expect.objectContaining({ type: 'Approved', status: 'True', reason: 'IrsaBroker', message: 'checked' }),
    ]);
    expect(approved.conditions[0]?.type).toBe('Approved');
  });

  it('does not approve a v1 CSR twice', async () => {
    const cluster = connect();
    api.state.reply = () => ({
      status: 200,
      json: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { name: 'c1' },
        spec: { request: 'UkVR', signerName: 'beta.eks.amazonaws.com/app-serving', usages: [] },
        status: { conditions: [{ type: 'Approved', status: 'True' }], certificate: 'Q0VSVA==' },
      },
    });
    const csr = await cluster.approveCsr('c1', 'v1', { reason: 'r', message: 'm' });
    expect(csr).toMatchObject({ signerName: 'beta.eks.amazonaws.com/app-serving', certificate: 'Q0VSVA==' });
    expect(api.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('reads pod logs with limitBytes, and says NotYet while the container is waiting', async () => {
    const cluster = connect();
    api.state.reply = () => ({ status: 200, text: '{"Account": "111122223333"}\n' });
    const log = await cluster.readPodLog('apps', 'verify', { limitBytes: 4096 });
    expect(log).toBe('{"Account": "111122223333"}\n');
    expect(api.requests[0]?.path).toBe('/api/v1/namespaces/apps/pods/verify/log');
    expect(api.requests[0]?.query.get('limitBytes')).toBe('4096');

    api.state.reply = () => ({
      status: 400,
      json: statusBody(
        400,
        'BadRequest',
        'container "aws" in pod "verify" is waiting to start: ContainerCreating',
      ),
    });
    await expect(cluster.readPodLog('apps', 'verify', { limitBytes: 4096 })).rejects.toBeInstanceOf(
      NotYetError,
    );
  });

  it('refuses an API server whose certificate does not chain to the cluster CA', async () => {
    // Prepare
    const other = await makeCa('some-other-ca');
    const wrongCa = { ...connection, caData: Buffer.from(other.cert.toString('pem')).toString('base64') };
    const cluster = new EksKubernetesCluster(
      new KubernetesTransport(wrongCa, async () => ({ token: 'k8s-aws-v1.x', expiresAt: new Date(8.64e15) })),
    );
    api.requests.length = 0;

    // Act
    const attempt = cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: 'x' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(TransientError);
    await expect(attempt).rejects.toThrow(/did not verify against the cluster CA/);
    expect(api.requests).toHaveLength(0);
  });

  it('reports a refused connection as Transient', async () => {
    const closed = { ...connection, endpoint: 'https://127.0.0.1:1' };
    const cluster = new EksKubernetesCluster(
      new KubernetesTransport(closed, async () => ({ token: 'k8s-aws-v1.x', expiresAt: new Date(8.64e15) })),
    );
    await expect(cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: 'x' })).rejects.toBeInstanceOf(
      TransientError,
    );
  });
});
