// Use case: read one binding.
import type { Binding } from '../domain/binding.js';
import { NotFoundError } from '../domain/errors.js';
import { isBindingId } from '../domain/names.js';
import type { ApiPorts } from '../ports/api-ports.js';

export async function getBinding(id: string, deps: Pick<ApiPorts, 'store'>): Promise<Binding> {
  // A malformed id cannot name a binding; answering without a read keeps junk off the table.
  const binding = isBindingId(id) ? await deps.store.get(id) : undefined;
  if (!binding)
    throw new NotFoundError(
      `No binding with id "${id}"; ids look like b-01j…, as returned by POST /v1/bindings.`,
    );
  return binding;
}
