// Response schemas of the HTTP API, for the OpenAPI document. Requests are validated by the schemas in
// lib/domain and lib/http; these describe what the API sends back.
import * as z from 'zod/mini';
import { BINDING_MODES, BINDING_STATUSES, STEP_STATUSES } from '../domain/binding.js';
import { CreateBindingRequestFields } from '../domain/binding-rules.js';

const timestamp = z.iso.datetime().register(z.globalRegistry, { description: 'UTC, ISO 8601' });

export const StepSchema = z
  .object({
    name: z.string().register(z.globalRegistry, { example: 'EnsureRole' }),
    status: z.enum(STEP_STATUSES),
    startedAt: z.optional(timestamp),
    finishedAt: z.optional(timestamp),
    detail: z.optional(z.string()),
  })
  .register(z.globalRegistry, { id: 'Step' });

export const BindingSchema = z
  .extend(CreateBindingRequestFields, {
    id: z.string().register(z.globalRegistry, {
      description: 'Binding id; also the bind workflow execution name',
      example: 'b-01jz…',
    }),
    roleName: z.string().register(z.globalRegistry, { description: 'The IAM role name, given or derived' }),
    status: z.enum(BINDING_STATUSES),
    createdAt: timestamp,
    updatedAt: timestamp,
    createdBy: z.string().register(z.globalRegistry, {
      description: 'Subject (sub claim) of the caller that created it ("anonymous" locally without tokens)',
    }),
    tenant: z.optional(z.string()).register(z.globalRegistry, {
      description: 'Tenant of the access policy it belongs to; absent: visible to admins only',
    }),
    steps: z.array(StepSchema),
    outputs: z.optional(
      z.object({
        mode: z.optional(z.enum(BINDING_MODES)).register(z.globalRegistry, {
          description:
            'The mode the workflow bound in (what auto became); absent on bindings made before modes',
        }),
        roleArn: z.optional(z.string()),
        oidcProviderArn: z
          .optional(z.string())
          .register(z.globalRegistry, { description: 'The IAM OIDC provider (irsa and both modes)' }),
        podIdentityAssociation: z
          .optional(z.nullable(z.object({ associationId: z.string(), associationArn: z.string() })))
          .register(z.globalRegistry, {
            description:
              'The EKS Pod Identity association the binding owns (pod-identity and both modes); null after a migration back to irsa removed it',
          }),
        trustPolicy: z
          .optional(z.unknown())
          .register(z.globalRegistry, { description: 'The trust policy document as applied' }),
        verification: z
          .optional(z.object({ arn: z.string(), account: z.string(), userId: z.string() }))
          .register(z.globalRegistry, {
            description: 'Caller identity the test pod saw when assuming the role',
          }),
        serviceAccountCreated: z.optional(z.boolean()).register(z.globalRegistry, {
          description: 'Whether the bind created the ServiceAccount (unbind then deletes it)',
        }),
      }),
    ),
    error: z
      .optional(z.object({ step: z.string(), code: z.string(), message: z.string() }))
      .register(z.globalRegistry, { description: 'Why the binding FAILED' }),
    drift: z
      .optional(z.array(z.object({ what: z.string(), expected: z.unknown(), actual: z.unknown() })))
      .register(z.globalRegistry, {
        description:
          'What the last drift check (POST /v1/bindings/{id}/verify) found still differing from what the binding set up; empty: nothing',
      }),
    driftCheckedAt: z.optional(timestamp),
    droppedTagKeys: z.optional(z.array(z.string())).register(z.globalRegistry, {
      description:
        'Tag keys an update (PATCH) removed that the role may still carry; each run removes them from the role, and the field goes once a run SUCCEEDED',
    }),
  })
  .register(z.globalRegistry, { id: 'Binding' });

export const BindingPageSchema = z
  .object({
    items: z.array(BindingSchema),
    nextCursor: z.nullable(z.string()).register(z.globalRegistry, {
      description: 'Pass as cursor to get the next page; null on the last page',
    }),
  })
  .register(z.globalRegistry, { id: 'BindingPage' });

export const ProblemSchema = z
  .object({
    type: z.string().register(z.globalRegistry, { example: 'urn:irsa-broker:problem:InputError' }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    errors: z
      .optional(z.array(z.object({ path: z.string(), message: z.string() })))
      .register(z.globalRegistry, { description: 'Each invalid field (validation failures only)' }),
    existingBindingId: z
      .optional(z.string())
      .register(z.globalRegistry, { description: 'The binding holding the service account (409 only)' }),
    rule: z.optional(z.string()).register(z.globalRegistry, {
      description: 'The access policy rule that refused the request (403 only)',
      example: 'tenants.team-a.namespaces',
    }),
  })
  .register(z.globalRegistry, { id: 'Problem', description: 'RFC 9457 problem details' });

export const BindingEventSchema = z
  .object({
    bindingId: z.string(),
    at: timestamp,
    actor: z
      .string()
      .register(z.globalRegistry, { description: 'Subject of the caller, or irsa-broker for the workflow' }),
    from: z
      .nullable(z.enum(BINDING_STATUSES))
      .register(z.globalRegistry, { description: 'Status before (null: created)' }),
    to: z.enum(BINDING_STATUSES),
    detail: z.optional(z.string()),
    request: z
      .optional(
        z.object({
          method: z.string(),
          path: z.string(),
          requestId: z.string(),
          body: z.optional(z.unknown()),
        }),
      )
      .register(z.globalRegistry, { description: 'The API call (mutating calls only)' }),
    outcome: z
      .optional(z.object({ status: z.int(), code: z.optional(z.string()) }))
      .register(z.globalRegistry, {
        description: 'HTTP status of the call, and the problem code when it was refused or failed',
      }),
  })
  .register(z.globalRegistry, { id: 'BindingEvent' });

export const BindingEventListSchema = z
  .object({ items: z.array(BindingEventSchema) })
  .register(z.globalRegistry, { id: 'BindingEventList' });

export const HealthSchema = z
  .object({ status: z.literal('ok') })
  .register(z.globalRegistry, { id: 'Health' });
