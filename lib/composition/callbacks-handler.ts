// The Lambda handler of the callback deliverer on the bindings table's DynamoDB stream: the status
// changes of bindings with a callbackUrl are POSTed there (lib/use-cases/deliver-callbacks.ts). Each
// callback that was not delivered is logged as one JSON line; the batch never fails over a receiver.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { bindingChangeOf } from '../adapters/dynamodb/binding-change-record.js';
import type { CallbackPolicy } from '../domain/callback-url.js';
import type { BindingChange } from '../domain/status-event.js';
import type { CallbackTransport, SigningSecret } from '../ports/callbacks.js';
import type { Clock } from '../ports/clock.js';
import { type CallbackDeliveryOptions, deliverCallbacks } from '../use-cases/deliver-callbacks.js';

export function callbacksHandler(deps: {
  transport: CallbackTransport;
  secret: SigningSecret;
  clock: Clock;
  policy: CallbackPolicy;
  delivery?: CallbackDeliveryOptions;
  log?: (line: string) => void;
}) {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const changes = (event.Records ?? []).flatMap((record): BindingChange[] => {
      const change = bindingChangeOf(record);
      return change ? [change] : [];
    });
    const outcomes = await deliverCallbacks(changes, deps);
    for (const outcome of outcomes) {
      if (outcome.outcome !== 'delivered') log(JSON.stringify({ callback: outcome }));
    }
    return { batchItemFailures: [] };
  };
}
