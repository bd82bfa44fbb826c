// Labels irsa-broker puts on the Kubernetes objects it creates.

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'irsa-broker';
/** Marks test pods with the binding they verify, so they can be found and cleaned up. */
export const BINDING_LABEL = 'irsa-broker/binding';
/** The field manager of every server-side apply irsa-broker does. */
export const FIELD_MANAGER = 'irsa-broker';

export const managedByLabels = (): Record<string, string> => ({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE });
