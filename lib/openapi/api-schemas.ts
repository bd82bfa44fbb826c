// Response schemas of the HTTP API, for the OpenAPI document. Requests are validated by the schemas in
// lib/domain and lib/http; these describe what the API sends back.
import { z } from 'zod';
import { BINDING_STATUSES, STEP_STATUSES } from '../domain/binding.js';
import { CreateBindingRequestSchema } from '../domain/binding-rules.js';

const timestamp = z.iso.datetime().meta({ description: 'UTC, ISO 8601' });

export const StepSchema = z
  .object({
    name: z.string().meta({ example: 'EnsureRole' }),
    status: z.enum(STEP_STATUSES),
    startedAt: timestamp.optional(),
    finishedAt: timestamp.optional(),
    detail: z.string().optional(),
  })
  .meta({ id: 'Step' });

export const BindingSchema = CreateBindingRequestSchema.extend({
  id: z
    .string()
    .meta({ description: 'Binding id; also the bind workflow execution name', example: 'b-01jz…' }),
  roleName: z.string().meta({ description: 'The IAM role name, given or derived' }),
  status: z.enum(BINDING_STATUSES),
  createdAt: timestamp,
  updatedAt: timestamp,
  createdBy: z.string().meta({
    description: 'Subject (sub claim) of the caller that created it ("anonymous" locally without tokens)',
  }),
  tenant: z
    .string()
    .optional()
    .meta({ description: 'Tenant of the access policy it belongs to; absent: visible to admins only' }),
  steps: z.array(StepSchema),
  outputs: z
    .object({
      roleArn: z.string().optional(),
      oidcProviderArn: z.string().optional(),
      trustPolicy: z.unknown().optional().meta({ description: 'The trust policy document as applied' }),
      verification: z
        .object({ arn: z.string(), account: z.string(), userId: z.string() })
        .optional()
        .meta({ description: 'Caller identity the test pod saw when assuming the role' }),
      serviceAccountCreated: z
        .boolean()
        .optional()
        .meta({ description: 'Whether the bind created the ServiceAccount (unbind then deletes it)' }),
    })
    .optional(),
  error: z
    .object({ step: z.string(), code: z.string(), message: z.string() })
    .optional()
    .meta({ description: 'Why the binding FAILED' }),
  drift: z
    .array(z.object({ what: z.string(), expected: z.unknown(), actual: z.unknown() }))
    .optional()
    .meta({
      description:
        'What the last drift check (POST /v1/bindings/{id}/verify) found still differing from what the binding set up; empty: nothing',
    }),
  driftCheckedAt: timestamp.optional(),
}).meta({ id: 'Binding' });

export const BindingPageSchema = z
  .object({
    items: z.array(BindingSchema),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: 'Pass as cursor to get the next page; null on the last page' }),
  })
  .meta({ id: 'BindingPage' });

export const ProblemSchema = z
  .object({
    type: z.string().meta({ example: 'urn:irsa-broker:problem:InputError' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Each invalid field (validation failures only)' }),
    existingBindingId: z
      .string()
      .optional()
      .meta({ description: 'The binding holding the service account (409 only)' }),
    rule: z.string().optional().meta({
      description: 'The access policy rule that refused the request (403 only)',
      example: 'tenants.team-a.namespaces',
    }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const BindingEventSchema = z
  .object({
    bindingId: z.string(),
    at: timestamp,
    actor: z.string().meta({ description: 'Subject of the caller, or irsa-broker for the workflow' }),
    from: z.enum(BINDING_STATUSES).nullable().meta({ description: 'Status before (null: created)' }),
    to: z.enum(BINDING_STATUSES),
    detail: z.string().optional(),
    request: z
      .object({ method: z.string(), path: z.string(), requestId: z.string(), body: z.unknown().optional() })
      .optional()
      .meta({ description: 'The API call (mutating calls only)' }),
    outcome: z
      .object({ status: z.int(), code: z.string().optional() })
      .optional()
      .meta({ description: 'HTTP status of the call, and the problem code when it was refused or failed' }),
  })
  .meta({ id: 'BindingEvent' });

export const BindingEventListSchema = z
  .object({ items: z.array(BindingEventSchema) })
  .meta({ id: 'BindingEventList' });

export const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
