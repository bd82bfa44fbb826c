// What a person reads when a command fails: API problems (RFC 9457), field errors, an unreachable API.
import type { FieldIssue } from '../domain/errors.js';
import type { Problem } from './api-client.js';

/** `path: message` per field, with the option that sets the field when there is one. */
export function fieldIssueLines(
  issues: readonly FieldIssue[],
  optionFor: (field: string) => string | undefined = () => undefined,
): string[] {
  return issues.map((issue) => {
    const path = issue.path || '(body)';
    const option = optionFor(issue.path.split('.')[0] ?? '');
    return `  ${path}: ${issue.message}${option ? ` [--${option}]` : ''}`;
  });
}

const HINTS: Record<number, string> = {
  401: 'Set IRSA_BROKER_TOKEN, or --token-command / IRSA_BROKER_TOKEN_COMMAND to a command printing a token (npm start accepts the tokens in config/local-tokens.example.yaml, e.g. local-team-a).',
  429: 'Too many calls: wait a few seconds and try again.',
};

/** An API refusal as lines for stderr. */
export function problemLines(
  problem: Problem,
  request: string,
  optionFor?: (field: string) => string | undefined,
): string[] {
  const code = problem.type.startsWith('urn:irsa-broker:problem:')
    ? problem.type.slice('urn:irsa-broker:problem:'.length)
    : problem.type;
  const kind = code === 'about:blank' ? `${problem.status}` : `${problem.status} ${code}`;
  const lines = [`error: ${problem.title} (${kind}) on ${request}`];
  if (problem.errors && problem.errors.length > 0) lines.push(...fieldIssueLines(problem.errors, optionFor));
  else lines.push(`  ${problem.detail}`);
  if (problem.existingBindingId) {
    lines.push(
      `  held by binding ${problem.existingBindingId}: irsa-broker get ${problem.existingBindingId}`,
    );
  }
  if (problem.rule) lines.push(`  refused by the access policy rule ${problem.rule}`);
  const hint = HINTS[problem.status];
  if (hint) lines.push(hint);
  return lines;
}

export function invalidRequestLines(
  issues: readonly FieldIssue[],
  optionFor?: (field: string) => string | undefined,
): string[] {
  return ['error: the request is invalid (nothing was sent):', ...fieldIssueLines(issues, optionFor)];
}

export function unreachableLines(url: string, reason: string): string[] {
  return [
    `error: cannot reach irsa-broker at ${url} (${reason}).`,
    'Is it running? Start it locally with `npm start`, or point --api-url / IRSA_BROKER_URL at the API.',
  ];
}
