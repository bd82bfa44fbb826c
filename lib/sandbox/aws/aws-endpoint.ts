// One AWS API request from start to finish, as the account's endpoint sees it: route by the SigV4
// signing scope's service, count, inject faults, authenticate, run the operation, answer on the
// service's own wire protocol (awsQuery XML for IAM and STS, restJson1 for EKS, awsJson1_1 for EventBridge).
import type { CallCounter, CallerIdentity, FaultInjector } from '../contracts.js';
import type { AccountState } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import {
  type AuthorizationRequest,
  eksResource,
  iamConditionContext,
  iamResource,
} from './caller-authorization.js';
import type { CredentialStore } from './credential-store.js';
import { type EksRoute, matchEksRoute } from './eks-service.js';
import type { EventsService } from './events-service.js';
import type { IamService } from './iam-service.js';
import { requestId as newRequestId } from './ids.js';
import { type AwsProtocol, faultError } from './injected-faults.js';
import { jsonRpcError, jsonRpcResponse, jsonTargetOperation } from './json-protocol.js';
import { QueryParams, queryError, queryResponse, type WireResponse } from './query-protocol.js';
import { jsonError, jsonResponse, parseJsonObject } from './rest-json-protocol.js';
import {
  type AuthFailureReason,
  type AuthResult,
  type IncomingRequest,
  parseCredentialScope,
  scopeOfAuthorization,
  verifyPresignedUrl,
  verifySignedRequest,
} from './sigv4-verifier.js';
import { SELF_AUTHORIZED_STS_OPERATIONS, type StsOperation, UNSIGNED_STS_OPERATIONS } from './sts-service.js';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
/** How long a presigned URL sent straight to the endpoint stays valid at most (SigV4's own limit). */
const PRESIGNED_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface AwsEndpointDeps {
  accountId: string;
  state(): AccountState;
  credentials: CredentialStore;
  /** Authorizes a signed call by the caller's policies; throws AccessDenied. */
  authorize(request: AuthorizationRequest): void;
  iam: IamService;
  sts: ReadonlyMap<string, StsOperation>;
  eks: EksRoute[];
  /** EKS Auth's one operation, for the Pod Identity agent. */
  eksAuth(input: { region: string; clusterName: string; token: string }): Promise<unknown>;
  events: EventsService;
  faults?: FaultInjector;
  counter?: CallCounter;
  now(): number;
  sleep(ms: number): Promise<void>;
}

const ASSUME_ROLE_FOR_POD_IDENTITY = /^\/clusters\/([^/]+)\/assume-role-for-pod-identity$/;

interface Routed {
  service: 'iam' | 'sts' | 'eks' | 'eks-auth' | 'events';
  protocol: AwsProtocol;
  operation: string;
  region: string | undefined;
}

const JSON_AUTH_CODES: Record<AuthFailureReason, [code: string, status: number]> = {
  missing: ['MissingAuthenticationTokenException', 403],
  malformed: ['IncompleteSignatureException', 403],
  'unknown-key': ['UnrecognizedClientException', 403],
  'invalid-token': ['UnrecognizedClientException', 403],
  'expired-token': ['ExpiredTokenException', 403],
  'bad-signature': ['InvalidSignatureException', 403],
  'signature-expired': ['InvalidSignatureException', 403],
};

const AUTH_CODES: Record<AwsProtocol, Record<AuthFailureReason, [code: string, status: number]>> = {
  query: {
    missing: ['MissingAuthenticationToken', 403],
    malformed: ['IncompleteSignature', 400],
    'unknown-key': ['InvalidClientTokenId', 403],
    'invalid-token': ['InvalidClientTokenId', 403],
    'expired-token': ['ExpiredToken', 403],
    'bad-signature': ['SignatureDoesNotMatch', 403],
    'signature-expired': ['SignatureDoesNotMatch', 403],
  },
  'rest-json': JSON_AUTH_CODES,
  json: JSON_AUTH_CODES,
};

