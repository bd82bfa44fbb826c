// The ports the HTTP API's use cases draw from; each use case takes only the ones it needs (Pick).
import type { BindingStore } from './binding-store.js';
import type { Clock } from './clock.js';
import type { IdGenerator } from './id-generator.js';
import type { WorkflowStarter } from './workflow-starter.js';

export interface ApiPorts {
  store: BindingStore;
  workflow: WorkflowStarter;
  clock: Pick<Clock, 'now'>;
  ids: IdGenerator;
}
