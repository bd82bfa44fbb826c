// The real kubectl binary pointed at a sandbox cluster through a temporary kubeconfig (the cluster's
// CA and a bearer EKS token), or the reason it cannot run here.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';

export function findKubectl(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs, '/usr/bin', '/usr/local/bin'].map((d) => join(d, 'kubectl')).find((p) => existsSync(p));
}

export interface Kubectl {
  run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  dispose(): void;
}

export function kubectlFor(binary: string, cluster: SandboxCluster, token: string): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-kubectl-'));
  const config = join(dir, 'config');
  const { name, endpoint, certificateAuthorityData } = cluster.description;
  writeFileSync(
    config,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name, cluster: { server: endpoint, 'certificate-authority-data': certificateAuthorityData } },
      ],
      users: [{ name: 'tester', user: { token } }],
      contexts: [{ name, context: { cluster: name, user: 'tester' } }],
      'current-context': name,
    }),
  );
  return {
    run: (...args) =>
      new Promise((resolve) => {
        execFile(
          binary,
          ['--kubeconfig', config, '--cache-dir', join(dir, 'cache'), ...args],
          { env: { PATH: process.env.PATH ?? '', HOME: dir }, timeout: 30_000 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
      }),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The rows of kubectl's human-readable table: header names → cell per row. */
export function parseTable(stdout: string): { header: string[]; rows: Record<string, string>[] } {
  const lines = stdout.split('\n').filter((l) => l.trim());
  const headerLine = lines[0] ?? '';
  const starts: number[] = [];
  for (const m of headerLine.matchAll(/\S+(?: \S+)*/g)) starts.push(m.index ?? 0);
  const header = starts.map((s, i) => headerLine.slice(s, starts[i + 1]).trim());
  const rows = lines
    .slice(1)
    .map((line) =>
      Object.fromEntries(header.map((h, i) => [h, line.slice(starts[i], starts[i + 1]).trim()])),
    );
  return { header, rows };
}
