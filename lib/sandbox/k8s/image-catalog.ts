// Which images the sandbox's kubelet knows to carry the AWS CLI. A container of such an image whose
// shell line runs `aws sts get-caller-identity` gets the real outcome in its logs (pod-runtime.ts), as
// the image would on a node. Real nodes run whatever the image holds; the sandbox runs nothing, so it
// has to be told which images hold the CLI and what their entrypoint is.

export interface AwsCliImage {
  /** Repository as the kubelet normalizes it: registry host first (docker.io for Docker Hub). */
  repository: string;
  /** The image's ENTRYPOINT: what runs when a container gives args but no command. */
  entrypoint: string[];
}

/** Images known to carry the AWS CLI. Extend with SandboxOptions.awsCliImages (SANDBOX_AWS_CLI_IMAGES). */
export const DEFAULT_AWS_CLI_IMAGES: readonly AwsCliImage[] = [
  // The official AWS CLI v2 images (ECR Public and Docker Hub): ENTRYPOINT ["/usr/local/bin/aws"].
  { repository: 'public.ecr.aws/aws-cli/aws-cli', entrypoint: ['aws'] },
  { repository: 'docker.io/amazon/aws-cli', entrypoint: ['aws'] },
  // The procedure irsa-broker automates runs its test pod on this Jenkins agent image (AWS CLI inside).
  { repository: 'docker.io/epamedp/edp-jenkins-terraform-agent', entrypoint: [] },
];

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

export class ImageCatalog {
  private readonly byRepository: Map<string, AwsCliImage>;

  /** `extra`: more repositories with the AWS CLI (a private ECR mirror): `repo` or `repo=entrypoint words`. */
  constructor(extra: readonly string[] = []) {
    this.byRepository = new Map(DEFAULT_AWS_CLI_IMAGES.map((entry) => [entry.repository, entry]));
    for (const spec of extra) {
      const [repo = '', entrypoint] = spec.split('=', 2);
      const repository = imageRepository(repo.trim());
      this.byRepository.set(repository, {
        repository,
        entrypoint: entrypoint === undefined ? ['aws'] : entrypoint.trim().split(/\s+/).filter(Boolean),
      });
    }
  }

  /** The catalog entry of the image's repository, or undefined for an image not known to carry the CLI. */
  awsCli(image: string): AwsCliImage | undefined {
    return this.byRepository.get(imageRepository(image));
  }
}
