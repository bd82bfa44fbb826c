// Errors the command-line client can end with, in the house taxonomy: a literal name, a code, whether a
// later try can pass, the cause. The exit status is given at the edge (main.ts), never here.
import { BrokerError } from '../domain/errors.js';
import type { Problem } from './api-client.js';

/** The command line itself is wrong: unknown command or option, missing value. Says what to type. */
export class UsageError extends BrokerError {
  override readonly name = 'UsageError';
  readonly retryable = false;
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The API answered with an RFC 9457 problem. */
export class ApiProblemError extends BrokerError {
  override readonly name = 'ApiProblem';
  constructor(
    readonly problem: Problem,
    readonly request: string,
  ) {
    super(`${request}: ${problem.status} ${problem.title}: ${problem.detail}`);
  }
  get retryable(): boolean {
    return this.problem.status === 429 || this.problem.status >= 500;
  }
}

/** The API answered with something that is not the contract (not JSON, unexpected status). */
export class UnexpectedResponseError extends BrokerError {
  override readonly name = 'UnexpectedResponse';
  readonly retryable = false;
}

/** Nothing answered at the API URL. */
export class ApiUnreachableError extends BrokerError {
  override readonly name = 'ApiUnreachable';
  readonly retryable = true;
  constructor(
    readonly url: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super(`cannot reach irsa-broker at ${url} (${reason})`, options);
  }
}

/** The credentials helper command failed or printed no token. */
export class TokenCommandError extends BrokerError {
  override readonly name = 'TokenCommandFailed';
  readonly retryable = false;
}
