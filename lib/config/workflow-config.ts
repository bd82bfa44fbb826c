// The bind workflow's configuration, read from the environment once per cold start and validated.
import * as z from 'zod/mini';
import { deniedPolicyArns } from '../domain/guardrails.js';
import { IMAGE_REFERENCE_MAX, IMAGE_REFERENCE_PATTERN, POLICY_ARN_PATTERN } from '../domain/names.js';
import '../domain/validation-locale.js';

const flag = (name: string) =>
  z.pipe(
    z.enum(['true', 'false'], { error: `${name} must be "true" or "false"` }),
    z.transform((v) => v === 'true'),
  );

const seconds = (name: string, fallback: number, max: number) =>
  z._default(
    z.coerce
      .number({ error: `${name} must be a number of seconds` })
      .check(
        z.int(`${name} must be a whole number of seconds`),
        z.minimum(1, `${name} must be at least 1`),
        z.maximum(max, `${name} must be at most ${max}`),
      ),
    fallback,
  );

const required = (name: string) =>
  z.string({ error: `${name} is required` }).check(z.trim(), z.minLength(1, `${name} is required`));

/** An image the kubelet can pull: checked here, not first when a pod fails to start on a cluster. */
const image = (name: string, example: string) =>
  required(name).check(
    z.maxLength(IMAGE_REFERENCE_MAX, `${name} must be at most ${IMAGE_REFERENCE_MAX} characters`),
    z.regex(
      IMAGE_REFERENCE_PATTERN,
      `${name} must be an image reference such as ${example} or a private mirror ` +
        '(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>): lowercase repository, optional :tag and @sha256:<digest>',
    ),
  );

/** A comma-separated list of managed policy ARNs; absent or empty is none. */
export const policyArnList = (name: string) =>
  z
    .pipe(
      z._default(z.string(), ''),
      z.transform((text) =>
        text
          .split(',')
          .map((arn) => arn.trim())
          .filter(Boolean),
      ),
    )
    .check(
      z.refine((arns) => arns.every((arn) => POLICY_ARN_PATTERN.test(arn)), {
        message: `${name} must be comma-separated managed policy ARNs such as arn:aws:iam::aws:policy/AdministratorAccess`,
      }),
    );

const EnvSchema = z
  .object({
    BINDINGS_TABLE: required('BINDINGS_TABLE'),
    AWS_REGION: required('AWS_REGION'),
    ROLE_PATH: required('ROLE_PATH').check(
      z.regex(
        /^\/([\x21-\x7E]{0,510}\/)?$/,
        'ROLE_PATH must start and end with "/" (e.g. /irsa-broker/), at most 512 characters',
      ),
    ),
    ROLE_NAME_PREFIX: z.string({ error: 'ROLE_NAME_PREFIX is required (may be empty)' }),
    PERMISSIONS_BOUNDARY_ARN: required('PERMISSIONS_BOUNDARY_ARN').check(
      z.regex(
        POLICY_ARN_PATTERN,
        'PERMISSIONS_BOUNDARY_ARN must be the ARN of a managed policy, e.g. arn:aws:iam::123456789012:policy/irsa-broker-boundary',
      ),
    ),
    /** Comma-separated policy ARNs refused on every role, besides the built-in deny-list. */
    DENIED_POLICY_ARNS: policyArnList('DENIED_POLICY_ARNS'),
    CREATE_OIDC_PROVIDER: flag('CREATE_OIDC_PROVIDER'),
    CREATE_NAMESPACE: flag('CREATE_NAMESPACE'),
    /** Install the eks-pod-identity-agent add-on on a cluster that lacks it, for Pod Identity bindings. */
    INSTALL_POD_IDENTITY_AGENT: z._default(flag('INSTALL_POD_IDENTITY_AGENT'), false),
    /** The verification pod's image: it must carry the AWS CLI (`aws sts get-caller-identity`). */
    VERIFY_IMAGE: image('VERIFY_IMAGE', 'public.ecr.aws/aws-cli/aws-cli:2.22.0'),
    WEBHOOK_IMAGE: image('WEBHOOK_IMAGE', 'amazon/amazon-eks-pod-identity-webhook:v0.5.5'),
    // Tunables: documented defaults.
    /** Namespace the pod identity webhook is installed into when a cluster lacks one. */
    WEBHOOK_NAMESPACE: z._default(
      z
        .string()
        .check(
          z.regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'WEBHOOK_NAMESPACE must be a DNS-1123 label'),
          z.maxLength(63),
        ),
      'irsa-broker-system',
    ),
    /** The role irsa-broker assumes in a Pod Identity target role's account to create and manage it there. */
    TARGET_ACCOUNT_ACCESS_ROLE_NAME: z._default(
      z
        .string()
        .check(
          z.regex(
            /^[\w+=,.@-]{1,64}$/,
            'TARGET_ACCOUNT_ACCESS_ROLE_NAME must be an IAM role name (1-64 of letters, digits, +=,.@_-)',
          ),
        ),
      'irsa-broker-target-access',
    ),
    /** Whole verification, first pod to verdict. */
    VERIFY_TIMEOUT_SECONDS: seconds('VERIFY_TIMEOUT_SECONDS', 600, 3600),
    /** How long AccessDenied / InvalidIdentityToken are taken as "IAM not propagated yet". */
    IAM_PROPAGATION_WINDOW_SECONDS: seconds('IAM_PROPAGATION_WINDOW_SECONDS', 120, 900),
    /** Longest a polling step waits inside one Lambda invocation before handing over to an ASL Retry. */
    // Must stay below the shortest polling function's timeout (ApproveCsr: 120 s in serverless.yml) with
    // room for the step's own writes, or Lambda kills the invocation before it hands over with NotYet.
    STEP_POLL_BUDGET_SECONDS: seconds('STEP_POLL_BUDGET_SECONDS', 90, 100),
    /** activeDeadlineSeconds of the test pod. */
    TEST_POD_DEADLINE_SECONDS: seconds('TEST_POD_DEADLINE_SECONDS', 120, 3600),
    /** How long ApproveCsr waits for the webhook's CSR and then for the webhook to be ready. */
    WEBHOOK_READY_TIMEOUT_SECONDS: seconds('WEBHOOK_READY_TIMEOUT_SECONDS', 600, 3600),
    /** How long EnsurePodIdentityAssociation waits for an add-on it installed to become ACTIVE. */
    ADDON_READY_TIMEOUT_SECONDS: seconds('ADDON_READY_TIMEOUT_SECONDS', 600, 3600),
  })
  .check(
    z.refine((env) => env.IAM_PROPAGATION_WINDOW_SECONDS <= env.VERIFY_TIMEOUT_SECONDS, {
      message: 'IAM_PROPAGATION_WINDOW_SECONDS must not exceed VERIFY_TIMEOUT_SECONDS',
      path: ['IAM_PROPAGATION_WINDOW_SECONDS'],
    }),
  );

