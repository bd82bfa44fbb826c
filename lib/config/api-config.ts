// Configuration of the HTTP API Lambdas, validated once at cold start.
import * as z from 'zod/mini';
import { deniedPolicyArns } from '../domain/guardrails.js';
import { REGION_PATTERN } from '../domain/names.js';
import '../domain/validation-locale.js';
import type { CallbackPolicy } from '../domain/callback-url.js';
import { callbackEnv, callbackPolicyOf } from './callback-config.js';
import { policyArnList } from './workflow-config.js';

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

const storeEnv = z.object({
  BINDINGS_TABLE: z
    .string()
    .check(z.minLength(1, { error: 'set BINDINGS_TABLE to the name of the bindings DynamoDB table' })),
  AWS_REGION: z
    .string({ error: 'set AWS_REGION (Lambda sets it; locally export it, e.g. us-east-1)' })
    .check(z.regex(REGION_PATTERN, { error: 'AWS_REGION must be a region code such as us-east-1' })),
});

const createEnv = z.extend(storeEnv, {
  BIND_STATE_MACHINE_ARN: z
    .string({ error: 'set BIND_STATE_MACHINE_ARN to the ARN of the bind state machine' })
    .check(
      z.regex(STATE_MACHINE_ARN, {
        error: 'BIND_STATE_MACHINE_ARN must look like arn:aws:states:<region>:<account>:stateMachine:<name>',
      }),
    ),
  /** Comma-separated policy ARNs refused at POST besides the built-in deny-list. */
  DENIED_POLICY_ARNS: policyArnList('DENIED_POLICY_ARNS'),
  ...callbackEnv,
});

const deleteEnv = z.extend(storeEnv, {
  UNBIND_STATE_MACHINE_ARN: z
    .string({ error: 'set UNBIND_STATE_MACHINE_ARN to the ARN of the unbind state machine' })
    .check(
      z.regex(STATE_MACHINE_ARN, {
        error:
          'UNBIND_STATE_MACHINE_ARN must look like arn:aws:states:<region>:<account>:stateMachine:<name>',
      }),
    ),
});

export interface StoreConfig {
  bindingsTable: string;
  region: string;
}

export interface CreateBindingConfig extends StoreConfig {
  bindStateMachineArn: string;
  /** The built-in deny-list plus DENIED_POLICY_ARNS. */
  deniedPolicyArns: string[];
  /** Which callback URLs a request may name (CALLBACK_ALLOWED_HOSTS, CALLBACK_ALLOW_LOOPBACK_HTTP). */
  callbacks: CallbackPolicy;
}

type Env = Record<string, string | undefined>;

function parse<T extends z.ZodMiniType>(schema: T, env: Env): z.output<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid irsa-broker API configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
}

/** For the read endpoints (GET binding, list): the table and region. */
export function loadStoreConfig(env: Env = process.env): StoreConfig {
  const parsed = parse(storeEnv, env);
  return { bindingsTable: parsed.BINDINGS_TABLE, region: parsed.AWS_REGION };
}

/** For POST /v1/bindings: also the bind state machine. */
export function loadCreateBindingConfig(env: Env = process.env): CreateBindingConfig {
  const parsed = parse(createEnv, env);
  return {
    bindingsTable: parsed.BINDINGS_TABLE,
    region: parsed.AWS_REGION,
    bindStateMachineArn: parsed.BIND_STATE_MACHINE_ARN,
    deniedPolicyArns: deniedPolicyArns(parsed.DENIED_POLICY_ARNS),
    callbacks: callbackPolicyOf(parsed),
  };
}

export interface DeleteBindingConfig extends StoreConfig {
  unbindStateMachineArn: string;
}

/** For DELETE /v1/bindings/{id}: also the unbind state machine. */
export function loadDeleteBindingConfig(env: Env = process.env): DeleteBindingConfig {
  const parsed = parse(deleteEnv, env);
  return {
    bindingsTable: parsed.BINDINGS_TABLE,
    region: parsed.AWS_REGION,
    unbindStateMachineArn: parsed.UNBIND_STATE_MACHINE_ARN,
  };
}

const verifyEnv = z.extend(storeEnv, {
  VERIFY_STATE_MACHINE_ARN: z
    .string({ error: 'set VERIFY_STATE_MACHINE_ARN to the ARN of the verify (drift check) state machine' })
    .check(
      z.regex(STATE_MACHINE_ARN, {
        error:
          'VERIFY_STATE_MACHINE_ARN must look like arn:aws:states:<region>:<account>:stateMachine:<name>',
      }),
    ),
});

export interface VerifyBindingConfig extends StoreConfig {
  verifyStateMachineArn: string;
}

/** For POST /v1/bindings/{id}/verify: also the verify (drift check) state machine. */
export function loadVerifyBindingConfig(env: Env = process.env): VerifyBindingConfig {
  const parsed = parse(verifyEnv, env);
  return {
    bindingsTable: parsed.BINDINGS_TABLE,
    region: parsed.AWS_REGION,
    verifyStateMachineArn: parsed.VERIFY_STATE_MACHINE_ARN,
  };
}

const updateEnv = z.extend(storeEnv, {
  UPDATE_STATE_MACHINE_ARN: z
    .string({ error: 'set UPDATE_STATE_MACHINE_ARN to the ARN of the update state machine' })
    .check(
      z.regex(STATE_MACHINE_ARN, {
        error:
          'UPDATE_STATE_MACHINE_ARN must look like arn:aws:states:<region>:<account>:stateMachine:<name>',
      }),
    ),
});

export interface UpdateBindingConfig extends StoreConfig {
  updateStateMachineArn: string;
}

/** For PATCH /v1/bindings/{id}: also the update state machine. */
export function loadUpdateBindingConfig(env: Env = process.env): UpdateBindingConfig {
  const parsed = parse(updateEnv, env);
  return {
    bindingsTable: parsed.BINDINGS_TABLE,
    region: parsed.AWS_REGION,
    updateStateMachineArn: parsed.UPDATE_STATE_MACHINE_ARN,
  };
}
