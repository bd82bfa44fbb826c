// Turns a command's options into the API request, validated by the API's own schemas before sending.
import { parseCreateBindingRequest } from '../domain/binding-rules.js';
import { InputError } from '../domain/errors.js';
import { parseUpdateBindingRequest, VerifyBindingRequestSchema } from '../domain/update-rules.js';
import { parseListBindingsQuery } from '../http/list-bindings-query.js';
import type {
  CreateBindingBody,
  ListBindingsParams,
  UpdateBindingBody,
  VerifyBindingBody,
} from './api-client.js';
import { type CommandSpec, keyValue, type OptionValues } from './arguments.js';

/** The option that fills an API field, for field errors: `namespace` → `namespace`, `serviceAccountName` → `service-account`. */
export function optionForField(spec: CommandSpec): (field: string) => string | undefined {
  return (field) => spec.options.find((option) => option.field === field)?.name;
}

/** Whole numbers go as numbers; anything else as the text typed, so the schema names what is wrong. */
function numberOrText(text: string): number | string {
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

/**
 * The JSON body from the options that fill a field: strings as typed, numbers for the *Seconds /
 * Duration fields, `--tag k=v` into an object, a list for each repeatable option.
 */
function bodyFromOptions(spec: CommandSpec, values: OptionValues): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const option of spec.options) {
    const value = values[option.name];
    if (option.field === undefined || value === undefined) continue;
    if (option.field === 'tags') {
      body.tags = Object.fromEntries((value as string[]).map((entry) => keyValue(option.name, entry)));
    } else if (typeof value === 'string' && /Seconds$|Duration$/.test(option.field)) {
      body[option.field] = numberOrText(value);
    } else {
      body[option.field] = value;
    }
  }
  return body;
}

/** POST /v1/bindings: throws InputError with the field errors the server would give. */
export function bindRequest(
  spec: CommandSpec,
  values: OptionValues,
): { body: CreateBindingBody; idempotencyKey?: string } {
  // Like the API, no policies is a choice to state (--no-policies), never what a forgotten flag means.
  const fromOptions = {
    ...(values.policies === false ? { policyArns: [] } : {}),
    ...bodyFromOptions(spec, values),
  };
  let body: CreateBindingBody;
  try {
    body = parseCreateBindingRequest(fromOptions);
  } catch (error) {
    if (!(error instanceof InputError) || 'policyArns' in fromOptions) throw error;
    // The server's words name the JSON field; a person at a terminal needs the flags.
    const issues = error.issues.map((issue) =>
      issue.path === 'policyArns'
        ? {
            path: 'policyArns',
            message: 'give --policy-arn <arn> (once per policy), or --no-policies for a role with none',
          }
        : issue,
    );
    throw new InputError(error.message, issues);
  }
  const key = values['idempotency-key'];
  return { body, ...(typeof key === 'string' ? { idempotencyKey: key } : {}) };
}

/** PATCH /v1/bindings/{id}: throws InputError (e.g. nothing to change). */
export function updateRequest(spec: CommandSpec, values: OptionValues): UpdateBindingBody {
  return parseUpdateBindingRequest(bodyFromOptions(spec, values));
}

/** POST /v1/bindings/{id}/verify. */
export function verifyRequest(values: OptionValues): VerifyBindingBody {
  return VerifyBindingRequestSchema.parse({ repair: values.repair === true });
}

/** GET /v1/bindings query: throws InputError naming each bad filter. */
export function listParams(spec: CommandSpec, values: OptionValues): ListBindingsParams {
  const params: Record<string, string> = {};
  for (const option of spec.options) {
    const value = values[option.name];
    if (option.field !== undefined && typeof value === 'string') params[option.field] = value;
  }
  parseListBindingsQuery(params);
  return params as ListBindingsParams;
}
