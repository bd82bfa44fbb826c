// EKS Auth AssumeRoleForPodIdentity: what the Pod Identity agent calls with a pod's projected token.
// Checks the token (the cluster's issuer, audience pods.eks.amazonaws.com, bound to a live pod), finds
// the (namespace, service account)'s association, assumes its role as pods.eks.amazonaws.com with the
// session tags (trust evaluated by iam-simulate), then chains into the target role when there is one.
import { randomUUID } from 'node:crypto';
import { runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import {
  createLocalJWKSet,
  decodeJwt,
  type JWK,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { CallerIdentity } from '../contracts.js';
import type { AccountState, ClusterRecord, RoleRecord } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import { type CredentialStore, issueRoleSession, type SandboxCredentials } from './credential-store.js';
import { POD_IDENTITY_SERVICE_PRINCIPAL } from './eks-pod-identity-associations.js';
import { AWS_MANAGED_POLICIES } from './managed-policies.js';
import type { PeerAccount } from './peer-account.js';

/** Pod Identity credentials last six hours; the agent refreshes them before they run out. */
const CREDENTIALS_LIFETIME_S = 6 * 3600;

export interface EksAuthDeps {
  state(): AccountState;
  credentials: CredentialStore;
  accountId: string;
  now(): number;
  /** Other sandbox accounts a target role may live in (cross-account role chaining). */
  peerAccount?(accountId: string): PeerAccount | undefined;
  /** Whether the cluster still runs the pod a token is bound to (the API server's view); absent: unknown. */
  podAlive?(clusterName: string, namespace: string, name: string, uid: string): boolean | undefined;
}

export interface PodIdentityCredentials {
  assumedRoleUser: { arn: string; assumeRoleId: string };
  audience: string;
  credentials: Required<SandboxCredentials> & { expiration: Date };
  podIdentityAssociation: { associationArn: string; associationId: string };
  subject: { namespace: string; serviceAccount: string };
  identity: CallerIdentity;
  sessionTags: Record<string, string>;
}

const invalidToken = (message: string) => new AwsServiceError('InvalidTokenException', message, 400);
const accessDenied = (message: string) => new AwsServiceError('AccessDeniedException', message, 403);

interface PodClaims {
  namespace: string;
  serviceAccount: string;
  pod: { name: string; uid: string };
}

async function verifiedPodClaims(
  token: string,
  record: ClusterRecord,
  deps: EksAuthDeps,
): Promise<PodClaims> {
  if (!/^[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+\.[A-Za-z0-9-_=]+$/.test(token)) {
    throw new AwsServiceError('InvalidParameterException', 'token is not a JSON Web Token.', 400);
  }
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw invalidToken('The service account token could not be decoded.');
  }
  const issuer = record.description.oidcIssuer;
  if (unverified.iss !== issuer) {
    throw invalidToken(`The service account token was not issued by cluster ${record.description.name}.`);
  }
  const keys = deps.state().issuers.find((entry) => entry.issuer === issuer);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet({ keys: (keys?.jwks ?? []) as JWK[] }), {
      issuer,
      currentDate: new Date(deps.now()),
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw new AwsServiceError('ExpiredTokenException', 'The service account token has expired.', 400);
    }
    throw invalidToken('The service account token signature could not be verified.');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : [];
  if (!audiences.includes(POD_IDENTITY_SERVICE_PRINCIPAL)) {
    throw invalidToken(`The service account token's audience is not ${POD_IDENTITY_SERVICE_PRINCIPAL}.`);
  }
  const k8s = payload['kubernetes.io'] as
    | { namespace?: string; serviceaccount?: { name?: string }; pod?: { name?: string; uid?: string } }
    | undefined;
  if (!k8s?.namespace || !k8s.serviceaccount?.name || !k8s.pod?.name || !k8s.pod.uid) {
    throw invalidToken('The service account token is not bound to a pod.');
  }
  const claims = {
    namespace: k8s.namespace,
    serviceAccount: k8s.serviceaccount.name,
    pod: { name: k8s.pod.name, uid: k8s.pod.uid },
  };
  const alive = deps.podAlive?.(record.description.name, claims.namespace, claims.pod.name, claims.pod.uid);
  if (alive === false) {
    throw invalidToken(
      `The pod ${claims.namespace}/${claims.pod.name} the token is bound to no longer exists.`,
    );
  }
  return claims;
}

/** The permissions policies of a role (attached managed and inline), as iam-simulate takes them. */
function identityPoliciesOf(role: RoleRecord, state: AccountState): { name: string; policy: unknown }[] {
  return [
    ...role.attachedPolicyArns.flatMap((arn) => {
      const document = AWS_MANAGED_POLICIES.get(arn)?.document ?? state.customerPolicies[arn]?.document;
      return document ? [{ name: arn, policy: JSON.parse(document) }] : [];
    }),
    ...Object.entries(role.inlinePolicies).map(([name, document]) => ({
      name,
      policy: JSON.parse(document),
    })),
  ];
}

/**
 * Whether `role`'s trust allows `principal` every action in `actions` in this context; across
 * accounts the principal's own permissions (`identityPolicies`) must allow it too.
 */
function trustAllows(
  role: RoleRecord,
  accountId: string,
  principal: string,
  actions: string[],
  context: Record<string, string | string[]>,
  identityPolicies: { name: string; policy: unknown }[] = [],
): boolean {
  return actions.every(
    (action) =>
      runUnsafeSimulation(
        {
          request: {
            principal,
            action,
            resource: { resource: role.arn, accountId },
            contextVariables: context,
          },
          identityPolicies,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: {
            __validated: true,
            policyDocument: JSON.parse(role.assumeRolePolicyDocument),
            metadata: { name: 'AssumeRolePolicyDocument' },
            errors: [],
          },
        },
        {},
      ) === 'Allowed',
  );
}

/** EKS names the role session after the cluster and the pod, unique per call, at most 64 characters. */
function sessionName(clusterName: string, podName: string): string {
  const prefix = `eks-${clusterName}-${podName}`.slice(0, 27).replace(/[^\w+=,.@-]/g, '-');
  return `${prefix}-${randomUUID()}`;
}

export async function assumeRoleForPodIdentity(
  deps: EksAuthDeps,
  input: { region: string; clusterName: string; token: string },
): Promise<PodIdentityCredentials> {
  const record = deps.state().clusters[input.clusterName];
  if (!record || record.description.region !== input.region) {
    throw new AwsServiceError(
      'ResourceNotFoundException',
      `No cluster found for name: ${input.clusterName}.`,
      404,
    );
  }
  const claims = await verifiedPodClaims(input.token, record, deps);
  const now = deps.now();
  const association = record.podIdentityAssociations.find(
    (a) =>
      a.namespace === claims.namespace && a.serviceAccount === claims.serviceAccount && now >= a.effectiveAt,
  );
  if (!association) {
    throw new AwsServiceError(
      'ResourceNotFoundException',
      `No Pod Identity association found for service account ${claims.namespace}/${claims.serviceAccount} on cluster ${input.clusterName}.`,
      404,
    );
  }

  const state = deps.state();
  const roleOf = (arn: string) => Object.values(state.roles).find((r) => r.arn === arn);
  const role = roleOf(association.roleArn);
  const sessionTags: Record<string, string> = association.disableSessionTags
    ? {}
    : {
        'eks-cluster-arn': record.description.arn,
        'eks-cluster-name': record.description.name,
        'kubernetes-namespace': claims.namespace,
        'kubernetes-service-account': claims.serviceAccount,
        'kubernetes-pod-name': claims.pod.name,
        'kubernetes-pod-uid': claims.pod.uid,
      };
  const context: Record<string, string | string[]> = {
    'aws:SourceAccount': deps.accountId,
    'aws:SourceArn': record.description.arn,
    'aws:PrincipalServiceName': POD_IDENTITY_SERVICE_PRINCIPAL,
    'aws:TagKeys': Object.keys(sessionTags),
    ...Object.fromEntries(Object.entries(sessionTags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  };
  const actions = ['sts:AssumeRole', 'sts:TagSession'];
  if (
    !role ||
    now < role.trustEffectiveAt ||
    !trustAllows(role, deps.accountId, POD_IDENTITY_SERVICE_PRINCIPAL, actions, context)
  ) {
    throw accessDenied(
      `${POD_IDENTITY_SERVICE_PRINCIPAL} is not authorized to perform sts:AssumeRole and sts:TagSession on ${association.roleArn}: check the role exists and its trust policy.`,
    );
  }

  const session = sessionName(input.clusterName, claims.pod.name);
  let assumed = role;
  let assumedIn: Omit<PeerAccount, 'serve'> = {
    accountId: deps.accountId,
    state: deps.state,
    credentials: deps.credentials,
  };
  if (association.targetRoleArn) {
    const targetAccountId = /^arn:aws:iam::(\d{12}):role\//.exec(association.targetRoleArn)?.[1];
    const targetAccount =
      targetAccountId === deps.accountId
        ? assumedIn
        : targetAccountId
          ? deps.peerAccount?.(targetAccountId)
          : undefined;
    const target = targetAccount
      ? Object.values(targetAccount.state().roles).find((r) => r.arn === association.targetRoleArn)
      : undefined;
    const firstSession = `arn:aws:sts::${deps.accountId}:assumed-role/${role.roleName}/${session}`;
    const chained =
      target &&
      targetAccount &&
      now >= target.trustEffectiveAt &&
      trustAllows(
        target,
        targetAccount.accountId,
        firstSession,
        ['sts:AssumeRole'],
        {
          'aws:PrincipalArn': role.arn,
          'aws:PrincipalAccount': deps.accountId,
          'sts:ExternalId': association.externalId ?? '',
          ...Object.fromEntries(Object.entries(sessionTags).map(([k, v]) => [`aws:PrincipalTag/${k}`, v])),
        },
        identityPoliciesOf(role, state),
      );
    if (!chained) {
      throw accessDenied(
        `${firstSession} is not authorized to perform sts:AssumeRole on the target role ${association.targetRoleArn}: its trust policy must admit ${role.arn} (and, across accounts, ${role.arn}'s permissions must allow sts:AssumeRole on it).`,
      );
    }
    assumed = target;
    assumedIn = targetAccount;
  }

  const expiration = new Date(Math.floor(now / 1000) * 1000 + CREDENTIALS_LIFETIME_S * 1000);
  // The credentials belong to the account of the role they are for: its STS knows them.
  const { credentials, identity } = issueRoleSession(
    assumedIn.credentials,
    assumedIn.accountId,
    assumed,
    session,
    expiration,
    now,
  );
  return {
    assumedRoleUser: { arn: identity.arn, assumeRoleId: identity.userId },
    audience: POD_IDENTITY_SERVICE_PRINCIPAL,
    credentials,
    podIdentityAssociation: {
      associationArn: association.associationArn,
      associationId: association.associationId,
    },
    subject: { namespace: claims.namespace, serviceAccount: claims.serviceAccount },
    identity,
    sessionTags,
  };
}
