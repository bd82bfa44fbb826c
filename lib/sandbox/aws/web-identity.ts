// STS AssumeRoleWithWebIdentity for OIDC tokens: provider lookup, JWT verification against the
// issuer's keys, audience, the role's trust policy (evaluated by iam-simulate) and IAM propagation.
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
import type { AccountState } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import { type CredentialStore, issueRoleSession, type SandboxCredentials } from './credential-store.js';
import { oidcProviderArn, stripScheme } from './iam-service.js';

export interface WebIdentityDeps {
  state(): AccountState;
  credentials: CredentialStore;
  accountId: string;
  now(): number;
}

export interface WebIdentityRequest {
  roleArn: string;
  webIdentityToken: string;
  roleSessionName: string;
  durationSeconds?: number;
}

export interface WebIdentityResult {
  credentials: Required<SandboxCredentials> & { expiration: Date };
  identity: CallerIdentity;
  subject: string;
  audience: string;
  provider: string;
}

const notAuthorized = () =>
  new AwsServiceError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
const invalidToken = (message: string) => new AwsServiceError('InvalidIdentityToken', message, 400);

function checkSessionName(name: string): void {
  if (name.length < 2 || name.length > 64 || !/^[\w+=,.@-]+$/.test(name)) {
    throw new AwsServiceError(
      'ValidationError',
      `1 validation error detected: Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length 2..64`,
      400,
    );
  }
}

function unverifiedClaims(token: string): JWTPayload {
  try {
    return decodeJwt(token);
  } catch {
    throw invalidToken(
      'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
    );
  }
}

async function verifiedClaims(token: string, issuer: string, jwks: JWK[], now: number): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: jwks }), {
      issuer,
      currentDate: new Date(now),
      clockTolerance: 0,
    });
    return payload;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      const exp = (error.payload.exp ?? 0) * 1000;
      throw new AwsServiceError(
        'ExpiredTokenException',
        `Token expired: current date/time ${new Date(now).toISOString()} must be before the expiration date/time ${new Date(exp).toISOString()}`,
        400,
      );
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'nbf') {
      throw invalidToken('Token used before its not-before (nbf) time.');
    }
    throw invalidToken(
      'Signature of the web identity token could not be verified with the keys of its issuer.',
    );
  }
}

/** What AWS puts into the request context for a web identity federation call. */
function contextKeys(
  providerUrl: string,
  claims: JWTPayload,
  provider: string,
): Record<string, string | string[]> {
  const aud = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
  const keys: Record<string, string | string[]> = {
    'aws:FederatedProvider': provider,
    'aws:PrincipalType': 'WebIdentityUser',
    [`${providerUrl}:sub`]: claims.sub ?? '',
    [`${providerUrl}:aud`]: aud.length === 1 ? aud[0]! : aud,
    [`${providerUrl}:oaud`]: aud.length === 1 ? aud[0]! : aud,
  };
  if (typeof claims.amr === 'string' || Array.isArray(claims.amr))
    keys[`${providerUrl}:amr`] = claims.amr as string[];
  return keys;
}

export async function assumeRoleWithWebIdentity(
  deps: WebIdentityDeps,
  request: WebIdentityRequest,
): Promise<WebIdentityResult> {
  checkSessionName(request.roleSessionName);
  const now = deps.now();
  const state = deps.state();
  const claims = unverifiedClaims(request.webIdentityToken);
  const issuer = typeof claims.iss === 'string' ? claims.iss : '';
  const providerArn = oidcProviderArn(deps.accountId, issuer.replace(/\/$/, ''));
  const provider = state.oidcProviders[providerArn];
  if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${issuer}`);

  const keys = state.issuers.find((entry) => entry.issuer === issuer);
  if (!keys) {
    throw new AwsServiceError(
      'IDPCommunicationError',
      `Couldn't retrieve verification key from your identity provider ${issuer}, please reference AssumeRoleWithWebIdentity documentation for requirements`,
      400,
    );
  }
  const verified = await verifiedClaims(request.webIdentityToken, issuer, keys.jwks as JWK[], now);
  const audiences = Array.isArray(verified.aud) ? verified.aud : verified.aud ? [verified.aud] : [];
  if (!audiences.some((aud) => provider.clientIds.includes(aud)))
    throw invalidToken('Incorrect token audience');

  const roleMatch = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(request.roleArn);
  if (!roleMatch) {
    throw new AwsServiceError(
      'ValidationError',
      `${request.roleArn} is invalid; pass a role ARN like arn:aws:iam::<account>:role/<name>.`,
      400,
    );
  }
  const role = roleMatch[1] === deps.accountId ? state.roles[roleMatch[2]!] : undefined;
  // A role that does not exist, is not yet visible to STS, or does not trust this token all read alike.
  if (!role || role.arn !== request.roleArn || now < role.trustEffectiveAt) throw notAuthorized();
  const decision = runUnsafeSimulation(
    {
      request: {
        principal: providerArn,
        action: 'sts:AssumeRoleWithWebIdentity',
        resource: { resource: role.arn, accountId: deps.accountId },
        contextVariables: contextKeys(provider.url, verified, providerArn),
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // iam-simulate names a resource policy only when it is handed over pre-validated.
      resourcePolicy: {
        __validated: true,
        policyDocument: JSON.parse(role.assumeRolePolicyDocument),
        metadata: { name: 'AssumeRolePolicyDocument' },
        errors: [],
      },
    },
    {},
  );
  if (decision !== 'Allowed') throw notAuthorized();

  const durationSeconds = request.durationSeconds ?? 3600;
  if (durationSeconds < 900 || durationSeconds > role.maxSessionDuration) {
    throw new AwsServiceError(
      'ValidationError',
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${role.maxSessionDuration}); ask for 900..${role.maxSessionDuration} seconds.`,
      400,
    );
  }
  const expiration = new Date(Math.floor(now / 1000) * 1000 + durationSeconds * 1000);
  const { credentials, identity } = issueRoleSession(
    deps.credentials,
    deps.accountId,
    role,
    request.roleSessionName,
    expiration,
    now,
  );
  return {
    credentials,
    identity,
    subject: verified.sub ?? '',
    audience: audiences[0]!,
    provider: stripScheme(issuer),
  };
}
