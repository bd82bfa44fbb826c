// `npm run package` offline, once per jest run: the template suites share one packaging (it takes about a
// minute), made into a folder named after the run and guarded by a lock folder while it is written.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The boundary every shared packaging names (a deployment must name one: there is no default). */
export const TEST_BOUNDARY_ARN = 'arn:aws:iam::123456789012:policy/guardrails/irsa-broker-boundary';

/** The access policy every shared packaging ships (a deployment ships its own config/tenants.yaml). */
export const TEST_ACCESS_POLICY_FILE = 'config/tenants.example.yaml';

export type Json = Record<string, unknown>;
export interface TemplateResource {
  Type: string;
  Properties: Json;
}

/** `npm run package -- <args>` from the repository; its exit code and everything it printed. */
export async function runPackage(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn('npm', ['run', 'package', '--', ...args], {
    cwd: repoRoot,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

/** Where this jest run keeps its packaging; global-teardown.js removes it. */
export function packageDir(runId = process.env.IRSA_TEST_RUN_ID ?? String(process.ppid)): string {
  return join(tmpdir(), `irsa-package-${runId}`);
}

async function readTemplate(dir: string): Promise<Record<string, TemplateResource> | undefined> {
  try {
    const text = await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8');
    return (JSON.parse(text) as { Resources: Record<string, TemplateResource> }).Resources;
  } catch {
    return undefined;
  }
}

/** The packaged template's resources, packaging (TEST_BOUNDARY_ARN, TEST_ACCESS_POLICY_FILE) only if this run has not yet. */
export async function packagedResources(): Promise<Record<string, TemplateResource>> {
  const dir = packageDir();
  const lock = `${dir}.lock`;
  for (;;) {
    const done = await readTemplate(dir);
    if (done) return done;
    try {
      await mkdir(lock);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 1000)); // another suite is packaging
    }
  }
  try {
    const ready = await readTemplate(dir);
    if (ready) return ready;
    const { code, output } = await runPackage([
      '--package',
      dir,
      '--param',
      `permissionsBoundaryArn=${TEST_BOUNDARY_ARN}`,
      '--param',
      `accessPolicyFile=${TEST_ACCESS_POLICY_FILE}`,
    ]);
    if (code !== 0) {
      const hint = /functions\/steps\//.test(output)
        ? '\nA step handler under functions/steps/ is missing or does not build; serverless.yml names each one.'
        : '';
      throw new Error(`npm run package exited with ${code}.${hint}\n${output.slice(-4000)}`);
    }
    const written = await readTemplate(dir);
    if (!written) throw new Error(`npm run package wrote no template into ${dir}`);
    return written;
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}
