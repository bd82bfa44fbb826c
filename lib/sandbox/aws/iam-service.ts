// The account's IAM: roles, inline and managed policies, permissions boundaries and OIDC providers,
// with IAM's validation, quotas and error codes.
import type {
  AccountState,
  CustomerPolicyRecord,
  OidcProviderRecord,
  RoleRecord,
  Tag,
} from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';
import {
  checkDescription,
  checkMaxSessionDuration,
  checkName,
  checkPath,
  checkTags,
  MAX_TAGS_PER_RESOURCE,
  mergeTags,
} from './iam-input.js';
import { uniqueId } from './ids.js';
import { AWS_MANAGED_POLICIES, AWS_MANAGED_POLICY_CREATE_DATE } from './managed-policies.js';
import {
  checkTrustPolicySize,
  type PolicyJson,
  parsePolicyDocument,
  principalsOf,
} from './policy-document.js';
import { type QueryParams, rfc3986Encode, type XmlValue } from './query-protocol.js';

export const MANAGED_POLICIES_PER_ROLE = 10;
export const ROLES_PER_ACCOUNT = 1000;
export const OIDC_PROVIDERS_PER_ACCOUNT = 100;
export const INLINE_POLICY_BYTES_PER_ROLE = 10240;
export const CLIENT_IDS_PER_OIDC_PROVIDER = 100;

export interface IamDeps {
  state(): AccountState;
  accountId: string;
  now(): number;
  propagationDelayMs(): number;
}

type Operation = (params: QueryParams) => Record<string, XmlValue> | undefined;

export interface IamService {
  operations: ReadonlyMap<string, Operation>;
}

const noSuchEntity = (message: string) => new AwsServiceError('NoSuchEntity', message, 404);

export function oidcProviderArn(accountId: string, issuerUrl: string): string {
  return `arn:aws:iam::${accountId}:oidc-provider/${stripScheme(issuerUrl)}`;
}

