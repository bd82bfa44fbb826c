// What a person reads when a command fails: API problems (RFC 9457), field errors, an unreachable API.
import { type FieldIssue, InputError } from '../domain/errors.js';
import type { Problem } from './api-client.js';
import {
  ApiProblemError,
  ApiUnreachableError,
  TokenCommandError,
  UnexpectedResponseError,
  UsageError,
} from './cli-errors.js';

/** The exit status of each way a command ends (README "Command-line client"). */
export const EXIT = { done: 0, failed: 1, usage: 2, refused: 3, unreachable: 4 } as const;

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

/**
 * What to print, and the exit status, for an error a command ended with; undefined for an error that
 * is not one of the client's (a defect: let it surface with its stack).
 */
export function failureReport(
  error: unknown,
  command: string | undefined,
  optionFor?: (field: string) => string | undefined,
): { lines: string[]; exit: number } | undefined {
  if (error instanceof UsageError) {
    const name = error.command ?? command;
    const hint = error.message.includes('--help') ? [] : [`See irsa-broker ${name ? `${name} ` : ''}--help`];
    return { lines: [`error: ${error.message}`, ...hint], exit: EXIT.usage };
  }
  if (error instanceof InputError) {
    const issues = error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }];
    return { lines: invalidRequestLines(issues, optionFor), exit: EXIT.usage };
  }
  if (error instanceof TokenCommandError) return { lines: [`error: ${error.message}`], exit: EXIT.usage };
  if (error instanceof ApiProblemError) {
    return { lines: problemLines(error.problem, error.request, optionFor), exit: EXIT.refused };
  }
  if (error instanceof UnexpectedResponseError)
    return { lines: [`error: ${error.message}`], exit: EXIT.refused };
  if (error instanceof ApiUnreachableError) {
    return { lines: unreachableLines(error.url, error.reason), exit: EXIT.unreachable };
  }
  return undefined;
}
