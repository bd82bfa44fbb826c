// What a valid create-binding request is: the one schema that validates requests and documents the API.
import * as z from 'zod/mini';
import { IRSA_ONLY_FIELDS, REQUESTED_MODES } from './binding.js';
import { CALLBACK_URL_MAX_LENGTH } from './callback-url.js';
import { type FieldIssue, InputError } from './errors.js';
import {
  accountOfArn,
  CLUSTER_NAME_MAX,
  CLUSTER_NAME_PATTERN,
  DNS1123_LABEL_MAX,
  DNS1123_LABEL_PATTERN,
  DNS1123_SUBDOMAIN_MAX,
  DNS1123_SUBDOMAIN_PATTERN,
  POLICY_ARN_PATTERN,
  REGION_PATTERN,
  RESERVED_TAG_PREFIXES,
  ROLE_ARN_PATTERN,
  ROLE_DESCRIPTION_MAX,
  ROLE_DESCRIPTION_PATTERN,
  ROLE_NAME_PATTERN,
  TAG_KEY_PATTERN,
  TAG_VALUE_PATTERN,
} from './names.js';
import './validation-locale.js';

export const MAX_POLICY_ARNS = 10;
export const MAX_TAGS = 40;

/** A string field whose type errors say whether it is missing or of the wrong type. */
function flag(field: string) {
  return z.boolean({ error: `${field} must be true or false` });
}

