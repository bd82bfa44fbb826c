// IAM's request-parameter constraints (names, paths, durations, tags), answered as IAM answers them.

import type { Tag } from './account-state.js';
import { AwsServiceError } from './aws-service-error.js';

export const MAX_TAGS_PER_RESOURCE = 50;

function validationError(field: string, value: string, constraint: string): AwsServiceError {
  return new AwsServiceError(
    'ValidationError',
    `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: ${constraint}`,
    400,
  );
}

/** Role, policy and instance-profile names: `[\w+=,.@-]`, 1..max characters. */
export function checkName(field: string, value: string, max: number): void {
  if (value.length < 1 || value.length > max) {
    throw validationError(field, value, `Member must have length less than or equal to ${max}`);
  }
  if (!/^[\w+=,.@-]+$/.test(value)) {
    throw validationError(field, value, 'Member must satisfy regular expression pattern: [\\w+=,.@-]+');
  }
}

export function checkPath(value: string): void {
  if (value.length > 512)
    throw validationError('path', value, 'Member must have length less than or equal to 512');
  if (!/^(\/|\/[\u0021-\u007e]+\/)$/.test(value)) {
    throw validationError(
      'path',
      value,
      'Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)',
    );
  }
}

export function checkMaxSessionDuration(value: number): void {
  if (value < 3600) {
    throw validationError(
      'maxSessionDuration',
      String(value),
      'Member must have value greater than or equal to 3600',
    );
  }
  if (value > 43200) {
    throw validationError(
      'maxSessionDuration',
      String(value),
      'Member must have value less than or equal to 43200',
    );
  }
}

export function checkDescription(value: string): void {
  if (value.length > 1000) {
    throw validationError('description', value, 'Member must have length less than or equal to 1000');
  }
}

export function checkTags(tags: Tag[]): void {
  for (const tag of tags) {
    if (tag.Key.length < 1 || tag.Key.length > 128 || !/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u.test(tag.Key)) {
      throw validationError(
        'tags.member.key',
        tag.Key,
        'Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+',
      );
    }
    if (tag.Value.length > 256) {
      throw validationError(
        'tags.member.value',
        tag.Value,
        'Member must have length less than or equal to 256',
      );
    }
  }
}

/** Merges tags (a new value replaces an old one of the same key) within the 50-tag quota. */
export function mergeTags(existing: Tag[], added: Tag[], resource: string): Tag[] {
  checkTags(added);
  const merged = new Map(existing.map((tag) => [tag.Key, tag.Value]));
  for (const tag of added) merged.set(tag.Key, tag.Value);
  if (merged.size > MAX_TAGS_PER_RESOURCE) {
    throw new AwsServiceError(
      'LimitExceeded',
      `Cannot exceed quota for TagsPer${resource}: ${MAX_TAGS_PER_RESOURCE}`,
      409,
    );
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}
