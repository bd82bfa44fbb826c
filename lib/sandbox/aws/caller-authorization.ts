// IAM's authorization of signed calls: the caller's role policies (attached managed, inline, within
// its permissions boundary) must allow `<service>:<operation>` on the resource, as evaluated by
// iam-simulate; otherwise AccessDenied, worded as AWS words it.
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { CallerIdentity } from '../contracts.js';
import type { AccountState, RoleRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import { AWS_MANAGED_POLICIES } from './managed-policies.js';

export interface AuthorizationRequest {
  caller: CallerIdentity;
  service: 'iam' | 'sts' | 'eks' | 'eks-auth' | 'events';
  operation: string;
  /** The resource ARN the action applies to, or `*`. */
  resource: string;
  /** Service-specific condition keys of the request (e.g. iam:PermissionsBoundary). */
  context?: Record<string, string>;
}

export interface AuthorizationDeps {
  state(): AccountState;
  accountId: string;
}

/** Actions every authenticated principal may call whatever its policies say. */
const ALWAYS_ALLOWED = new Set(['sts:GetCallerIdentity']);

function parsed(document: string): unknown {
  return JSON.parse(document);
}

export interface NamedPolicy {
  name: string;
  policy: unknown;
}

/** A signed caller's own permissions: its role's policies and permissions boundary, as iam-simulate takes them. */
export interface CallerPolicies {
  role: RoleRecord;
  identityPolicies: NamedPolicy[];
  permissionBoundaryPolicies?: NamedPolicy[];
}

/** The policies of the role an assumed-role session of this account acts as; undefined once the role is gone. */
export function callerPolicies(deps: AuthorizationDeps, caller: CallerIdentity): CallerPolicies | undefined {
  const state = deps.state();
  const policyDocument = (arn: string): string | undefined =>
    AWS_MANAGED_POLICIES.get(arn)?.document ?? state.customerPolicies[arn]?.document;
  const roleName = new RegExp(`^arn:aws:sts::${deps.accountId}:assumed-role/([\\w+=,.@-]+)/`).exec(
    caller.arn,
  )?.[1];
  const role = roleName ? state.roles[roleName] : undefined;
  if (!role) return undefined;
  const identityPolicies = [
    ...role.attachedPolicyArns.flatMap((arn) => {
      const document = policyDocument(arn);
      return document ? [{ name: arn, policy: parsed(document) }] : [];
    }),
    ...Object.entries(role.inlinePolicies).map(([name, document]) => ({ name, policy: parsed(document) })),
  ];
  const boundary = role.permissionsBoundaryArn ? policyDocument(role.permissionsBoundaryArn) : undefined;
  return {
    role,
    identityPolicies,
    ...(boundary
      ? { permissionBoundaryPolicies: [{ name: role.permissionsBoundaryArn!, policy: parsed(boundary) }] }
      : {}),
  };
}

export function createCallerAuthorization(deps: AuthorizationDeps): (request: AuthorizationRequest) => void {
  return ({ caller, service, operation, resource, context = {} }) => {
    const action = `${service}:${operation}`;
    if (ALWAYS_ALLOWED.has(action)) return;
    const denied = (why: string) =>
      new AwsServiceError(
        service === 'iam' || service === 'sts' ? 'AccessDenied' : 'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} because ${why}`,
        403,
      );
    const policies = callerPolicies(deps, caller);
    if (!policies) throw denied('no identity-based policy allows the action (the role no longer exists)');
    const { role, identityPolicies, permissionBoundaryPolicies } = policies;

    const simulate = (boundaryPolicies?: NamedPolicy[]) =>
      runUnsafeSimulation(
        {
          request: {
            principal: caller.arn,
            action,
            resource: { resource, accountId: deps.accountId },
            contextVariables: {
              ...context,
              'aws:PrincipalAccount': deps.accountId,
              'aws:PrincipalArn': role.arn,
            },
          },
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          ...(boundaryPolicies ? { permissionBoundaryPolicies: boundaryPolicies } : {}),
        },
        {},
      );

    const identityOnly = simulate();
    if (identityOnly === 'ExplicitlyDenied')
      throw denied('with an explicit deny in an identity-based policy');
    if (identityOnly !== 'Allowed') throw denied(`no identity-based policy allows the ${action} action`);
    if (permissionBoundaryPolicies && simulate(permissionBoundaryPolicies) !== 'Allowed') {
      throw denied(`no permissions boundary allows the ${action} action`);
    }
  };
}

/** The ARN an IAM request acts on, from its parameters (IAM's own resource types), else `*`. */
export function iamResource(
  accountId: string,
  state: AccountState,
  param: (name: string) => string | undefined,
): string {
  const roleName = param('RoleName');
  if (roleName) {
    const path = state.roles[roleName]?.path ?? param('Path') ?? '/';
    return `arn:aws:iam::${accountId}:role${path}${roleName}`;
  }
  const providerArn = param('OpenIDConnectProviderArn');
  if (providerArn) return providerArn;
  const url = param('Url');
  if (url)
    return `arn:aws:iam::${accountId}:oidc-provider/${url.replace(/^https:\/\//, '').replace(/\/$/, '')}`;
  const policyArn = param('PolicyArn');
  if (policyArn) return policyArn;
  const policyName = param('PolicyName');
  if (policyName) return `arn:aws:iam::${accountId}:policy${param('Path') ?? '/'}${policyName}`;
  return '*';
}

/** The ARN an EKS request acts on: its cluster (or access entry), else `*`. */
export function eksResource(accountId: string, region: string, params: Record<string, string>): string {
  if (params.resourceArn) return params.resourceArn;
  if (!params.name) return '*';
  const cluster = `arn:aws:eks:${region}:${accountId}:cluster/${params.name}`;
  if (params.associationId) {
    return `arn:aws:eks:${region}:${accountId}:podidentityassociation/${params.name}/${params.associationId}`;
  }
  if (params.addonName)
    return `arn:aws:eks:${region}:${accountId}:addon/${params.name}/${params.addonName}/*`;
  if (!params.principalArn) return cluster;
  const [, kind, rest] = /^arn:aws:iam::\d{12}:(role|user)\/(.*)$/.exec(params.principalArn) ?? [];
  return kind
    ? `arn:aws:eks:${region}:${accountId}:access-entry/${params.name}/${kind}/${accountId}/${rest!.split('/').pop()}/*`
    : cluster;
}

/** Role operations whose iam:PermissionsBoundary is the boundary the request sets. */
const SETS_BOUNDARY = new Set(['CreateRole', 'PutRolePermissionsBoundary']);
/** Role operations whose iam:PermissionsBoundary is the boundary the role already has. */
const ON_BOUNDED_ROLE = new Set([
  'AttachRolePolicy',
  'DetachRolePolicy',
  'PutRolePolicy',
  'DeleteRolePolicy',
  'DeleteRolePermissionsBoundary',
]);

/**
 * IAM's own condition keys of a request, as IAM sets them: iam:PermissionsBoundary (the boundary a
 * CreateRole/PutRolePermissionsBoundary sets, or the one the role carries for attach/detach/inline
 * policy calls) and iam:PolicyARN (the managed policy attached or detached).
 */
export function iamConditionContext(
  state: AccountState,
  operation: string,
  param: (name: string) => string | undefined,
): Record<string, string> {
  const context: Record<string, string> = {};
  const roleName = param('RoleName');
  const boundary = SETS_BOUNDARY.has(operation)
    ? param('PermissionsBoundary')
    : ON_BOUNDED_ROLE.has(operation) && roleName
      ? state.roles[roleName]?.permissionsBoundaryArn
      : undefined;
  if (boundary) context['iam:PermissionsBoundary'] = boundary;
  const policyArn = param('PolicyArn');
  if (policyArn && (operation === 'AttachRolePolicy' || operation === 'DetachRolePolicy')) {
    context['iam:PolicyARN'] = policyArn;
  }
  return context;
}
