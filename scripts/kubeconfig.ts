// `npm run kubeconfig -- --cluster <name>`: merges a kubeconfig context for a sandbox cluster of the
// running `npm start` into $KUBECONFIG (or ~/.kube/config), as `aws eks update-kubeconfig` does for EKS.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';

const USAGE = `Usage: npm run kubeconfig -- --cluster <name> [--sandbox <url>] [--kubeconfig <file>]

  --cluster     sandbox cluster name (demo, legacy, bare under \`npm start\`)
  --sandbox     base URL of the running \`npm start\` (default ${DEFAULT_LOCAL_URL})
  --kubeconfig  file to merge into; default the first path of $KUBECONFIG, else ~/.kube/config

Other contexts are kept; entries named after the cluster's ARN are replaced and become current.`;

function fail(message: string, code = 1): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

interface SandboxCluster {
  name: string;
  region: string;
  arn: string;
  endpoint: string;
  caData: string;
}

function parse(argv: string[]) {
  let values: { cluster?: string; sandbox?: string; kubeconfig?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cluster: { type: 'string' },
        sandbox: { type: 'string' },
        kubeconfig: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const cluster = values.cluster?.trim();
  if (!cluster) fail(`Missing --cluster: name the sandbox cluster.\n\n${USAGE}`, 2);
  const sandbox = (values.sandbox ?? DEFAULT_LOCAL_URL).replace(/\/$/, '');
  if (!/^https?:\/\/[^\s/]+$/.test(sandbox)) {
    fail(
      `--sandbox "${values.sandbox}" is not the base URL of a local runtime, e.g. ${DEFAULT_LOCAL_URL}.`,
      2,
    );
  }
  const firstKubeconfig = process.env.KUBECONFIG?.split(':').find((path) => path !== '');
  const file = resolve(values.kubeconfig ?? firstKubeconfig ?? join(homedir(), '.kube', 'config'));
  return { cluster, sandbox, file };
}

async function sandboxClusters(sandbox: string): Promise<SandboxCluster[]> {
  const url = `${sandbox}/_sandbox/clusters`;
  const response = await fetch(url).catch((error: unknown) =>
    fail(
      `${url} did not answer (${String((error as Error).cause ?? error)}); start the local system with \`npm start\` (or pass --sandbox <its URL>).`,
    ),
  );
  if (!response.ok)
    fail(`${url} answered ${response.status}; is ${sandbox} a local irsa-broker (\`npm start\`)?`);
  return ((await response.json()) as { items: SandboxCluster[] }).items;
}

type Named = { name: string; [key: string]: unknown };

/** The list with the entry of that name replaced (or appended), others untouched and in order. */
function upsert(list: unknown, entry: Named): Named[] {
  const items = Array.isArray(list) ? (list as Named[]) : [];
  const at = items.findIndex((item) => item?.name === entry.name);
  return at === -1 ? [...items, entry] : items.map((item, i) => (i === at ? entry : item));
}

const { cluster, sandbox, file } = parse(process.argv.slice(2));
const clusters = await sandboxClusters(sandbox);
const found = clusters.find((c) => c.name === cluster);
if (!found) {
  fail(
    `No cluster "${cluster}" in the sandbox at ${sandbox}; it has: ${clusters.map((c) => c.name).join(', ')}.`,
  );
}

// Absolute paths, so kubectl runs the plugin from any directory on this checkout's Node and tsx.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
if (!existsSync(tsx)) fail(`${tsx} is missing: run \`npm install\` in ${root} first.`);
const user = {
  name: found.arn,
  user: {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: process.execPath,
      args: [
        tsx,
        join(root, 'scripts', 'eks-token.ts'),
        '--cluster',
        found.name,
        '--region',
        found.region,
        '--sandbox',
        sandbox,
      ],
      interactiveMode: 'Never',
      provideClusterInfo: false,
    },
  },
};

let config: Record<string, unknown> = {};
if (existsSync(file)) {
  const parsed = parseYaml(await readFile(file, 'utf8')) as unknown;
  if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    fail(
      `${file} is not a kubeconfig (expected a YAML mapping); fix it or pass --kubeconfig <another file>.`,
    );
  }
  config = (parsed as Record<string, unknown> | null) ?? {};
}
const existed = Array.isArray(config.contexts) && config.contexts.some((c: Named) => c?.name === found.arn);
const merged = {
  apiVersion: 'v1',
  kind: 'Config',
  preferences: {},
  ...config,
  clusters: upsert(config.clusters, {
    name: found.arn,
    cluster: { server: found.endpoint, 'certificate-authority-data': found.caData },
  }),
  users: upsert(config.users, user),
  contexts: upsert(config.contexts, { name: found.arn, context: { cluster: found.arn, user: found.arn } }),
  'current-context': found.arn,
};
await mkdir(dirname(file), { recursive: true });
const temporary = `${file}.${process.pid}.tmp`;
await writeFile(temporary, stringifyYaml(merged), { mode: 0o600 });
await rename(temporary, file);
process.stdout.write(`${existed ? 'Updated' : 'Added new'} context ${found.arn} in ${file}\n`);
