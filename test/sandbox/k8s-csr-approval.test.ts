// Approving and denying CertificateSigningRequests on the sandbox's legacy (1.20) and bare (1.30)
// clusters: the approval subresource at every served version, in JSON and in protobuf. kubectl from
// 1.32 on sends the approval in protobuf, older ones in JSON; a version-dispatching kubectl (gcloud's
// kubectl dispatcher) runs the client matching the server where it has one. So which encoding the real
// kubectl uses here depends on the binary found, and the hand-encoded protobuf requests at the end
// cover the protobuf path whichever it is.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { createCsr } from '../../lib/sandbox/k8s/pki.js';
import { eksToken, FakeSts, raw, startCluster } from './k8s-fixtures.js';
import { bytes, kubernetesProtobuf, msg, str } from './protobuf-encoder.js';
import { findKubectl, type Kubectl, kubectlFor, parseTable } from './real-kubectl.js';

const KUBECTL = findKubectl();
if (!KUBECTL)
  console.log('skipping kubectl certificate approve/deny: no kubectl on PATH, in /usr/bin or /usr/local/bin');
const describeWithKubectl = KUBECTL ? describe : describe.skip;

const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const CSR_V1 = '/apis/certificates.k8s.io/v1/certificatesigningrequests';

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

/** The CSR a webhook serving certificate comes from on EKS >= 1.22: v1, the EKS app-serving signer. */
async function appServingCsrV1(cluster: SandboxCluster, token: string): Promise<string> {
  const { csrPem } = await createCsr(WEBHOOK_DNS, [WEBHOOK_DNS]);
  const created = await raw(cluster, token, 'POST', CSR_V1, {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: 'irsa-webhook-' },
    spec: {
      request: Buffer.from(csrPem).toString('base64'),
      signerName: 'beta.eks.amazonaws.com/app-serving',
      usages: ['digital signature', 'key encipherment', 'server auth'],
    },
  });
  expect(created.status).toBe(201);
  return (created.json().metadata as { name: string }).name;
}

const CLUSTERS = [
  { name: 'legacy', version: '1.20', fileCsr: webhookCsrV1beta1, signer: 'kubernetes.io/legacy-unknown' },
  { name: 'bare', version: '1.30', fileCsr: appServingCsrV1, signer: 'beta.eks.amazonaws.com/app-serving' },
];

describeWithKubectl.each(CLUSTERS)(
  'the real kubectl certificate approve|deny on sandbox EKS $version ($name)',
  ({ name, version, fileCsr, signer }) => {
    let cluster: SandboxCluster;
    let token: string;
    let kubectl: Kubectl;

    beforeAll(async () => {
      cluster = await startCluster(new FakeSts(), { name, version, webhook: 'none' });
      token = await eksToken(name);
      kubectl = kubectlFor(KUBECTL!, cluster, token);
    });
    afterAll(async () => {
      kubectl.dispose();
      await cluster.stop();
    });

    const csrRow = async (csr: string) => {
      const listed = await kubectl.run('get', 'csr', csr);
      expect(listed).toMatchObject({ code: 0, stderr: '' });
      return parseTable(listed.stdout).rows[0];
    };

    it('approves the webhook CSR; the signer issues a certificate from the cluster CA', async () => {
      // Prepare
      const csr = await fileCsr(cluster, token);
      expect(await csrRow(csr)).toMatchObject({ SIGNERNAME: signer, CONDITION: 'Pending' });

      // Act
      const approved = await kubectl.run('certificate', 'approve', csr);

      // Assess
      expect(approved).toEqual({
        code: 0,
        stdout: `certificatesigningrequest.certificates.k8s.io/${csr} approved\n`,
        stderr: '',
      });
      await cluster.settle();
      expect(await csrRow(csr)).toMatchObject({
        NAME: csr,
        SIGNERNAME: signer,
        CONDITION: 'Approved,Issued',
      });
      const stored = (await raw(cluster, token, 'GET', `${CSR_V1}/${csr}`)).json() as {
        status: { conditions: Record<string, string>[]; certificate: string };
      };
      expect(stored.status.conditions).toEqual([
        expect.objectContaining({
          type: 'Approved',
          status: 'True',
          reason: 'KubectlApprove',
          message: 'This CSR was approved by kubectl certificate approve.',
        }),
      ]);
      const cert = new X509Certificate(Buffer.from(stored.status.certificate, 'base64'));
      const ca = new X509Certificate(Buffer.from(cluster.description.certificateAuthorityData, 'base64'));
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.subject).toBe(`CN=${WEBHOOK_DNS}`);
    });

    it('denies another CSR, which is never issued', async () => {
      // Prepare
      const csr = await fileCsr(cluster, token);

      // Act
      const denied = await kubectl.run('certificate', 'deny', csr);

      // Assess
      expect(denied).toEqual({
        code: 0,
        stdout: `certificatesigningrequest.certificates.k8s.io/${csr} denied\n`,
        stderr: '',
      });
      await cluster.settle();
      expect(await csrRow(csr)).toMatchObject({ NAME: csr, CONDITION: 'Denied' });
      const stored = (await raw(cluster, token, 'GET', `${CSR_V1}/${csr}`)).json() as {
        status: { conditions: Record<string, string>[]; certificate?: string };
      };
      expect(stored.status.conditions).toEqual([
        expect.objectContaining({ type: 'Denied', status: 'True', reason: 'KubectlDeny' }),
      ]);
      expect(stored.status.certificate).toBeUndefined();
    });
  },
);

