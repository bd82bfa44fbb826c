// RBAC evaluation as kube-apiserver's RBAC authorizer does it: the Role/ClusterRole rules reachable
// through bindings whose subjects name the user or one of its groups, and the escalation checks on
// writes of roles and bindings (a user may only grant what it holds, unless allowed to escalate/bind).
import { arrayAt, child, type JsonObject, objectsAt, stringAt } from './json.js';
import type { ObjectStore } from './object-store.js';
import { resourceTypeOfKind } from './resource-types.js';

export interface RbacRequest {
  user: string;
  groups: string[];
  verb: string;
  group: string;
  /** plural, or `plural/subresource` */
  resource: string;
  namespace?: string;
  name?: string;
}

function subjectMatches(subject: JsonObject, req: Pick<RbacRequest, 'user' | 'groups'>): boolean {
  const kind = stringAt(subject, 'kind');
  const name = stringAt(subject, 'name');
  if (kind === 'User') return name === req.user;
  if (kind === 'Group') return name !== undefined && req.groups.includes(name);
  if (kind === 'ServiceAccount') {
    return req.user === `system:serviceaccount:${stringAt(subject, 'namespace')}:${name}`;
  }
  return false;
}

const has = (list: unknown[], value: string) => list.includes('*') || list.includes(value);

// A rule resource `*` matches everything, `*` + `/<sub>` any resource's subresource <sub>, else exact.
function resourceMatches(resources: unknown[], requested: string): boolean {
  if (resources.includes('*') || resources.includes(requested)) return true;
  const slash = requested.indexOf('/');
  return slash >= 0 && resources.includes(`*${requested.slice(slash)}`);
}

export function ruleAllows(rule: JsonObject, req: Omit<RbacRequest, 'user' | 'groups'>): boolean {
  const names = arrayAt(rule, 'resourceNames');
  return (
    has(arrayAt(rule, 'verbs'), req.verb) &&
    has(arrayAt(rule, 'apiGroups'), req.group) &&
    resourceMatches(arrayAt(rule, 'resources'), req.resource) &&
    // A rule that names resources never matches a request without a name (create by POST, list).
    (names.length === 0 || (req.name !== undefined && names.includes(req.name)))
  );
}

/** The rules the user holds in `namespace` (cluster-wide rules included), or cluster-wide only. */
export function rulesFor(
  store: ObjectStore,
  subject: Pick<RbacRequest, 'user' | 'groups'>,
  namespace?: string,
): JsonObject[] {
  const rulesOf = (kind: 'Role' | 'ClusterRole', name: string, ns?: string) =>
    objectsAt(store.get(resourceTypeOfKind(kind), ns, name), 'rules');
  const bindingRules = (binding: JsonObject, ns?: string): JsonObject[] => {
    if (!objectsAt(binding, 'subjects').some((s) => subjectMatches(s, subject))) return [];
    const ref = child(binding, 'roleRef');
    const name = stringAt(ref, 'name') ?? '';
    return stringAt(ref, 'kind') === 'Role' ? rulesOf('Role', name, ns) : rulesOf('ClusterRole', name);
  };
  const rules = store.list(resourceTypeOfKind('ClusterRoleBinding')).flatMap((b) => bindingRules(b));
  if (namespace) {
    for (const b of store.list(resourceTypeOfKind('RoleBinding'), namespace))
      rules.push(...bindingRules(b, namespace));
  }
  return rules;
}

export function rbacAllows(store: ObjectStore, req: RbacRequest): boolean {
  return rulesFor(store, req, req.namespace).some((r) => ruleAllows(r, req));
}

export type HeldPermission = (
  request: Omit<RbacRequest, 'user' | 'groups' | 'namespace'> | { verb: string; nonResourceURL: string },
) => boolean;

/** Whether a rule allows `verb` on a non-resource URL (`/healthz`, or a `/prefix/*` pattern). */
export function nonResourceRuleAllows(rule: JsonObject, verb: string, url: string): boolean {
  return (
    has(arrayAt(rule, 'verbs'), verb) &&
    arrayAt(rule, 'nonResourceURLs').some(
      (held) =>
        held === '*' ||
        held === url ||
        (typeof held === 'string' && held.endsWith('*') && url.startsWith(held.slice(0, -1))),
    )
  );
}

/**
 * The rules of `granted` the holder does not hold (kube-apiserver's "attempting to grant RBAC
 * permissions not currently held"). Every verb × group × resource × name a granted rule spells out
 * must be held; a `*` granted is only covered by a `*` held.
 */
export function uncoveredRules(holds: HeldPermission, granted: JsonObject[]): JsonObject[] {
  return granted.filter((rule) => {
    const names = arrayAt(rule, 'resourceNames').map(String);
    const resources = arrayAt(rule, 'resources').map(String);
    if (resources.length === 0) {
      return arrayAt(rule, 'nonResourceURLs').some((url) =>
        arrayAt(rule, 'verbs').some((verb) => !holds({ verb: String(verb), nonResourceURL: String(url) })),
      );
    }
    for (const verb of arrayAt(rule, 'verbs').map(String))
      for (const group of arrayAt(rule, 'apiGroups').map(String))
        for (const resource of resources)
          for (const name of names.length > 0 ? names : [undefined]) {
            if (!holds({ verb, group, resource, ...(name !== undefined ? { name } : {}) })) return true;
          }
    return false;
  });
}

/** The rules a Role/ClusterRole or a binding's referenced role grants, as stored now. */
export function rulesReferencedBy(store: ObjectStore, binding: JsonObject, namespace?: string): JsonObject[] {
  const ref = child(binding, 'roleRef');
  const name = stringAt(ref, 'name') ?? '';
  return stringAt(ref, 'kind') === 'Role'
    ? objectsAt(store.get(resourceTypeOfKind('Role'), namespace, name), 'rules')
    : objectsAt(store.get(resourceTypeOfKind('ClusterRole'), undefined, name), 'rules');
}

/** kube-apiserver's compact rendering of a rule in an escalation message (empty fields left out). */
export function describeRule(rule: JsonObject): string {
  const fields: [string, string][] = [
    ['APIGroups', 'apiGroups'],
    ['Resources', 'resources'],
    ['NonResourceURLs', 'nonResourceURLs'],
    ['ResourceNames', 'resourceNames'],
    ['Verbs', 'verbs'],
  ];
  const parts = fields
    .filter(([, key]) => arrayAt(rule, key).length > 0)
    .map(
      ([label, key]) =>
        `${label}:[${arrayAt(rule, key)
          .map((v) => JSON.stringify(v))
          .join(' ')}]`,
    );
  return `{${parts.join(', ')}}`;
}