export interface WorkflowConfig {
  bindingsTable: string;
  region: string;
  rolePath: string;
  roleNamePrefix: string;
  /** Attached to every role irsa-broker creates. */
  permissionsBoundaryArn: string;
  /** The built-in deny-list plus DENIED_POLICY_ARNS. */
  deniedPolicyArns: string[];
  createOidcProvider: boolean;
  createNamespace: boolean;
  installPodIdentityAgent: boolean;
  /** VERIFY_IMAGE. */
  testPodImage: string;
  webhookImage: string;
  webhookNamespace: string;
  /** TARGET_ACCOUNT_ACCESS_ROLE_NAME. */
  targetAccountAccessRoleName: string;
  verifyTimeoutSeconds: number;
  iamPropagationWindowSeconds: number;
  stepPollBudgetSeconds: number;
  testPodDeadlineSeconds: number;
  webhookReadyTimeoutSeconds: number;
  addonReadyTimeoutSeconds: number;
}

export class WorkflowConfigError extends Error {
  override readonly name = 'WorkflowConfigError';
}

/** Validates `env`; throws WorkflowConfigError listing every variable to fix. */
export function loadWorkflowConfig(env: NodeJS.ProcessEnv = process.env): WorkflowConfig {
  // TEST_POD_IMAGE is VERIFY_IMAGE's earlier name: deployments that set it keep working.
  if (
    env.TEST_POD_IMAGE !== undefined &&
    env.VERIFY_IMAGE !== undefined &&
    env.TEST_POD_IMAGE !== env.VERIFY_IMAGE
  )
    throw new WorkflowConfigError(
      'Invalid bind workflow configuration: VERIFY_IMAGE and TEST_POD_IMAGE (its earlier name) differ; set only VERIFY_IMAGE',
    );
  const parsed = EnvSchema.safeParse({ ...env, VERIFY_IMAGE: env.VERIFY_IMAGE ?? env.TEST_POD_IMAGE });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'env'}: ${issue.message}`);
    throw new WorkflowConfigError(`Invalid bind workflow configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    bindingsTable: e.BINDINGS_TABLE,
    region: e.AWS_REGION,
    rolePath: e.ROLE_PATH,
    roleNamePrefix: e.ROLE_NAME_PREFIX,
    permissionsBoundaryArn: e.PERMISSIONS_BOUNDARY_ARN,
    deniedPolicyArns: deniedPolicyArns(e.DENIED_POLICY_ARNS),
    createOidcProvider: e.CREATE_OIDC_PROVIDER,
    createNamespace: e.CREATE_NAMESPACE,
    installPodIdentityAgent: e.INSTALL_POD_IDENTITY_AGENT,
    testPodImage: e.VERIFY_IMAGE,
    webhookImage: e.WEBHOOK_IMAGE,
    webhookNamespace: e.WEBHOOK_NAMESPACE,
    targetAccountAccessRoleName: e.TARGET_ACCOUNT_ACCESS_ROLE_NAME,
    verifyTimeoutSeconds: e.VERIFY_TIMEOUT_SECONDS,
    iamPropagationWindowSeconds: e.IAM_PROPAGATION_WINDOW_SECONDS,
    stepPollBudgetSeconds: e.STEP_POLL_BUDGET_SECONDS,
    testPodDeadlineSeconds: e.TEST_POD_DEADLINE_SECONDS,
    webhookReadyTimeoutSeconds: e.WEBHOOK_READY_TIMEOUT_SECONDS,
    addonReadyTimeoutSeconds: e.ADDON_READY_TIMEOUT_SECONDS,
  };
}
