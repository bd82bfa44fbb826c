// The sandbox AWS account: IAM, STS, EKS and EventBridge that the real @aws-sdk v3 clients talk to, in process
// (`requestHandler`) or over HTTP (`listen`), every request SigV4-verified against keys the account issued.
//
// Usage:
//   const account = createSandboxAccount();
//   const iam = new IAMClient({ region: 'us-east-1', credentials: account.brokerCredentials,
//                               requestHandler: account.requestHandler });
// or, for code that builds its own clients (Lambdas under the local runtime):
//   const { url } = await account.listen();   // AWS_ENDPOINT_URL_IAM / _STS / _EKS = url
//   // plus AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN = account.brokerCredentials
//
// The broker principal is the role `irsa-broker-local` (AdministratorAccess attached); its session
// credentials never expire, so a long `npm start` keeps working. Clusters registered with
// `addCluster` give that role an access entry: least-privilege (the Kubernetes group irsa-broker, whose
// RBAC the cluster holds) or cluster-admin. A second principal, the operator `irsa-broker-local-operator`
// (AdministratorAccess), stands for the person who created the clusters: like EKS's cluster creator it gets
// a cluster-admin access entry on every cluster; people's kubectl signs as it.
import type {
  CallCounter,
  CallerIdentity,
  ClusterDescription,
  FaultInjector,
  IssuerKeys,
  SandboxPodIdentity,
  SandboxSts,
} from '../contracts.js';
import {
  type AccountState,
  emptyAccountState,
  type PublishedEventRecord,
  type RoleRecord,
} from './account-state.js';
import { createAwsEndpoint } from './aws-endpoint.js';
import { AwsServiceError } from './aws-service-error.js';
import { callerPolicies, createCallerAuthorization } from './caller-authorization.js';
import { createClusterSts } from './cluster-sts.js';
import { keysAcrossLinkedAccounts, routeByCredentials } from './credential-routing.js';
import { CredentialStore, type SandboxCredentials } from './credential-store.js';
import { ACCESS_POLICY_ARN_PREFIX, accessPoliciesAllow } from './eks-access-policies.js';
import { addonStatus, newAddon, POD_IDENTITY_AGENT_ADDON } from './eks-addons.js';
import { assumeRoleForPodIdentity, type EksAuthDeps } from './eks-auth.js';
import { createEksService } from './eks-service.js';
import { createEventsService, EVENTS_KEPT } from './events-service.js';
import { createIamService } from './iam-service.js';
import { accessKeyId, secretAccessKey, sessionToken, uniqueId } from './ids.js';
import { faultError } from './injected-faults.js';
import type { PeerAccount } from './peer-account.js';
import { createStsService } from './sts-service.js';
import { createInProcessHandler, type ListeningEndpoint, listenHttp } from './transports.js';

export type { PublishedEventRecord } from './account-state.js';
export type { SandboxCredentials } from './credential-store.js';
export type { ListeningEndpoint } from './transports.js';

export const DEFAULT_ACCOUNT_ID = '111122223333';
export const DEFAULT_REGION = 'us-east-1';
export const BROKER_ROLE_NAME = 'irsa-broker-local';
export const BROKER_SESSION_NAME = 'irsa-broker';
export const OPERATOR_ROLE_NAME = 'irsa-broker-local-operator';
export const OPERATOR_SESSION_NAME = 'operator';
const SNAPSHOT_VERSION = 1;

export interface SandboxAccountOptions {
  accountId?: string;
  region?: string;
  /** How long a created role or changed trust policy stays invisible to STS (IAM eventual consistency). */
  propagationDelayMs?: number;
  faults?: FaultInjector;
  counter?: CallCounter;
  /** How long a new EKS add-on stays CREATING before it is ACTIVE. */
  addonCreationDelayMs?: number;
  /** The account's clock (epoch ms): signature skew, token expiry, propagation. */
  now?: () => number;
  /** Told of each event EventBridge accepts, before PutEvents answers: where to keep it durably. */
  onEventPublished?: (record: PublishedEventRecord) => void;
}

