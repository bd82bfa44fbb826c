// `npm run package` offline, then the CloudFormation template it writes: routes, table, state machine and
// least-privilege IAM per function, the table's stream and the status event bus.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { type Json, packagedResources, type TemplateResource } from '../support/packaged-template.js';

type Resource = TemplateResource;
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

let resources: Record<string, Resource>;

beforeAll(async () => {
  resources = await packagedResources();
}, 600_000);

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources).filter(([, resource]) => resource.Type === type);
}

function list<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function statementsOf(roleId: string): Statement[] {
  const role = resources[roleId];
  if (!role) throw new Error(`no role ${roleId} in the template`);
  const policies = (role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

/** serverless function key → its Lambda resource's role logical id. */
function roleOfFunction(key: string): string {
  const logicalId = `${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunction`;
  const fn = resources[logicalId];
  if (!fn) throw new Error(`no function ${logicalId}`);
  const role = fn.Properties.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => list(s.Action));
}

/** Does this Resource value name the bindings table (or one of its indexes)? */
function namesTable(value: unknown): boolean {
  const text = JSON.stringify(value);
  return (
    text === '{"Fn::GetAtt":["BindingsTable","Arn"]}' ||
    /^\{"Fn::Sub":"\$\{BindingsTable\.Arn\}\/index\/gsi[123]"\}$/.test(text)
  );
}

const API_FUNCTIONS = [
  'createBinding',
  'getBinding',
  'listBindings',
  'listBindingEvents',
  'getOpenApi',
  'health',
];
/** Retry, update and drift check: their API functions and the verify workflow's own step. */
const LIFECYCLE_FUNCTIONS = ['retryBinding', 'updateBinding', 'verifyBinding', 'checkDrift'];
const STEP_FUNCTIONS = [
  'describeCluster',
  'ensureOidcProvider',
  'ensureRole',
  'ensureWebhook',
  'approveCsr',
  'ensurePodIdentityAssociation',
  'applyServiceAccount',
  'verifyIdentity',
  'recordOutcome',
];
/** Unbind: DELETE's API function and the unbind workflow's steps (the first three also run as the bind rollback). */
const UNBIND_FUNCTIONS = [
  'deleteBinding',
  'deleteTestPods',
  'deletePodIdentityAssociation',
  'removeServiceAccountBinding',
  'deleteRole',
  'recordUnbind',
];
const ROLLBACK_FUNCTIONS = [
  'deleteTestPods',
  'deletePodIdentityAssociation',
  'removeServiceAccountBinding',
  'deleteRole',
];
/** Functions behind events rather than routes or workflows: the execution monitor and the status events publisher. */
const EVENT_FUNCTIONS = ['executionEnded', 'publishStatusEvents', 'deliverCallbacks'];
/** IAM actions that accept no resource ARN: the only ones allowed on "*". */
const ACTIONS_WITHOUT_RESOURCES = new Set(['iam:ListOpenIDConnectProviders']);

describe('npm run package', () => {
  it('sends the failed, timed-out and aborted ends of every workflow execution to executionEnded', () => {
    const rules = ofType('AWS::Events::Rule').map(([, rule]) => rule.Properties);
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      State: 'ENABLED',
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: ['Bind', 'Update', 'Verify', 'Unbind'].map((m) => ({ Ref: `${m}StateMachine` })),
        },
      },
      Targets: [{ Arn: { 'Fn::GetAtt': ['ExecutionEndedLambdaFunction', 'Arn'] } }],
    });
  });

  it('streams every write of the table, before and after, to publishStatusEvents from the oldest record kept', () => {
    const table = resources.BindingsTable;
    expect(table?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const mappings = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, mapping]) => mapping.Properties)
      .filter((m) => JSON.stringify(m.FunctionName).includes('PublishStatusEvents'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['BindingsTable', 'StreamArn'] },
      FunctionName: { 'Fn::GetAtt': ['PublishStatusEventsLambdaFunction', 'Arn'] },
      StartingPosition: 'TRIM_HORIZON',
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: false,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      Enabled: true,
    });
    const criteria = mappings[0]?.FilterCriteria as { Filters: { Pattern: string }[] } | undefined;
    const filters = criteria?.Filters ?? [];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { dynamodb: { NewImage: { sk: { S: ['META'] } } } },
    ]);
  });

  it('streams the binding items that name a callback URL to deliverCallbacks, which reads only that stream and the signing secret', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping')
      .map(([, mapping]) => mapping.Properties)
      .filter((m) => JSON.stringify(m.FunctionName).includes('DeliverCallbacks'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['BindingsTable', 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      MaximumRetryAttempts: 2,
    });
    const criteria = mappings[0]?.FilterCriteria as { Filters: { Pattern: string }[] } | undefined;
    expect((criteria?.Filters ?? []).map((f) => JSON.parse(f.Pattern))).toEqual([
      { dynamodb: { NewImage: { sk: { S: ['META'] }, callbackUrl: { S: [{ exists: true }] } } } },
    ]);
    const statements = statementsOf(roleOfFunction('deliverCallbacks')).filter(
      (s) => s.Sid !== 'OwnLogGroup',
    );
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      [
        'ReadBindingsStream',
        [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
      ],
      ['ReadSigningSecret', ['ssm:GetParameter']],
    ]);
    expect(JSON.stringify(statements[1]?.Resource)).toContain(
      ':parameter/irsa-broker/callback-signing-secret',
    );
    const env = (
      resources.DeliverCallbacksLambdaFunction?.Properties.Environment as { Variables: Json } | undefined
    )?.Variables;
    expect(env).toMatchObject({
      CALLBACK_ALLOWED_HOSTS: 'none',
      CALLBACK_ALLOW_LOOPBACK_HTTP: 'false',
      CALLBACK_SECRET_PARAMETER: '/irsa-broker/callback-signing-secret',
      CALLBACK_SECRET: 'none',
    });
  });

  it('creates the status event bus and names it to the publisher', () => {
    const buses = ofType('AWS::Events::EventBus');
    expect(buses.map(([id, bus]) => [id, bus.Properties.Name])).toEqual([
      ['StatusEventBus', 'irsa-broker-dev-events'],
    ]);
    const publisher = resources.PublishStatusEventsLambdaFunction;
    if (!publisher) throw new Error('no PublishStatusEventsLambdaFunction in the template');
    const env = (publisher.Properties.Environment as { Variables: Json }).Variables;
    expect(env.EVENT_BUS_NAME).toEqual({ Ref: 'StatusEventBus' });
  });

  it('lets the publisher read only the table stream and put events only on its bus; no other function puts events', () => {
    const statements = statementsOf(roleOfFunction('publishStatusEvents')).filter(
      (s) => s.Sid !== 'OwnLogGroup',
    );
    expect(statements).toEqual([
      {
        Sid: 'ReadBindingsStream',
        Effect: 'Allow',
        Action: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        Resource: [{ 'Fn::GetAtt': ['BindingsTable', 'StreamArn'] }],
      },
      {
        Sid: 'PutStatusEvents',
        Effect: 'Allow',
        Action: ['events:PutEvents'],
        Resource: [{ 'Fn::GetAtt': ['StatusEventBus', 'Arn'] }],
      },
    ]);
    for (const key of [
      ...API_FUNCTIONS,
      ...STEP_FUNCTIONS,
      ...LIFECYCLE_FUNCTIONS,
      ...UNBIND_FUNCTIONS,
      'executionEnded',
    ]) {
      const actions = actionsOf(statementsOf(roleOfFunction(key)));
      expect({ key, events: actions.filter((a) => a.startsWith('events:')) }).toEqual({ key, events: [] });
    }
  });

  it('routes each HTTP API route to its own function', () => {
    const expected: Record<string, string> = {
      'POST /v1/bindings': 'CreateBindingLambdaFunction',
      'GET /v1/bindings/{id}': 'GetBindingLambdaFunction',
      'GET /v1/bindings': 'ListBindingsLambdaFunction',
      'GET /v1/bindings/{id}/events': 'ListBindingEventsLambdaFunction',
      'GET /v1/openapi.json': 'GetOpenApiLambdaFunction',
      'GET /v1/health': 'HealthLambdaFunction',
      'POST /v1/bindings/{id}/retry': 'RetryBindingLambdaFunction',
      'PATCH /v1/bindings/{id}': 'UpdateBindingLambdaFunction',
      'POST /v1/bindings/{id}/verify': 'VerifyBindingLambdaFunction',
      'DELETE /v1/bindings/{id}': 'DeleteBindingLambdaFunction',
    };

    const actual: Record<string, string> = {};
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      const target = JSON.stringify(route.Properties.Target);
      const integrationId = /"Ref":"(\w+)"/.exec(target)?.[1] ?? '';
      const integration = resources[integrationId];
      expect(integration?.Properties.PayloadFormatVersion).toBe('2.0');
      const uri = integration?.Properties.IntegrationUri as { 'Fn::GetAtt': [string, string] };
      actual[String(route.Properties.RouteKey)] = uri['Fn::GetAtt'][0];
    }

    expect(actual).toEqual(expected);
  });

  it('puts every /v1/bindings route behind the JWT authorizer (issuer and audience from params); health and OpenAPI stay public', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    expect(authorizers).toHaveLength(1);
    const [authorizerId, authorizer] = authorizers[0] as [string, Resource];
    expect(authorizer.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: expect.any(String), Audience: [expect.any(String)] },
    });
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      const key = String(route.Properties.RouteKey);
      const isPublic = key === 'GET /v1/health' || key === 'GET /v1/openapi.json';
      expect({ key, type: route.Properties.AuthorizationType ?? 'NONE' }).toEqual({
        key,
        type: isPublic ? 'NONE' : 'JWT',
      });
      if (!isPublic) expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  it('defines one on-demand table with point-in-time recovery and the list indexes (cluster, all, tenant)', () => {
    const tables = ofType('AWS::DynamoDB::Table');

    expect(tables.map(([id]) => id)).toEqual(['BindingsTable']);
    const table = tables[0]?.[1].Properties ?? {};
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const indexes = (table.GlobalSecondaryIndexes as { IndexName: string }[]).map((i) => i.IndexName);
    expect(indexes.sort()).toEqual(['gsi1', 'gsi2', 'gsi3']);
  });

  it('builds the bind state machine whose every Task runs one of the step functions', () => {
    const machine = resources.BindStateMachine?.Properties ?? {};
    const [definitionText, substitutions] = (machine.DefinitionString as { 'Fn::Sub': [string, Json] })[
      'Fn::Sub'
    ];
    const definition = JSON.parse(definitionText) as { States: Record<string, Json> };
    const targets = new Set<string>();
    const visit = (states: Record<string, Json>) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') {
          const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Resource))?.[1];
          const resolved = placeholder ? substitutions[placeholder] : undefined;
          const target = (resolved as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
          if (target?.[1] !== 'Arn') throw new Error(`Task ${name} does not resolve to a function ARN`);
          targets.add(target[0]);
          expect(typeof state.TimeoutSeconds).toBe('number');
        }
        for (const branch of (state.Branches ?? []) as { States: Record<string, Json> }[])
          visit(branch.States);
        const inner = (state.ItemProcessor ?? state.Iterator) as { States: Record<string, Json> } | undefined;
        if (inner) visit(inner.States);
      }
    };
    visit(definition.States);

    expect([...targets].sort()).toEqual(
      [...STEP_FUNCTIONS, ...ROLLBACK_FUNCTIONS]
        .map((key) => `${key[0]?.toUpperCase()}${key.slice(1)}LambdaFunction`)
        .sort(),
    );
    const machineRole = (machine.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    for (const statement of statementsOf(machineRole)) {
      expect(list(statement.Resource)).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toMatch(/CreateBinding|GetBinding|ListBindings/);
    }
  });

  it('builds the update and verify state machines on the step functions, with CheckDrift for verify', () => {
    const tasksOf = (machineId: string) => {
      const machine = resources[machineId]?.Properties ?? {};
      const [text, substitutions] = (machine.DefinitionString as { 'Fn::Sub': [string, Json] })['Fn::Sub'];
      const states = (JSON.parse(text) as { States: Record<string, Json> }).States;
      return Object.values(states)
        .filter((state) => state.Type === 'Task')
        .map((state) => {
          expect(typeof state.TimeoutSeconds).toBe('number');
          const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Resource))?.[1] ?? '';
          return (substitutions[placeholder] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        });
    };

    expect(new Set(tasksOf('UpdateStateMachine'))).toEqual(
      new Set([
        'DescribeClusterLambdaFunction',
        'EnsureOidcProviderLambdaFunction',
        'EnsureRoleLambdaFunction',
        // A migration step (PATCH mode) also moves the association and the annotation.
        'EnsurePodIdentityAssociationLambdaFunction',
        'ApplyServiceAccountLambdaFunction',
        'VerifyIdentityLambdaFunction',
        'RecordOutcomeLambdaFunction',
      ]),
    );
    expect(new Set(tasksOf('VerifyStateMachine'))).toEqual(
      new Set([
        'DescribeClusterLambdaFunction',
        'CheckDriftLambdaFunction',
        'VerifyIdentityLambdaFunction',
        'RecordOutcomeLambdaFunction',
      ]),
    );
  });

  it('lets each lifecycle function start only its own workflow', () => {
    const expected: Record<string, string> = {
      retryBinding: 'BindStateMachine',
      updateBinding: 'UpdateStateMachine',
      verifyBinding: 'VerifyStateMachine',
    };
    for (const [key, machine] of Object.entries(expected)) {
      const starts = statementsOf(roleOfFunction(key)).filter((s) =>
        list(s.Action).includes('states:StartExecution'),
      );
      expect({ key, resources: starts.map((s) => s.Resource) }).toEqual({
        key,
        resources: [[{ Ref: machine }]],
      });
    }
    expect(
      statementsOf(roleOfFunction('checkDrift')).some((s) =>
        list(s.Action).includes('states:StartExecution'),
      ),
    ).toBe(false);
  });

  it('builds the unbind state machine on the unbind steps; only deleteBinding starts it', () => {
    const machine = resources.UnbindStateMachine?.Properties ?? {};
    const [text, substitutions] = (machine.DefinitionString as { 'Fn::Sub': [string, Json] })['Fn::Sub'];
    const states = (JSON.parse(text) as { States: Record<string, Json> }).States;
    const tasks = Object.values(states)
      .filter((state) => state.Type === 'Task')
      .map((state) => {
        expect(typeof state.TimeoutSeconds).toBe('number');
        const placeholder = /^\$\{(\w+)\}$/.exec(String(state.Resource))?.[1] ?? '';
        return (substitutions[placeholder] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      });

    expect(new Set(tasks)).toEqual(
      new Set([
        'DeleteTestPodsLambdaFunction',
        'DeletePodIdentityAssociationLambdaFunction',
        'RemoveServiceAccountBindingLambdaFunction',
        'DeleteRoleLambdaFunction',
        'RecordUnbindLambdaFunction',
      ]),
    );
    const starts = statementsOf(roleOfFunction('deleteBinding')).filter((s) =>
      list(s.Action).includes('states:StartExecution'),
    );
    expect(starts.map((s) => s.Resource)).toEqual([[{ Ref: 'UnbindStateMachine' }]]);
  });

  it('lets only deleteRole delete roles, and only under the broker role path and name prefix', () => {
    for (const key of [...API_FUNCTIONS, ...STEP_FUNCTIONS, ...LIFECYCLE_FUNCTIONS, ...UNBIND_FUNCTIONS]) {
      const deletes = statementsOf(roleOfFunction(key)).filter((s) =>
        list(s.Action).some((a) => a === 'iam:DeleteRole' || a === 'iam:DetachRolePolicy'),
      );
      if (key === 'deleteRole') {
        expect(deletes.map((s) => JSON.stringify(s.Resource))).toEqual([
          expect.stringMatching(/role\/irsa-broker\/irsa-\*"/),
        ]);
      } else if (key !== 'ensureRole' && key !== 'updateBinding') {
        expect({ key, deletes: deletes.filter((s) => list(s.Action).includes('iam:DeleteRole')) }).toEqual({
          key,
          deletes: [],
        });
      }
    }
    for (const key of ['deleteTestPods', 'removeServiceAccountBinding']) {
      const actions = actionsOf(statementsOf(roleOfFunction(key))).filter((a) => a.startsWith('eks:'));
      expect({ key, actions }).toEqual({ key, actions: ['eks:DescribeCluster'] });
    }
  });

  it('gives every function a role of its own', () => {
    const roles = [
      ...API_FUNCTIONS,
      ...STEP_FUNCTIONS,
      ...LIFECYCLE_FUNCTIONS,
      ...UNBIND_FUNCTIONS,
      ...EVENT_FUNCTIONS,
    ].map(roleOfFunction);

    expect(new Set(roles).size).toBe(roles.length);
  });

  it('names an ARN wherever IAM can take one, and passes only broker roles, only to EKS Pod Identity', () => {
    for (const [roleId] of ofType('AWS::IAM::Role')) {
      for (const statement of statementsOf(roleId)) {
        const actions = list(statement.Action);
        if (actions.includes('iam:PassRole')) {
          // EKS checks iam:PassRole on an association's role at CreatePodIdentityAssociation.
          expect({ roleId, statement }).toEqual({
            roleId: expect.stringMatching(/^(EnsurePodIdentityAssociationRole|CheckDriftRole)$/),
            statement: {
              Sid: 'PassBrokerRolesToPodIdentity',
              Effect: 'Allow',
              Action: ['iam:PassRole'],
              Resource: [
                // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, on purpose
                { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/irsa-broker/irsa-*' },
              ],
              Condition: { StringEquals: { 'iam:PassedToService': 'pods.eks.amazonaws.com' } },
            },
          });
        }
        expect(actions.some((a) => a.endsWith(':*') || a === '*')).toBe(false);
        if (list(statement.Resource).includes('*')) {
          expect({ roleId, actions: actions.filter((a) => !ACTIONS_WITHOUT_RESOURCES.has(a)) }).toEqual({
            roleId,
            actions: [],
          });
        }
      }
    }
  });

  it('scopes DynamoDB access to the bindings table and its indexes, and keeps readers read-only', () => {
    for (const key of [...API_FUNCTIONS, ...STEP_FUNCTIONS, ...LIFECYCLE_FUNCTIONS, ...UNBIND_FUNCTIONS]) {
      for (const statement of statementsOf(roleOfFunction(key))) {
        if (!list(statement.Action).some((a) => a.startsWith('dynamodb:'))) continue;
        for (const resource of list(statement.Resource))
          expect({ key, ok: namesTable(resource) }).toEqual({ key, ok: true });
      }
    }
    for (const reader of ['getBinding', 'listBindings', 'listBindingEvents']) {
      const actions = actionsOf(statementsOf(roleOfFunction(reader))).filter((a) =>
        a.startsWith('dynamodb:'),
      );
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) expect(['dynamodb:GetItem', 'dynamodb:Query']).toContain(action);
    }
    for (const stateless of ['getOpenApi', 'health']) {
      const actions = actionsOf(statementsOf(roleOfFunction(stateless)));
      expect(actions.sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    }
  });

  it('lets only createBinding start the bind state machine, and only that one', () => {
    for (const key of [...API_FUNCTIONS, ...STEP_FUNCTIONS]) {
      const starts = statementsOf(roleOfFunction(key)).filter((s) =>
        list(s.Action).includes('states:StartExecution'),
      );
      if (key === 'createBinding') {
        expect(starts.map((s) => s.Resource)).toEqual([[{ Ref: 'BindStateMachine' }]]);
      } else {
        expect({ key, starts }).toEqual({ key, starts: [] });
      }
    }
    const createFn = resources.CreateBindingLambdaFunction;
    if (!createFn) throw new Error('no CreateBindingLambdaFunction in the template');
    const env = (createFn.Properties.Environment as { Variables: Json }).Variables;
    expect(env.BIND_STATE_MACHINE_ARN).toEqual({ Ref: 'BindStateMachine' });
    expect(env.BINDINGS_TABLE).toEqual({ Ref: 'BindingsTable' });
  });

  it('lets each function write only to its own log group', () => {
    for (const key of [
      ...API_FUNCTIONS,
      ...STEP_FUNCTIONS,
      ...LIFECYCLE_FUNCTIONS,
      ...UNBIND_FUNCTIONS,
      ...EVENT_FUNCTIONS,
    ]) {
      const logs = statementsOf(roleOfFunction(key)).filter((s) =>
        list(s.Action).some((a) => a.startsWith('logs:')),
      );
      const text = JSON.stringify(logs.map((s) => s.Resource));
      expect(text).toContain(`log-group:/aws/lambda/irsa-broker-dev-${key}:*`);
      expect(text.match(/log-group:[^"]*/g)?.every((group) => group.includes(`-${key}:`))).toBe(true);
    }
  });
});
