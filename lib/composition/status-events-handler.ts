// The Lambda handler on the bindings table's DynamoDB stream: each record that changed a binding's status
// becomes one EventBridge event (lib/use-cases/publish-status-events.ts). A batch that fails part-way
// answers the first record not published as its batch item failure, so Lambda delivers that record and
// the rest again (ReportBatchItemFailures); what was published before it is not repeated.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { bindingChangeOf } from '../adapters/dynamodb/binding-change-record.js';
import type { BindingChange } from '../domain/status-event.js';
import type { EventPublisher } from '../ports/events.js';
import { publishStatusEvents } from '../use-cases/publish-status-events.js';

export function statusEventsHandler(deps: { publisher: EventPublisher; log?: (line: string) => void }) {
  const log = deps.log ?? ((line: string) => console.log(line));
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const changes = (event.Records ?? []).flatMap((record): BindingChange[] => {
      const change = bindingChangeOf(record);
      return change ? [change] : [];
    });
    const result = await publishStatusEvents(changes, deps);
    // Quiet when everything went out (the common case); a stopped batch says where and why.
    if (result.failedFrom) {
      log(
        JSON.stringify({
          statusEvents: {
            published: result.published.map((e) => e.detail.eventId),
            failedFrom: result.failedFrom,
            failure: result.failure,
          },
        }),
      );
    }
    return { batchItemFailures: result.failedFrom ? [{ itemIdentifier: result.failedFrom }] : [] };
  };
}
