// Port: starts a state machine execution (Step Functions in AWS, aws-local-stepfunctions locally).

export interface WorkflowStarter {
  /** Starts `input` under a unique execution `name`; idempotent for the same name and input. */
  start(name: string, input: unknown): Promise<{ executionArn: string }>;
}
