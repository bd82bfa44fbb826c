// The OpenAPI 3.1 document of the HTTP API, generated from the very zod schemas that validate requests.
import * as z from 'zod/mini';
import { createDocument } from 'zod-openapi';
import { CreateBindingRequestSchema } from '../domain/binding-rules.js';
import { UpdateBindingRequestSchema, VerifyBindingRequestSchema } from '../domain/update-rules.js';
import { MAX_JSON_BODY_BYTES } from '../http/json-body.js';
import { ListBindingsQuerySchema } from '../http/list-bindings-query.js';
import {
  BindingEventListSchema,
  BindingPageSchema,
  BindingSchema,
  HealthSchema,
  ProblemSchema,
} from './api-schemas.js';
import { BindingStatusEventSchema, CallbackEventSchema } from './event-schemas.js';

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

const bindingContent = { 'application/json': { schema: BindingSchema } };
/** Every /v1/bindings route: a bearer token from the identity provider, checked by the JWT authorizer. */
const authenticated = {
  security: [{ bearer: [] }],
};
const unauthenticated = problem('No bearer token, or one the identity provider did not issue');
const notAllowed = problem('The access policy refuses it; rule names the refusing rule');
/** The {id} of every /v1/bindings/{id} route. */
const bindingIdPath = z.object({
  id: z.string().register(z.globalRegistry, { description: 'Binding id' }),
});
const locationHeader = {
  Location: { description: 'The binding: /v1/bindings/{id}', schema: { type: 'string' as const } },
};

