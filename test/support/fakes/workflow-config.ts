// A valid bind workflow configuration for tests, through the real validator.
import { loadWorkflowConfig, type WorkflowConfig } from '../../../lib/config/workflow-config.js';

export const TEST_BOUNDARY_ARN = 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-broker-boundary';

export function testWorkflowConfig(env: Record<string, string> = {}): WorkflowConfig {
  return loadWorkflowConfig({
    BINDINGS_TABLE: 'bindings',
    AWS_REGION: 'us-east-1',
    ROLE_PATH: '/irsa-broker/',
    ROLE_NAME_PREFIX: 'irsa-',
    PERMISSIONS_BOUNDARY_ARN: TEST_BOUNDARY_ARN,
    CREATE_OIDC_PROVIDER: 'true',
    CREATE_NAMESPACE: 'false',
    VERIFY_IMAGE: 'public.ecr.aws/aws-cli/aws-cli:2.22.0',
    WEBHOOK_IMAGE: 'amazon/amazon-eks-pod-identity-webhook:v0.5.5',
    IAM_PROPAGATION_WINDOW_SECONDS: '60',
    VERIFY_TIMEOUT_SECONDS: '300',
    STEP_POLL_BUDGET_SECONDS: '100',
    ...env,
  });
}
