// Step Functions' optimized DynamoDB integrations (arn:aws:states:::dynamodb:<action>) run against a
// real DynamoDB (Local): Parameters are the API request, the result is the API response without
// SDK metadata, and failures carry Step Functions' `DynamoDB.<Exception>` error names.
import {
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';

export const DYNAMODB_ACTIONS = ['putItem', 'updateItem', 'getItem', 'deleteItem'] as const;
export type DynamoDbAction = (typeof DYNAMODB_ACTIONS)[number];

const RESOURCE = /^arn:aws[\w-]*:states:::dynamodb:(\w+)$/;

/** The action a Task resource names, undefined when it is no DynamoDB integration. */
export function dynamoDbActionOf(resource: string): DynamoDbAction | undefined {
  const action = RESOURCE.exec(resource)?.[1];
  return DYNAMODB_ACTIONS.find((known) => known === action);
}

/** Failure as a state machine sees it: `Error` = name, `Cause` = message. */
export class DynamoDbTaskError extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

type Input = Record<string, unknown>;

// Parameters arrive as plain JSON from the state machine; DynamoDB itself validates their shape.
async function send(client: DynamoDBClient, action: DynamoDbAction, request: Input): Promise<object> {
  switch (action) {
    case 'putItem':
      return client.send(new PutItemCommand(request as unknown as PutItemCommandInput));
    case 'updateItem':
      return client.send(new UpdateItemCommand(request as unknown as UpdateItemCommandInput));
    case 'getItem':
      return client.send(new GetItemCommand(request as unknown as GetItemCommandInput));
    case 'deleteItem':
      return client.send(new DeleteItemCommand(request as unknown as DeleteItemCommandInput));
  }
}

export async function runDynamoDbTask(
  client: DynamoDBClient,
  action: DynamoDbAction,
  input: unknown,
): Promise<Input> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DynamoDbTaskError('States.Runtime', `dynamodb:${action} needs Parameters with the request`);
  }
  const request = input as Input;
  try {
    const response = await send(client, action, request);
    const { $metadata: _metadata, ...result } = response as Input;
    return JSON.parse(JSON.stringify(result)) as Input;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'UnknownError';
    const message = error instanceof Error ? error.message : String(error);
    throw new DynamoDbTaskError(`DynamoDB.${name}`, `${message} (Service: DynamoDb; Error Code: ${name})`);
  }
}
