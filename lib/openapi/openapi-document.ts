// The OpenAPI 3.1 document of the HTTP API, generated from the very zod schemas that validate requests.
import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import { CreateBindingRequestSchema } from '../domain/binding-rules.js';
import { MAX_JSON_BODY_BYTES } from '../http/json-body.js';
import { ListBindingsQuerySchema } from '../http/list-bindings-query.js';
import { BindingPageSchema, BindingSchema, HealthSchema, ProblemSchema } from './api-schemas.js';

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: ProblemSchema } } };
}

const bindingContent = { 'application/json': { schema: BindingSchema } };
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
        'Errors are RFC 9457 application/problem+json.',
    },
    paths: {
      '/v1/bindings': {
        post: {
          operationId: 'createBinding',
          summary: 'Ask for an IAM role bound to a service account',
          description:
            'Stores the binding as PENDING and starts the bind workflow. With an Idempotency-Key, repeating the ' +
            'same request returns the same binding again (202, header Idempotent-Replayed: true) and starts ' +
            'nothing new; the same key with a different body is refused with 422.',
          requestParams: {
            header: z.object({
              'Idempotency-Key': z
                .string()
                .min(1)
                .max(128)
                .optional()
                .meta({ description: '1-128 printable ASCII characters, e.g. a UUID; scoped to the caller' }),
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
          summary: 'List bindings, newest first',
          requestParams: { query: ListBindingsQuerySchema },
          responses: {
            '200': {
              description: 'One page',
              content: { 'application/json': { schema: BindingPageSchema } },
            },
            '400': problem('Invalid query parameter or cursor; errors[] names each'),
          },
        },
      },
      '/v1/bindings/{id}': {
        get: {
          operationId: 'getBinding',
          summary: 'Read one binding with its steps, outputs and error',
          requestParams: { path: z.object({ id: z.string().meta({ description: 'Binding id' }) }) },
          responses: {
            '200': { description: 'The binding', content: bindingContent },
            '404': problem('No binding with this id'),
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
