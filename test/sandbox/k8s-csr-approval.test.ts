// Approving and denying CertificateSigningRequests on the sandbox's legacy (1.20) and bare (1.30)
// clusters: the approval subresource at every served version.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { createCsr } from '../../lib/sandbox/k8s/pki.js';
import { eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';

const WEBHOOK_DNS = 'pod-identity-webhook.irsa-system.svc';

/** The CSR the v0.2.0 in-cluster webhook files: v1beta1, generateName csr-, no signerName. */
async function webhookCsrV1beta1(cluster: SandboxCluster, token: string): Promise<string> {
  const { csrPem } = await createCsr(WEBHOOK_DNS, [WEBHOOK_DNS]);
  const created = await raw(
    cluster,
    token,
    'POST',
    '/apis/certificates.k8s.io/v1beta1/certificatesigningrequests',
    {
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'CertificateSigningRequest',
      metadata: { generateName: 'csr-' },
      spec: {
        request: Buffer.from(csrPem).toString('base64'),
        usages: ['digital signature', 'key encipherment', 'server auth'],
      },
    },
  );
  expect(created.status).toBe(201);
  return (created.json().metadata as { name: string }).name;
}

describe('sandbox EKS 1.20: CSR approval across served versions', () => {
  let cluster: SandboxCluster;
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts(), { name: 'legacy', version: '1.20', webhook: 'none' });
    token = await eksToken('legacy');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('approves at v1 a CSR filed at v1beta1, and the legacy-unknown signer issues it', async () => {
    // Prepare
    const name = await webhookCsrV1beta1(cluster, token);
    const path = `/apis/certificates.k8s.io/v1/certificatesigningrequests/${name}`;
    const csr = (await raw(cluster, token, 'GET', path)).json();
    expect(csr.apiVersion).toBe('certificates.k8s.io/v1');

    // Act
    const approval = await raw(cluster, token, 'PUT', `${path}/approval`, {
      ...csr,
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'checked' }] },
    });

    // Assess
    expect(approval.status).toBe(200);
    expect(approval.json()).toMatchObject({
      apiVersion: 'certificates.k8s.io/v1',
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test' }] },
    });
    await cluster.settle();
    const signed = (
      await raw(cluster, token, 'GET', `/apis/certificates.k8s.io/v1beta1/certificatesigningrequests/${name}`)
    ).json();
    expect(signed.apiVersion).toBe('certificates.k8s.io/v1beta1');
    expect((signed.spec as { signerName: string }).signerName).toBe('kubernetes.io/legacy-unknown');
    expect(Buffer.from((signed.status as { certificate: string }).certificate, 'base64').toString()).toMatch(
      /^-----BEGIN CERTIFICATE-----/,
    );
  });
});
