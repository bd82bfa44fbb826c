// One Kubernetes API request from start to finish: route, count and fault injection,
// authentication, authorization, then the verb; every failure becomes a `Status`.
import { parse as parseYaml } from 'yaml';
import type { CallCounter, CallerIdentity, FaultDecision, FaultInjector, SandboxSts } from '../contracts.js';
import { AWS_TOKEN_LIFETIME_MS, authenticateAwsToken, awsTokenSignedAt } from './aws-token-authenticator.js';
import { apiGroup, apiGroupList, apiResourceList, coreApiVersions, versionInfo } from './discovery.js';
import { fromEventsV1, toEventsV1 } from './events.js';
import { checkFieldValidation } from './field-validation.js';
import { child, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { openApiResponse } from './openapi-responses.js';
import { patchObject } from './patch-bodies.js';
import type { PodLogOptions } from './pod-runtime.js';
import { decodeProtobufBody, decodesProtobuf, isProtobuf, protobufNotAccepted } from './protobuf-bodies.js';
import { type AccessPolicyCheck, RequestAuthorizer } from './request-authorizer.js';
import { parseJsonBody, type ResourceOperations, type ResourceTarget } from './resource-operations.js';
import { apiVersionOf, findResourceType, resourceTypeOfKind } from './resource-types.js';
import type { ServiceAccountTokenIssuer } from './service-account-tokens.js';
import {
  badRequest,
  forbidden,
  internalError,
  invalid,
  KubeStatusError,
  methodNotAllowed,
  type StatusCause,
  serviceUnavailable,
  tooManyRequests,
  unauthorized,
} from './status.js';
import { negotiate, type Representation, toTable } from './tables.js';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** The body as received: text for JSON, YAML and patches, binary for protobuf. */
  body: Uint8Array;
}

/** A request whose body the verbs can parse as text (protobuf already decoded to JSON). */
interface TextRequest extends Omit<ApiRequest, 'body'> {
  body: string;
  contentType: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Text, or bytes for a binary encoding (protobuf OpenAPI). */
  body: string | Uint8Array;
  /** Sent instead of `body`, chunk by chunk as it is produced (`logs -f`). */
  stream?: AsyncIterable<string>;
}

export interface Caller {
  user: string;
  groups: string[];
  uid?: string;
  /** An IAM principal STS vouched for but no access entry maps: authenticated, allowed nothing. */
  unmapped?: boolean;
  /** The IAM caller as STS reported it (session ARN for assumed roles), for access policies. */
  principalArn?: string;
}

/**
 * EKS access entries: the IAM caller as STS reported it (an assumed-role session ARN is looked up by
 * its role; the session name fills `{{SessionName}}`) → Kubernetes identity.
 */
export type KubernetesIdentityLookup = (
  principalArn: string,
) => { username: string; groups: string[] } | undefined;

export type { AccessPolicyCheck } from './request-authorizer.js';

export interface SubresourceHandlers {
  podLog(pod: JsonObject, options: PodLogOptions): AsyncIterable<string>;
  csrApproval(existing: JsonObject, body: JsonObject): JsonObject;
  csrStatus(existing: JsonObject, body: JsonObject): JsonObject;
}

export interface ApiHandlerOptions {
  clusterName: string;
  region: string;
  minor: number;
  store: ObjectStore;
  operations: ResourceOperations;
  tokens: Pick<ServiceAccountTokenIssuer, 'verify'>;
  sts: SandboxSts;
  kubernetesIdentity: KubernetesIdentityLookup;
  authorizeKubernetes?: AccessPolicyCheck;
  now: () => number;
  subresources: SubresourceHandlers;
  faults?: FaultInjector;
  counter?: CallCounter;
}

type Route = { discovery: JsonObject } | { openapi: true } | { target: ResourceTarget; sub?: string };

const TOKEN_CACHE_TTL_MS = 2 * 60_000;
const TOKEN_CACHE_MAX = 10_000;

const RBAC_GROUP = 'rbac.authorization.k8s.io';

const UNAUTHENTICATED_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

const pageNotFound = () =>
  new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});

export class ApiHandler {
  /**
   * Like the API server's webhook token authenticator cache (`--authentication-token-webhook-cache-ttl`,
   * 2 minutes by default): a token STS vouched for is not sent to STS again for a while, but never
   * beyond its own 15 minutes.
   */
  private readonly verifiedTokens = new Map<string, { identity: CallerIdentity; until: number }>();