/**
 * How the broker's role is admitted to a cluster: an access entry with AmazonEKSClusterAdminPolicy, or
 * one that maps it to the Kubernetes group `irsa-broker` (no access policy), whose RBAC the cluster's
 * operator applied.
 */
export type BrokerAccess = 'cluster-admin' | 'least-privilege';
export const BROKER_KUBERNETES_GROUP = 'irsa-broker';

export interface KubernetesIdentity {
  username: string;
  groups: string[];
}

export interface SandboxAccount {
  readonly accountId: string;
  readonly region: string;
  /** For the clusters: EKS token verification, pods' AssumeRoleWithWebIdentity, instance role. */
  readonly sts: SandboxSts;
  /** For the clusters: the Pod Identity add-on and associations, and EKS Auth for the agent. */
  readonly podIdentity: SandboxPodIdentity;
  /** Credentials of the broker principal (assumed-role/irsa-broker-local/irsa-broker). */
  readonly brokerCredentials: Required<SandboxCredentials>;
  /** arn:aws:iam::<account>:role/irsa-broker-local */
  readonly brokerRoleArn: string;
  /** Credentials of the operator (assumed-role/irsa-broker-local-operator/operator): cluster-admin everywhere. */
  readonly operatorCredentials: Required<SandboxCredentials>;
  /** arn:aws:iam::<account>:role/irsa-broker-local-operator */
  readonly operatorRoleArn: string;
  /**
   * Makes `other` (another sandbox account) reachable from this one, both ways: a Pod Identity
   * association's targetRoleArn and STS AssumeRole may then name a role there, as across AWS accounts,
   * and requests signed with keys `other` issued are served by `other` whichever endpoint they reach.
   */
  linkAccount(other: SandboxAccount): void;
  /** This account as a linked account sees it (roles, issued credentials, its own endpoint). */
  readonly peer: PeerAccount;
  /** Registers (or, for a known name, refreshes) a cluster and its issuer keys; the broker role gets an access entry (cluster-admin unless told otherwise). */
  addCluster(
    description: ClusterDescription,
    issuer: IssuerKeys,
    options?: { addons?: readonly string[]; brokerAccess?: BrokerAccess },
  ): void;
  /** How access entries admit a principal (IAM role/user ARN or assumed-role session ARN) to a cluster, or undefined. */
  kubernetesIdentity(clusterName: string, principalArn: string): KubernetesIdentity | undefined;
  /** Whether the principal's access policies on the cluster allow `verb` on `resource` (plural[/sub]) in `namespace`. */
  authorizeKubernetes(
    clusterName: string,
    principalArn: string,
    verb: string,
    resource: string,
    namespace?: string,
  ): boolean;
  /** A smithy HttpHandler for SDK clients in this process: `new IAMClient({ requestHandler: account.requestHandler })`. */
  readonly requestHandler: ReturnType<typeof createInProcessHandler>;
  /** Serves IAM, STS and EKS over HTTP on 127.0.0.1 (routed by SigV4 scope); port 0 or none picks a free one. */
  listen(port?: number): Promise<ListeningEndpoint>;
  /**
   * The environment that points the SDK's default configuration (endpoints, credential chain, region)
   * at this account served on `endpointUrl`: what a Lambda needs under the local runtime.
   */
  sdkEnvironment(endpointUrl: string): Record<string, string>;
  readonly propagationDelayMs: number;
  /** Applies to roles created and trust policies changed from now on. */
  setPropagationDelayMs(ms: number): void;
  /** The events EventBridge accepted (PutEvents), oldest first, with the bus each was put on. */
  publishedEvents(): PublishedEventRecord[];
  /** Replaces the accepted events (a journal read back at start). */
  loadPublishedEvents(records: readonly PublishedEventRecord[]): void;
  /** The whole account as JSON (roles, policies, providers, clusters, access entries, issued credentials). */
  snapshot(): unknown;
  /** Replaces the account's state with a snapshot of the same account id. */
  restore(snapshot: unknown): void;
  /** Back to a fresh account that still knows the registered clusters and the broker credentials. */
  reset(): void;
}

