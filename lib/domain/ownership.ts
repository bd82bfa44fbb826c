// Which binding, if any, owns an AWS resource, told by the tags irsa-broker puts on what it creates.

export const MANAGED_BY_TAG = 'irsa-broker:managed-by';
export const MANAGED_BY_VALUE = 'irsa-broker';
export const BINDING_ID_TAG = 'irsa-broker:binding-id';

export type Owner =
  | { kind: 'this-binding' }
  | { kind: 'other-binding'; bindingId: string }
  | { kind: 'no-one' };

/** Tags that mark a resource as created by irsa-broker for `bindingId`. */
export function ownershipTags(bindingId: string): Record<string, string> {
  return { [MANAGED_BY_TAG]: MANAGED_BY_VALUE, [BINDING_ID_TAG]: bindingId };
}

/**
 * Who owns a resource carrying `tags`, seen from `bindingId`. Both tags are required: a resource
 * merely tagged managed-by (or carrying only a binding id) was not made by us and is "no one's".
 */
export function ownerOf(tags: Readonly<Record<string, string>>, bindingId: string): Owner {
  const owner = tags[BINDING_ID_TAG];
  if (tags[MANAGED_BY_TAG] !== MANAGED_BY_VALUE || owner === undefined || owner === '') {
    return { kind: 'no-one' };
  }
  return owner === bindingId ? { kind: 'this-binding' } : { kind: 'other-binding', bindingId: owner };
}