  private readonly authorizer: RequestAuthorizer;

  constructor(private readonly options: ApiHandlerOptions) {
    this.authorizer = new RequestAuthorizer(options.store, options.authorizeKubernetes);
  }

  private async verifyAwsToken(token: string): Promise<CallerIdentity | undefined> {
    const { clusterName, region, sts, now } = this.options;
    const at = now();
    const cached = this.verifiedTokens.get(token);
    if (cached && at < cached.until) return cached.identity;
    const result = await authenticateAwsToken(token, clusterName, region, sts, at);
    if (!result.ok) return undefined;
    const signedAt = awsTokenSignedAt(token) ?? at;
    if (this.verifiedTokens.size >= TOKEN_CACHE_MAX) {
      for (const [key, entry] of this.verifiedTokens) if (entry.until <= at) this.verifiedTokens.delete(key);
      if (this.verifiedTokens.size >= TOKEN_CACHE_MAX) this.verifiedTokens.clear();
    }
    this.verifiedTokens.set(token, {
      identity: result.identity,
      until: Math.min(at + TOKEN_CACHE_TTL_MS, signedAt + AWS_TOKEN_LIFETIME_MS),
    });
    return result.identity;
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    try {
      return await this.dispatch(request);
    } catch (error) {
      const status =
        error instanceof KubeStatusError ? error : internalError((error as Error).message ?? String(error));
      return {
        status: status.code,
        headers: { 'content-type': 'application/json', ...status.headers },
        body: JSON.stringify(status.toStatus()),
      };
    }
  }

  private async dispatch(request: ApiRequest): Promise<ApiResponse> {
    const { method } = request;
    const route = this.route(request.path);
    const sub = 'target' in route ? route.sub : undefined;
    const operation =
      'target' in route
        ? `${method} ${route.target.type.plural}${sub ? `/${sub}` : ''}`
        : `${method} ${request.path}`;
    const service = `k8s:${this.options.clusterName}`;
    this.options.counter?.count(service, operation);
    await this.injectFault(this.options.faults?.decide(service, operation));

    let caller: Caller = { user: 'system:anonymous', groups: ['system:unauthenticated'] };
    // Public paths admit anonymous callers, but credentials that are presented must be valid: the API
    // server rejects a bad bearer token with 401 wherever it is sent.
    const anonymous = !request.headers.authorization;
    if (!(method === 'GET' && UNAUTHENTICATED_PATHS.has(request.path) && anonymous)) {
      caller = await this.authenticate(request.headers.authorization);
      if ('target' in route) this.authorizeRequest(caller, method, route.target, sub);
      else if (caller.unmapped)
        throw forbidden(undefined, undefined, `User "${caller.user}" cannot get path "${request.path}"`);
    }
    if ('discovery' in route) {
      if (method !== 'GET') throw methodNotAllowed(method, request.path);
      return json(200, route.discovery);
    }
    if ('openapi' in route) {
      if (method !== 'GET') throw methodNotAllowed(method, request.path);
      const { minor } = this.options;
      const found = openApiResponse(
        request.path,
        request.query,
        request.headers,
        minor,
        versionInfo(minor).gitVersion as string,
      );
      if (!found) throw pageNotFound();
      return found;
    }
    const { minor } = this.options;
    if (sub && !route.target.type.subresources.includes(sub)) throw pageNotFound();
    const text = textBody(request, route.target);
    const checked = sub
      ? { warnings: [], body: text.body }
      : checkFieldValidation(
          route.target,
          method,
          text.contentType,
          text.body,
          request.query,
          minor,
          versionInfo(minor).gitVersion as string,
        );
    const response = await this.resourceVerb({ ...text, body: checked.body }, route.target, sub, caller);
    if (checked.warnings.length > 0)
      response.headers.warning = checked.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
    return response;
  }

