// The account's EKS control plane: clusters (DescribeCluster, ListClusters) and access entries with
// their access-policy associations, over restJson1 routes; clusters are regional.
import { createHash } from 'node:crypto';
import type { AccessEntryRecord, AccessScope, AccountState, ClusterRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import { ACCESS_POLICY_ARN_PREFIX, ACCESS_POLICY_ARNS, isAccessPolicyArn } from './eks-access-policies.js';
import { createAddonRoutes } from './eks-addons.js';
import {
  type EksCallShape,
  type EksDefinition,
  invalidParameter,
  notFound,
  pageOf,
  routePattern,
  stringField,
  stringListField,
  tagsField,
} from './eks-input.js';
import { createPodIdentityAssociationRoutes } from './eks-pod-identity-associations.js';
import { epochSeconds } from './rest-json-protocol.js';

export interface EksDeps {
  state(): AccountState;
  accountId: string;
  now(): number;
  /** EKS eventual consistency for Pod Identity associations. */
  propagationDelayMs(): number;
  /** How long a new add-on stays CREATING. */
  addonCreationDelayMs(): number;
}

/** One EKS request as an operation sees it (labels decoded, query, JSON body, the signed region). */
export type EksCall = EksCallShape;

export interface EksResult {
  status: number;
  body: unknown;
}

export interface EksRoute {
  operation: string;
  method: string;
  pattern: RegExp;
  keys: string[];
  run(call: EksCall): EksResult;
}

/** Deterministic id suffix for an access entry ARN. */
function entryId(cluster: string, principalArn: string, createdAt: string): string {
  const hex = createHash('sha256').update(`${cluster}\n${principalArn}\n${createdAt}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function createEksService(deps: EksDeps): EksRoute[] {
  const { accountId } = deps;

  const cluster = (region: string, name: string): ClusterRecord => {
    const found = deps.state().clusters[name];
    if (!found || found.description.region !== region) throw notFound(`No cluster found for name: ${name}.`);
    return found;
  };

  const entry = (record: ClusterRecord, principalArn: string): AccessEntryRecord => {
    const found = record.accessEntries.find((e) => e.principalArn === principalArn);
    if (!found) {
      throw notFound(
        "The specified principalArn could not be found. You can view your available access entries with 'list-access-entries'.",
      );
    }
    return found;
  };

  const clusterJson = (record: ClusterRecord) => {
    const d = record.description;
    return {
      name: d.name,
      arn: d.arn,
      createdAt: epochSeconds(d.createdAt),
      version: d.version,
      endpoint: d.endpoint,
      roleArn: `arn:aws:iam::${accountId}:role/${d.name}-cluster-role`,
      identity: { oidc: { issuer: d.oidcIssuer } },
      status: d.status,
      certificateAuthority: { data: d.certificateAuthorityData },
      platformVersion: d.platformVersion,
      tags: {},
      accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
      kubernetesNetworkConfig: { serviceIpv4Cidr: '10.100.0.0/16', ipFamily: 'ipv4' },
    };
  };

  const entryJson = (clusterName: string, e: AccessEntryRecord) => ({
    clusterName,
    principalArn: e.principalArn,
    kubernetesGroups: e.kubernetesGroups,
    accessEntryArn: e.accessEntryArn,
    createdAt: epochSeconds(e.createdAt),
    modifiedAt: epochSeconds(e.modifiedAt),
    tags: e.tags,
    username: e.username,
    type: e.type,
  });

  /** Access entries name IAM roles or users of this account; EKS refuses anything else. */
  const checkPrincipal = (principalArn: string): void => {
    const match = /^arn:aws:iam::(\d{12}):(role|user)\/(?:[\w+=,.@/-]*\/)?[\w+=,.@-]+$/.exec(principalArn);
    if (!match) {
      throw invalidParameter(
        `The principalArn parameter format is not valid: ${principalArn}; pass an IAM role or user ARN (not an assumed-role ARN).`,
      );
    }
    if (match[1] !== accountId) {
      throw invalidParameter(`The principal ${principalArn} is not in this account (${accountId}).`);
    }
    // EKS resolves the principal in IAM; the sandbox account has roles, no IAM users.
    if (!Object.values(deps.state().roles).some((role) => role.arn === principalArn)) {
      throw invalidParameter(
        `The specified principalArn is invalid: no IAM role ${principalArn} exists in this account.`,
      );
    }
  };

  const accessScope = (value: unknown): AccessScope => {
    if (typeof value !== 'object' || value === null) {
      throw invalidParameter(
        'accessScope is required: {"type":"cluster"} or {"type":"namespace","namespaces":[...]}.',
      );
    }
    const scope = value as Record<string, unknown>;
    const namespaces = stringListField(scope, 'namespaces');
    if (scope.type === 'cluster') {
      if (namespaces.length > 0) throw invalidParameter('A cluster accessScope cannot list namespaces.');
      return { type: 'cluster', namespaces: [] };
    }
    if (scope.type === 'namespace') {
      if (namespaces.length === 0)
        throw invalidParameter('A namespace accessScope needs at least one namespace.');
      return { type: 'namespace', namespaces };
    }
    throw invalidParameter(
      `accessScope.type must be "cluster" or "namespace", got ${JSON.stringify(scope.type)}.`,
    );
  };

  const isoNow = () => new Date(deps.now()).toISOString();

  /** Resources TagResource and ListTagsForResource reach by ARN: associations and add-ons. */
  const taggable = (region: string, resourceArn: string): { tags: Record<string, string> } => {
    for (const record of Object.values(deps.state().clusters)) {
      if (record.description.region !== region) continue;
      const found =
        record.podIdentityAssociations.find((a) => a.associationArn === resourceArn) ??
        record.addons.find((a) => a.addonArn === resourceArn);
      if (found) return found;
    }
    throw new AwsServiceError('NotFoundException', `Resource ${resourceArn} could not be found.`, 404);
  };

  const definitions: EksDefinition[] = [
    ...createPodIdentityAssociationRoutes({ ...deps, cluster }),
    ...createAddonRoutes({ ...deps, cluster }),
    [
      'TagResource',
      'POST',
      '/tags/{resourceArn}',
      ({ region, params, body }) => {
        const found = taggable(region, params.resourceArn!);
        const tags = tagsField(body);
        if (Object.keys(tags).length === 0) throw invalidParameter('tags must name at least one tag.');
        if (Object.keys({ ...found.tags, ...tags }).length > 50) {
          throw invalidParameter('A resource can have at most 50 tags.');
        }
        Object.assign(found.tags, tags);
        return { status: 200, body: {} };
      },
    ],
    [
      'UntagResource',
      'DELETE',
      '/tags/{resourceArn}',
      ({ region, params, query }) => {
        const found = taggable(region, params.resourceArn!);
        for (const key of query.getAll('tagKeys')) delete found.tags[key];
        return { status: 200, body: {} };
      },
    ],
    [
      'ListTagsForResource',
      'GET',
      '/tags/{resourceArn}',
      ({ region, params }) => ({ status: 200, body: { tags: taggable(region, params.resourceArn!).tags } }),
    ],
    [
      'ListClusters',
      'GET',
      '/clusters',
      ({ region, query }) => {
        const names = Object.values(deps.state().clusters)
          .filter((record) => record.description.region === region)
          .map((record) => record.description.name)
          .sort();
        const page = pageOf(names, query, 100);
        return { status: 200, body: { clusters: page.items, nextToken: page.nextToken } };
      },
    ],
    [
      'DescribeCluster',
      'GET',
      '/clusters/{name}',
      ({ region, params }) => ({
        status: 200,
        body: { cluster: clusterJson(cluster(region, params.name!)) },
      }),
    ],
    [
      'CreateAccessEntry',
      'POST',
      '/clusters/{name}/access-entries',
      ({ region, params, body }) => {
        const record = cluster(region, params.name!);
        const principalArn = stringField(body, 'principalArn');
        if (!principalArn) throw invalidParameter('principalArn is required.');
        checkPrincipal(principalArn);
        const type = stringField(body, 'type') ?? 'STANDARD';
        if (!['STANDARD', 'EC2_LINUX', 'EC2_WINDOWS', 'FARGATE_LINUX'].includes(type)) {
          throw invalidParameter(
            `type must be STANDARD, EC2_LINUX, EC2_WINDOWS or FARGATE_LINUX, got ${type}.`,
          );
        }
        const kubernetesGroups = stringListField(body, 'kubernetesGroups');
        if (kubernetesGroups.some((group) => group.startsWith('system:'))) {
          throw invalidParameter(
            'kubernetesGroups cannot start with "system:"; use an access policy instead.',
          );
        }
        const username = stringField(body, 'username');
        if (username?.startsWith('system:')) throw invalidParameter('username cannot start with "system:".');
        if (record.accessEntries.some((e) => e.principalArn === principalArn)) {
          throw new AwsServiceError(
            'ResourceInUseException',
            'The specified access entry resource is already in use on this cluster.',
            409,
          );
        }
        const createdAt = isoNow();
        const [, kind, rest] = /^arn:aws:iam::\d{12}:(role|user)\/(.*)$/.exec(principalArn)!;
        const name = rest!.split('/').pop()!;
        const created: AccessEntryRecord = {
          principalArn,
          accessEntryArn: `arn:aws:eks:${region}:${accountId}:access-entry/${params.name}/${kind}/${accountId}/${name}/${entryId(params.name!, principalArn, createdAt)}`,
          kubernetesGroups,
          // EKS's default username for a role is its session ARN with the session name templated.
          username:
            username ??
            (kind === 'role'
              ? `arn:aws:sts::${accountId}:assumed-role/${name}/{{SessionName}}`
              : principalArn),
          type,
          tags: tagsField(body),
          createdAt,
          modifiedAt: createdAt,
          associations: [],
        };
        record.accessEntries.push(created);
        return { status: 200, body: { accessEntry: entryJson(params.name!, created) } };
      },
    ],
    [
      'ListAccessEntries',
      'GET',
      '/clusters/{name}/access-entries',
      ({ region, params, query }) => {
        const record = cluster(region, params.name!);
        const policy = query.get('associatedPolicyArn');
        const arns = record.accessEntries
          .filter((e) => policy === null || e.associations.some((a) => a.policyArn === policy))
          .map((e) => e.principalArn)
          .sort();
        const page = pageOf(arns, query, 100);
        return { status: 200, body: { accessEntries: page.items, nextToken: page.nextToken } };
      },
    ],
    [
      'DescribeAccessEntry',
      'GET',
      '/clusters/{name}/access-entries/{principalArn}',
      ({ region, params }) => {
        const record = cluster(region, params.name!);
        return {
          status: 200,
          body: { accessEntry: entryJson(params.name!, entry(record, params.principalArn!)) },
        };
      },
    ],
    [
      'DeleteAccessEntry',
      'DELETE',
      '/clusters/{name}/access-entries/{principalArn}',
      ({ region, params }) => {
        const record = cluster(region, params.name!);
        const found = entry(record, params.principalArn!);
        record.accessEntries = record.accessEntries.filter((e) => e !== found);
        return { status: 200, body: {} };
      },
    ],
    [
      'AssociateAccessPolicy',
      'POST',
      '/clusters/{name}/access-entries/{principalArn}/access-policies',
      ({ region, params, body }) => {
        const record = cluster(region, params.name!);
        const found = entry(record, params.principalArn!);
        const policyArn = stringField(body, 'policyArn');
        if (!policyArn || !isAccessPolicyArn(policyArn)) {
          throw notFound(
            `The specified policyArn ${policyArn ?? '(none)'} could not be found; use one of ${ACCESS_POLICY_ARNS.join(', ')}.`,
          );
        }
        const scope = accessScope(body.accessScope);
        const now = isoNow();
        const existing = found.associations.find((a) => a.policyArn === policyArn);
        if (existing) {
          existing.accessScope = scope;
          existing.modifiedAt = now;
        } else {
          found.associations.push({ policyArn, accessScope: scope, associatedAt: now, modifiedAt: now });
        }
        const association = found.associations.find((a) => a.policyArn === policyArn)!;
        return {
          status: 200,
          body: {
            clusterName: params.name,
            principalArn: found.principalArn,
            associatedAccessPolicy: {
              policyArn,
              accessScope: association.accessScope,
              associatedAt: epochSeconds(association.associatedAt),
              modifiedAt: epochSeconds(association.modifiedAt),
            },
          },
        };
      },
    ],
    [
      'ListAssociatedAccessPolicies',
      'GET',
      '/clusters/{name}/access-entries/{principalArn}/access-policies',
      ({ region, params }) => {
        const record = cluster(region, params.name!);
        const found = entry(record, params.principalArn!);
        return {
          status: 200,
          body: {
            clusterName: params.name,
            principalArn: found.principalArn,
            associatedAccessPolicies: found.associations.map((a) => ({
              policyArn: a.policyArn,
              accessScope: a.accessScope,
              associatedAt: epochSeconds(a.associatedAt),
              modifiedAt: epochSeconds(a.modifiedAt),
            })),
          },
        };
      },
    ],
    [
      'DisassociateAccessPolicy',
      'DELETE',
      '/clusters/{name}/access-entries/{principalArn}/access-policies/{policyArn}',
      ({ region, params }) => {
        const record = cluster(region, params.name!);
        const found = entry(record, params.principalArn!);
        if (!found.associations.some((a) => a.policyArn === params.policyArn)) {
          throw notFound(
            `The access policy ${params.policyArn} is not associated with ${found.principalArn}.`,
          );
        }
        found.associations = found.associations.filter((a) => a.policyArn !== params.policyArn);
        return { status: 200, body: {} };
      },
    ],
    [
      'ListAccessPolicies',
      'GET',
      '/access-policies',
      () => ({
        status: 200,
        body: {
          accessPolicies: ACCESS_POLICY_ARNS.map((arn) => ({
            name: arn.slice(ACCESS_POLICY_ARN_PREFIX.length),
            arn,
          })),
        },
      }),
    ],
  ];

  return definitions.map(([operation, method, template, run]) => ({
    operation,
    method,
    ...routePattern(template),
    run,
  }));
}

/** Finds the route for a request path (still percent-encoded) and decodes its labels. */
export function matchEksRoute(
  routes: EksRoute[],
  method: string,
  path: string,
): { route: EksRoute; params: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    route.keys.forEach((key, i) => {
      params[key] = decodeURIComponent(match[i + 1]!);
    });
    return { route, params };
  }
  return undefined;
}
