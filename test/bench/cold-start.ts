// Cold start proxy: each function bundled as `npm run package` bundles it (esbuild with serverless.yml's
// custom.esbuild options), its size, and the median time of fresh `node` processes importing it, against
// the same module imported unbundled through tsx.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import type { FunctionSpec, ServiceConfig } from '../../lib/local/serverless-config.js';

export interface ColdStartResult {
  function: string;
  kind: 'api' | 'kubernetes step' | 'step';
  /** Whether @kubernetes/client-node ended up in the bundle (a step that never calls Kubernetes need not carry it). */
  bundlesKubernetesClient: boolean;
  bundleBytes: number;
  /** Target for this kind of function, bytes; absent when the issue sets none. */
  targetBytes?: number;
  /** Median over the runs: time to import the module inside a fresh process. */
  bundledImportMs: number;
  unbundledImportMs: number;
  /** Median over the runs: the whole `node` process, spawn to exit. */
  bundledProcessMs: number;
  unbundledProcessMs: number;
  error?: string;
}

/** The steps that call the Kubernetes API (README: they run as the role given cluster access). */
export const KUBERNETES_STEPS = new Set([
  'ensureWebhook',
  'approveCsr',
  'applyServiceAccount',
  'checkDrift',
  'deleteTestPods',
  'removeServiceAccountBinding',
  'verifyIdentity',
]);

export const TARGET_BYTES = { api: 400 * 1024, 'kubernetes step': 1.6 * 1024 * 1024 } as const;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** serverless-esbuild options that are esbuild options (the rest — exclude, outputFileExtension — are the plugin's). */
function esbuildOptions(custom: Record<string, unknown>): BuildOptions {
  const pick = [
    'bundle',
    'minify',
    'sourcemap',
    'keepNames',
    'target',
    'platform',
    'format',
    'banner',
    'external',
    'mainFields',
    'alias',
  ];
  return Object.fromEntries(Object.entries(custom).filter(([key]) => pick.includes(key))) as BuildOptions;
}

/** The function's environment with CloudFormation references replaced by well-formed stand-ins. */
function environmentOf(spec: FunctionSpec, config: ServiceConfig): Record<string, string> {
  const env: Record<string, string> = { AWS_REGION: config.region, AWS_DEFAULT_REGION: config.region };
  for (const [name, value] of Object.entries(spec.environment)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      env[name] = String(value);
    } else if (typeof value === 'object' && value !== null && 'Ref' in value) {
      const ref = String((value as { Ref: unknown }).Ref);
      env[name] = /StateMachine/.test(ref)
        ? `arn:aws:states:${config.region}:111122223333:stateMachine:${config.service}-bench-${ref}`
        : `${config.service}-bench-${ref}`;
    }
  }
  return env;
}

const IMPORT_AND_TIME = (url: string) =>
  `const t = performance.now(); await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now() - t)); process.exit(0);`;

async function timeImport(
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ importMs: number; processMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const processMs = performance.now() - started;
      const importMs = Number(out.trim());
      if (code !== 0 || !Number.isFinite(importMs)) {
        reject(new Error(`import failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' ')}`));
      } else {
        resolve({ importMs, processMs });
      }
    });
  });
}

async function medianOf(runs: number, once: () => Promise<{ importMs: number; processMs: number }>) {
  const samples: { importMs: number; processMs: number }[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  return {
    importMs: median(samples.map((s) => s.importMs)),
    processMs: median(samples.map((s) => s.processMs)),
  };
}

export async function measureColdStarts(
  config: ServiceConfig,
  options: { runs: number },
  progress: (line: string) => void,
): Promise<ColdStartResult[]> {
  const custom = config.variable('self:custom.esbuild');
  if (typeof custom !== 'object' || custom === null) throw new Error('serverless.yml has no custom.esbuild');
  const base = esbuildOptions(custom as Record<string, unknown>);
  const apiFunctions = new Set(config.routes.map((route) => route.functionName));
  const outDir = await mkdtemp(join(tmpdir(), 'irsa-bench-bundles-'));
  const results: ColdStartResult[] = [];
  try {
    for (const spec of Object.values(config.functions)) {
      const entry = join(config.rootDir, `${spec.modulePath}.ts`);
      const outfile = join(outDir, `${spec.name}.mjs`);
      const built = await build({
        ...base,
        entryPoints: [entry],
        outfile,
        metafile: true,
        logLevel: 'silent',
      });
      const bundlesKubernetesClient = Object.keys(built.metafile.inputs).some((input) =>
        input.includes('node_modules/@kubernetes/client-node/'),
      );
      const kind: ColdStartResult['kind'] = apiFunctions.has(spec.name)
        ? 'api'
        : KUBERNETES_STEPS.has(spec.name)
          ? 'kubernetes step'
          : 'step';
      const bundleBytes = (await stat(outfile)).size;
      const env = environmentOf(spec, config);
      const row: ColdStartResult = {
        function: spec.name,
        kind,
        bundlesKubernetesClient,
        bundleBytes,
        ...(kind in TARGET_BYTES ? { targetBytes: TARGET_BYTES[kind as keyof typeof TARGET_BYTES] } : {}),
        bundledImportMs: Number.NaN,
        unbundledImportMs: Number.NaN,
        bundledProcessMs: Number.NaN,
        unbundledProcessMs: Number.NaN,
      };
      try {
        const bundled = await medianOf(options.runs, () =>
          timeImport(
            ['--input-type=module', '-e', IMPORT_AND_TIME(pathToFileURL(outfile).href)],
            env,
            config.rootDir,
          ),
        );
        const unbundled = await medianOf(options.runs, () =>
          timeImport(
            ['--import', 'tsx', '--input-type=module', '-e', IMPORT_AND_TIME(pathToFileURL(entry).href)],
            env,
            config.rootDir,
          ),
        );
        row.bundledImportMs = bundled.importMs;
        row.bundledProcessMs = bundled.processMs;
        row.unbundledImportMs = unbundled.importMs;
        row.unbundledProcessMs = unbundled.processMs;
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
      }
      progress(
        `cold start: ${spec.name} ${(bundleBytes / 1024).toFixed(0)} KB, import ${row.bundledImportMs.toFixed(0)} ms bundled vs ${row.unbundledImportMs.toFixed(0)} ms unbundled${row.error ? ` (${row.error})` : ''}`,
      );
      results.push(row);
    }
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
  return results;
}
