// Real command-line clients (aws, kubectl) for e2e tests: where they are, and an environment that
// shares nothing with the user's own configuration.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** The binary's absolute path, or undefined (with the reason printed) when it is not installed. */
export function findBinary(name: string): string | undefined {
  try {
    return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    console.warn(`${name} is not on PATH: the tests that drive the real ${name} are skipped`);
    return undefined;
  }
}

/**
 * A fresh HOME with no AWS or kube config, plus only PATH (and pyenv's root, which its shims need
 * once HOME moves); everything else the test passes itself.
 */
export function isolatedEnv(extra: Record<string, string> = {}): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), 'irsa-cli-home-'));
  return {
    HOME: home,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.PYENV_ROOT ? { PYENV_ROOT: process.env.PYENV_ROOT } : {}),
    ...(process.env.PYENV_VERSION ? { PYENV_VERSION: process.env.PYENV_VERSION } : {}),
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
    KUBECONFIG: join(home, 'kubeconfig'),
    ...extra,
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary to completion; a non-zero exit is a result, not a rejection. */
export async function run(
  file: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      env: options.env,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      timeout: options.timeoutMs ?? 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

const projectRoot = process.cwd();

/**
 * `irsa-broker` (this project's own client) as a child process on the project's Node 22, against
 * `url`, with a private HOME and no token unless `env` gives one.
 */
export function runIrsaBroker(
  url: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  return run(join(projectRoot, 'node_modules/.bin/node'), [join(projectRoot, 'lib/cli/bin.mjs'), ...args], {
    env: irsaBrokerEnv(url, env),
    cwd: projectRoot,
  });
}

/** The environment runIrsaBroker gives the client: Node 22 first on PATH, as npx and npm run do. */
export function irsaBrokerEnv(url: string, env: Record<string, string> = {}): Record<string, string> {
  return isolatedEnv({
    PATH: `${join(projectRoot, 'node_modules/.bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    IRSA_BROKER_URL: url,
    ...env,
  });
}
