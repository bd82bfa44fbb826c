import { Readable } from 'node:stream';
import { EKSClient } from '@aws-sdk/client-eks';
import { describe, expect, it } from '@jest/globals';
import { HttpResponse } from '@smithy/protocol-http';
import { AwsEksClusters } from '../../lib/adapters/aws/eks-clusters.js';
import {
  ClusterNotFoundError,
  NotAllowedError,
  ThrottledError,
  TransientError,
} from '../../lib/domain/errors.js';

interface Canned {
  status?: number;
  errorType?: string;
  json: unknown;
}

/** An EKS restJson1 endpoint answering canned JSON; records method and path of each call. */
function eksEndpoint(answer: (path: string) => Canned) {
  const seen: { method: string; path: string; region: string }[] = [];
  const clientFor = (region: string) =>
    new EKSClient({
      region,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
      requestHandler: {
        async handle(request: { method: string; path: string; hostname: string }) {
          seen.push({
            method: request.method,
            path: request.path,
            region: request.hostname.split('.')[1] ?? '',
          });
          const canned = answer(request.path);
          return {
            response: new HttpResponse({
              statusCode: canned.status ?? 200,
              headers: {
                'content-type': 'application/json',
                ...(canned.errorType ? { 'x-amzn-errortype': canned.errorType } : {}),
              },
              body: Readable.from([Buffer.from(JSON.stringify(canned.json))]),
            }),
          };
        },
      },
    });
  return { seen, clusters: new AwsEksClusters(clientFor) };
}

const described = {
  cluster: {
    name: 'demo',
    arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/demo',
    createdAt: 1700000000,
    version: '1.29',
    endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
    roleArn: 'arn:aws:iam::111122223333:role/eks',
    identity: { oidc: { issuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC' } },
    status: 'ACTIVE',
    certificateAuthority: { data: 'LS0tLS1CRUdJTi==' },
    platformVersion: 'eks.7',
  },
};

describe('AwsEksClusters.describe', () => {
  it('calls DescribeCluster in the cluster region and returns the domain ClusterInfo', async () => {
    // Prepare
    const { clusters, seen } = eksEndpoint(() => ({ json: described }));

    // Act
    const info = await clusters.describe('eu-west-1', 'demo');

    // Assess
    expect(seen).toEqual([{ method: 'GET', path: '/clusters/demo', region: 'eu-west-1' }]);
    expect(info).toEqual({
      name: 'demo',
      region: 'eu-west-1',
      arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/demo',
      version: '1.29',
      platformVersion: 'eks.7',
      status: 'ACTIVE',
      endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
      caData: 'LS0tLS1CRUdJTi==',
      oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/ABC',
    });
  });

  it('leaves out the endpoint and CA of a cluster still being created', async () => {
    const { cluster } = described;
    const { clusters } = eksEndpoint(() => ({
      json: {
        cluster: {
          ...cluster,
          status: 'CREATING',
          endpoint: undefined,
          certificateAuthority: {},
          identity: undefined,
        },
      },
    }));
    const info = await clusters.describe('eu-west-1', 'demo');
    expect(info.status).toBe('CREATING');
    expect(info).not.toHaveProperty('endpoint');
    expect(info).not.toHaveProperty('caData');
    expect(info).not.toHaveProperty('oidcIssuer');
  });

  it.each([
    ['ResourceNotFoundException', 404, ClusterNotFoundError],
    ['ThrottlingException', 429, ThrottledError],
    ['ServerException', 500, TransientError],
    ['ServiceUnavailableException', 503, TransientError],
    ['AccessDeniedException', 403, NotAllowedError],
  ])('turns %s into a domain error', async (errorType, status, type) => {
    const { clusters } = eksEndpoint(() => ({
      status,
      errorType,
      json: { message: `${errorType} says no` },
    }));
    await expect(clusters.describe('eu-west-1', 'demo')).rejects.toBeInstanceOf(type);
  });

  it('tells the caller to check the name and region of a cluster that does not exist', async () => {
    const { clusters } = eksEndpoint(() => ({
      status: 404,
      errorType: 'ResourceNotFoundException',
      json: { message: 'No cluster found for name: nope.' },
    }));
    await expect(clusters.describe('eu-west-1', 'nope')).rejects.toThrow(
      'No EKS cluster "nope" in eu-west-1 for this account. Check the cluster name and region.',
    );
  });
});
