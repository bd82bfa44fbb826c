// What a valid PATCH /v1/bindings/{id} body is — only the role's permissions and attributes change; the
// fields that identify the binding (and so its trust policy) are refused by name — and what a drift check
// (POST /v1/bindings/{id}/verify) accepts.
import * as z from 'zod/mini';
import { BINDING_MODES } from './binding.js';
import { CreateBindingRequestFields, fieldIssues } from './binding-rules.js';
import { type FieldIssue, InputError } from './errors.js';
import './validation-locale.js';

/** Fields a PATCH may change. */
export const UPDATABLE_FIELDS = ['policyArns', 'tags', 'maxSessionDuration', 'mode'] as const;

/** Fields of the create request that a PATCH may not change, with why. */
const IDENTITY_FIELDS: Record<string, string> = {
  clusterName: 'the cluster is part of the binding identity',
  region: 'the region is part of the binding identity',
  namespace: 'the namespace is part of the binding identity (it is in the trust policy)',
  serviceAccountName: 'the service account is part of the binding identity (it is in the trust policy)',
  roleName: 'the role name is part of the binding identity',
  audience: 'the audience is in the trust policy',
  createServiceAccount: 'it only matters when the binding is created',
  verify: 'it only matters when the binding is created',
  description: 'it cannot be changed after the binding is created',
  stsRegionalEndpoints: 'it cannot be changed after the binding is created',
  tokenExpirationSeconds: 'it cannot be changed after the binding is created',
  targetRoleArn: 'the target role is what the binding proves; bind anew for another one',
};

const shape = CreateBindingRequestFields.shape;

export const UpdateBindingRequestSchema = z
  .strictObject(
    {
      policyArns: z.optional(shape.policyArns),
      tags: z.optional(shape.tags.def.innerType),
      maxSessionDuration: shape.maxSessionDuration,
      mode: z
        .optional(z.enum(BINDING_MODES, { error: `mode must be one of ${BINDING_MODES.join(', ')}` }))
        .register(z.globalRegistry, {
          description:
            'Migrate the binding one step at a time: irsa → both → pod-identity (or back); each step is verified by a test pod',
        }),
    },
    { error: 'the request body must be a JSON object' },
  )
  .register(z.globalRegistry, { id: 'UpdateBindingRequest' });

export type UpdateBindingRequest = z.output<typeof UpdateBindingRequestSchema>;

/**
 * Validates a PATCH body: at least one updatable field, each valid as on create. A field that names the
 * binding (namespace, service account, cluster, role...) is refused with the reason, never ignored.
 */
export function parseUpdateBindingRequest(body: unknown): UpdateBindingRequest {
  const identity: FieldIssue[] =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? Object.keys(body)
          .filter((key) => key in IDENTITY_FIELDS)
          .map((key) => ({
            path: key,
            message: `cannot be changed: ${IDENTITY_FIELDS[key]}; delete the binding and create a new one instead`,
          }))
      : [];
  const rest =
    identity.length > 0
      ? Object.fromEntries(Object.entries(body as object).filter(([key]) => !(key in IDENTITY_FIELDS)))
      : body;
  const result = UpdateBindingRequestSchema.safeParse(rest);
  const issues = [...identity, ...(result.success ? [] : fieldIssues(result.error))];
  if (result.success && issues.length === 0 && UPDATABLE_FIELDS.every((f) => result.data[f] === undefined)) {
    issues.push({ path: '', message: `send at least one of ${UPDATABLE_FIELDS.join(', ')}` });
  }
  if (!result.success || issues.length > 0) {
    throw new InputError(
      `The update is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}

/** POST /v1/bindings/{id}/verify: optional; `repair` puts back what irsa-broker owns before the test pod. */
export const VerifyBindingRequestSchema = z
  .strictObject(
    { repair: z._default(z.boolean({ error: 'repair must be true or false' }), false) },
    { error: 'the request body must be a JSON object' },
  )
  .register(z.globalRegistry, { id: 'VerifyBindingRequest' });
