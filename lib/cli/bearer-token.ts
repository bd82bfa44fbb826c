// Where the bearer token comes from: a credentials helper command (its stdout, trimmed) or the
// environment. Read once, when the first call needs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { TokenCommandError } from './cli-errors.js';

export interface TokenSource {
  /** --token-command, else IRSA_BROKER_TOKEN_COMMAND. */
  command?: string;
  /** IRSA_BROKER_TOKEN. */
  token?: string;
}

/** The helper command wins over the token variable: it was asked for explicitly. */
export async function readBearerToken(source: TokenSource): Promise<string | undefined> {
  if (source.command) {
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)('/bin/sh', ['-c', source.command], { timeout: 30_000 }));
    } catch (error) {
      const failed = error as { code?: unknown; stderr?: string; message?: string };
      const said = (failed.stderr ?? '').trim() || failed.message || String(error);
      throw new TokenCommandError(
        `the token command \`${source.command}\` failed (exit ${String(failed.code ?? '?')}): ${said}`,
        { cause: error },
      );
    }
    const token = stdout.trim();
    if (token === '') {
      throw new TokenCommandError(
        `the token command \`${source.command}\` printed nothing; it must print the bearer token`,
      );
    }
    return token;
  }
  const token = source.token?.trim();
  return token ? token : undefined;
}

/** Runs the source at most once, on first use. */
export function lazyToken(source: TokenSource): () => Promise<string | undefined> {
  let pending: Promise<string | undefined> | undefined;
  return () => {
    pending ??= readBearerToken(source);
    return pending;
  };
}
