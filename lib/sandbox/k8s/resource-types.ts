// The resources this simulated API server serves, per Kubernetes minor version, with what the
// generic handlers need to know about each (scope, naming rule, storage version).

export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'path-segment';

export interface ResourceType {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** API versions served for this resource, decided by the cluster's minor version. */
  versions(minor: number): string[];
  storageVersion: string;
  nameRule: NameRule;
  shortNames?: string[];
  subresources: string[];
  /** The fields `?fieldSelector=` may name, when the server restricts them (others: any field). */
  fieldLabels?: string[];
}

/** The API server's field labels for core/v1 events (what `kubectl describe` selects on). */
const EVENT_FIELD_LABELS = [
  'metadata.name',
  'metadata.namespace',
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
];

const always = (versions: string[]) => () => versions;

export const RESOURCE_TYPES: ResourceType[] = [
  core('namespaces', 'Namespace', false, 'dns1123-label', ['ns'], ['status', 'finalize']),
  core('serviceaccounts', 'ServiceAccount', true, 'dns1123-subdomain', ['sa']),
  core('pods', 'Pod', true, 'dns1123-subdomain', ['po'], ['status', 'log']),
  core('secrets', 'Secret', true, 'dns1123-subdomain'),
  core('services', 'Service', true, 'dns1035-label', ['svc'], ['status']),
  core('configmaps', 'ConfigMap', true, 'dns1123-subdomain', ['cm']),
  { ...core('events', 'Event', true, 'dns1123-subdomain', ['ev']), fieldLabels: EVENT_FIELD_LABELS },
  {
    // The same objects as core/v1 events, converted on the way in and out.
    group: 'events.k8s.io',
    plural: 'events',
    singular: 'event',
    kind: 'Event',
    namespaced: true,
    versions: always(['v1']),
    storageVersion: 'v1',
    nameRule: 'dns1123-subdomain',
    shortNames: ['ev'],
    subresources: [],
  },
  {
    group: 'apps',
    plural: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    namespaced: true,
    versions: always(['v1']),
    storageVersion: 'v1',
    nameRule: 'dns1123-subdomain',
    shortNames: ['deploy'],
    subresources: ['status'],
  },
  rbac('roles', 'Role', true),
  rbac('rolebindings', 'RoleBinding', true),
  rbac('clusterroles', 'ClusterRole', false),
  rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  {
    group: 'admissionregistration.k8s.io',
    plural: 'mutatingwebhookconfigurations',
    singular: 'mutatingwebhookconfiguration',
    kind: 'MutatingWebhookConfiguration',
    namespaced: false,
    versions: (minor) => (minor < 22 ? ['v1', 'v1beta1'] : ['v1']),
    storageVersion: 'v1',
    nameRule: 'dns1123-subdomain',
    subresources: [],
  },
  {
    group: 'certificates.k8s.io',
    plural: 'certificatesigningrequests',
    singular: 'certificatesigningrequest',
    kind: 'CertificateSigningRequest',
    namespaced: false,
    versions: (minor) => (minor < 22 ? ['v1', 'v1beta1'] : ['v1']),
    storageVersion: 'v1',
    nameRule: 'path-segment',
    shortNames: ['csr'],
    subresources: ['approval', 'status'],
  },
];

function core(
  plural: string,
  kind: string,
  namespaced: boolean,
  nameRule: NameRule,
  shortNames?: string[],
  subresources: string[] = [],
): ResourceType {
  return {
    group: '',
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    versions: always(['v1']),
    storageVersion: 'v1',
    nameRule,
    shortNames,
    subresources,
  };
}

function rbac(plural: string, kind: string, namespaced: boolean): ResourceType {
  return {
    group: 'rbac.authorization.k8s.io',
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    versions: always(['v1']),
    storageVersion: 'v1',
    nameRule: 'path-segment',
    subresources: [],
  };
}

export function findResourceType(group: string, version: string, plural: string, minor: number) {
  return RESOURCE_TYPES.find(
    (t) => t.group === group && t.plural === plural && t.versions(minor).includes(version),
  );
}

export function resourceTypeOfKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`no resource serves kind ${kind}`);
  return type;
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
