// Builds the Step Functions client once per cold start; AWS_ENDPOINT_URL_SFN points it elsewhere locally.
import { SFNClient } from '@aws-sdk/client-sfn';
import type { WorkflowStarter } from '../../ports/workflow-starter.js';
import { SfnWorkflowStarter } from './sfn-workflow-starter.js';

export function createSfnWorkflowStarter(config: {
  region: string;
  stateMachineArn: string;
}): WorkflowStarter {
  return new SfnWorkflowStarter(new SFNClient({ region: config.region }), config.stateMachineArn);
}
