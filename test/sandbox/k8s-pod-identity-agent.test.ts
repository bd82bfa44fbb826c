// EKS Pod Identity end to end in the sandbox cloud: on `modern` (agent add-on ACTIVE) a pod of a
// service account with an association is mutated as EKS does and its AWS CLI gets the role through
// the agent; IRSA env wins over container credentials; without the agent the CLI cannot connect.
import { CreatePodIdentityAssociationCommand } from '@aws-sdk/client-eks';
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { createEksToken } from '../../lib/adapters/kubernetes/eks-token.js';
import { DEFAULT_CLUSTERS, type SandboxCloud, startSandboxCloud } from '../../lib/sandbox/index.js';
import { clientsFor } from './aws-fixtures.js';
import { kubeConfig } from './k8s-fixtures.js';

const ACCOUNT = '111122223333';
const POD_IDENTITY_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'pods.eks.amazonaws.com' },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
      Condition: { StringEquals: { 'aws:RequestTag/kubernetes-namespace': 'apps' } },
    },
  ],
});

describe('EKS Pod Identity on the sandbox clusters', () => {
  let cloud: SandboxCloud;
  const core = new Map<string, CoreV1Api>();

  beforeAll(async () => {
    cloud = await startSandboxCloud({
      clusters: DEFAULT_CLUSTERS.filter((c) => c.name === 'modern' || c.name === 'demo'),
      podStartDelayMs: 1,
    });
    const { iam, eks } = clientsFor(cloud.account);
    await iam.send(
      new CreateRoleCommand({ RoleName: 'pod-role', AssumeRolePolicyDocument: POD_IDENTITY_TRUST }),
    );
    const issuer = cloud.clusters.get('modern')!.description.oidcIssuer;
    const hostPath = issuer.replace('https://', '');
    await iam.send(
      new CreateOpenIDConnectProviderCommand({ Url: issuer, ClientIDList: ['sts.amazonaws.com'] }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: 'irsa-role',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}` },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: { StringEquals: { [`${hostPath}:sub`]: 'system:serviceaccount:apps:both' } },
            },
          ],
        }),
      }),
    );
    for (const clusterName of ['modern', 'demo']) {
      const { token } = await createEksToken({
        clusterName,
        region: 'us-east-1',
        credentials: async () => cloud.account.brokerCredentials,
      });
      const api = kubeConfig(cloud.clusters.get(clusterName)!, token).makeApiClient(CoreV1Api);
      core.set(clusterName, api);
      await api.createNamespace({ body: { metadata: { name: 'apps' } } });
      for (const sa of ['app', 'both', 'other-ns-role']) {
        const annotations =
          sa === 'both'
            ? { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${ACCOUNT}:role/irsa-role` }
            : undefined;
        await api.createNamespacedServiceAccount({
          namespace: 'apps',
          body: { metadata: { name: sa, annotations } },
        });
        await eks.send(
          new CreatePodIdentityAssociationCommand({
            clusterName,
            namespace: 'apps',
            serviceAccount: sa,
            roleArn: `arn:aws:iam::${ACCOUNT}:role/pod-role`,
          }),
        );
      }
    }
  }, 60_000);

  afterAll(async () => {
    await cloud.stop();
  });

  /** Creates a pod running `aws sts get-caller-identity`, lets it finish, returns it and its log. */
  const runCli = async (clusterName: string, name: string, serviceAccountName: string) => {
    const api = core.get(clusterName)!;
    const created: V1Pod = await api.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name },
        spec: {
          serviceAccountName,
          restartPolicy: 'Never',
          containers: [
            {
              name: 'verify',
              image: 'public.ecr.aws/aws-cli/aws-cli:2.27.0',
              command: ['aws', 'sts', 'get-caller-identity', '--output', 'json'],
            },
          ],
        },
      },
    });
    await cloud.clusters.get(clusterName)!.settle();
    const log = await api.readNamespacedPodLog({ name, namespace: 'apps' });
    return { created, log };
  };

  it('offers modern (Kubernetes 1.33) with the eks-pod-identity-agent add-on ACTIVE', async () => {
    const { eks } = clientsFor(cloud.account);
    const { DescribeAddonCommand, DescribeClusterCommand } = await import('@aws-sdk/client-eks');

    const { addon } = await eks.send(
      new DescribeAddonCommand({ clusterName: 'modern', addonName: 'eks-pod-identity-agent' }),
    );
    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'modern' }));

    expect(addon!.status).toBe('ACTIVE');
    expect(cluster!.version).toBe('1.33');
  });

  it('mutates the pod as EKS does and its AWS CLI gets the association role through the agent', async () => {
    const { created, log } = await runCli('modern', 'via-agent', 'app');

    const container = created.spec!.containers[0]!;
    expect(Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]))).toMatchObject({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials',
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE:
        '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'eks-pod-identity-token',
      mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
      readOnly: true,
    });
    expect(created.spec!.volumes).toContainEqual(
      expect.objectContaining({
        name: 'eks-pod-identity-token',
        projected: expect.objectContaining({
          sources: [
            {
              serviceAccountToken: expect.objectContaining({
                audience: 'pods.eks.amazonaws.com',
                path: 'eks-pod-identity-token',
              }),
            },
          ],
        }),
      }),
    );
    expect(JSON.parse(log).Arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/pod-role/eks-modern-via-agent-[0-9a-f-]{36}$`),
    );
  });

  it('prefers the IRSA role when the pod has both web identity and container credentials', async () => {
    const { created, log } = await runCli('modern', 'irsa-wins', 'both');

    const names = (created.spec!.containers[0]!.env ?? []).map((e) => e.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'AWS_ROLE_ARN',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      ]),
    );
    expect(JSON.parse(log).Arn).toMatch(
      new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/irsa-role/botocore-session-`),
    );
  });

  it('shows the error the CLI prints when the trust refuses the pod (session tags checked)', async () => {
    await core.get('modern')!.createNamespace({ body: { metadata: { name: 'elsewhere' } } });
    const api = core.get('modern')!;
    await api.createNamespacedServiceAccount({ namespace: 'elsewhere', body: { metadata: { name: 'app' } } });
    const { eks } = clientsFor(cloud.account);
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'modern',
        namespace: 'elsewhere',
        serviceAccount: 'app',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/pod-role`,
      }),
    );
    await api.createNamespacedPod({
      namespace: 'elsewhere',
      body: {
        metadata: { name: 'refused' },
        spec: {
          serviceAccountName: 'app',
          restartPolicy: 'Never',
          containers: [
            {
              name: 'verify',
              image: 'public.ecr.aws/aws-cli/aws-cli:2.27.0',
              command: ['aws', 'sts', 'get-caller-identity'],
            },
          ],
        },
      },
    });
    await cloud.clusters.get('modern')!.settle();

    const log = await api.readNamespacedPodLog({ name: 'refused', namespace: 'elsewhere' });

    expect(log).toMatch(
      /Error when retrieving credentials from container-role: .*\(403\) from container metadata: \[[0-9a-f-]{36}\]: \(AccessDeniedException\): .*, fault: client/,
    );
  });

  it('gets the target role of the linked second account when the association chains into it', async () => {
    const { iam, eks } = clientsFor(cloud.account);
    const { iam: peerIam } = clientsFor(cloud.peerAccount);
    const peer = cloud.peerAccount.accountId;
    await iam.send(
      new CreateRoleCommand({ RoleName: 'chain-source', AssumeRolePolicyDocument: POD_IDENTITY_TRUST }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: 'chain-source',
        PolicyName: 'assume-peer-target',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${peer}:role/*` }],
        }),
      }),
    );
    await peerIam.send(
      new CreateRoleCommand({
        RoleName: 'peer-target',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/chain-source` },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
    await core
      .get('modern')!
      .createNamespacedServiceAccount({ namespace: 'apps', body: { metadata: { name: 'chained' } } });
    await eks.send(
      new CreatePodIdentityAssociationCommand({
        clusterName: 'modern',
        namespace: 'apps',
        serviceAccount: 'chained',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/chain-source`,
        targetRoleArn: `arn:aws:iam::${peer}:role/peer-target`,
      }),
    );

    const { log } = await runCli('modern', 'chained', 'chained');

    expect(JSON.parse(log)).toMatchObject({
      Account: peer,
      Arn: expect.stringMatching(
        new RegExp(`^arn:aws:sts::${peer}:assumed-role/peer-target/eks-modern-chained-`),
      ),
    });
  });

  it('leaves the CLI unable to reach 169.254.170.23 on a cluster without the agent', async () => {
    const { created, log } = await runCli('demo', 'no-agent', 'app');

    expect(created.spec!.containers[0]!.env).toContainEqual({
      name: 'AWS_CONTAINER_CREDENTIALS_FULL_URI',
      value: 'http://169.254.170.23/v1/credentials',
    });
    expect(log).toMatch(/Error when retrieving credentials from container-role: .*169\.254\.170\.23/);
  });
});
