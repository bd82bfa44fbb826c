// The documented event format holds what the publisher sends: events built for each kind of status
// change validate against the schema the OpenAPI document and docs/status-event.schema.json carry, and
// the committed JSON Schema file is the one the schema generates.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from '@jest/globals';
import { VERIFY_STEPS } from '../../lib/domain/binding.js';
import { statusEventOf } from '../../lib/domain/status-event.js';
import {
  BindingStatusEventSchema,
  CallbackEventSchema,
  StatusEventDetailSchema,
  statusEventJsonSchema,
} from '../../lib/openapi/event-schemas.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi-document.js';
import { callbackBody } from '../../lib/use-cases/deliver-callbacks.js';
import { pendingBinding } from '../support/fakes/in-memory-binding-store.js';

const created = { ...pendingBinding({ id: 'b-schema' }), tenant: 'team-a' };
const running = { ...created, status: 'RUNNING' as const, updatedAt: '2026-01-01T00:00:02.000Z' };
const events = [
  statusEventOf({ sequence: '100', after: created }),
  statusEventOf({
    sequence: '200',
    before: running,
    after: {
      ...running,
      status: 'FAILED',
      error: { step: 'EnsureRole', code: 'PolicyNotFound', message: 'no such policy' },
    },
  }),
  statusEventOf({
    sequence: '300',
    before: running,
    after: {
      ...running,
      status: 'SUCCEEDED',
      steps: VERIFY_STEPS.map((name) => ({ name, status: 'SUCCEEDED' as const })),
      outputs: { roleArn: 'arn:aws:iam::111122223333:role/irsa-x' },
      drift: [{ what: 'annotation', expected: 'arn', actual: null }],
    },
  }),
];

describe('status event schema', () => {
  it('accepts every kind of event the publisher builds, on the bus and as a callback', () => {
    for (const event of events) {
      expect(event).toBeDefined();
      if (!event) continue;
      expect(StatusEventDetailSchema.safeParse(event.detail).error).toBeUndefined();
      const onTheBus = {
        version: '0',
        id: '2697c5c6-bf92-4712-b1da-872dd5d7aef1',
        source: event.source,
        'detail-type': event.detailType,
        account: '111122223333',
        time: '2026-01-01T00:00:02Z',
        region: 'us-east-1',
        resources: event.resources,
        detail: event.detail,
      };
      expect(BindingStatusEventSchema.safeParse(onTheBus).error).toBeUndefined();
      expect(CallbackEventSchema.safeParse(JSON.parse(callbackBody(event))).error).toBeUndefined();
    }
  });

  it('is in the OpenAPI document: the bus event in components, the callback as a webhook', () => {
    const document = buildOpenApiDocument() as unknown as {
      components: { schemas: Record<string, unknown> };
      webhooks: Record<string, { post: { requestBody: unknown } }>;
    };
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['BindingStatusEvent', 'StatusEventDetail', 'CallbackEvent']),
    );
    expect(JSON.stringify(document.webhooks.bindingStatusEvent?.post.requestBody)).toContain(
      '#/components/schemas/CallbackEvent',
    );
  });

  it('is what docs/status-event.schema.json holds (npm run docs:events writes it)', async () => {
    const committed = JSON.parse(
      await readFile(new URL('../../docs/status-event.schema.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(statusEventJsonSchema());
  });
});