export function stripScheme(url: string): string {
  return url.replace(/^https:\/\//, '');
}

export function createIamService(deps: IamDeps): IamService {
  const { accountId } = deps;

  const role = (name: string): RoleRecord => {
    const found = deps.state().roles[name];
    if (!found) throw noSuchEntity(`The role with name ${name} cannot be found.`);
    return found;
  };

  const managedPolicy = (arn: string) => {
    const aws = AWS_MANAGED_POLICIES.get(arn);
    if (aws)
      return { ...aws, createDate: AWS_MANAGED_POLICY_CREATE_DATE.toISOString(), description: undefined };
    return deps.state().customerPolicies[arn];
  };

  const attachmentCount = (arn: string): number =>
    Object.values(deps.state().roles).filter((r) => r.attachedPolicyArns.includes(arn)).length;

  const boundaryCount = (arn: string): number =>
    Object.values(deps.state().roles).filter((r) => r.permissionsBoundaryArn === arn).length;

  /** IAM refuses trust policies naming principals of this account that do not exist. */
  const checkPrincipalsExist = (policy: PolicyJson): void => {
    for (const arn of principalsOf(policy, 'Federated')) {
      if (arn.startsWith(`arn:aws:iam::${accountId}:oidc-provider/`) && !deps.state().oidcProviders[arn]) {
        throw new AwsServiceError(
          'MalformedPolicyDocument',
          `Invalid principal in policy: "FEDERATED":"${arn}"`,
          400,
        );
      }
    }
    for (const arn of principalsOf(policy, 'AWS')) {
      const roleName = new RegExp(`^arn:aws:iam::${accountId}:role/(?:.*/)?([^/]+)$`).exec(arn)?.[1];
      if (roleName && !deps.state().roles[roleName]) {
        throw new AwsServiceError(
          'MalformedPolicyDocument',
          `Invalid principal in policy: "AWS":"${arn}"`,
          400,
        );
      }
    }
  };

  const trustPolicy = (text: string): string => {
    const parsed = parsePolicyDocument(text, 'trust');
    checkTrustPolicySize(text);
    checkPrincipalsExist(parsed);
    return text;
  };

  const boundaryArn = (arn: string): string => {
    if (!managedPolicy(arn)) {
      throw noSuchEntity(`Scope ARN: ${arn} does not exist or is not attachable.`);
    }
    return arn;
  };

  const roleXml = (r: RoleRecord, detail: boolean): Record<string, XmlValue> => ({
    Path: r.path,
    RoleName: r.roleName,
    RoleId: r.roleId,
    Arn: r.arn,
    CreateDate: new Date(r.createDate),
    AssumeRolePolicyDocument: rfc3986Encode(r.assumeRolePolicyDocument),
    Description: r.description,
    MaxSessionDuration: r.maxSessionDuration,
    PermissionsBoundary:
      detail && r.permissionsBoundaryArn
        ? {
            PermissionsBoundaryType: 'PermissionsBoundaryPolicy',
            PermissionsBoundaryArn: r.permissionsBoundaryArn,
          }
        : undefined,
    Tags: detail && r.tags.length > 0 ? tagsXml(r.tags) : undefined,
    RoleLastUsed: detail ? {} : undefined,
  });

  const policyXml = (arn: string): Record<string, XmlValue> => {
    const policy = managedPolicy(arn)!;
    return {
      PolicyName: policy.policyName,
      PolicyId: policy.policyId,
      Arn: arn,
      Path: policy.path,
      DefaultVersionId: 'v1',
      AttachmentCount: attachmentCount(arn),
      PermissionsBoundaryUsageCount: boundaryCount(arn),
      IsAttachable: true,
      Description: policy.description,
      CreateDate: new Date(policy.createDate),
      UpdateDate: new Date(policy.createDate),
    };
  };

  const oidcProvider = (arn: string): OidcProviderRecord => {
    const found = deps.state().oidcProviders[arn];
    if (!found) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
    return found;
  };

  const operations = new Map<string, Operation>([
    [
      'CreateRole',
      (p) => {
        const state = deps.state();
        const roleName = p.required('RoleName');
        checkName('roleName', roleName, 64);
        const path = p.optional('Path') ?? '/';
        checkPath(path);
        const description = p.optional('Description');
        if (description !== undefined) checkDescription(description);
        const maxSessionDuration = p.integer('MaxSessionDuration') ?? 3600;
        checkMaxSessionDuration(maxSessionDuration);
        const tags = p.tags('Tags');
        checkTags(tags);
        if (tags.length > MAX_TAGS_PER_RESOURCE) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for TagsPerRole: ${MAX_TAGS_PER_RESOURCE}`,
            409,
          );
        }
        const document = trustPolicy(p.required('AssumeRolePolicyDocument'));
        const boundary = p.optional('PermissionsBoundary');
        // IAM role names are unique case-insensitively.
        if (Object.keys(state.roles).some((name) => name.toLowerCase() === roleName.toLowerCase())) {
          throw new AwsServiceError('EntityAlreadyExists', `Role with name ${roleName} already exists.`, 409);
        }
        if (Object.keys(state.roles).length >= ROLES_PER_ACCOUNT) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for RolesPerAccount: ${ROLES_PER_ACCOUNT}`,
            409,
          );
        }
        const now = deps.now();
        const record: RoleRecord = {
          roleName,
          roleId: uniqueId('AROA'),
          arn: `arn:aws:iam::${accountId}:role${path}${roleName}`,
          path,
          createDate: new Date(Math.floor(now / 1000) * 1000).toISOString(),
          assumeRolePolicyDocument: document,
          maxSessionDuration,
          tags,
          attachedPolicyArns: [],
          inlinePolicies: {},
          trustEffectiveAt: now + deps.propagationDelayMs(),
          ...(description !== undefined ? { description } : {}),
          ...(boundary !== undefined ? { permissionsBoundaryArn: boundaryArn(boundary) } : {}),
        };
        state.roles[roleName] = record;
        return { Role: roleXml(record, true) };
      },
    ],
    ['GetRole', (p) => ({ Role: roleXml(role(p.required('RoleName')), true) })],
    [
      'ListRoles',
      (p) => {
        const prefix = p.optional('PathPrefix') ?? '/';
        const roles = Object.values(deps.state().roles)
          .filter((r) => r.path.startsWith(prefix))
          .sort((a, b) => a.roleName.localeCompare(b.roleName));
        const page = paginate(roles, p);
        return {
          Roles: page.items.map((r) => roleXml(r, false)),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      },
    ],
    [
      'UpdateAssumeRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        r.assumeRolePolicyDocument = trustPolicy(p.required('PolicyDocument'));
        r.trustEffectiveAt = deps.now() + deps.propagationDelayMs();
        return undefined;
      },
    ],
    [
      'UpdateRole',
      (p) => {
        const r = role(p.required('RoleName'));
        const description = p.optional('Description');
        const maxSessionDuration = p.integer('MaxSessionDuration');
        if (description !== undefined) checkDescription(description);
        if (maxSessionDuration !== undefined) checkMaxSessionDuration(maxSessionDuration);
        if (description !== undefined) r.description = description;
        if (maxSessionDuration !== undefined) r.maxSessionDuration = maxSessionDuration;
        return {};
      },
    ],
    [
      'UpdateRoleDescription',
      (p) => {
        const r = role(p.required('RoleName'));
        const description = p.required('Description');
        checkDescription(description);
        r.description = description;
        return { Role: roleXml(r, true) };
      },
    ],
    [
      'DeleteRole',
      (p) => {
        const r = role(p.required('RoleName'));
        if (r.attachedPolicyArns.length > 0) {
          throw new AwsServiceError(
            'DeleteConflict',
            'Cannot delete entity, must detach all policies first.',
            409,
          );
        }
        if (Object.keys(r.inlinePolicies).length > 0) {
          throw new AwsServiceError(
            'DeleteConflict',
            'Cannot delete entity, must delete policies first.',
            409,
          );
        }
        delete deps.state().roles[r.roleName];
        return undefined;
      },
    ],
    [
      'TagRole',
      (p) => {
        const r = role(p.required('RoleName'));
        r.tags = mergeTags(r.tags, p.tags('Tags'), 'Role');
        return undefined;
      },
    ],
    [
      'UntagRole',
      (p) => {
        const r = role(p.required('RoleName'));
        const keys = new Set(p.list('TagKeys'));
        r.tags = r.tags.filter((tag) => !keys.has(tag.Key));
        return undefined;
      },
    ],
    [
      'ListRoleTags',
      (p) => {
        const page = paginate(role(p.required('RoleName')).tags, p);
        return { Tags: tagsXml(page.items), IsTruncated: page.isTruncated, Marker: page.marker };
      },
    ],
    [
      'PutRolePermissionsBoundary',
      (p) => {
        const r = role(p.required('RoleName'));
        r.permissionsBoundaryArn = boundaryArn(p.required('PermissionsBoundary'));
        return undefined;
      },
    ],
    [
      'DeleteRolePermissionsBoundary',
      (p) => {
        const r = role(p.required('RoleName'));
        if (!r.permissionsBoundaryArn) {
          throw noSuchEntity(`The role with name ${r.roleName} does not have a permissions boundary.`);
        }
        delete r.permissionsBoundaryArn;
        return undefined;
      },
    ],
    [
      'AttachRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        const arn = p.required('PolicyArn');
        if (!managedPolicy(arn)) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
        if (r.attachedPolicyArns.includes(arn)) return undefined;
        if (r.attachedPolicyArns.length >= MANAGED_POLICIES_PER_ROLE) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for PoliciesPerRole: ${MANAGED_POLICIES_PER_ROLE}`,
            409,
          );
        }
        r.attachedPolicyArns.push(arn);
        return undefined;
      },
    ],
    [
      'DetachRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        const arn = p.required('PolicyArn');
        if (!r.attachedPolicyArns.includes(arn)) throw noSuchEntity(`Policy ${arn} was not found.`);
        r.attachedPolicyArns = r.attachedPolicyArns.filter((attached) => attached !== arn);
        return undefined;
      },
    ],
    [
      'ListAttachedRolePolicies',
      (p) => {
        const prefix = p.optional('PathPrefix') ?? '/';
        const attached = role(p.required('RoleName'))
          .attachedPolicyArns.map((arn) => managedPolicy(arn))
          .filter((policy): policy is NonNullable<typeof policy> => policy?.path.startsWith(prefix) === true);
        const page = paginate(attached, p);
        return {
          AttachedPolicies: page.items.map((policy) => ({
            PolicyName: policy.policyName,
            PolicyArn: policy.arn,
          })),
          IsTruncated: page.isTruncated,
          Marker: page.marker,
        };
      },
    ],
    [
      'PutRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        const policyName = p.required('PolicyName');
        checkName('policyName', policyName, 128);
        const document = p.required('PolicyDocument');
        parsePolicyDocument(document, 'identity');
        const others = Object.entries(r.inlinePolicies).filter(([name]) => name !== policyName);
        const total = [...others.map(([, text]) => text), document].join('').replace(/\s/g, '').length;
        if (total > INLINE_POLICY_BYTES_PER_ROLE) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Maximum policy size of ${INLINE_POLICY_BYTES_PER_ROLE} bytes exceeded for role ${r.roleName}`,
            409,
          );
        }
        r.inlinePolicies[policyName] = document;
        return undefined;
      },
    ],
    [
      'GetRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        const policyName = p.required('PolicyName');
        const document = r.inlinePolicies[policyName];
        if (document === undefined) {
          throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
        }
        return { RoleName: r.roleName, PolicyName: policyName, PolicyDocument: rfc3986Encode(document) };
      },
    ],
    [
      'DeleteRolePolicy',
      (p) => {
        const r = role(p.required('RoleName'));
        const policyName = p.required('PolicyName');
        if (r.inlinePolicies[policyName] === undefined) {
          throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
        }
        delete r.inlinePolicies[policyName];
        return undefined;
      },
    ],
    [
      'ListRolePolicies',
      (p) => {
        const page = paginate(Object.keys(role(p.required('RoleName')).inlinePolicies).sort(), p);
        return { PolicyNames: page.items, IsTruncated: page.isTruncated, Marker: page.marker };
      },
    ],
    [
      'CreatePolicy',
      (p) => {
        const state = deps.state();
        const policyName = p.required('PolicyName');
        checkName('policyName', policyName, 128);
        const path = p.optional('Path') ?? '/';
        checkPath(path);
        const document = p.required('PolicyDocument');
        parsePolicyDocument(document, 'identity');
        if (document.replace(/\s/g, '').length > 6144) {
          throw new AwsServiceError('LimitExceeded', 'Cannot exceed quota for PolicySize: 6144', 409);
        }
        const description = p.optional('Description');
        if (description !== undefined) checkDescription(description);
        const tags = p.tags('Tags');
        checkTags(tags);
        const arn = `arn:aws:iam::${accountId}:policy${path}${policyName}`;
        if (Object.values(state.customerPolicies).some((policy) => policy.policyName === policyName)) {
          throw new AwsServiceError(
            'EntityAlreadyExists',
            `A policy called ${policyName} already exists. Duplicate names are not allowed.`,
            409,
          );
        }
        const record: CustomerPolicyRecord = {
          policyName,
          policyId: uniqueId('ANPA'),
          arn,
          path,
          document,
          createDate: new Date(Math.floor(deps.now() / 1000) * 1000).toISOString(),
          tags,
          ...(description !== undefined ? { description } : {}),
        };
        state.customerPolicies[arn] = record;
        return { Policy: { ...policyXml(arn), Tags: tags.length > 0 ? tagsXml(tags) : undefined } };
      },
    ],
    [
      'GetPolicy',
      (p) => {
        const arn = p.required('PolicyArn');
        const policy = managedPolicy(arn);
        if (!policy) throw noSuchEntity(`Policy ${arn} was not found.`);
        const tags = 'tags' in policy ? policy.tags : [];
        return { Policy: { ...policyXml(arn), Tags: tags.length > 0 ? tagsXml(tags) : undefined } };
      },
    ],
    [
      'GetPolicyVersion',
      (p) => {
        const arn = p.required('PolicyArn');
        const versionId = p.required('VersionId');
        const policy = managedPolicy(arn);
        if (!policy) throw noSuchEntity(`Policy ${arn} was not found.`);
        if (versionId !== 'v1')
          throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
        return {
          PolicyVersion: {
            Document: rfc3986Encode(policy.document),
            VersionId: 'v1',
            IsDefaultVersion: true,
            CreateDate: new Date(policy.createDate),
          },
        };
      },
    ],
    [
      'DeletePolicy',
      (p) => {
        const arn = p.required('PolicyArn');
        if (AWS_MANAGED_POLICIES.has(arn)) {
          throw new AwsServiceError('AccessDenied', `AWS managed policy ${arn} cannot be deleted.`, 403);
        }
        if (!deps.state().customerPolicies[arn]) throw noSuchEntity(`Policy ${arn} was not found.`);
        if (attachmentCount(arn) > 0) {
          throw new AwsServiceError('DeleteConflict', 'Cannot delete a policy attached to entities.', 409);
        }
        delete deps.state().customerPolicies[arn];
        return undefined;
      },
    ],
    [
      'CreateOpenIDConnectProvider',
      (p) => {
        const state = deps.state();
        const url = p.required('Url');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new AwsServiceError(
            'ValidationError',
            `Invalid URL ${url}; use https://<host>[/<path>].`,
            400,
          );
        }
        if (parsed.protocol !== 'https:' || parsed.search || parsed.hash) {
          throw new AwsServiceError(
            'InvalidInput',
            `Invalid URL ${url}: it must start with https:// and carry no query or fragment.`,
            400,
          );
        }
        const clientIds = p.list('ClientIDList');
        const thumbprints = p.list('ThumbprintList');
        checkThumbprints(thumbprints);
        for (const id of clientIds) checkClientId(id);
        if (new Set(clientIds).size > CLIENT_IDS_PER_OIDC_PROVIDER) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${CLIENT_IDS_PER_OIDC_PROVIDER}`,
            409,
          );
        }
        const tags = p.tags('Tags');
        checkTags(tags);
        const arn = oidcProviderArn(accountId, url.replace(/\/$/, ''));
        if (state.oidcProviders[arn]) {
          throw new AwsServiceError('EntityAlreadyExists', `Provider with url ${url} already exists.`, 409);
        }
        if (Object.keys(state.oidcProviders).length >= OIDC_PROVIDERS_PER_ACCOUNT) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for OpenIdConnectProvidersPerAccount: ${OIDC_PROVIDERS_PER_ACCOUNT}`,
            409,
          );
        }
        state.oidcProviders[arn] = {
          arn,
          url: stripScheme(url.replace(/\/$/, '')),
          clientIds: [...new Set(clientIds)],
          thumbprints,
          tags,
          createDate: new Date(Math.floor(deps.now() / 1000) * 1000).toISOString(),
        };
        return { OpenIDConnectProviderArn: arn, Tags: tags.length > 0 ? tagsXml(tags) : undefined };
      },
    ],
    [
      'GetOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        return {
          Url: provider.url,
          ClientIDList: provider.clientIds,
          ThumbprintList: provider.thumbprints,
          CreateDate: new Date(provider.createDate),
          Tags: provider.tags.length > 0 ? tagsXml(provider.tags) : undefined,
        };
      },
    ],
    [
      'ListOpenIDConnectProviders',
      () => ({
        OpenIDConnectProviderList: Object.keys(deps.state().oidcProviders)
          .sort()
          .map((arn) => ({ Arn: arn })),
      }),
    ],
    [
      'DeleteOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        delete deps.state().oidcProviders[provider.arn];
        return undefined;
      },
    ],
    [
      'TagOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        provider.tags = mergeTags(provider.tags, p.tags('Tags'), 'OpenIdConnectProvider');
        return undefined;
      },
    ],
    [
      'UntagOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        const keys = new Set(p.list('TagKeys'));
        provider.tags = provider.tags.filter((tag) => !keys.has(tag.Key));
        return undefined;
      },
    ],
    [
      'ListOpenIDConnectProviderTags',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        return { Tags: tagsXml(provider.tags), IsTruncated: false };
      },
    ],
    [
      'AddClientIDToOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        const clientId = p.required('ClientID');
        checkClientId(clientId);
        if (provider.clientIds.includes(clientId)) return undefined;
        if (provider.clientIds.length >= CLIENT_IDS_PER_OIDC_PROVIDER) {
          throw new AwsServiceError(
            'LimitExceeded',
            `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${CLIENT_IDS_PER_OIDC_PROVIDER}`,
            409,
          );
        }
        provider.clientIds.push(clientId);
        return undefined;
      },
    ],
    [
      'RemoveClientIDFromOpenIDConnectProvider',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        const clientId = p.required('ClientID');
        provider.clientIds = provider.clientIds.filter((id) => id !== clientId);
        return undefined;
      },
    ],
    [
      'UpdateOpenIDConnectProviderThumbprint',
      (p) => {
        const provider = oidcProvider(p.required('OpenIDConnectProviderArn'));
        const thumbprints = p.list('ThumbprintList');
        checkThumbprints(thumbprints);
        provider.thumbprints = thumbprints;
        return undefined;
      },
    ],
  ]);

  return { operations };
}

