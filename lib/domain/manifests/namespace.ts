import type { KubernetesObject } from '../../ports/kubernetes.js';
import { managedByLabels } from './labels.js';

export function buildNamespace(name: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: managedByLabels() } };
}
