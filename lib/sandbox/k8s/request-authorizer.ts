// Who may do what, as kube-apiserver decides it on EKS: the EKS access policies of the caller's access
// entry, then RBAC; plus the two checks the API server adds on particular writes — approving a CSR needs
// `approve` on its signer (the CertificateApproval admission plugin), and writing a role or binding
// needs the permissions it grants, or `escalate`/`bind` (RBAC's escalation prevention).
import { child, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import {
  describeRule,
  nonResourceRuleAllows,
  type RbacRequest,
  rbacAllows,
  ruleAllows,
  rulesFor,
  rulesReferencedBy,
  uncoveredRules,
} from './rbac-authorizer.js';
import type { ResourceType } from './resource-types.js';
import { forbidden } from './status.js';

export interface AuthorizedCaller {
  user: string;
  groups: string[];
  /** No access entry maps this IAM principal: it may do nothing. */
  unmapped?: boolean;
  principalArn?: string;
}

export type AccessPolicyCheck = (
  principalArn: string,
  verb: string,
  resource: string,
  namespace?: string,
) => boolean;

export type Attributes = Omit<RbacRequest, 'user' | 'groups'>;

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const CERTIFICATES_GROUP = 'certificates.k8s.io';

export class RequestAuthorizer {
  constructor(
    private readonly store: ObjectStore,
    private readonly accessPolicies?: AccessPolicyCheck,
  ) {}

  allows(caller: AuthorizedCaller, attributes: Attributes): boolean {
    if (caller.unmapped) return false;
    if (
      caller.principalArn !== undefined &&
      this.accessPolicies?.(caller.principalArn, attributes.verb, attributes.resource, attributes.namespace)
    )
      return true;
    return rbacAllows(this.store, { ...attributes, user: caller.user, groups: caller.groups });
  }

  /** Throws kube-apiserver's 403 when the caller may not make this request. */
  authorize(caller: AuthorizedCaller, type: ResourceType, attributes: Attributes): void {
    if (this.allows(caller, attributes)) return;
    const { verb, resource, namespace, name } = attributes;
    const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
    throw forbidden(
      type,
      name,
      `User "${caller.user}" cannot ${verb} resource "${resource}" in API group "${type.group}" ${scope}`,
    );
  }

  /**
   * An update of `certificatesigningrequests/approval` needs `approve` on `signers` named after the
   * CSR's signer, or `<signer domain>/*`.
   */
  confirmSignerApproval(caller: AuthorizedCaller, type: ResourceType, csr: JsonObject): void {
    const signerName = stringAt(child(csr, 'spec'), 'signerName') ?? '';
    const domain = signerName.split('/')[0];
    const approves = (name: string) =>
      this.allows(caller, { verb: 'approve', group: CERTIFICATES_GROUP, resource: 'signers', name });
    if (approves(signerName) || approves(`${domain}/*`)) return;
    throw forbidden(
      type,
      stringAt(child(csr, 'metadata'), 'name'),
      `user not permitted to approve requests with signerName "${signerName}"`,
    );
  }

  /**
   * A Role/ClusterRole may be written by whoever holds all its rules or may `escalate` it; a binding by
   * whoever holds all the referenced role's rules or may `bind` that role.
   */
  confirmNoEscalation(
    caller: AuthorizedCaller,
    type: ResourceType,
    namespace: string | undefined,
    object: JsonObject,
  ): void {
    if (caller.groups.includes('system:masters')) return;
    const name = stringAt(child(object, 'metadata'), 'name');
    let granted: JsonObject[];
    if (type.kind === 'Role' || type.kind === 'ClusterRole') {
      const escalates = this.allows(caller, {
        verb: 'escalate',
        group: RBAC_GROUP,
        resource: type.plural,
        ...(namespace ? { namespace } : {}),
        ...(name ? { name } : {}),
      });
      if (escalates) return;
      granted = objectsAt(object, 'rules');
    } else {
      const ref = child(object, 'roleRef');
      const roleName = stringAt(ref, 'name') ?? '';
      const binds = this.allows(caller, {
        verb: 'bind',
        group: RBAC_GROUP,
        resource: stringAt(ref, 'kind') === 'Role' ? 'roles' : 'clusterroles',
        ...(namespace ? { namespace } : {}),
        name: roleName,
      });
      if (binds) return;
      granted = rulesReferencedBy(this.store, object, namespace);
    }
    const held = rulesFor(this.store, caller, namespace);
    const missing = uncoveredRules(
      (request) =>
        'nonResourceURL' in request
          ? held.some((rule) => nonResourceRuleAllows(rule, request.verb, request.nonResourceURL))
          : held.some((rule) => ruleAllows(rule, request)) ||
            (caller.principalArn !== undefined &&
              !caller.unmapped &&
              (this.accessPolicies?.(caller.principalArn, request.verb, request.resource, namespace) ??
                false)),
      granted,
    );
    if (missing.length === 0) return;
    const groups = `[${caller.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
    throw forbidden(
      type,
      name,
      `user "${caller.user}" (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${missing
        .map(describeRule)
        .join('\n')}`,
    );
  }
}
