// A DynamoDB stream record of the bindings table (Lambda's event or the Streams API's GetRecords) as the
// binding change it records; records of other items (listing, slot, events, idempotency) are none.
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { BindingChange } from '../../domain/status-event.js';
import { type Item, itemToBinding, META } from './binding-item.js';

/** The fields both the Lambda event and GetRecords give; images in DynamoDB JSON. */
export interface StreamRecordLike {
  eventName?: string;
  dynamodb?: {
    SequenceNumber?: string;
    NewImage?: Record<string, unknown>;
    OldImage?: Record<string, unknown>;
  };
}

function bindingImage(image: Record<string, unknown> | undefined) {
  if (!image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>) as Item;
  return item.sk === META && item.type === 'binding' ? itemToBinding(item) : undefined;
}

export function bindingChangeOf(record: StreamRecordLike): BindingChange | undefined {
  const sequence = record.dynamodb?.SequenceNumber;
  if (!sequence) return undefined;
  const before = bindingImage(record.dynamodb?.OldImage);
  const after = bindingImage(record.dynamodb?.NewImage);
  if (!before && !after) return undefined;
  return { sequence, ...(before ? { before } : {}), ...(after ? { after } : {}) };
}
