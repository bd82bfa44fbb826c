// The query string of GET /v1/bindings: one zod schema validates it and documents it in OpenAPI.
import * as z from 'zod/mini';
import { BINDING_STATUSES } from '../domain/binding.js';
import { fieldIssues } from '../domain/binding-rules.js';
import { InputError } from '../domain/errors.js';
import {
  CLUSTER_NAME_MAX,
  CLUSTER_NAME_PATTERN,
  DNS1123_LABEL_MAX,
  DNS1123_LABEL_PATTERN,
} from '../domain/names.js';
import '../domain/validation-locale.js';
import type { ListQuery } from '../ports/binding-store.js';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from '../use-cases/list-bindings.js';

const LIMIT_ERROR = `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`;

export const ListBindingsQuerySchema = z.strictObject(
  {
    tenant: z
      .optional(
        z.string().check(
          z.maxLength(DNS1123_LABEL_MAX, { error: `tenant must be at most ${DNS1123_LABEL_MAX} characters` }),
          z.regex(DNS1123_LABEL_PATTERN, {
            error: 'tenant must be a tenant name of the access policy, e.g. team-a',
          }),
        ),
      )
      .register(z.globalRegistry, {
        description: "Only this tenant's bindings; needed when the caller belongs to several tenants",
        example: 'team-a',
      }),
    clusterName: z
      .optional(
        z.string().check(
          z.maxLength(CLUSTER_NAME_MAX, {
            error: `clusterName must be at most ${CLUSTER_NAME_MAX} characters`,
          }),
          z.regex(CLUSTER_NAME_PATTERN, {
            error: 'clusterName must start with a letter or digit and contain only letters, digits, - and _',
          }),
        ),
      )
      .register(z.globalRegistry, { description: 'Only bindings on this EKS cluster', example: 'prod-eu' }),
    namespace: z
      .optional(
        z.string().check(
          z.maxLength(DNS1123_LABEL_MAX, {
            error: `namespace must be at most ${DNS1123_LABEL_MAX} characters`,
          }),
          z.regex(DNS1123_LABEL_PATTERN, { error: 'namespace must be a DNS-1123 label, e.g. payments' }),
        ),
      )
      .register(z.globalRegistry, {
        description: 'Only bindings in this Kubernetes namespace',
        example: 'payments',
      }),
    status: z
      .optional(z.enum(BINDING_STATUSES, { error: `status must be one of ${BINDING_STATUSES.join(', ')}` }))
      .register(z.globalRegistry, { description: 'Only bindings in this status' }),
    limit: z
      .optional(
        z.pipe(
          z.pipe(z.string().check(z.regex(/^\d{1,3}$/, { error: LIMIT_ERROR })), z.transform(Number)),
          z
            .int()
            .check(z.minimum(1, { error: LIMIT_ERROR }), z.maximum(MAX_LIST_LIMIT, { error: LIMIT_ERROR })),
        ),
      )
      .register(z.globalRegistry, {
        description: `Page size, 1..${MAX_LIST_LIMIT} (default ${DEFAULT_LIST_LIMIT})`,
      }),
    cursor: z
      .optional(
        z
          .string()
          .check(
            z.minLength(1, { error: 'cursor must not be empty; omit it to get the first page' }),
            z.maxLength(2048, { error: 'cursor is too long; use the nextCursor of the previous page' }),
          ),
      )
      .register(z.globalRegistry, { description: 'nextCursor from the previous page of the same query' }),
  },
  { error: 'the query string could not be read' },
);

/** Validates API Gateway's queryStringParameters (absent when there is no query string). */
export function parseListBindingsQuery(
  parameters: Record<string, string | undefined> | undefined,
): ListQuery {
  const result = ListBindingsQuerySchema.safeParse(parameters ?? {});
  if (!result.success) {
    const issues = fieldIssues(result.error).map((issue) =>
      issue.message === 'unknown field; remove it'
        ? {
            ...issue,
            message: 'unknown query parameter; use tenant, clusterName, namespace, status, limit or cursor',
          }
        : issue,
    );
    throw new InputError(
      `The list query is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  const { limit, ...filters } = result.data;
  const query: ListQuery = { limit: limit ?? DEFAULT_LIST_LIMIT };
  if (filters.tenant !== undefined) query.tenant = filters.tenant;
  if (filters.clusterName !== undefined) query.clusterName = filters.clusterName;
  if (filters.namespace !== undefined) query.namespace = filters.namespace;
  if (filters.status !== undefined) query.status = filters.status;
  if (filters.cursor !== undefined) query.cursor = filters.cursor;
  return query;
}
