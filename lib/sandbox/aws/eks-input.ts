// What every EKS operation shares: its error shapes, route templates, body fields and pagination.
import { AwsServiceError } from './aws-service-error.js';

export const notFound = (message: string) => new AwsServiceError('ResourceNotFoundException', message, 404);
export const invalidParameter = (message: string) =>
  new AwsServiceError('InvalidParameterException', message, 400);

/** `/clusters/{name}/access-entries/{principalArn}` → a RegExp capturing each label (one path segment). */
export function routePattern(template: string): { pattern: RegExp; keys: string[] } {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_match, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}$`), keys };
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`${name} must be a string.`);
  return value;
}

export function stringListField(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw invalidParameter(`${name} must be a list of strings.`);
  }
  return value;
}

export function tagsField(body: Record<string, unknown>): Record<string, string> {
  const value = body.tags;
  if (value === undefined || value === null) return {};
  if (
    typeof value !== 'object' ||
    Array.isArray(value) ||
    !Object.values(value).every((v) => typeof v === 'string')
  ) {
    throw invalidParameter('tags must be a map of string keys to string values.');
  }
  return { ...(value as Record<string, string>) };
}

export function pageOf<T>(
  items: T[],
  query: URLSearchParams,
  max: number,
): { items: T[]; nextToken?: string } {
  const raw = query.get('maxResults');
  const maxResults = raw === null ? max : Number(raw);
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > max) {
    throw invalidParameter(`maxResults must be an integer between 1 and ${max}.`);
  }
  const token = query.get('nextToken');
  const start = token === null ? 0 : Number(Buffer.from(token, 'base64url').toString());
  if (!Number.isInteger(start) || start < 0) {
    throw invalidParameter('The nextToken is invalid; pass the nextToken of the previous page unchanged.');
  }
  const next = start + maxResults;
  return next < items.length
    ? { items: items.slice(start, next), nextToken: Buffer.from(String(next)).toString('base64url') }
    : { items: items.slice(start, next) };
}

export interface EksCallShape {
  /** The region the request was signed for: EKS only sees that region's clusters. */
  region: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

/** One EKS operation: its name, HTTP method, path template (labels in braces) and what it does. */
export type EksDefinition = [
  operation: string,
  method: string,
  template: string,
  run: (call: EksCallShape) => { status: number; body: unknown },
];

export function booleanField(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParameter(`${name} must be a boolean.`);
  return value;
}
