// The commands of `irsa-broker`: their arguments, options and usage text.
import { BINDING_STATUSES } from '../domain/binding.js';
import { MAX_POLICY_ARNS } from '../domain/binding-rules.js';
import type { CommandSpec, OptionSpec } from './arguments.js';

const id = { name: 'id', description: 'The binding id (b-…), as bind, list or get print it' };
const wait: OptionSpec = {
  name: 'wait',
  kind: 'boolean',
  default: true,
  description: 'Return at once instead of showing the steps until the workflow ends',
};

const policyArn: OptionSpec = {
  name: 'policy-arn',
  kind: 'list',
  value: '<arn>',
  field: 'policyArns',
  description: `A managed policy to attach, up to ${MAX_POLICY_ARNS}`,
};
const tag: OptionSpec = {
  name: 'tag',
  kind: 'list',
  value: '<key=value>',
  field: 'tags',
  description: 'A role tag',
};
const maxSessionDuration: OptionSpec = {
  name: 'max-session-duration',
  kind: 'string',
  value: '<seconds>',
  field: 'maxSessionDuration',
  description: 'Maximum session duration of the role, 3600..43200',
};
const mode: OptionSpec = {
  name: 'mode',
  kind: 'string',
  value: '<mode>',
  field: 'mode',
  description:
    'irsa, pod-identity or both (default auto: pod-identity where the agent add-on runs, else irsa)',
};

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'bind',
    summary: 'Bind an IAM role to a service account and show the steps until it is proven',
    description:
      'Creates a binding (POST /v1/bindings) and follows its workflow step by step until it SUCCEEDED ' +
      '(prints the role ARN and the identity a test pod got) or FAILED (prints the error). The flags are ' +
      'checked with the API schema before anything is sent.',
    positionals: [],
    options: [
      {
        name: 'cluster',
        kind: 'string',
        value: '<name>',
        field: 'clusterName',
        description: 'EKS cluster name',
      },
      {
        name: 'region',
        kind: 'string',
        value: '<region>',
        field: 'region',
        description: 'AWS region of the cluster',
      },
      {
        name: 'namespace',
        kind: 'string',
        value: '<ns>',
        field: 'namespace',
        description: 'Kubernetes namespace of the service account',
      },
      {
        name: 'service-account',
        kind: 'string',
        value: '<name>',
        field: 'serviceAccountName',
        description: 'ServiceAccount name',
      },
      { ...policyArn, description: `${policyArn.description} (or --no-policies)` },
      mode,
      {
        name: 'target-role-arn',
        kind: 'string',
        value: '<arn>',
        field: 'targetRoleArn',
        description: 'pod-identity: a role (e.g. in another account) to chain into; the test pod proves it',
      },
      {
        name: 'role-name',
        kind: 'string',
        value: '<name>',
        field: 'roleName',
        description: 'IAM role name (default: derived from cluster, namespace and service account)',
      },
      tag,
      maxSessionDuration,
      {
        name: 'description',
        kind: 'string',
        value: '<text>',
        field: 'description',
        description: 'Role description',
      },
      {
        name: 'audience',
        kind: 'string',
        value: '<aud>',
        field: 'audience',
        description: 'Audience of the projected token (the webhook defaults to sts.amazonaws.com)',
      },
      {
        name: 'token-expiration-seconds',
        kind: 'string',
        value: '<seconds>',
        field: 'tokenExpirationSeconds',
        description: 'Projected token lifetime, 600..86400',
      },
      {
        name: 'sts-regional-endpoints',
        kind: 'boolean',
        field: 'stsRegionalEndpoints',
        description: 'Annotate the ServiceAccount to use the regional STS endpoint',
      },
      {
        name: 'create-service-account',
        kind: 'boolean',
        default: true,
        field: 'createServiceAccount',
        description: 'Do not create the ServiceAccount when it is missing',
      },
      {
        name: 'policies',
        kind: 'boolean',
        default: true,
        description: 'A role with no managed policies (otherwise give --policy-arn)',
      },
      {
        name: 'verify',
        kind: 'boolean',
        default: true,
        field: 'verify',
        description: 'Skip the test pod that proves the binding',
      },
      {
        name: 'keep-on-failure',
        kind: 'boolean',
        field: 'keepOnFailure',
        description: 'Keep what a failed bind created instead of rolling it back',
      },
      {
        name: 'callback-url',
        kind: 'string',
        value: '<url>',
        field: 'callbackUrl',
        description: 'POST each status event there, signed (https; a host the operator allows)',
      },
      {
        name: 'idempotency-key',
        kind: 'string',
        value: '<key>',
        description: 'Sending the same key and flags again returns the same binding',
      },
      wait,
    ],
    examples: [
      'irsa-broker bind --cluster demo --region us-east-1 --namespace team-a --service-account app \\',
      '  --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess --tag team=payments',
    ],
  },
  {
    name: 'get',
    summary: 'Show a binding: status, steps, role, error',
    description: 'Reads one binding (GET /v1/bindings/{id}).',
    positionals: [id],
    options: [],
    examples: ['irsa-broker get b-01k…', 'irsa-broker get b-01k… --output json | jq .outputs.roleArn'],
  },
  {
    name: 'list',
    summary: 'List bindings, newest first',
    description:
      "Lists the bindings the caller may see (GET /v1/bindings): its tenants', or all for an admin. Prints " +
      'the command for the next page when there is one.',
    positionals: [],
    options: [
      {
        name: 'cluster',
        kind: 'string',
        value: '<name>',
        field: 'clusterName',
        description: 'Only this cluster',
      },
      {
        name: 'namespace',
        kind: 'string',
        value: '<ns>',
        field: 'namespace',
        description: 'Only this namespace',
      },
      {
        name: 'status',
        kind: 'string',
        value: '<status>',
        field: 'status',
        description: `Only this status: ${BINDING_STATUSES.join(', ')}`,
      },
      {
        name: 'tenant',
        kind: 'string',
        value: '<tenant>',
        field: 'tenant',
        description: "Only this tenant's",
      },
      {
        name: 'limit',
        kind: 'string',
        value: '<n>',
        field: 'limit',
        description: 'Page size, 1..100 (default 20)',
      },
      {
        name: 'cursor',
        kind: 'string',
        value: '<cursor>',
        field: 'cursor',
        description: 'Next page of a listing',
      },
      { name: 'all', kind: 'boolean', description: 'Follow the cursor through every page' },
    ],
    examples: ['irsa-broker list --cluster demo --status SUCCEEDED', 'irsa-broker list --all --output json'],
  },
  {
    name: 'watch',
    summary: 'Follow a binding step by step until its workflow ends',
    description:
      'Polls the binding (GET /v1/bindings/{id}) and shows each step with its state, elapsed time and detail ' +
      'until it is SUCCEEDED, FAILED or DELETED. On a terminal the steps are redrawn in place.',
    positionals: [id],
    options: [],
    examples: ['irsa-broker watch b-01k…'],
  },
  {
    name: 'unbind',
    summary: 'Remove what a binding created (role, annotation); the record stays, DELETED',
    description:
      'Starts the unbind workflow (DELETE /v1/bindings/{id}) and follows it until the binding is DELETED ' +
      'or FAILED.',
    positionals: [id],
    options: [wait],
    examples: ['irsa-broker unbind b-01k…'],
  },
  {
    name: 'retry',
    summary: 'Run the bind workflow of a FAILED binding again',
    description: 'Retries a FAILED binding under the same id (POST /v1/bindings/{id}/retry) and follows it.',
    positionals: [id],
    options: [wait],
    examples: ['irsa-broker retry b-01k…'],
  },
  {
    name: 'update',
    summary: "Change a SUCCEEDED binding's policies, tags, session duration or mode",
    description:
      'Sends the change (PATCH /v1/bindings/{id}) and follows the update workflow. --policy-arn and --tag ' +
      'replace the whole list; options not given stay as they are. --mode migrates one step at a time: ' +
      'irsa → both → pod-identity, or back.',
    positionals: [id],
    options: [
      policyArn,
      tag,
      maxSessionDuration,
      { ...mode, description: 'Migrate to irsa, both or pod-identity (one step from the current mode)' },
      wait,
    ],
    examples: [
      'irsa-broker update b-01k… --policy-arn arn:aws:iam::aws:policy/ReadOnlyAccess',
      'irsa-broker update b-01k… --mode both',
    ],
  },
  {
    name: 'verify',
    summary: 'Check a binding against the live account and cluster (drift)',
    description:
      'Runs the drift check (POST /v1/bindings/{id}/verify) and follows it; prints what differs, if anything.',
    positionals: [id],
    options: [
      {
        name: 'repair',
        kind: 'boolean',
        field: 'repair',
        description: 'Put back what the binding owns before proving it',
      },
      wait,
    ],
    examples: ['irsa-broker verify b-01k… --repair'],
  },
  {
    name: 'events',
    summary: 'Show the audit trail of a binding',
    description:
      'Lists status changes and API calls on the binding, oldest first (GET /v1/bindings/{id}/events).',
    positionals: [id],
    options: [],
    examples: ['irsa-broker events b-01k…'],
  },
];