function checkThumbprints(thumbprints: string[]): void {
  if (thumbprints.length > 5 || thumbprints.some((t) => !/^[0-9a-fA-F]{40}$/.test(t))) {
    throw new AwsServiceError(
      'InvalidInput',
      'Thumbprints must be 40 hexadecimal characters (SHA-1), at most 5.',
      400,
    );
  }
}

function checkClientId(clientId: string): void {
  if (clientId.length < 1 || clientId.length > 255) {
    throw new AwsServiceError('InvalidInput', `Client ID "${clientId}" must be 1..255 characters.`, 400);
  }
}

function tagsXml(tags: Tag[]): XmlValue[] {
  return tags.map((tag) => ({ Key: tag.Key, Value: tag.Value }));
}

/** IAM's Marker/MaxItems paging; the marker is opaque to callers. */
function paginate<T>(items: T[], p: QueryParams): { items: T[]; isTruncated: boolean; marker?: string } {
  const maxItems = p.integer('MaxItems') ?? 100;
  if (maxItems < 1 || maxItems > 1000) {
    throw new AwsServiceError(
      'ValidationError',
      `1 validation error detected: Value '${maxItems}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`,
      400,
    );
  }
  const marker = p.optional('Marker');
  const start = marker ? Number(Buffer.from(marker, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) {
    throw new AwsServiceError(
      'ValidationError',
      'Invalid Marker; pass the Marker of the previous page unchanged.',
      400,
    );
  }
  const page = items.slice(start, start + maxItems);
  const next = start + maxItems;
  return next < items.length
    ? { items: page, isTruncated: true, marker: Buffer.from(String(next)).toString('base64url') }
    : { items: page, isTruncated: false };
}