/** The error an endpoint answers when authentication fails, in the protocol's own vocabulary. */
export function authenticationError(
  protocol: AwsProtocol,
  reason: AuthFailureReason,
  message: string,
): AwsServiceError {
  const [code, status] = AUTH_CODES[protocol][reason];
  return new AwsServiceError(code, message, status);
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function createAwsEndpoint(
  deps: AwsEndpointDeps,
): (request: IncomingRequest) => Promise<WireResponse> {
  let serverErrors = 0;

  const answerError = (error: AwsServiceError, protocol: AwsProtocol, namespace: string, id: string) =>
    protocol === 'query'
      ? queryError(error, namespace, id)
      : protocol === 'json'
        ? jsonRpcError(error, id)
        : jsonError(error, id);

  const route = (request: IncomingRequest, params: QueryParams): Routed | AwsServiceError => {
    const scope =
      scopeOfAuthorization(request.headers.authorization) ??
      parseCredentialScope(firstValue(request.query['X-Amz-Credential']) ?? '');
    const service = scope?.service ?? (UNSIGNED_STS_OPERATIONS.has(params.action) ? 'sts' : undefined);
    if (service === 'iam' || service === 'sts') {
      const operation = params.action;
      return { service, protocol: 'query', operation, region: scope?.region };
    }
    if (service === 'eks') {
      const match = matchEksRoute(deps.eks, request.method, request.path.split('?')[0]!);
      return {
        service,
        protocol: 'rest-json',
        operation: match?.route.operation ?? 'Unknown',
        region: scope?.region,
      };
    }
    if (service === 'eks-auth') {
      const known =
        request.method === 'POST' && ASSUME_ROLE_FOR_POD_IDENTITY.test(request.path.split('?')[0]!);
      return {
        service,
        protocol: 'rest-json',
        operation: known ? 'AssumeRoleForPodIdentity' : 'Unknown',
        region: scope?.region,
      };
    }
    if (service === 'events') {
      const operation = jsonTargetOperation(request.headers['x-amz-target'], 'AWSEvents') ?? 'Unknown';
      return { service, protocol: 'json', operation, region: scope?.region };
    }
    if (service === undefined) {
      return new AwsServiceError(
        'MissingAuthenticationToken',
        'Request is missing Authentication Token',
        403,
      );
    }
    return new AwsServiceError(
      'UnrecognizedService',
      `This account serves iam, sts, eks, eks-auth and events; the request was signed for "${service}".`,
      400,
    );
  };

  const authenticate = async (request: IncomingRequest): Promise<AuthResult> => {
    if (request.headers.authorization !== undefined || request.query['X-Amz-Credential'] === undefined) {
      return verifySignedRequest(deps.credentials, request, deps.now());
    }
    const url = new URL(`https://${request.headers.host ?? 'localhost'}${request.path.split('?')[0]}`);
    for (const [key, value] of Object.entries(request.query)) {
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
    }
    return verifyPresignedUrl(
      deps.credentials,
      { method: request.method, url, headers: request.headers },
      deps.now(),
      PRESIGNED_MAX_AGE_MS,
    );
  };

  const run = async (routed: Routed, request: IncomingRequest, params: QueryParams, id: string) => {
    let caller: CallerIdentity | undefined;
    const unsigned =
      routed.service === 'sts' &&
      UNSIGNED_STS_OPERATIONS.has(routed.operation) &&
      request.headers.authorization === undefined &&
      request.query['X-Amz-Credential'] === undefined;
    if (!unsigned) {
      const auth = await authenticate(request);
      if (!auth.ok) {
        throw authenticationError(routed.protocol, auth.reason, auth.message);
      }
      if (routed.service === 'iam' && auth.scope.region !== 'us-east-1') {
        throw new AwsServiceError(
          'SignatureDoesNotMatch',
          `Credential should be scoped to a valid region, not '${auth.scope.region}'; IAM is signed for us-east-1.`,
          403,
        );
      }
      caller = auth.record.identity;
    }

    const authorize = (resource: string, context?: Record<string, string>) => {
      if (caller)
        deps.authorize({
          caller,
          service: routed.service,
          operation: routed.operation,
          resource,
          ...(context ? { context } : {}),
        });
    };
    if (routed.service === 'iam') {
      const operation = deps.iam.operations.get(routed.operation);
      if (!operation) throw invalidAction(routed.operation, 'IAM');
      const param = (name: string) => params.optional(name);
      authorize(
        iamResource(deps.accountId, deps.state(), param),
        iamConditionContext(deps.state(), routed.operation, param),
      );
      return queryResponse(routed.operation, IAM_NAMESPACE, operation(params), id);
    }
    if (routed.service === 'sts') {
      const operation = deps.sts.get(routed.operation);
      if (!operation) throw invalidAction(routed.operation, 'STS');
      if (!SELF_AUTHORIZED_STS_OPERATIONS.has(routed.operation)) authorize('*');
      return queryResponse(routed.operation, STS_NAMESPACE, await operation(params, caller), id);
    }
    if (routed.service === 'events') {
      const operation = deps.events.operations.get(routed.operation);
      if (request.method !== 'POST' || !operation) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `EventBridge has no operation ${request.headers['x-amz-target'] ?? '(no X-Amz-Target)'}.`,
          400,
        );
      }
      const body = parseJsonObject(request.body);
      const region = routed.region ?? '';
      for (const resource of deps.events.resourcesOf(routed.operation, body, region)) authorize(resource);
      return jsonRpcResponse(operation(body, region), id);
    }
    if (routed.service === 'eks-auth') {
      const clusterName = ASSUME_ROLE_FOR_POD_IDENTITY.exec(request.path.split('?')[0]!)?.[1];
      if (request.method !== 'POST' || clusterName === undefined) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `No EKS Auth operation at ${request.method} ${request.path}.`,
          404,
        );
      }
      const name = decodeURIComponent(clusterName);
      authorize(`arn:aws:eks:${routed.region ?? ''}:${deps.accountId}:cluster/${name}`);
      const token = parseJsonObject(request.body).token;
      if (typeof token !== 'string' || token === '') {
        throw new AwsServiceError('InvalidParameterException', 'token is required.', 400);
      }
      const body = await deps.eksAuth({ region: routed.region ?? '', clusterName: name, token });
      return jsonResponse(200, body, id);
    }
    const match = matchEksRoute(deps.eks, request.method, request.path.split('?')[0]!);
    if (!match) {
      throw new AwsServiceError(
        'UnknownOperationException',
        `No EKS operation at ${request.method} ${request.path}.`,
        404,
      );
    }
    authorize(eksResource(deps.accountId, routed.region ?? '', match.params));
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query)) {
      for (const item of Array.isArray(value) ? value : [value]) query.append(key, item);
    }
    const result = match.route.run({
      region: routed.region ?? '',
      params: match.params,
      query,
      body: request.method === 'GET' || request.method === 'DELETE' ? {} : parseJsonObject(request.body),
    });
    return jsonResponse(result.status, result.body, id);
  };

  return async (request) => {
    const id = newRequestId();
    // awsQuery parameters; harmless to build for an EKS request, which never reads them.
    const params = new QueryParams(request.body, request.query);
    const routed = route(request, params);
    const date = new Date(deps.now()).toUTCString();
    if (routed instanceof AwsServiceError) {
      return withDate(queryError(routed, IAM_NAMESPACE, id), date);
    }
    const namespace = routed.service === 'iam' ? IAM_NAMESPACE : STS_NAMESPACE;
    try {
      deps.counter?.count(routed.service, routed.operation);
      const decision = deps.faults?.decide(routed.service, routed.operation);
      if (decision?.latencyMs) await deps.sleep(decision.latencyMs);
      const injected = faultError(decision, routed.protocol, routed.service, routed.operation, serverErrors);
      if (decision?.kind === 'server-error') serverErrors++;
      if (injected) throw injected;
      return withDate(await run(routed, request, params, id), date);
    } catch (error) {
      if (error instanceof AwsServiceError)
        return withDate(answerError(error, routed.protocol, namespace, id), date);
      const internal = new AwsServiceError(
        routed.protocol === 'query' ? 'InternalFailure' : 'ServerException',
        `Sandbox ${routed.service} failed on ${routed.operation}: ${(error as Error).message ?? String(error)}`,
        500,
      );
      return withDate(answerError(internal, routed.protocol, namespace, id), date);
    }
  };
}

function invalidAction(action: string, service: string): AwsServiceError {
  return new AwsServiceError(
    'InvalidAction',
    action === ''
      ? `The request to ${service} names no Action.`
      : `Could not find operation ${action} for version of ${service} served by the sandbox.`,
    400,
  );
}

function withDate(response: WireResponse, date: string): WireResponse {
  return { ...response, headers: { ...response.headers, date } };
}
