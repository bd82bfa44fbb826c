// RBAC evaluation for in-cluster users (service accounts): the Role/ClusterRole rules reachable
// through bindings whose subjects name the user or one of its groups.
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

function subjectMatches(subject: JsonObject, req: RbacRequest): boolean {
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

function ruleAllows(rule: JsonObject, req: RbacRequest): boolean {
  const names = arrayAt(rule, 'resourceNames');
  return (
    has(arrayAt(rule, 'verbs'), req.verb) &&
    has(arrayAt(rule, 'apiGroups'), req.group) &&
    has(arrayAt(rule, 'resources'), req.resource) &&
    (names.length === 0 || (req.name !== undefined && names.includes(req.name)))
  );
}

export function rbacAllows(store: ObjectStore, req: RbacRequest): boolean {
  const rulesOf = (kind: 'Role' | 'ClusterRole', name: string, namespace?: string) =>
    objectsAt(store.get(resourceTypeOfKind(kind), namespace, name), 'rules');
  const bindingRules = (binding: JsonObject, namespace?: string): JsonObject[] => {
    if (!objectsAt(binding, 'subjects').some((s) => subjectMatches(s, req))) return [];
    const ref = child(binding, 'roleRef');
    const name = stringAt(ref, 'name') ?? '';
    return stringAt(ref, 'kind') === 'Role' ? rulesOf('Role', name, namespace) : rulesOf('ClusterRole', name);
  };
  const rules = store.list(resourceTypeOfKind('ClusterRoleBinding')).flatMap((b) => bindingRules(b));
  if (req.namespace) {
    for (const b of store.list(resourceTypeOfKind('RoleBinding'), req.namespace))
      rules.push(...bindingRules(b, req.namespace));
  }
  return rules.some((r) => ruleAllows(r, req));
}
