// Use case: list bindings newest first, by cluster or overall, filtered by namespace and status.
import { InputError } from '../domain/errors.js';
import type { ApiPorts } from '../ports/api-ports.js';
import type { ListPage, ListQuery } from '../ports/binding-store.js';

export const MAX_LIST_LIMIT = 100;
export const DEFAULT_LIST_LIMIT = 20;

export async function listBindings(query: ListQuery, deps: Pick<ApiPorts, 'store'>): Promise<ListPage> {
  if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIST_LIMIT) {
    throw new InputError(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`, [
      { path: 'limit', message: `use a whole number from 1 to ${MAX_LIST_LIMIT}` },
    ]);
  }
  return deps.store.list(query);
}
