// The EKS access policies an access entry can be associated with, and what each lets a principal do
// in the cluster (modelled on the Kubernetes user-facing roles they mirror: cluster-admin, admin,
// edit, view).
import type { AccessPolicyAssociation } from './account-state.js';

export const ACCESS_POLICY_ARN_PREFIX = 'arn:aws:eks::aws:cluster-access-policy/';

const READ_VERBS = new Set(['get', 'list', 'watch']);
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
/** Resources that live outside namespaces; only cluster admins may touch them beyond reading namespaces. */
const CLUSTER_SCOPED = new Set([
  'namespaces',
  'nodes',
  'persistentvolumes',
  'clusterroles',
  'clusterrolebindings',
  'mutatingwebhookconfigurations',
  'validatingwebhookconfigurations',
  'certificatesigningrequests',
  'certificatesigningrequests/approval',
  'certificatesigningrequests/status',
  'customresourcedefinitions',
  'storageclasses',
  'priorityclasses',
]);
const RBAC_RESOURCES = new Set(['roles', 'rolebindings']);
const SECRETS = new Set(['secrets']);

export interface KubernetesRequest {
  verb: string;
  /** plural, or `plural/subresource` */
  resource: string;
  namespace?: string;
}

type Rule = (request: KubernetesRequest) => boolean;

const namespaced = (request: KubernetesRequest) => !CLUSTER_SCOPED.has(request.resource);
const readsNamespaces = (request: KubernetesRequest) =>
  request.resource === 'namespaces' && READ_VERBS.has(request.verb);

const RULES: Record<string, Rule> = {
  AmazonEKSClusterAdminPolicy: () => true,
  AmazonEKSAdminPolicy: (r) =>
    readsNamespaces(r) || (namespaced(r) && (READ_VERBS.has(r.verb) || WRITE_VERBS.has(r.verb))),
  AmazonEKSEditPolicy: (r) =>
    readsNamespaces(r) ||
    (namespaced(r) && !RBAC_RESOURCES.has(r.resource) && (READ_VERBS.has(r.verb) || WRITE_VERBS.has(r.verb))),
  AmazonEKSViewPolicy: (r) =>
    readsNamespaces(r) ||
    (namespaced(r) && !RBAC_RESOURCES.has(r.resource) && !SECRETS.has(r.resource) && READ_VERBS.has(r.verb)),
};

export const ACCESS_POLICY_ARNS: readonly string[] = Object.keys(RULES).map(
  (name) => ACCESS_POLICY_ARN_PREFIX + name,
);

export function isAccessPolicyArn(arn: string): boolean {
  return ACCESS_POLICY_ARNS.includes(arn);
}

/** Whether any associated policy, within its scope, allows the request. */
export function accessPoliciesAllow(
  associations: AccessPolicyAssociation[],
  request: KubernetesRequest,
): boolean {
  return associations.some((association) => {
    const rule = RULES[association.policyArn.slice(ACCESS_POLICY_ARN_PREFIX.length)];
    if (!rule) return false;
    const { type, namespaces } = association.accessScope;
    if (type === 'namespace') {
      // A namespace-scoped association never grants cluster-scoped resources nor other namespaces.
      if (request.namespace === undefined || !namespaces.includes(request.namespace)) return false;
    }
    return rule(request);
  });
}
