// Opaque list cursors: base64url of the index key where the previous page stopped, checked on the way back in.
import { InputError } from '../../domain/errors.js';
import { isBindingId } from '../../domain/names.js';
import { LISTING, META } from './binding-item.js';

export type IndexName = 'gsi1' | 'gsi2' | 'gsi3';
export type CursorKey = Record<string, string>;

const MAX_CURSOR_LENGTH = 2048;

function invalid(reason: string): InputError {
  return new InputError(
    `The cursor is not valid (${reason}); repeat the request without a cursor to start over.`,
    [
      {
        path: 'cursor',
        message: 'not a cursor returned by this query; drop it to start from the first page',
      },
    ],
  );
}

/** Only the key attributes of `item` for `index`: what DynamoDB needs as ExclusiveStartKey. */
export function cursorKeyOf(item: Record<string, unknown>, index: IndexName): CursorKey {
  const key: CursorKey = {};
  for (const name of ['pk', 'sk', `${index}pk`, `${index}sk`]) key[name] = String(item[name]);
  return key;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor for `index` whose partition must be `partition`; anything else is an InputError. */
export function decodeCursor(cursor: string, index: IndexName, partition: string): CursorKey {
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('not an object');
  const record = parsed as Record<string, unknown>;
  const expected = ['pk', 'sk', `${index}pk`, `${index}sk`];
  const names = Object.keys(record);
  if (names.length !== expected.length || !expected.every((n) => typeof record[n] === 'string')) {
    throw invalid('unexpected attributes');
  }
  const key = record as CursorKey;
  const id = key.pk?.startsWith('BINDING#') ? key.pk.slice('BINDING#'.length) : '';
  const sortKey = key[`${index}sk`] ?? '';
  if (!isBindingId(id) || (key.sk !== LISTING && key.sk !== META)) throw invalid('not a binding key');
  if (key[`${index}pk`] !== partition) throw invalid('issued for another query');
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z#/.test(sortKey) || !sortKey.endsWith(`#${id}`)) {
    throw invalid('inconsistent sort key');
  }
  return key;
}
