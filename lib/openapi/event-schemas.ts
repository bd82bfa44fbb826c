// The wire format of the binding status events: on the EventBridge bus (the envelope EventBridge adds
// around the detail) and as callbacks (the body POSTed to a binding's callbackUrl). For the OpenAPI
// document (components and webhooks) and docs/status-event.schema.json; the events themselves are built
// by lib/domain/status-event.ts, and a test holds the two together.
import * as z from 'zod/mini';
import { BINDING_MODES, BINDING_STATUSES } from '../domain/binding.js';
import { STATUS_EVENT_SOURCE } from '../domain/status-event.js';

const DETAIL_TYPES = BINDING_STATUSES.map((s) => `Binding ${s[0]}${s.slice(1).toLowerCase()}`) as [
  string,
  ...string[],
];

export const StatusEventDetailSchema = z
  .strictObject({
    eventId: z.string().register(z.globalRegistry, {
      description:
        '<binding id>/<sequence>: the same for every delivery of one status change; de-duplicate on it',
      example: 'b-01m96k7nbmf7b686h726f0qbt9/000000000000000000021',
    }),
    sequence: z.string().check(z.regex(/^\d+$/)).register(z.globalRegistry, {
      description:
        "The change log's position of the write (digits; compare as numbers); orders one binding's events",
    }),
    schemaVersion: z.literal('1'),
    id: z.string().register(z.globalRegistry, { description: 'Binding id' }),
    tenant: z.optional(z.string()),
    region: z.string(),
    clusterName: z.string(),
    namespace: z.string(),
    serviceAccountName: z.string(),
    status: z.enum(BINDING_STATUSES),
    previousStatus: z.nullable(z.enum(BINDING_STATUSES)).register(z.globalRegistry, {
      description: 'null when the binding was created with this status',
    }),
    workflow: z.enum(['bind', 'update', 'verify', 'unbind']),
    at: z.iso
      .datetime()
      .register(z.globalRegistry, { description: 'When the status changed (UTC, ISO 8601)' }),
    roleArn: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'Once the binding has a role' }),
    mode: z
      .optional(z.enum(BINDING_MODES))
      .register(z.globalRegistry, { description: 'How pods get the role, once a workflow settled it' }),
    error: z
      .optional(z.strictObject({ step: z.string(), code: z.string(), message: z.string() }))
      .register(z.globalRegistry, { description: 'Why the binding FAILED (FAILED only)' }),
    drift: z
      .optional(z.array(z.strictObject({ what: z.string(), expected: z.unknown(), actual: z.unknown() })))
      .register(z.globalRegistry, {
        description: 'What a drift check found (its outcome only; empty: none)',
      }),
    link: z
      .string()
      .register(z.globalRegistry, { description: 'API path of the binding', example: '/v1/bindings/b-01m…' }),
  })
  .register(z.globalRegistry, { id: 'StatusEventDetail' });

export const BindingStatusEventSchema = z
  .strictObject({
    version: z.literal('0'),
    id: z.string().register(z.globalRegistry, {
      description: "EventBridge's id of this delivery (differs between deliveries; use detail.eventId)",
    }),
    source: z.literal(STATUS_EVENT_SOURCE),
    'detail-type': z.enum(DETAIL_TYPES),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z
      .array(z.string())
      .register(z.globalRegistry, { description: "The binding's role ARN once known" }),
    detail: StatusEventDetailSchema,
  })
  .register(z.globalRegistry, {
    id: 'BindingStatusEvent',
    description: 'A binding status event as a rule target on the irsa-broker-<stage>-events bus receives it',
  });

export const CallbackEventSchema = z
  .strictObject({
    id: z.string().register(z.globalRegistry, { description: 'detail.eventId' }),
    source: z.literal(STATUS_EVENT_SOURCE),
    'detail-type': z.enum(DETAIL_TYPES),
    time: z.iso.datetime(),
    detail: StatusEventDetailSchema,
  })
  .register(z.globalRegistry, {
    id: 'CallbackEvent',
    description: "The body POSTed to a binding's callbackUrl",
  });

/** docs/status-event.schema.json: JSON Schema of the event on the bus. */
export function statusEventJsonSchema(): unknown {
  return z.toJSONSchema(BindingStatusEventSchema, { target: 'draft-2020-12' });
}