interface AccountSnapshot {
  version: number;
  accountId: string;
  propagationDelayMs: number;
  brokerAccessKeyId: string;
  /** Absent in snapshots taken before the operator existed. */
  operatorAccessKeyId?: string;
  state: AccountState;
}

function checkDelay(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`propagationDelayMs must be a number of milliseconds >= 0, got ${ms}.`);
  }
  return ms;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createSandboxAccount(options: SandboxAccountOptions = {}): SandboxAccount {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^\d{12}$/.test(accountId)) throw new RangeError(`accountId must be 12 digits, got "${accountId}".`);
  const region = options.region ?? DEFAULT_REGION;
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region))
    throw new RangeError(`region must look like us-east-1, got "${region}".`);
  let propagationDelayMs = checkDelay(options.propagationDelayMs ?? 0);
  const now = options.now ?? Date.now;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const credentials = new CredentialStore();
  const brokerRoleArn = `arn:aws:iam::${accountId}:role/${BROKER_ROLE_NAME}`;

  const adminRole = (roleName: string, description: string): RoleRecord => ({
    roleName,
    roleId: uniqueId('AROA'),
    arn: `arn:aws:iam::${accountId}:role/${roleName}`,
    path: '/',
    createDate: new Date(Math.floor(now() / 1000) * 1000).toISOString(),
    assumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'sts:AssumeRole' },
      ],
    }),
    description,
    maxSessionDuration: 3600,
    tags: [],
    attachedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
    inlinePolicies: {},
    trustEffectiveAt: 0,
  });
  const brokerRole = () => adminRole(BROKER_ROLE_NAME, 'The irsa-broker principal under the local runtime');
  const operatorRoleArn = `arn:aws:iam::${accountId}:role/${OPERATOR_ROLE_NAME}`;
  const operatorRole = () =>
    adminRole(OPERATOR_ROLE_NAME, 'The operator of the sandbox: made the clusters, admin on each');
  const freshCredentials = (): Required<SandboxCredentials> => ({
    accessKeyId: accessKeyId('temporary'),
    secretAccessKey: secretAccessKey(),
    sessionToken: sessionToken(),
  });
  const operatorIdentity = (roleId: string): CallerIdentity => ({
    arn: `arn:aws:sts::${accountId}:assumed-role/${OPERATOR_ROLE_NAME}/${OPERATOR_SESSION_NAME}`,
    account: accountId,
    userId: `${roleId}:${OPERATOR_SESSION_NAME}`,
  });

  let state: AccountState = emptyAccountState();
  const role = brokerRole();
  state.roles[BROKER_ROLE_NAME] = role;
  let broker: Required<SandboxCredentials> = {
    accessKeyId: accessKeyId('temporary'),
    secretAccessKey: secretAccessKey(),
    sessionToken: sessionToken(),
  };
  const brokerIdentity: CallerIdentity = {
    arn: `arn:aws:sts::${accountId}:assumed-role/${BROKER_ROLE_NAME}/${BROKER_SESSION_NAME}`,
    account: accountId,
    userId: `${role.roleId}:${BROKER_SESSION_NAME}`,
  };
  credentials.add({ ...broker, identity: brokerIdentity });
  const opRole = operatorRole();
  state.roles[OPERATOR_ROLE_NAME] = opRole;
  let operator = freshCredentials();
  credentials.add({ ...operator, identity: operatorIdentity(opRole.roleId) });

  const addonCreationDelayMs = checkDelay(options.addonCreationDelayMs ?? 0);
  const deps = {
    state: () => state,
    accountId,
    now,
    propagationDelayMs: () => propagationDelayMs,
    addonCreationDelayMs: () => addonCreationDelayMs,
  };
  const iam = createIamService(deps);
  const webIdentity = { state: () => state, credentials, accountId, now };
  const peers = new Map<string, PeerAccount>();
  const podLiveness = new Map<string, (namespace: string, name: string, uid: string) => boolean>();
  const eksAuthDeps: EksAuthDeps = {
    ...webIdentity,
    podAlive: (cluster, namespace, name, uid) => podLiveness.get(cluster)?.(namespace, name, uid),
    peerAccount: (id) => peers.get(id),
  };
  const eksAuth = async (input: { region: string; clusterName: string; token: string }) => {
    const result = await assumeRoleForPodIdentity(eksAuthDeps, input);
    return {
      assumedRoleUser: result.assumedRoleUser,
      audience: result.audience,
      credentials: {
        accessKeyId: result.credentials.accessKeyId,
        secretAccessKey: result.credentials.secretAccessKey,
        sessionToken: result.credentials.sessionToken,
        expiration: result.credentials.expiration.getTime() / 1000,
      },
      podIdentityAssociation: result.podIdentityAssociation,
      subject: result.subject,
    };
  };
  const ownEndpoint = createAwsEndpoint({
    accountId,
    state: () => state,
    authorize: createCallerAuthorization({ state: () => state, accountId }),
    credentials,
    iam,
    sts: createStsService({
      ...webIdentity,
      callerPolicies: (caller) => callerPolicies({ state: () => state, accountId }, caller),
      peerAccount: (id) => peers.get(id),
    }),
    eks: createEksService(deps),
    eksAuth,
    events: createEventsService({
      state: () => state,
      accountId,
      now,
      ...(options.onEventPublished ? { onPublished: options.onEventPublished } : {}),
    }),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.counter ? { counter: options.counter } : {}),
    now,
    sleep,
  });
  // Keys a linked account issued (AssumeRole into a role there) act in that account wherever they are sent.
  const endpoint = routeByCredentials(ownEndpoint, credentials, () => peers.values());
  const sts = createClusterSts({
    ...webIdentity,
    tokenSigningKeys: keysAcrossLinkedAccounts(credentials, () => peers.values()),
    ...(options.faults ? { faults: options.faults } : {}),
    ...(options.counter ? { counter: options.counter } : {}),
    sleep,
  });
  const requestHandler = createInProcessHandler(endpoint);
  let eksAuthServerErrors = 0;
  const podIdentity: SandboxPodIdentity = {
    agentActive(clusterName) {
      const addon = state.clusters[clusterName]?.addons.find((a) => a.addonName === POD_IDENTITY_AGENT_ADDON);
      return addon !== undefined && addonStatus(addon, now()) === 'ACTIVE';
    },
    hasAssociation(clusterName, namespace, serviceAccount) {
      return (
        state.clusters[clusterName]?.podIdentityAssociations.some(
          (a) => a.namespace === namespace && a.serviceAccount === serviceAccount,
        ) ?? false
      );
    },
    async assumeRoleForPodIdentity({ clusterName, token }) {
      const clusterRegion = state.clusters[clusterName]?.description.region ?? region;
      try {
        options.counter?.count('eks-auth', 'AssumeRoleForPodIdentity');
        const decision = options.faults?.decide('eks-auth', 'AssumeRoleForPodIdentity');
        if (decision?.latencyMs) await sleep(decision.latencyMs);
        const injected = faultError(
          decision,
          'rest-json',
          'eks-auth',
          'AssumeRoleForPodIdentity',
          eksAuthServerErrors,
        );
        if (decision?.kind === 'server-error') eksAuthServerErrors++;
        if (injected) throw injected;
        const result = await assumeRoleForPodIdentity(eksAuthDeps, {
          region: clusterRegion,
          clusterName,
          token,
        });
        return { ok: true, identity: result.identity };
      } catch (error) {
        if (error instanceof AwsServiceError) {
          return {
            ok: false,
            error: { code: error.code, message: error.message, httpStatus: error.httpStatus },
          };
        }
        return {
          ok: false,
          error: { code: 'InternalServerException', message: String(error), httpStatus: 500 },
        };
      }
    },
    setPodLiveness(clusterName, alive) {
      podLiveness.set(clusterName, alive);
    },
  };

  /** An assumed-role session ARN names the role without its path; access entries name the role ARN. */
  const principalOf = (principalArn: string): { arn: string; session?: string } => {
    const session = new RegExp(`^arn:aws:sts::${accountId}:assumed-role/([\\w+=,.@-]+)/([\\w+=,.@-]+)$`).exec(
      principalArn,
    );
    if (!session) return { arn: principalArn };
    const roleName = session[1]!;
    return {
      arn: state.roles[roleName]?.arn ?? `arn:aws:iam::${accountId}:role/${roleName}`,
      session: session[2]!,
    };
  };

  const entryFor = (clusterName: string, principalArn: string) => {
    const principal = principalOf(principalArn);
    const entry = state.clusters[clusterName]?.accessEntries.find((e) => e.principalArn === principal.arn);
    return entry ? { entry, principal } : undefined;
  };

  /** Add-ons a cluster was registered with: there, ACTIVE, from the start (and after reset()). */
  const registeredAddons = new Map<string, string[]>();
  const installRegisteredAddons = (clusterName: string): void => {
    const record = state.clusters[clusterName]!;
    for (const addonName of registeredAddons.get(clusterName) ?? []) {
      if (record.addons.some((a) => a.addonName === addonName)) continue;
      record.addons.push(
        newAddon({ region: record.description.region, accountId, clusterName, addonName }, now(), 0),
      );
    }
  };

  const brokerAccess = new Map<string, BrokerAccess>();
  const grantBroker = (clusterName: string): void => {
    const record = state.clusters[clusterName]!;
    const leastPrivilege = brokerAccess.get(clusterName) === 'least-privilege';
    const existing = record.accessEntries.find((e) => e.principalArn === brokerRoleArn);
    // A state file from a run with the other mode: the entry the sandbox made follows the mode now.
    const madeHere = existing?.accessEntryArn.endsWith(`/${BROKER_ROLE_NAME}/broker`) ?? false;
    const asWanted = leastPrivilege
      ? existing?.kubernetesGroups.includes(BROKER_KUBERNETES_GROUP) && existing.associations.length === 0
      : existing?.associations.length !== 0;
    if (existing && (!madeHere || asWanted)) return;
    record.accessEntries = record.accessEntries.filter((e) => e !== existing);
    const at = new Date(now()).toISOString();
    record.accessEntries.push({
      principalArn: brokerRoleArn,
      accessEntryArn: `arn:aws:eks:${record.description.region}:${accountId}:access-entry/${clusterName}/role/${accountId}/${BROKER_ROLE_NAME}/broker`,
      kubernetesGroups: leastPrivilege ? [BROKER_KUBERNETES_GROUP] : [],
      username: `arn:aws:sts::${accountId}:assumed-role/${BROKER_ROLE_NAME}/{{SessionName}}`,
      type: 'STANDARD',
      tags: {},
      createdAt: at,
      modifiedAt: at,
      associations: leastPrivilege
        ? []
        : [
            {
              policyArn: `${ACCESS_POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`,
              accessScope: { type: 'cluster', namespaces: [] },
              associatedAt: at,
              modifiedAt: at,
            },
          ],
    });
  };

  /** The cluster creator's access: cluster-admin for the operator (EKS's bootstrapClusterCreatorAdminPermissions). */
  const grantOperator = (clusterName: string): void => {
    const record = state.clusters[clusterName]!;
    if (record.accessEntries.some((e) => e.principalArn === operatorRoleArn)) return;
    const at = new Date(now()).toISOString();
    record.accessEntries.push({
      principalArn: operatorRoleArn,
      accessEntryArn: `arn:aws:eks:${record.description.region}:${accountId}:access-entry/${clusterName}/role/${accountId}/${OPERATOR_ROLE_NAME}/operator`,
      kubernetesGroups: [],
      username: `arn:aws:sts::${accountId}:assumed-role/${OPERATOR_ROLE_NAME}/{{SessionName}}`,
      type: 'STANDARD',
      tags: {},
      createdAt: at,
      modifiedAt: at,
      associations: [
        {
          policyArn: `${ACCESS_POLICY_ARN_PREFIX}AmazonEKSClusterAdminPolicy`,
          accessScope: { type: 'cluster', namespaces: [] },
          associatedAt: at,
          modifiedAt: at,
        },
      ],
    });
  };

  return {
    accountId,
    region,
    sts,
    podIdentity,
    peer: { accountId, state: () => state, credentials, serve: ownEndpoint },
    linkAccount(other) {
      if (other.accountId === accountId) {
        throw new RangeError(
          `Account ${accountId} cannot be linked to itself; give the other account its own id.`,
        );
      }
      if (peers.has(other.accountId)) return;
      peers.set(other.accountId, other.peer);
      other.linkAccount(this);
    },
    get brokerCredentials() {
      return { ...broker };
    },
    brokerRoleArn,
    get operatorCredentials() {
      return { ...operator };
    },
    operatorRoleArn,
    addCluster(description, issuer, clusterOptions = {}) {
      if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(description.name)) {
        throw new RangeError(
          `Cluster name "${description.name}" must be 1..100 letters, digits, - or _, starting alphanumeric.`,
        );
      }
      if (issuer.issuer !== description.oidcIssuer) {
        throw new RangeError(
          `The issuer keys are for ${issuer.issuer} but cluster ${description.name} publishes ${description.oidcIssuer}.`,
        );
      }
      const stored = { ...description, createdAt: description.createdAt.toISOString() };
      const existing = state.clusters[description.name];
      if (existing) existing.description = stored;
      else
        state.clusters[description.name] = {
          description: stored,
          accessEntries: [],
          podIdentityAssociations: [],
          addons: [],
        };
      state.issuers = [
        ...state.issuers.filter((keys) => keys.issuer !== issuer.issuer),
        structuredClone(issuer),
      ];
      brokerAccess.set(description.name, clusterOptions.brokerAccess ?? 'cluster-admin');
      grantBroker(description.name);
      grantOperator(description.name);
      registeredAddons.set(description.name, [...(clusterOptions.addons ?? [])]);
      installRegisteredAddons(description.name);
    },
    kubernetesIdentity(clusterName, principalArn) {
      const found = entryFor(clusterName, principalArn);
      if (!found) return undefined;
      const username = found.entry.username
        .replaceAll('{{SessionName}}', found.principal.session ?? '')
        .replaceAll('{{AccountID}}', accountId);
      return { username, groups: [...found.entry.kubernetesGroups] };
    },
    authorizeKubernetes(clusterName, principalArn, verb, resource, namespace) {
      const found = entryFor(clusterName, principalArn);
      if (!found) return false;
      return accessPoliciesAllow(found.entry.associations, {
        verb,
        resource,
        ...(namespace !== undefined ? { namespace } : {}),
      });
    },
    requestHandler,
    listen: (port) => listenHttp(endpoint, port),
    sdkEnvironment(endpointUrl) {
      return {
        AWS_ENDPOINT_URL_IAM: endpointUrl,
        AWS_ENDPOINT_URL_STS: endpointUrl,
        AWS_ENDPOINT_URL_EKS: endpointUrl,
        AWS_ENDPOINT_URL_EVENTBRIDGE: endpointUrl,
        AWS_ACCESS_KEY_ID: broker.accessKeyId,
        AWS_SECRET_ACCESS_KEY: broker.secretAccessKey,
        AWS_SESSION_TOKEN: broker.sessionToken,
        AWS_REGION: region,
      };
    },
    get propagationDelayMs() {
      return propagationDelayMs;
    },
    setPropagationDelayMs(ms) {
      propagationDelayMs = checkDelay(ms);
    },
    publishedEvents() {
      return structuredClone(state.publishedEvents);
    },
    loadPublishedEvents(records) {
      state.publishedEvents = structuredClone(records.slice(-EVENTS_KEPT));
    },
    snapshot(): AccountSnapshot {
      return structuredClone({
        version: SNAPSHOT_VERSION,
        accountId,
        propagationDelayMs,
        brokerAccessKeyId: broker.accessKeyId,
        operatorAccessKeyId: operator.accessKeyId,
        state: { ...state, credentials: credentials.list() },
      });
    },
    restore(snapshot) {
      if (!isRecord(snapshot) || snapshot.version !== SNAPSHOT_VERSION || !isRecord(snapshot.state)) {
        throw new TypeError(
          `Not a sandbox account snapshot (version ${SNAPSHOT_VERSION}); pass what snapshot() returned.`,
        );
      }
      if (snapshot.accountId !== accountId) {
        throw new TypeError(`The snapshot is of account ${String(snapshot.accountId)}, not ${accountId}.`);
      }
      const restored = structuredClone(snapshot.state) as unknown as AccountState;
      for (const key of ['roles', 'customerPolicies', 'oidcProviders', 'clusters'] as const) {
        if (!isRecord(restored[key]))
          throw new TypeError(`The snapshot's state.${key} is missing or not an object.`);
      }
      if (!Array.isArray(restored.issuers) || !Array.isArray(restored.credentials)) {
        throw new TypeError("The snapshot's state.issuers and state.credentials must be arrays.");
      }
      const restoredBroker = restored.credentials.find((c) => c.accessKeyId === snapshot.brokerAccessKeyId);
      if (!restoredBroker?.sessionToken) throw new TypeError('The snapshot holds no broker credentials.');
      // Snapshots taken before EventBridge existed in the sandbox have neither.
      restored.eventBuses ??= {};
      restored.publishedEvents ??= [];
      for (const record of Object.values(restored.clusters)) {
        // Snapshots taken before EKS Pod Identity existed in the sandbox have neither list.
        record.podIdentityAssociations ??= [];
        record.addons ??= [];
      }
      credentials.replaceAll(restored.credentials);
      state = { ...restored, credentials: [] };
      broker = {
        accessKeyId: restoredBroker.accessKeyId,
        secretAccessKey: restoredBroker.secretAccessKey,
        sessionToken: restoredBroker.sessionToken,
      };
      const restoredOperator = restored.credentials.find(
        (c) => c.accessKeyId === snapshot.operatorAccessKeyId,
      );
      if (restoredOperator?.sessionToken) {
        operator = {
          accessKeyId: restoredOperator.accessKeyId,
          secretAccessKey: restoredOperator.secretAccessKey,
          sessionToken: restoredOperator.sessionToken,
        };
      } else {
        // A snapshot from before the operator: give it one, and its access to every cluster.
        const made = operatorRole();
        state.roles[OPERATOR_ROLE_NAME] = made;
        operator = freshCredentials();
        credentials.add({ ...operator, identity: operatorIdentity(made.roleId) });
        for (const name of Object.keys(state.clusters)) grantOperator(name);
      }
      if (typeof snapshot.propagationDelayMs === 'number')
        propagationDelayMs = checkDelay(snapshot.propagationDelayMs);
    },
    reset() {
      const clusters = state.clusters;
      const issuers = state.issuers;
      const keep = credentials.find(broker.accessKeyId)!;
      const keepOperator = credentials.find(operator.accessKeyId)!;
      state = emptyAccountState();
      state.roles[BROKER_ROLE_NAME] = { ...brokerRole(), roleId: keep.identity.userId.split(':')[0]! };
      state.roles[OPERATOR_ROLE_NAME] = {
        ...operatorRole(),
        roleId: keepOperator.identity.userId.split(':')[0]!,
      };
      state.issuers = issuers;
      for (const [name, record] of Object.entries(clusters)) {
        state.clusters[name] = {
          description: record.description,
          accessEntries: [],
          podIdentityAssociations: [],
          addons: [],
        };
        grantBroker(name);
        grantOperator(name);
        installRegisteredAddons(name);
      }
      credentials.replaceAll([keep, keepOperator]);
    },
  };
}