  private async resourceVerb(
    request: TextRequest,
    target: ResourceTarget,
    sub: string | undefined,
    caller: Caller,
  ): Promise<ApiResponse> {
    const { operations, subresources } = this.options;
    const { method, contentType } = request;
    const manager = request.query.get('fieldManager') ?? managerFromUserAgent(request.headers['user-agent']);
    // events.k8s.io/v1 events are stored as core/v1 events and converted on the way in and out.
    const converted = target.type.group === 'events.k8s.io';
    const served = target;
    if (converted) target = { ...target, type: resourceTypeOfKind('Event'), version: 'v1' };
    const query = converted ? eventsV1FieldSelector(request.query) : request.query;
    const view = (obj: JsonObject) => (converted ? toEventsV1(obj) : obj);
    const out = (status: number, obj: JsonObject) =>
      json(status, operations.present(served.type, served.version, view(obj)));
    const body = () => {
      const parsed = parseJsonBody(request.body, contentType);
      return converted ? fromEventsV1(parsed) : parsed;
    };
    // Reads of the resource itself may be printed as a Table (what `kubectl get` asks for).
    const representation: Representation =
      method === 'GET' && !sub ? negotiate(request.headers.accept) : { as: 'json' };
    const table = (objects: JsonObject[], listMetadata?: JsonObject) =>
      representation.as === 'table'
        ? json(
            200,
            toTable(
              {
                type: served.type,
                version: representation.version,
                apiVersion: apiVersionOf(served.type.group, served.version),
                query,
                now: this.options.now(),
                present: view,
              },
              objects,
              listMetadata,
            ),
          )
        : undefined;

    if (!target.name) {
      if (method === 'GET') {
        const list = operations.list(target, query);
        const items = objectsAt(list, 'items');
        return (
          table(items, child(list, 'metadata')) ??
          json(200, {
            ...list,
            apiVersion: apiVersionOf(served.type.group, served.version),
            items: items.map(view),
          })
        );
      }
      if (method === 'POST') {
        const created = body();
        this.confirmRbacWrite(caller, target, created);
        return out(201, await operations.create(target, created, manager, caller));
      }
      throw methodNotAllowed(method, request.path);
    }
    if (sub === 'log') {
      if (method !== 'GET') throw methodNotAllowed(method, request.path);
      const logOptions = podLogOptions(query, target.name, this.options.now());
      const chunks = subresources.podLog(operations.get(target), logOptions);
      const headers = { 'content-type': 'text/plain' };
      if (logOptions.follow) return { status: 200, headers, body: '', stream: chunks };
      let text = '';
      for await (const chunk of chunks) text += chunk;
      return { status: 200, headers, body: text };
    }
    if (sub === 'approval' || (sub === 'status' && target.type.kind === 'CertificateSigningRequest')) {
      if (method === 'GET') return out(200, operations.get(target));
      if (method !== 'PUT') throw methodNotAllowed(method, request.path);
      const body = parseJsonBody(request.body, contentType);
      const handler = sub === 'approval' ? subresources.csrApproval : subresources.csrStatus;
      const existing = operations.get(target);
      if (sub === 'approval') this.authorizer.confirmSignerApproval(caller, target.type, existing);
      const rv = stringAt(child(body, 'metadata'), 'resourceVersion');
      if (rv && rv !== stringAt(child(existing, 'metadata'), 'resourceVersion')) {
        throw new KubeStatusError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on certificatesigningrequests.certificates.k8s.io "${target.name}": the object has been modified; please apply your changes to the latest version and try again`,
        );
      }
      // The stored object keeps the apiVersion it was last written at; an approval at another served
      // version (v1 for a CSR filed at v1beta1) is a write at this one.
      const updated = operations.present(target.type, target.version, handler(existing, body));
      return out(
        200,
        operations.replace(
          target,
          { ...updated, metadata: { ...child(updated, 'metadata'), resourceVersion: null } },
          manager,
          false,
        ),
      );
    }
    if (sub === 'status') {
      if (method === 'GET') return out(200, operations.get(target));
      throw methodNotAllowed(method, request.path);
    }
    switch (method) {
      case 'GET': {
        const found = operations.get(target);
        return table([found]) ?? out(200, found);
      }
      case 'PUT': {
        const replacement = body();
        this.confirmRbacWrite(caller, target, replacement);
        return out(200, operations.replace(target, replacement, manager));
      }
      case 'PATCH': {
        if (converted) return out(200, this.patchEventsV1(target, contentType, request.body, manager));
        const applying = contentType.startsWith('application/apply-patch');
        const existed =
          applying && this.options.store.get(target.type, target.namespace, target.name) !== undefined;
        // A patch that creates the object (server-side apply) is also a create, and is authorized as one.
        if (applying && !existed) this.authorizeVerb(caller, 'create', target);
        if (target.type.group === RBAC_GROUP) {
          const mediaType = contentType.split(';')[0]!.trim();
          const intended = applying
            ? parsedApplyBody(request.body)
            : patchObject(operations.get(target), request.body, mediaType);
          // A body that does not parse is left to the patch, which answers 400 for it.
          if (intended) this.confirmRbacWrite(caller, target, intended);
        }
        const result = await operations.patch(target, contentType, request.body, query, manager, caller);
        return out(applying && !existed ? 201 : 200, result);
      }
      case 'DELETE':
        return out(200, operations.delete(target));
      default:
        throw methodNotAllowed(method, request.path);
    }
  }

  private confirmRbacWrite(caller: Caller, target: ResourceTarget, object: JsonObject): void {
    if (target.type.group !== RBAC_GROUP) return;
    this.authorizer.confirmNoEscalation(caller, target.type, target.namespace, object);
  }

  /** A patch written against the events.k8s.io/v1 form of a stored core/v1 event. */
  private patchEventsV1(target: ResourceTarget, contentType: string, rawBody: string, manager: string) {
    const { operations } = this.options;
    const mediaType = contentType.split(';')[0]!.trim();
    const existing = operations.get(target);
    const current = { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...toEventsV1(existing) };
    const patched = patchObject(current, rawBody, mediaType);
    return operations.replace(target, fromEventsV1(patched), manager);
  }

  private route(path: string): Route {
    const { minor } = this.options;
    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    const found = (doc: JsonObject | undefined): Route => {
      if (!doc) throw pageNotFound();
      return { discovery: doc };
    };
    if (path === '/version' || path === '/version/') return found(versionInfo(minor));
    if (['/healthz', '/livez', '/readyz'].includes(path)) return found({ status: 'ok' });
    if (segments[0] === 'openapi') return { openapi: true };
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api') {
      if (segments.length === 1) return found(coreApiVersions());
      if (segments[1] !== 'v1') throw pageNotFound();
      if (segments.length === 2) return found(apiResourceList(minor, '', 'v1'));
      [group, version, rest] = ['', 'v1', segments.slice(2)];
    } else if (segments[0] === 'apis') {
      if (segments.length === 1) return found(apiGroupList(minor));
      if (segments.length === 2) return found(apiGroup(minor, segments[1]!));
      if (segments.length === 3) return found(apiResourceList(minor, segments[1]!, segments[2]!));
      [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    } else throw pageNotFound();

    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, sub, ...extra] = rest;
    const type = findResourceType(group, version, plural ?? '', minor);
    if (!type || extra.length > 0 || (namespace !== undefined && !type.namespaced)) throw pageNotFound();
    const target: ResourceTarget = { type, version, namespace, name };
    return { target, sub };
  }

  private async authenticate(header: string | undefined): Promise<Caller> {
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) throw unauthorized();
    const token = match[1]!;
    const { tokens, store, kubernetesIdentity } = this.options;
    if (token.startsWith('k8s-aws-v1.')) {
      const identity = await this.verifyAwsToken(token);
      if (!identity) throw unauthorized();
      const principalArn = identity.arn;
      const mapped = kubernetesIdentity(principalArn);
      if (!mapped)
        return { user: principalArn, groups: ['system:authenticated'], unmapped: true, principalArn };
      const groups = [...new Set([...mapped.groups, 'system:authenticated'])];
      return {
        user: mapped.username,
        groups,
        uid: `aws-iam-authenticator:${identity.userId}`,
        principalArn,
      };
    }
    const sa = await tokens.verify(token);
    if (!sa) throw unauthorized();
    const account = store.get(resourceTypeOfKind('ServiceAccount'), sa.namespace, sa.name);
    if (!account || (sa.uid && stringAt(child(account, 'metadata'), 'uid') !== sa.uid)) throw unauthorized();
    return {
      user: `system:serviceaccount:${sa.namespace}:${sa.name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'],
    };
  }

  private authorizeRequest(
    caller: Caller,
    method: string,
    target: ResourceTarget,
    sub: string | undefined,
  ): void {
    this.authorizeVerb(caller, verbOf(method, target.name !== undefined), target, sub);
  }

  private authorizeVerb(caller: Caller, verb: string, target: ResourceTarget, sub?: string): void {
    const resource = sub ? `${target.type.plural}/${sub}` : target.type.plural;
    const namespace = target.type.namespaced
      ? target.namespace
      : target.type.kind === 'Namespace'
        ? target.name
        : undefined;
    this.authorizer.authorize(caller, target.type, {
      verb,
      group: target.type.group,
      resource,
      ...(namespace !== undefined ? { namespace } : {}),
      ...(target.name !== undefined ? { name: target.name } : {}),
    });
  }

  private async injectFault(decision: FaultDecision | undefined): Promise<void> {
    switch (decision?.kind) {
      case 'throttle':
        throw tooManyRequests(decision.retryAfterSeconds ?? 1);
      case 'server-error':
        throw serviceUnavailable();
      case 'permanent':
        throw internalError('etcdserver: request timed out');
      case 'latency':
        await new Promise((resolve) => setTimeout(resolve, decision.latencyMs ?? 1000));
        return;
      default:
        return;
    }
  }
}

/**
 * The body as text for the verbs. A protobuf create or update is decoded to the JSON a JSON client
 * would have sent, so every rule after this sees one form; a kind the sandbox cannot decode from
 * protobuf gets the 415 of a server without a protobuf serializer for it.
 */
function textBody(request: ApiRequest, target: ResourceTarget): TextRequest {
  const contentType = request.headers['content-type'] ?? 'application/json';
  const decodes = request.method === 'POST' || request.method === 'PUT';
  if (!decodes || !isProtobuf(contentType))
    return { ...request, body: Buffer.from(request.body).toString('utf8'), contentType };
  const apiVersion = apiVersionOf(target.type.group, target.version);
  if (!decodesProtobuf(apiVersion, target.type.kind)) throw protobufNotAccepted();
  const decoded = decodeProtobufBody(request.body, { apiVersion, kind: target.type.kind });
  return { ...request, body: JSON.stringify(decoded), contentType: 'application/json' };
}

/** events.k8s.io/v1 selects on its own field names; storage has the core/v1 ones. */
function eventsV1FieldSelector(query: URLSearchParams): URLSearchParams {
  const selector = query.get('fieldSelector');
  if (!selector) return query;
  const renamed = new URLSearchParams(query);
  renamed.set(
    'fieldSelector',
    selector
      .split(',')
      .map((term) =>
        term
          .replace(/^regarding\./, 'involvedObject.')
          .replace(/^reportingController(?=!?=)/, 'reportingComponent'),
      )
      .join(','),
  );
  return renamed;
}

function parsedApplyBody(text: string): JsonObject | undefined {
  try {
    const parsed = parseYaml(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

function verbOf(method: string, named: boolean): string {
  switch (method) {
    case 'GET':
      return named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** The API server names the manager of a non-apply write after the client's user agent. */
function managerFromUserAgent(userAgent: string | undefined): string {
  return userAgent?.split('/')[0]?.trim() || 'unknown';
}

/**
 * The query of GET .../log as the API server decodes and validates PodLogOptions: a value that is no
 * number is a 400, one out of range makes the options Invalid (422).
 */
function podLogOptions(query: URLSearchParams, pod: string, now: number): PodLogOptions {
  const flag = (key: string) => {
    const value = query.get(key);
    if (value === null || value === '' || value === 'false') return false;
    if (value === 'true') return true;
    throw badRequest(
      `${key}: invalid value "${value}": strconv.ParseBool: parsing "${value}": invalid syntax`,
    );
  };
  const integer = (key: string) => {
    const value = query.get(key);
    if (value === null) return undefined;
    if (!/^-?\d+$/.test(value))
      throw badRequest(
        `${key}: invalid value "${value}": strconv.ParseInt: parsing "${value}": invalid syntax`,
      );
    return Number(value);
  };
  const causes: StatusCause[] = [];
  const out = (field: string, value: number, message: string) =>
    causes.push({ reason: 'FieldValueInvalid', field, message: `Invalid value: ${value}: ${message}` });
  const tailLines = integer('tailLines');
  const limitBytes = integer('limitBytes');
  const sinceSeconds = integer('sinceSeconds');
  const sinceTime = query.get('sinceTime');
  if (tailLines !== undefined && tailLines < 0)
    out('tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) out('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTime !== null)
    causes.push({
      reason: 'FieldValueForbidden',
      field: '',
      message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  else if (sinceSeconds !== undefined && sinceSeconds < 1)
    out('sinceSeconds', sinceSeconds, 'must be greater than 0');
  if (causes.length > 0) throw invalid('PodLogOptions', '', pod, causes);
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = now - sinceSeconds * 1000;
  if (sinceTime !== null) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs))
      throw badRequest(`sinceTime: invalid value "${sinceTime}": parsing time "${sinceTime}" as RFC3339`);
  }
  const container = query.get('container');
  return {
    ...(container ? { container } : {}),
    follow: flag('follow'),
    previous: flag('previous'),
    timestamps: flag('timestamps'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
  };
}

function json(status: number, body: JsonObject): ApiResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
