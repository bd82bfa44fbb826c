// EKS Pod Identity associations (Create/Describe/List/Update/DeletePodIdentityAssociation): which IAM
// role a cluster's (namespace, service account) gets through the Pod Identity agent.
import { randomBytes, randomUUID } from 'node:crypto';
import type { AccountState, ClusterRecord, PodIdentityAssociationRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import {
  booleanField,
  type EksDefinition,
  invalidParameter,
  notFound,
  pageOf,
  stringField,
  tagsField,
} from './eks-input.js';
import { parsePolicyDocument } from './policy-document.js';
import { epochSeconds } from './rest-json-protocol.js';

export const POD_IDENTITY_SERVICE_PRINCIPAL = 'pods.eks.amazonaws.com';

export interface PodIdentityAssociationDeps {
  state(): AccountState;
  accountId: string;
  now(): number;
  /** How long a created or changed association stays unknown to EKS Auth. */
  propagationDelayMs(): number;
  cluster(region: string, name: string): ClusterRecord;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)$/;
/** Kubernetes names as EKS accepts them: a namespace is a DNS label, a service account a subdomain. */
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_ACCOUNT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** EKS association ids: `a-` and 17 lower-case letters and digits. */
function associationId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `a-${[...randomBytes(17)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}

/**
 * Whether the trust policy has an Allow statement for the Pod Identity service principal with
 * sts:AssumeRole: what CreatePodIdentityAssociation checks before it accepts a role (conditions are
 * judged later, when EKS Auth assumes the role for a pod).
 */
export function trustsPodIdentity(trustPolicy: string): boolean {
  const policy = parsePolicyDocument(trustPolicy, 'trust');
  return policy.Statement.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const principal = statement.Principal as Record<string, unknown> | string | undefined;
    const services = typeof principal === 'object' && principal !== null ? asList(principal.Service) : [];
    if (!services.includes(POD_IDENTITY_SERVICE_PRINCIPAL)) return false;
    return asList(statement.Action).some(
      (action) => typeof action === 'string' && /^sts:(AssumeRole|\*)$|^\*$/i.test(action),
    );
  });
}

export function createPodIdentityAssociationRoutes(deps: PodIdentityAssociationDeps): EksDefinition[] {
  const isoNow = () => new Date(deps.now()).toISOString();

  const association = (record: ClusterRecord, id: string): PodIdentityAssociationRecord => {
    const found = record.podIdentityAssociations.find((a) => a.associationId === id);
    if (!found) throw notFound(`No Pod Identity association found for id: ${id}.`);
    return found;
  };

  /** The association's role must be an existing role of this account that trusts pods.eks.amazonaws.com. */
  const checkRole = (roleArn: string): void => {
    const match = ROLE_ARN.exec(roleArn);
    if (!match) throw invalidParameter(`Role ARN ${roleArn} is not a valid IAM role ARN.`);
    if (match[1] !== deps.accountId) {
      throw invalidParameter(
        `Role ${roleArn} is not in the cluster's account (${deps.accountId}); use targetRoleArn for a role in another account.`,
      );
    }
    const role = Object.values(deps.state().roles).find((r) => r.arn === roleArn);
    if (!role) throw invalidParameter('Role provided in the request does not exist.');
    if (!trustsPodIdentity(role.assumeRolePolicyDocument)) {
      throw invalidParameter(
        `Trust policy of the role provided is invalid: it must allow the service principal ${POD_IDENTITY_SERVICE_PRINCIPAL} sts:AssumeRole and sts:TagSession.`,
      );
    }
  };

  const checkTargetRole = (targetRoleArn: string): void => {
    if (!ROLE_ARN.test(targetRoleArn)) {
      throw invalidParameter(`Target role ARN ${targetRoleArn} is not a valid IAM role ARN.`);
    }
  };

  const json = (clusterName: string, a: PodIdentityAssociationRecord) => ({
    clusterName,
    namespace: a.namespace,
    serviceAccount: a.serviceAccount,
    roleArn: a.roleArn,
    associationArn: a.associationArn,
    associationId: a.associationId,
    tags: a.tags,
    createdAt: epochSeconds(a.createdAt),
    modifiedAt: epochSeconds(a.modifiedAt),
    disableSessionTags: a.disableSessionTags,
    ...(a.targetRoleArn ? { targetRoleArn: a.targetRoleArn, externalId: a.externalId } : {}),
  });

  return [
    [
      'CreatePodIdentityAssociation',
      'POST',
      '/clusters/{name}/pod-identity-associations',
      ({ region, params, body }) => {
        const clusterName = params.name!;
        const record = deps.cluster(region, clusterName);
        const namespace = stringField(body, 'namespace');
        const serviceAccount = stringField(body, 'serviceAccount');
        const roleArn = stringField(body, 'roleArn');
        if (!namespace || !serviceAccount || !roleArn) {
          throw invalidParameter('namespace, serviceAccount and roleArn are required.');
        }
        if (namespace.length > 63 || !NAMESPACE.test(namespace)) {
          throw invalidParameter(`namespace ${namespace} is not a valid Kubernetes namespace name.`);
        }
        if (serviceAccount.length > 253 || !SERVICE_ACCOUNT.test(serviceAccount)) {
          throw invalidParameter(
            `serviceAccount ${serviceAccount} is not a valid Kubernetes service account name.`,
          );
        }
        const targetRoleArn = stringField(body, 'targetRoleArn') || undefined;
        const disableSessionTags = booleanField(body, 'disableSessionTags') ?? false;
        const tags = tagsField(body);
        const clientRequestToken = stringField(body, 'clientRequestToken');
        const fingerprint = JSON.stringify([
          namespace,
          serviceAccount,
          roleArn,
          targetRoleArn ?? '',
          disableSessionTags,
          Object.entries(tags).sort(),
        ]);

        if (clientRequestToken !== undefined) {
          const earlier = record.podIdentityAssociations.find(
            (a) => a.clientRequestToken === clientRequestToken,
          );
          if (earlier && earlier.createFingerprint === fingerprint) {
            return { status: 200, body: { association: json(clusterName, earlier) } };
          }
          if (earlier) {
            throw new AwsServiceError(
              'InvalidRequestException',
              `The clientRequestToken ${clientRequestToken} was already used with different parameters; use a new token.`,
              400,
            );
          }
        }
        checkRole(roleArn);
        if (targetRoleArn) checkTargetRole(targetRoleArn);
        const existing = record.podIdentityAssociations.find(
          (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
        );
        if (existing) {
          throw new AwsServiceError(
            'ResourceInUseException',
            `Association already exists: ${existing.associationId} (namespace ${namespace}, service account ${serviceAccount}); update or delete it.`,
            409,
          );
        }
        const id = associationId();
        const at = isoNow();
        const created: PodIdentityAssociationRecord = {
          associationId: id,
          associationArn: `arn:aws:eks:${region}:${deps.accountId}:podidentityassociation/${clusterName}/${id}`,
          namespace,
          serviceAccount,
          roleArn,
          ...(targetRoleArn ? { targetRoleArn, externalId: randomUUID() } : {}),
          disableSessionTags,
          tags,
          createdAt: at,
          modifiedAt: at,
          ...(clientRequestToken !== undefined ? { clientRequestToken } : {}),
          createFingerprint: fingerprint,
          effectiveAt: deps.now() + deps.propagationDelayMs(),
        };
        record.podIdentityAssociations.push(created);
        return { status: 200, body: { association: json(clusterName, created) } };
      },
    ],
    [
      'ListPodIdentityAssociations',
      'GET',
      '/clusters/{name}/pod-identity-associations',
      ({ region, params, query }) => {
        const record = deps.cluster(region, params.name!);
        const namespace = query.get('namespace');
        const serviceAccount = query.get('serviceAccount');
        const matching = record.podIdentityAssociations
          .filter((a) => namespace === null || a.namespace === namespace)
          .filter((a) => serviceAccount === null || a.serviceAccount === serviceAccount)
          .sort(
            (a, b) =>
              a.createdAt.localeCompare(b.createdAt) || a.associationId.localeCompare(b.associationId),
          );
        const page = pageOf(matching, query, 100);
        return {
          status: 200,
          body: {
            associations: page.items.map((a) => ({
              clusterName: params.name,
              namespace: a.namespace,
              serviceAccount: a.serviceAccount,
              associationArn: a.associationArn,
              associationId: a.associationId,
            })),
            nextToken: page.nextToken,
          },
        };
      },
    ],
    [
      'DescribePodIdentityAssociation',
      'GET',
      '/clusters/{name}/pod-identity-associations/{associationId}',
      ({ region, params }) => {
        const record = deps.cluster(region, params.name!);
        return {
          status: 200,
          body: { association: json(params.name!, association(record, params.associationId!)) },
        };
      },
    ],
    [
      'UpdatePodIdentityAssociation',
      'POST',
      '/clusters/{name}/pod-identity-associations/{associationId}',
      ({ region, params, body }) => {
        const record = deps.cluster(region, params.name!);
        const found = association(record, params.associationId!);
        const roleArn = stringField(body, 'roleArn');
        const targetRoleArn = stringField(body, 'targetRoleArn');
        const disableSessionTags = booleanField(body, 'disableSessionTags');
        if (roleArn !== undefined) checkRole(roleArn);
        if (targetRoleArn) checkTargetRole(targetRoleArn);
        if (roleArn !== undefined) found.roleArn = roleArn;
        // An empty targetRoleArn removes the target role.
        if (targetRoleArn === '') {
          delete found.targetRoleArn;
          delete found.externalId;
        } else if (targetRoleArn !== undefined) {
          found.targetRoleArn = targetRoleArn;
          found.externalId ??= randomUUID();
        }
        if (disableSessionTags !== undefined) found.disableSessionTags = disableSessionTags;
        found.modifiedAt = isoNow();
        found.effectiveAt = deps.now() + deps.propagationDelayMs();
        return { status: 200, body: { association: json(params.name!, found) } };
      },
    ],
    [
      'DeletePodIdentityAssociation',
      'DELETE',
      '/clusters/{name}/pod-identity-associations/{associationId}',
      ({ region, params }) => {
        const record = deps.cluster(region, params.name!);
        const found = association(record, params.associationId!);
        record.podIdentityAssociations = record.podIdentityAssociations.filter((a) => a !== found);
        return { status: 200, body: { association: json(params.name!, found) } };
      },
    ],
  ];
}
