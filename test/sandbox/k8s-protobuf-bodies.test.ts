// The protobuf request-body decoder on bytes built by the test's own encoder (field numbers from
// k8s.io/api certificates/v1 and apimachinery meta/v1 generated.proto).
import { describe, expect, it } from '@jest/globals';
import { decodeProtobufBody } from '../../lib/sandbox/k8s/protobuf-bodies.js';
import type { KubeStatusError } from '../../lib/sandbox/k8s/status.js';
import {
  bytes,
  fixed32,
  fixed64,
  group,
  int,
  kubernetesProtobuf,
  mapEntry,
  msg,
  str,
  time,
} from './protobuf-encoder.js';

const V1 = { apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest' };
const PEM = Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n');
const CERT = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');

/** Unknown fields of every wire type, as a newer client might send them. */
const unknowns = () => [
  int(99, 7),
  fixed64(98),
  fixed32(97),
  str(96, 'later'),
  group(95, int(1, 3), str(2, 'x')),
];

function failure(run: () => unknown): KubeStatusError {
  try {
    run();
  } catch (error) {
    return error as KubeStatusError;
  }
  throw new Error('expected the decoder to fail');
}

describe('protobuf request bodies: CertificateSigningRequest', () => {
  it('decodes metadata, spec and status to the JSON a JSON client sends, skipping unknown fields', () => {
    // Prepare
    const body = kubernetesProtobuf(
      'certificates.k8s.io/v1',
      'CertificateSigningRequest',
      [
        msg(
          1,
          str(1, 'csr-abcde'),
          str(2, ''), // generateName "" as Go sends it: omitted in JSON
          str(5, 'a1b2c3'),
          str(6, '42'),
          int(7, 1),
          time(8, '2026-12-04T21:00:00Z', 123),
          mapEntry(11, 'app', str(2, 'webhook')),
          mapEntry(11, 'tier', str(2, 'control')),
          mapEntry(12, 'note', str(2, 'filed by the webhook')),
          msg(
            17,
            str(1, 'kubectl'),
            str(2, 'Update'),
            str(3, 'certificates.k8s.io/v1'),
            time(4, '2026-12-04T21:00:01Z'),
            str(6, 'FieldsV1'),
            msg(7, str(1, '{"f:status":{"f:conditions":{}}}')),
            str(8, 'approval'),
          ),
          ...unknowns(),
        ),
        msg(
          2,
          bytes(1, PEM),
          str(2, 'system:serviceaccount:irsa-system:pod-identity-webhook'),
          str(3, 'uid-1'),
          str(4, 'system:serviceaccounts'),
          str(4, 'system:authenticated'),
          str(5, 'digital signature'),
          str(5, 'server auth'),
          mapEntry(6, 'scopes', msg(2, str(1, 'a'), str(1, 'b'))),
          str(7, 'beta.eks.amazonaws.com/app-serving'),
          int(8, 3600),
          ...unknowns(),
        ),
        msg(
          3,
          msg(
            1,
            str(1, 'Approved'),
            str(2, 'KubectlApprove'),
            str(3, 'This CSR was approved by kubectl certificate approve.'),
            time(4, '2026-12-04T21:05:00Z'),
            msg(5), // a zero metav1.Time: an empty message
            str(6, 'True'),
            ...unknowns(),
          ),
          bytes(2, CERT),
        ),
        ...unknowns(),
      ],
      str(3, ''),
      str(4, ''),
      int(9, 1),
    );

    // Act
    const decoded = decodeProtobufBody(body, V1);

    // Assess
    expect(decoded).toEqual({
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: {
        name: 'csr-abcde',
        uid: 'a1b2c3',
        resourceVersion: '42',
        generation: 1,
        creationTimestamp: '2026-12-04T21:00:00Z',
        labels: { app: 'webhook', tier: 'control' },
        annotations: { note: 'filed by the webhook' },
        managedFields: [
          {
            manager: 'kubectl',
            operation: 'Update',
            apiVersion: 'certificates.k8s.io/v1',
            time: '2026-12-04T21:00:01Z',
            fieldsType: 'FieldsV1',
            fieldsV1: { 'f:status': { 'f:conditions': {} } },
            subresource: 'approval',
          },
        ],
      },
      spec: {
        request: PEM.toString('base64'),
        username: 'system:serviceaccount:irsa-system:pod-identity-webhook',
        uid: 'uid-1',
        groups: ['system:serviceaccounts', 'system:authenticated'],
        usages: ['digital signature', 'server auth'],
        extra: { scopes: ['a', 'b'] },
        signerName: 'beta.eks.amazonaws.com/app-serving',
        expirationSeconds: 3600,
      },
      status: {
        conditions: [
          {
            type: 'Approved',
            status: 'True',
            reason: 'KubectlApprove',
            message: 'This CSR was approved by kubectl certificate approve.',
            lastUpdateTime: '2026-12-04T21:05:00Z',
          },
        ],
        certificate: CERT.toString('base64'),
      },
    });
  });

  it('reads v1beta1 with the same numbers, keeps a sent zero for pointer fields and negative int32s', () => {
    const body = kubernetesProtobuf('certificates.k8s.io/v1beta1', 'CertificateSigningRequest', [
      msg(1, str(1, 'old'), int(10, 0)),
      msg(2, str(7, ''), int(8, -1)),
    ]);
    expect(decodeProtobufBody(body, V1)).toEqual({
      apiVersion: 'certificates.k8s.io/v1beta1',
      kind: 'CertificateSigningRequest',
      metadata: { name: 'old', deletionGracePeriodSeconds: 0 },
      spec: { signerName: '', expirationSeconds: -1 },
    });
  });

  it('takes the URL kind when the envelope leaves apiVersion and kind empty', () => {
    const body = kubernetesProtobuf('', '', [msg(1, str(1, 'x'))]);
    expect(decodeProtobufBody(body, V1)).toMatchObject({ ...V1, metadata: { name: 'x' } });
  });

  it('answers 415 for a kind it has no protobuf table for', () => {
    const pod = kubernetesProtobuf('v1', 'Pod', [msg(1, str(1, 'web'))]);
    expect(failure(() => decodeProtobufBody(pod, V1))).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
      message:
        'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
    });
  });

  it('answers 400 for a body without the k8s magic, truncated bytes, or a field of the wrong wire type', () => {
    expect(failure(() => decodeProtobufBody(Buffer.from('{"metadata":{}}'), V1))).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message:
        'the object provided is unrecognized (must be of type CertificateSigningRequest): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"metadata":{}})',
    });
    const whole = kubernetesProtobuf('certificates.k8s.io/v1', 'CertificateSigningRequest', [
      msg(1, str(1, 'x')),
    ]);
    expect(failure(() => decodeProtobufBody(whole.subarray(0, whole.length - 2), V1))).toMatchObject({
      code: 400,
      message: expect.stringContaining('unexpected EOF'),
    });
    const wrongWire = kubernetesProtobuf('certificates.k8s.io/v1', 'CertificateSigningRequest', [
      msg(1, int(1, 5)),
    ]);
    expect(failure(() => decodeProtobufBody(wrongWire, V1))).toMatchObject({
      code: 400,
      message:
        'CertificateSigningRequest in version "v1" cannot be handled as a CertificateSigningRequest: proto: wrong wireType = 0 for field name',
    });
  });
});