export function buildOpenApiDocument(): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'irsa-broker',
      version: '1.0.0',
      description:
        'Binds AWS IAM roles to Kubernetes service accounts on Amazon EKS (IRSA) and proves the binding works. ' +
        'Errors are RFC 9457 application/problem+json. Callers see and change only the bindings of their ' +
        "tenants (others' ids are 404); admins see all.",
    },
    components: {
      // Published on the stack's EventBridge bus, not served by a path.
      schemas: { BindingStatusEvent: BindingStatusEventSchema },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A token of the identity provider the deployment trusts (sub, groups claims)',
        },
      },
    },
    webhooks: {
      bindingStatusEvent: {
        post: {
          operationId: 'bindingStatusEvent',
          summary: "A binding's status changed (sent to its callbackUrl)",
          description:
            'Each status event of a binding that names a callbackUrl, POSTed there. Verify X-Irsa-Broker-Signature ' +
            '(t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>"> with the shared secret) and de-duplicate on ' +
            'X-Irsa-Broker-Event-Id. Not answered 2xx: tried again on 5xx, 408, 429 or no answer (4 tries in all).',
          parameters: [
            {
              name: 'X-Irsa-Broker-Signature',
              in: 'header',
              required: true,
              schema: { type: 'string', example: 't=1796591041,v1=5f0c…' },
            },
            {
              name: 'X-Irsa-Broker-Event-Id',
              in: 'header',
              required: true,
              schema: { type: 'string' },
            },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: CallbackEventSchema } } },
          responses: { '2XX': { description: 'Received' } },
        },
      },
    },
    paths: {
      '/v1/bindings': {
        post: {
          operationId: 'createBinding',
          ...authenticated,
          summary: 'Ask for an IAM role bound to a service account',
          description:
            'Stores the binding as PENDING and starts the bind workflow. With an Idempotency-Key, repeating the ' +
            'same request returns the same binding again (202, header Idempotent-Replayed: true) and starts ' +
            'nothing new; the same key with a different body is refused with 422.',
          requestParams: {
            header: z.object({
              'Idempotency-Key': z
                .optional(z.string().check(z.minLength(1), z.maxLength(128)))
                .register(z.globalRegistry, {
                  description: '1-128 printable ASCII characters, e.g. a UUID; scoped to the caller',
                }),
            }),
          },
          requestBody: {
            required: true,
            description: `JSON, at most ${MAX_JSON_BODY_BYTES / 1024} KiB`,
            content: { 'application/json': { schema: CreateBindingRequestSchema } },
          },
          responses: {
            '202': {
              description: 'Accepted (or replayed): the binding, whose workflow runs in the background',
              headers: {
                ...locationHeader,
                'Idempotent-Replayed': {
                  description: '"true" when an earlier request with the same Idempotency-Key created it',
                  schema: { type: 'string' as const },
                },
              },
              content: bindingContent,
            },
            '400': problem('Invalid body, unknown field or malformed JSON; errors[] names each field'),
            '401': unauthenticated,
            '403': notAllowed,
            '409': problem(
              'An active binding already holds this service account; existingBindingId names it',
            ),
            '413': problem(`Body larger than ${MAX_JSON_BODY_BYTES / 1024} KiB`),
            '415': problem('Body is not application/json'),
            '422': problem('Idempotency-Key already used with a different body'),
            '503': problem(
              'The workflow could not be started (the binding is FAILED) or a dependency is busy',
            ),
          },
        },
        get: {
          operationId: 'listBindings',
          ...authenticated,
          summary: "List bindings, newest first: the caller's tenant's, or all for admins",
          requestParams: { query: ListBindingsQuerySchema },
          responses: {
            '200': {
              description: 'One page',
              content: { 'application/json': { schema: BindingPageSchema } },
            },
            '400': problem('Invalid query parameter or cursor; errors[] names each'),
            '401': unauthenticated,
            '403': problem('tenant names a tenant the caller does not belong to'),
          },
        },
      },
      '/v1/bindings/{id}': {
        get: {
          operationId: 'getBinding',
          ...authenticated,
          summary: 'Read one binding with its steps, outputs and error',
          requestParams: { path: bindingIdPath },
          responses: {
            '200': { description: 'The binding', content: bindingContent },
            '401': unauthenticated,
            '404': problem("No binding with this id (or one of another tenant's)"),
          },
        },
        patch: {
          operationId: 'updateBinding',
          ...authenticated,
          summary: "Change a SUCCEEDED binding's policies, tags or session duration",
          description:
            'Stores the change and runs the update workflow: the role this binding owns is reconciled (added ' +
            'policies attached, removed ones detached, dropped tag keys removed, session duration) and a fresh ' +
            'test pod proves the binding again. Namespace, service account, cluster and role name are the ' +
            "binding's identity: sending them is refused, naming the field.",
          requestParams: { path: bindingIdPath },
          requestBody: {
            required: true,
            content: { 'application/json': { schema: UpdateBindingRequestSchema } },
          },
          responses: {
            '202': {
              description: 'Accepted: the binding, PENDING',
              headers: locationHeader,
              content: bindingContent,
            },
            '400': problem('Invalid value, an identity field, or no field to change; errors[] names each'),
            '401': unauthenticated,
            '403': notAllowed,
            '404': problem("No binding with this id (or one of another tenant's)"),
            '409': problem('The binding is not SUCCEEDED (retry a FAILED one first)'),
            '415': problem('Body is not application/json'),
          },
        },
        delete: {
          operationId: 'deleteBinding',
          ...authenticated,
          summary: 'Unbind: remove what irsa-broker created for the binding; the record stays, DELETED',
          description:
            'Moves a SUCCEEDED or FAILED binding to DELETING and runs the unbind workflow: leftover test pods, ' +
            'the role-arn annotation (or the ServiceAccount, when the binding created it and no other field ' +
            'manager has fields in it) and the role, only when its tags name this binding. The webhook and the ' +
            'OIDC provider stay. The binding ends DELETED, freeing the service account for a new binding, or ' +
            'FAILED with the step that stopped the unbind (send DELETE again). DELETE on a DELETING binding ' +
            'answers 202 again; on a DELETED one 200 with the binding unchanged.',
          requestParams: { path: bindingIdPath },
          responses: {
            '200': { description: 'Already DELETED: the binding, unchanged', content: bindingContent },
            '202': {
              description: 'Accepted: the binding, DELETING',
              headers: locationHeader,
              content: bindingContent,
            },
            '401': unauthenticated,
            '404': problem("No binding with this id (or one of another tenant's)"),
            '409': problem('The binding is PENDING or RUNNING: its bind workflow has not ended yet'),
            '503': problem(
              'The unbind workflow could not be started; the binding is as it was, send DELETE again',
            ),
          },
        },
      },
      '/v1/bindings/{id}/retry': {
        post: {
          operationId: 'retryBinding',
          ...authenticated,
          summary: 'Run the bind workflow of a FAILED binding again, under the same id',
          description:
            'Moves the binding to PENDING with fresh steps and no error (one of concurrent retries or a racing ' +
            'DELETE wins; the other gets 409), takes its service account back, and starts the bind workflow; ' +
            'resources the binding owns are reused.',
          requestParams: { path: bindingIdPath },
          responses: {
            '202': {
              description: 'Accepted: the binding, PENDING',
              headers: locationHeader,
              content: bindingContent,
            },
            '401': unauthenticated,
            '403': notAllowed,
            '404': problem("No binding with this id (or one of another tenant's)"),
            '409': problem(
              'The binding is not FAILED, or another binding holds its service account now (existingBindingId)',
            ),
          },
        },
      },
      '/v1/bindings/{id}/verify': {
        post: {
          operationId: 'verifyBinding',
          ...authenticated,
          summary: 'Check a binding against the live account and cluster (drift), optionally repairing it',
          description:
            'Runs the verify workflow: trust policy, policy attachments, ServiceAccount annotation and OIDC ' +
            'provider are compared with what the binding set up (reported as drift on the binding), then a fresh ' +
            'test pod proves it still works (VerifyIdentity FAILED, binding FAILED when not). With ' +
            '{"repair": true} what irsa-broker owns is put back first. For SUCCEEDED bindings, and FAILED ones ' +
            'that were bound once.',
          requestParams: { path: bindingIdPath },
          requestBody: {
            required: false,
            content: { 'application/json': { schema: VerifyBindingRequestSchema } },
          },
          responses: {
            '202': {
              description: 'Accepted: the binding, PENDING',
              headers: locationHeader,
              content: bindingContent,
            },
            '400': problem('Invalid body; errors[] names each field'),
            '401': unauthenticated,
            '403': notAllowed,
            '404': problem("No binding with this id (or one of another tenant's)"),
            '409': problem('The binding is running, or was never bound to a role'),
          },
        },
      },
      '/v1/bindings/{id}/events': {
        get: {
          operationId: 'listBindingEvents',
          ...authenticated,
          summary: 'The audit trail: status changes and every mutating call, with caller, time and outcome',
          requestParams: { path: bindingIdPath },
          responses: {
            '200': {
              description: 'Events, oldest first',
              content: { 'application/json': { schema: BindingEventListSchema } },
            },
            '401': unauthenticated,
            '404': problem("No binding with this id (or one of another tenant's)"),
          },
        },
      },
      '/v1/openapi.json': {
        get: {
          operationId: 'getOpenApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } } },
        },
      },
      '/v1/health': {
        get: {
          operationId: 'health',
          summary: 'Liveness',
          responses: {
            '200': { description: 'Up', content: { 'application/json': { schema: HealthSchema } } },
          },
        },
      },
    },
  });
}
