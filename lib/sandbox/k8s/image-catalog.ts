// The images the sandbox's registry has: what the kubelet can pull. A real node pulls whatever a
// registry serves and fails on the rest (ErrImagePull, pod-runtime.ts); the sandbox has no registry,
// so this catalog is it. Some of its images carry the AWS CLI: a container of one of those whose
// shell line runs `aws sts get-caller-identity` gets the real outcome in its logs, which needs the
// image's entrypoint. The others (busybox, nginx, the webhook) pull, start and keep running.

export interface CatalogImage {
  /** Repository as the kubelet normalizes it: registry host first (docker.io for Docker Hub). */
  repository: string;
  /** Present for images carrying the AWS CLI. */
  awsCli?: {
    /** The image's ENTRYPOINT: what runs when a container gives args but no command. */
    entrypoint: string[];
  };
}

/** Images carrying the AWS CLI. Extend with SandboxOptions.awsCliImages (SANDBOX_AWS_CLI_IMAGES). */
export const DEFAULT_AWS_CLI_IMAGES: readonly CatalogImage[] = [
  // The official AWS CLI v2 images (ECR Public and Docker Hub): ENTRYPOINT ["/usr/local/bin/aws"].
  { repository: 'public.ecr.aws/aws-cli/aws-cli', awsCli: { entrypoint: ['aws'] } },
  { repository: 'docker.io/amazon/aws-cli', awsCli: { entrypoint: ['aws'] } },
  // The procedure irsa-broker automates runs its test pod on this Jenkins agent image (AWS CLI inside).
  { repository: 'docker.io/epamedp/edp-jenkins-terraform-agent', awsCli: { entrypoint: [] } },
];

/** Images without the AWS CLI the registry has. Extend with SandboxOptions.images (SANDBOX_IMAGES). */
export const DEFAULT_PLAIN_IMAGES: readonly CatalogImage[] = [
  'docker.io/library/busybox',
  'docker.io/library/alpine',
  'docker.io/library/nginx',
  'registry.k8s.io/pause',
  // What irsa-broker installs on clusters without EKS's built-in webhook (WEBHOOK_IMAGE's default).
  'docker.io/amazon/amazon-eks-pod-identity-webhook',
].map((repository) => ({ repository }));

/**
 * `amazon/aws-cli:2.22.0`, `docker.io/library/x`, `host:5000/a/b@sha256:…` → the repository the kubelet
 * pulls (`docker.io/amazon/aws-cli`): tag and digest dropped, Docker Hub's implicit host and `library/`.
 */
export function imageRepository(image: string): string {
  let name = image.split('@')[0] ?? '';
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) name = name.slice(0, colon);
  const first = name.split('/')[0] ?? '';
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) name = `docker.io/${name.includes('/') ? name : `library/${name}`}`;
  return name;
}

/**
 * The reference containerd resolves for an image: normalized repository, then the digest if given,
 * else the tag (`latest` when there is none): `nginx` → `docker.io/library/nginx:latest`.
 */
export function imageReference(image: string): string {
  const [name = '', digest] = image.split('@', 2);
  const repository = imageRepository(name);
  if (digest !== undefined) return `${repository}@${digest}`;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return `${repository}:${colon > lastSlash ? name.slice(colon + 1) : 'latest'}`;
}

export interface ImageCatalogOptions {
  /** More repositories with the AWS CLI (a private ECR mirror): `repo` or `repo=entrypoint words`. */
  awsCliImages?: readonly string[];
  /** More repositories without it (an application image a test deploys): `repo`. */
  images?: readonly string[];
}

export class ImageCatalog {
  private readonly byRepository: Map<string, CatalogImage>;

  constructor(options: ImageCatalogOptions = {}) {
    this.byRepository = new Map(
      [...DEFAULT_PLAIN_IMAGES, ...DEFAULT_AWS_CLI_IMAGES].map((entry) => [entry.repository, entry]),
    );
    for (const spec of options.images ?? []) {
      const repository = imageRepository(spec.trim());
      if (!this.byRepository.has(repository)) this.byRepository.set(repository, { repository });
    }
    for (const spec of options.awsCliImages ?? []) {
      const [repo = '', entrypoint] = spec.split('=', 2);
      const repository = imageRepository(repo.trim());
      this.byRepository.set(repository, {
        repository,
        awsCli: {
          entrypoint: entrypoint === undefined ? ['aws'] : entrypoint.trim().split(/\s+/).filter(Boolean),
        },
      });
    }
  }

  /** Whether the registry has the image's repository (any tag or digest of it). */
  has(image: string): boolean {
    return this.byRepository.has(imageRepository(image));
  }

  /** The AWS CLI of the image's repository, or undefined for an image not known to carry it. */
  awsCli(image: string): CatalogImage['awsCli'] {
    return this.byRepository.get(imageRepository(image))?.awsCli;
  }
}