describe('sandbox EKS 1.30: protobuf request bodies over HTTPS', () => {
  let cluster: SandboxCluster;
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts(), { name: 'bare', version: '1.30', webhook: 'none' });
    token = await eksToken('bare');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  /** An approval as client-go encodes it: metadata {name, resourceVersion}, one condition. */
  const approvalBody = (csr: string, resourceVersion: string) =>
    kubernetesProtobuf('certificates.k8s.io/v1', 'CertificateSigningRequest', [
      msg(1, str(1, csr), str(6, resourceVersion)),
      msg(3, msg(1, str(1, 'Approved'), str(6, 'True'), str(2, 'Test'), str(3, 'checked'))),
    ]);

  it('applies a protobuf approval with the JSON rules: a stale resourceVersion is a 409, the current one approves', async () => {
    // Prepare
    const csr = await appServingCsrV1(cluster, token);
    const current = (await raw(cluster, token, 'GET', `${CSR_V1}/${csr}`)).json() as {
      metadata: { resourceVersion: string };
    };
    const stale = String(Number(current.metadata.resourceVersion) - 1);

    // Act
    const conflict = await raw(
      cluster,
      token,
      'PUT',
      `${CSR_V1}/${csr}/approval`,
      approvalBody(csr, stale),
      PROTOBUF,
    );
    const approved = await raw(
      cluster,
      token,
      'PUT',
      `${CSR_V1}/${csr}/approval`,
      approvalBody(csr, current.metadata.resourceVersion),
      PROTOBUF,
    );

    // Assess
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    expect(approved.status).toBe(200);
    expect(approved.headers.get('content-type')).toBe('application/json');
    expect(approved.json()).toMatchObject({
      status: { conditions: [{ type: 'Approved', status: 'True', reason: 'Test', message: 'checked' }] },
    });
  });

  it('creates a CSR from a protobuf body; the server still sets the requester', async () => {
    const { csrPem } = await createCsr(WEBHOOK_DNS, [WEBHOOK_DNS]);
    const body = kubernetesProtobuf('certificates.k8s.io/v1', 'CertificateSigningRequest', [
      msg(1, str(1, 'from-protobuf')),
      msg(
        2,
        bytes(1, Buffer.from(csrPem)),
        str(2, 'someone-else'), // the requester is the server's to fill in
        str(5, 'digital signature'),
        str(5, 'key encipherment'),
        str(5, 'server auth'),
        str(7, 'beta.eks.amazonaws.com/app-serving'),
      ),
    ]);
    const created = await raw(cluster, token, 'POST', CSR_V1, body, PROTOBUF);
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({
      metadata: { name: 'from-protobuf' },
      spec: {
        request: Buffer.from(csrPem).toString('base64'),
        username: 'irsa-broker',
        signerName: 'beta.eks.amazonaws.com/app-serving',
      },
    });
  });

  it('answers 415 with a Status for a protobuf body of a kind it cannot decode', async () => {
    const pod = kubernetesProtobuf('v1', 'Pod', [msg(1, str(1, 'web'))]);
    const refused = await raw(cluster, token, 'POST', '/api/v1/namespaces/default/pods', pod, PROTOBUF);
    expect(refused.status).toBe(415);
    expect(refused.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  });
});
