// The sandbox kubelet's image catalog: which images the registry has and which of them carry the AWS
// CLI, so that the procedure's own test pod (issue 12: epamedp/edp-jenkins-terraform-agent with
// `sh -c 'aws sts "get-caller-identity" && sleep 3600'`) prints the assumed role, a plain image prints
// nothing, and an image the catalog does not know fails to pull.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api, type V1Container } from '@kubernetes/client-node';
import { ImageCatalog, imageReference, imageRepository } from '../../lib/sandbox/k8s/image-catalog.js';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { ACCOUNT, eksToken, FakeSts, kubeConfig, raw, startCluster } from './k8s-fixtures.js';

const ROLE = `arn:aws:iam::${ACCOUNT}:role/AWSIRSATestRole`;
const PROCEDURE_COMMAND = ['sh', '-c', 'aws sts "get-caller-identity" && sleep 3600'];

describe('image repositories as the kubelet normalizes them', () => {
  it.each([
    ['amazon/aws-cli:2.22.0', 'docker.io/amazon/aws-cli'],
    ['docker.io/amazon/aws-cli', 'docker.io/amazon/aws-cli'],
    ['busybox', 'docker.io/library/busybox'],
    [`public.ecr.aws/aws-cli/aws-cli:2.22.0@sha256:${'a'.repeat(64)}`, 'public.ecr.aws/aws-cli/aws-cli'],
    ['localhost:5000/tools/aws-cli:1', 'localhost:5000/tools/aws-cli'],
    [
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/aws-cli',
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/aws-cli',
    ],
  ])('%s → %s', (image, repository) => {
    expect(imageRepository(image)).toBe(repository);
  });

  it.each([
    ['nginx', 'docker.io/library/nginx:latest'],
    ['amazon/aws-cli:2.22.0', 'docker.io/amazon/aws-cli:2.22.0'],
    [`busybox@sha256:${'b'.repeat(64)}`, `docker.io/library/busybox@sha256:${'b'.repeat(64)}`],
    ['localhost:5000/tools/app', 'localhost:5000/tools/app:latest'],
  ])('containerd resolves %s as %s', (image, reference) => {
    expect(imageReference(image)).toBe(reference);
  });

  it('knows the official CLI images and the procedure image, and takes more with their entrypoint', () => {
    const catalog = new ImageCatalog({
      awsCliImages: ['registry.example.com/mirror/aws-cli', 'example.com/tools=/bin/sh'],
    });
    expect(catalog.awsCli('amazon/aws-cli:2.15.0')?.entrypoint).toEqual(['aws']);
    expect(catalog.awsCli('epamedp/edp-jenkins-terraform-agent:3.0.9')?.entrypoint).toEqual([]);
    expect(catalog.awsCli('registry.example.com/mirror/aws-cli:2')?.entrypoint).toEqual(['aws']);
    expect(catalog.awsCli('example.com/tools:1')?.entrypoint).toEqual(['/bin/sh']);
    // Not by name: an image merely called aws-cli somewhere else is not known to carry it.
    expect(catalog.awsCli('example.com/someone/aws-cli:1')).toBeUndefined();
    expect(catalog.awsCli('busybox')).toBeUndefined();
  });

  it('has the plain images the sandbox and irsa-broker deploy, any tag, and takes more', () => {
    const catalog = new ImageCatalog({ images: ['example.com/team/app'] });
    for (const image of [
      'busybox:1.36',
      'alpine',
      'nginx:1.27',
      `docker.io/library/nginx@sha256:${'c'.repeat(64)}`,
      'registry.k8s.io/pause:3.10',
      'amazon/amazon-eks-pod-identity-webhook:v0.5.5',
      'public.ecr.aws/aws-cli/aws-cli:2.22.0',
      'example.com/team/app:3',
    ]) {
      expect([image, catalog.has(image)]).toEqual([image, true]);
    }
    expect(catalog.awsCli('busybox:1.36')).toBeUndefined();
    expect(catalog.awsCli('example.com/team/app:3')).toBeUndefined();
    expect(catalog.has('example.com/someone/aws-cli:1')).toBe(false);
    expect(catalog.has('nginx-unprivileged')).toBe(false);
    expect(new ImageCatalog().has('example.com/team/app')).toBe(false);
  });
});