function text(field: string) {
  return z.string({
    error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`),
  });
}

const clusterName = text('clusterName')
  .check(
    z.minLength(1, { error: 'clusterName must not be empty' }),
    z.maxLength(CLUSTER_NAME_MAX, { error: `clusterName must be at most ${CLUSTER_NAME_MAX} characters` }),
    z.regex(CLUSTER_NAME_PATTERN, {
      error: 'clusterName must start with a letter or digit and contain only letters, digits, - and _',
    }),
  )
  .register(z.globalRegistry, { description: 'EKS cluster name', example: 'prod-eu' });

const region = text('region')
  .check(
    z.regex(REGION_PATTERN, {
      error: 'region must be an AWS region code such as us-east-1 or us-gov-west-1',
    }),
  )
  .register(z.globalRegistry, { description: 'AWS region of the cluster', example: 'eu-west-1' });

const namespace = text('namespace')
  .check(
    z.maxLength(DNS1123_LABEL_MAX, { error: `namespace must be at most ${DNS1123_LABEL_MAX} characters` }),
    z.regex(DNS1123_LABEL_PATTERN, {
      error:
        'namespace must be a DNS-1123 label: lower-case letters, digits and -, starting and ending alphanumeric',
    }),
  )
  .register(z.globalRegistry, {
    description: 'Kubernetes namespace of the service account',
    example: 'payments',
  });

const serviceAccountName = text('serviceAccountName')
  .check(
    z.maxLength(DNS1123_SUBDOMAIN_MAX, {
      error: `serviceAccountName must be at most ${DNS1123_SUBDOMAIN_MAX} characters`,
    }),
    z.regex(DNS1123_SUBDOMAIN_PATTERN, {
      error:
        'serviceAccountName must be a DNS-1123 subdomain: lower-case letters, digits, - and . (no : or *)',
    }),
  )
  .register(z.globalRegistry, { description: 'Kubernetes ServiceAccount name', example: 'ledger-writer' });

const policyArn = text('policy ARN').check(
  z.maxLength(2048, { error: 'policy ARN is too long' }),
  z.regex(POLICY_ARN_PATTERN, {
    error: 'must be an IAM managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess',
  }),
);

const policyArns = z
  .array(policyArn, {
    error: (issue) =>
      issue.input === undefined ? 'policyArns is required (it may be empty)' : 'policyArns must be an array',
  })
  .check(
    z.maxLength(MAX_POLICY_ARNS, { error: `policyArns may hold at most ${MAX_POLICY_ARNS} ARNs` }),
    z.refine((arns) => new Set(arns).size === arns.length, { error: 'policyArns must not repeat an ARN' }),
  )
  .register(z.globalRegistry, { description: 'Managed policies to attach to the role (may be empty)' });

const roleName = text('roleName')
  .check(
    z.regex(ROLE_NAME_PATTERN, {
      error: 'roleName must be 1-64 characters of letters, digits and + = , . @ _ -',
    }),
  )
  .register(z.globalRegistry, {
    description: 'IAM role name; derived from cluster, namespace and service account when absent',
  });

const tagKey = text('tag key').check(
  z.regex(TAG_KEY_PATTERN, {
    error: 'tag keys must be 1-128 characters of letters, digits, spaces and _ . : / = + - @',
  }),
  z.refine((key) => !RESERVED_TAG_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix)), {
    error: `tag keys must not start with ${RESERVED_TAG_PREFIXES.join(' or ')} (reserved)`,
  }),
);
const tagValue = text('tag value').check(
  z.regex(TAG_VALUE_PATTERN, {
    error: 'tag values must be 0-256 characters of letters, digits, spaces and _ . : / = + - @',
  }),
);
const tags = z
  .record(tagKey, tagValue, { error: 'tags must be an object of string keys to string values' })
  .check(
    z.refine((t) => Object.keys(t).length <= MAX_TAGS, {
      error: `tags may hold at most ${MAX_TAGS} entries`,
    }),
  )
  .register(z.globalRegistry, { description: 'Tags for the IAM role' });

/** The fields of a create request, without the rules between fields (what extending schemas build on). */
export const CreateBindingRequestFields = z.strictObject(
  {
    clusterName,
    region,
    namespace,
    serviceAccountName,
    policyArns,
    roleName: z.optional(roleName),
    createServiceAccount: z
      ._default(flag('createServiceAccount'), true)
      .register(z.globalRegistry, { description: 'Create the ServiceAccount when missing' }),
    verify: z._default(flag('verify'), true).register(z.globalRegistry, {
      description: 'Prove the binding with a test pod running sts get-caller-identity',
    }),
    tags: z._default(tags, {}),
    maxSessionDuration: z.optional(
      z
        .int({ error: 'maxSessionDuration must be a whole number of seconds' })
        .check(
          z.minimum(3600, { error: 'maxSessionDuration must be at least 3600 seconds' }),
          z.maximum(43200, { error: 'maxSessionDuration must be at most 43200 seconds' }),
        ),
    ),
    description: z.optional(
      text('description').check(
        z.maxLength(ROLE_DESCRIPTION_MAX, {
          error: `description must be at most ${ROLE_DESCRIPTION_MAX} characters`,
        }),
        z.regex(ROLE_DESCRIPTION_PATTERN, {
          error: 'description may hold only printable ASCII, Latin-1 letters, tabs and newlines',
        }),
      ),
    ),
    stsRegionalEndpoints: z.optional(flag('stsRegionalEndpoints')).register(z.globalRegistry, {
      description: 'Annotate the ServiceAccount to use the regional STS endpoint',
    }),
    tokenExpirationSeconds: z.optional(
      z
        .int({ error: 'tokenExpirationSeconds must be a whole number of seconds' })
        .check(
          z.minimum(600, { error: 'tokenExpirationSeconds must be at least 600' }),
          z.maximum(86400, { error: 'tokenExpirationSeconds must be at most 86400' }),
        ),
    ),
    audience: z
      .optional(
        text('audience').check(
          z.minLength(1, { error: 'audience must not be empty' }),
          z.maxLength(256, { error: 'audience must be at most 256 characters' }),
        ),
      )
      .register(z.globalRegistry, {
        description: 'Audience of the projected token (the webhook defaults to sts.amazonaws.com)',
      }),
    mode: z
      .optional(
        z.enum(REQUESTED_MODES, {
          error: `mode must be one of ${REQUESTED_MODES.join(', ')}`,
        }),
      )
      .register(z.globalRegistry, {
        description:
          'How pods get the role: irsa (OIDC web identity), pod-identity (EKS Pod Identity association), both ' +
          '(the migration path), or auto (omitted): pod-identity where the cluster runs the eks-pod-identity-agent ' +
          'add-on, else irsa',
      }),
    targetRoleArn: z
      .optional(
        text('targetRoleArn').check(
          z.regex(ROLE_ARN_PATTERN, {
            error: 'targetRoleArn must be an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>',
          }),
        ),
      )
      .register(z.globalRegistry, {
        description:
          'pod-identity mode only: a role, usually in another account, that the binding role chains into. irsa-broker creates it there (under ROLE_PATH with ROLE_NAME_PREFIX, carrying policyArns, trusting exactly the binding role) through its access role in that account; an existing role it did not create is only trust-checked, when the access policy allows existing roles there and policyArns is empty. The test pod proves this role',
        example: 'arn:aws:iam::444455556666:role/irsa-broker/irsa-payments-reader',
      }),
    callbackUrl: z
      .optional(
        text('callbackUrl').check(
          z.maxLength(CALLBACK_URL_MAX_LENGTH, {
            error: `callbackUrl must be at most ${CALLBACK_URL_MAX_LENGTH} characters`,
          }),
        ),
      )
      .register(z.globalRegistry, {
        description:
          'HTTPS URL each status event of the binding is POSTed to, signed with HMAC-SHA256 (X-Irsa-Broker-Signature); its host must be on the operator allow-list',
      }),
    keepOnFailure: z.optional(flag('keepOnFailure')).register(z.globalRegistry, {
      description:
        'Keep what a failed bind created (role, ServiceAccount annotation, test pods) instead of rolling it back',
    }),
  },
  { error: 'the request body must be a JSON object' },
);

export const CreateBindingRequestSchema = CreateBindingRequestFields.check(
  z.superRefine((request, context) => {
    if (request.targetRoleArn !== undefined && (request.mode === 'irsa' || request.mode === 'both')) {
      context.addIssue({
        code: 'custom',
        path: ['targetRoleArn'],
        input: request.targetRoleArn,
        message: `targetRoleArn works through EKS Pod Identity only; set mode to pod-identity (or leave it out), not ${request.mode}`,
      });
    }
    if (request.targetRoleArn !== undefined) {
      // The target role carries the policies, and IAM attaches only its own account's or AWS's.
      const targetAccount = accountOfArn(request.targetRoleArn);
      (request.policyArns ?? []).forEach((arn, index) => {
        const account = /^arn:[^:]+:iam::([^:]*):/.exec(arn)?.[1];
        if (account === 'aws' || account === targetAccount) return;
        context.addIssue({
          code: 'custom',
          path: ['policyArns', index],
          input: arn,
          message: `with a targetRoleArn the policies go on the target role in ${targetAccount}: name AWS managed policies or ${targetAccount}'s, not ${account}'s`,
        });
      });
    }
    // A target role makes auto mean pod-identity.
    const podIdentity =
      request.mode === 'pod-identity' ||
      (request.targetRoleArn !== undefined && (request.mode ?? 'auto') === 'auto');
    if (!podIdentity) return;
    for (const field of IRSA_ONLY_FIELDS) {
      if (request[field] === undefined) continue;
      context.addIssue({
        code: 'custom',
        path: [field],
        input: request[field],
        message: `${field} applies to IRSA only; remove it or set mode to irsa or both`,
      });
    }
  }),
).register(z.globalRegistry, { id: 'CreateBindingRequest' });

export type CreateBindingRequest = z.output<typeof CreateBindingRequestSchema>;

/** Turns zod issues into field issues a caller can act on (`tags.aws:x`, `policyArns.2`, `extra`). */
export function fieldIssues(error: z.core.$ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({ path: base ? `${base}.${key}` : key, message: 'unknown field; remove it' });
      }
    } else if (issue.code === 'invalid_key') {
      issues.push({ path: base, message: issue.issues[0]?.message ?? issue.message });
    } else {
      issues.push({ path: base, message: issue.message });
    }
  }
  return issues;
}

/** Validates a parsed JSON body; throws InputError listing every problem. */
export function parseCreateBindingRequest(body: unknown): CreateBindingRequest {
  const result = CreateBindingRequestSchema.safeParse(body);
  if (!result.success) {
    const issues = fieldIssues(result.error);
    throw new InputError(
      `The binding request is invalid: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      issues,
    );
  }
  return result.data;
}
