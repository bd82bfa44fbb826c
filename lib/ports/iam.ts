// Ports: the IAM roles and OIDC identity providers IRSA needs, and the account we act in.

/** A JSON policy document, decoded (IAM serves them URL-encoded; adapters decode). */
export type PolicyDocument = Record<string, unknown>;

export type Tags = Record<string, string>;

export interface AccountIdentity {
  /**
   * The 12-digit AWS account id the broker acts in (STS GetCallerIdentity, cached after the first call).
   * Throws ThrottledError, TransientError.
   */
  accountId(): Promise<string>;
}

export interface OidcProvider {
  /** `arn:aws:iam::<account>:oidc-provider/<issuer without https://>` */
  arn: string;
  /** The issuer URL with `https://`. */
  url: string;
  clientIds: string[];
  tags: Tags;
}

export interface IamOidcProviders {
  /**
   * The account's OIDC provider for `issuerUrl` (with or without `https://`, trailing slash ignored),
   * or undefined. Throws ThrottledError, TransientError.
   */
  find(issuerUrl: string): Promise<OidcProvider | undefined>;
  /**
   * Creates the provider (no thumbprints: IAM trusts the issuer's CA itself).
   * Throws ConflictError (one exists for this issuer already), QuotaExceededError (100 providers per
   * account by default), InputError (malformed URL or tags), ThrottledError, TransientError.
   */
  create(issuerUrl: string, clientIds: string[], tags: Tags): Promise<OidcProvider>;
  /** Adds an audience to an existing provider. Throws NotFoundError, QuotaExceededError, ThrottledError, TransientError. */
  addClientId(providerArn: string, clientId: string): Promise<void>;
}

export interface RoleState {
  name: string;
  arn: string;
  path: string;
  /** The trust policy, decoded from IAM's URL-encoded form. */
  trustPolicy: PolicyDocument;
  tags: Tags;
  /** ARNs of the managed policies attached to the role (all pages). */
  attachedPolicyArns: string[];
  maxSessionDuration: number;
  description?: string;
  permissionsBoundaryArn?: string;
}

export interface RoleSpec {
  name: string;
  /** `/` or `/a/b/`. */
  path: string;
  trustPolicy: PolicyDocument;
  tags: Tags;
  description?: string;
  /** Seconds, 3600..43200. */
  maxSessionDuration?: number;
  permissionsBoundaryArn?: string;
}

export interface IamRoles {
  /** The role, or undefined when there is none by that name. Throws ThrottledError, TransientError. */
  get(name: string): Promise<RoleState | undefined>;
  /**
   * Creates the role with its tags. Throws RoleConflictError (a role by that name exists),
   * InputError (malformed trust policy, bad name/path/tags), QuotaExceededError (roles per account,
   * trust policy length), PolicyNotFoundError (the permissions boundary policy does not exist),
   * ThrottledError, TransientError.
   */
  create(spec: RoleSpec): Promise<RoleState>;
  /** Replaces the trust policy. Throws NotFoundError, InputError, QuotaExceededError, ThrottledError, TransientError. */
  updateTrustPolicy(name: string, trustPolicy: PolicyDocument): Promise<void>;
  /**
   * Changes description and/or max session duration (omitted fields stay).
   * Throws NotFoundError, InputError, ThrottledError, TransientError.
   */
  update(name: string, change: { description?: string; maxSessionDuration?: number }): Promise<void>;
  /**
   * Sets (arn) or removes (undefined) the permissions boundary.
   * Throws NotFoundError (role), PolicyNotFoundError (boundary policy), ThrottledError, TransientError.
   */
  setPermissionsBoundary(name: string, boundaryArn: string | undefined): Promise<void>;
  /**
   * Attaches a managed policy (idempotent). Throws PolicyNotFoundError (no such policy),
   * NotFoundError (no such role), QuotaExceededError (managed policies per role), InputError (bad ARN),
   * ThrottledError, TransientError.
   */
  attachPolicy(name: string, policyArn: string): Promise<void>;
  /** Detaches a managed policy; absent attachments are ignored. Throws ThrottledError, TransientError. */
  detachPolicy(name: string, policyArn: string): Promise<void>;
  /** The role's inline policy `policyName`; undefined when it has none by that name. */
  getInlinePolicy(name: string, policyName: string): Promise<PolicyDocument | undefined>;
  /** Adds or replaces an inline policy. Throws NotFoundError, InputError (malformed), QuotaExceededError. */
  putInlinePolicy(name: string, policyName: string, document: PolicyDocument): Promise<void>;
  /** Removes an inline policy; false when there was none by that name. */
  deleteInlinePolicy(name: string, policyName: string): Promise<boolean>;
  /** Adds or overwrites tags. Throws NotFoundError, InputError, QuotaExceededError (50 tags), ThrottledError, TransientError. */
  tag(name: string, tags: Tags): Promise<void>;
  /** Removes tag keys. Throws NotFoundError, ThrottledError, TransientError. */
  untag(name: string, keys: string[]): Promise<void>;
  /**
   * Deletes the role after detaching its managed policies and deleting its inline policies.
   * Returns false when there was no such role. Throws ConflictError (still in an instance profile),
   * NotAllowedError (unmodifiable, e.g. service-linked), ThrottledError, TransientError.
   */
  delete(name: string): Promise<boolean>;
}

export interface IamManagedPolicies {
  /**
   * The default version's document of a managed policy (AWS or customer managed), decoded.
   * Throws PolicyNotFoundError (no such policy), InputError (malformed ARN), ThrottledError, TransientError.
   */
  document(policyArn: string): Promise<PolicyDocument>;
}

/** IAM of a Pod Identity target role's account, as irsa-broker's access role there. */
export interface TargetAccountIam {
  roles: IamRoles;
  policies: IamManagedPolicies;
}

export interface TargetAccounts {
  /**
   * IAM in `account`, acting as irsa-broker's access role there (sts:AssumeRole; the session is kept and
   * renewed before it expires). Throws TargetAccountAccessDeniedError (the access role is missing or does
   * not trust this broker), ThrottledError, TransientError.
   */
  iam(account: string): Promise<TargetAccountIam>;
}