describe('sandbox EKS: pods of images that carry the AWS CLI', () => {
  let sts: FakeSts;
  let cluster: SandboxCluster;
  let core: CoreV1Api;
  let token: string;

  const run = async (name: string, container: V1Container) => {
    await core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name },
        spec: { serviceAccountName: 'irsa', restartPolicy: 'Never', containers: [container] },
      },
    });
    await cluster.settle();
    const pod = await core.readNamespacedPod({ name, namespace: 'apps' });
    const log = await core.readNamespacedPodLog({ name, namespace: 'apps' });
    return { pod, log };
  };

  beforeAll(async () => {
    sts = new FakeSts();
    sts.trusts.set(ROLE, 'system:serviceaccount:apps:irsa');
    cluster = await startCluster(sts, {
      awsCliImages: ['123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/aws-cli'],
    });
    token = await eksToken('demo');
    core = kubeConfig(cluster, token).makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'apps' } } });
    await core.createNamespacedServiceAccount({
      namespace: 'apps',
      body: { metadata: { name: 'irsa', annotations: { 'eks.amazonaws.com/role-arn': ROLE } } },
    });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it("runs the procedure's test pod: the log shows the assumed role and the container keeps running", async () => {
    const { pod, log } = await run('irsa-test', {
      name: 'terraform',
      image: 'epamedp/edp-jenkins-terraform-agent:3.0.9',
      command: PROCEDURE_COMMAND,
    });
    expect(pod.status?.phase).toBe('Running');
    const printed = JSON.parse(log) as Record<string, string>;
    expect(printed.Account).toBe(ACCOUNT);
    expect(printed.Arn).toMatch(
      /^arn:aws:sts::111122223333:assumed-role\/AWSIRSATestRole\/botocore-session-\d+$/,
    );
  });

  it('runs a mirror the cluster was told about, with the aws entrypoint and args only', async () => {
    const { pod, log } = await run('mirror', {
      name: 'verify',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/mirror/aws-cli:2.22.0',
      args: ['sts', 'get-caller-identity'],
    });
    expect(pod.status?.phase).toBe('Succeeded');
    expect(JSON.parse(log).Arn).toContain('assumed-role/AWSIRSATestRole/');
  });

  it('prints nothing for an image the registry has without the CLI, whatever its command says', async () => {
    const { pod, log } = await run('plain', {
      name: 'c',
      image: 'busybox:1.36',
      command: PROCEDURE_COMMAND,
    });
    expect(pod.status?.phase).toBe('Running');
    expect(log).toBe('');
  });

  it('gives a Deployment of an image the registry lacks no available replica, and one of nginx one', async () => {
    const deploy = (name: string, image: string) =>
      raw(cluster, token, 'POST', '/apis/apps/v1/namespaces/apps/deployments', {
        metadata: { name },
        spec: {
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
        },
      });
    expect((await deploy('missing', 'example.com/team/app:1')).status).toBe(201);
    expect((await deploy('web', 'nginx:1.27')).status).toBe(201);
    await cluster.settle();
    const status = async (name: string) =>
      (await raw(cluster, token, 'GET', `/apis/apps/v1/namespaces/apps/deployments/${name}`)).json().status;
    expect(await status('missing')).toMatchObject({
      availableReplicas: 0,
      conditions: expect.arrayContaining([
        expect.objectContaining({
          type: 'Available',
          status: 'False',
          message: expect.stringContaining('Back-off pulling image "example.com/team/app:1"'),
        }),
      ]),
    });
    expect(await status('web')).toMatchObject({ availableReplicas: 1 });
  });

  it('does not run an image merely named aws-cli that the registry lacks: it fails to pull', async () => {
    await core.createNamespacedPod({
      namespace: 'apps',
      body: {
        metadata: { name: 'unknown' },
        spec: {
          serviceAccountName: 'irsa',
          restartPolicy: 'Never',
          containers: [{ name: 'c', image: 'example.com/someone/aws-cli:1', command: PROCEDURE_COMMAND }],
        },
      },
    });
    await cluster.settle();
    const pod = await core.readNamespacedPod({ name: 'unknown', namespace: 'apps' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
  });
});
