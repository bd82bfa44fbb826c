// IAM serves policy documents URL-encoded (RFC 3986); some callers and fakes send them raw.
import type { PolicyDocument } from '../../ports/iam.js';

export function decodePolicyDocument(text: string): PolicyDocument {
  const trimmed = text.trim();
  const json = trimmed.startsWith('{') ? trimmed : decodeURIComponent(trimmed);
  const parsed: unknown = JSON.parse(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('IAM returned a policy document that is not a JSON object');
  }
  return parsed as PolicyDocument;
}
