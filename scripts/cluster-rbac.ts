// `npm run cluster-rbac -- --cluster <name> --principal-arn <step role arn> ...`: prints the RBAC
// irsa-broker needs on that cluster (config/rbac/irsa-broker.yaml, adjusted to the options), ready for
// `kubectl apply -f -`, headed by the `aws eks create-access-entry` commands that map the roles to it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';

const MANIFEST = fileURLToPath(new URL('../config/rbac/irsa-broker.yaml', import.meta.url));
const DEFAULT_WEBHOOK_NAMESPACE = 'irsa-broker-system';
const GROUP = 'irsa-broker';

const USAGE = `Usage: npm run cluster-rbac -- --cluster <name> [--principal-arn <arn>]... [options]

  --cluster            EKS cluster name (for the access-entry commands)
  --principal-arn      a step role that talks to the cluster; repeat for each (default: a placeholder)
  --region             region for the aws commands (default: the CLI's)
  --webhook-namespace  WEBHOOK_NAMESPACE, if not ${DEFAULT_WEBHOOK_NAMESPACE}
  --no-create-namespace  leave out namespace create/patch (CREATE_NAMESPACE=false)

Prints the manifests on stdout: npm run -s cluster-rbac -- --cluster prod | kubectl apply -f -`;

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(code);
}

function options(argv: string[]) {
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        cluster: { type: 'string' },
        'principal-arn': { type: 'string', multiple: true },
        region: { type: 'string' },
        'webhook-namespace': { type: 'string' },
        'no-create-namespace': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
}

async function main(): Promise<void> {
  const values = options(process.argv.slice(2));
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const cluster = values.cluster?.trim();
  if (!cluster) fail('Missing --cluster: name the EKS cluster.');
  const namespace = values['webhook-namespace'] ?? DEFAULT_WEBHOOK_NAMESPACE;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
    fail(`--webhook-namespace "${namespace}" is not a DNS-1123 label (what WEBHOOK_NAMESPACE accepts).`);
  }
  for (const arn of values['principal-arn'] ?? []) {
    if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+/.test(arn))
      fail(`--principal-arn "${arn}" is not an IAM role ARN.`);
  }

  const text = (await readFile(MANIFEST, 'utf8')).replaceAll(DEFAULT_WEBHOOK_NAMESPACE, namespace);
  const documents = parseAllDocuments(text).filter((doc) => {
    const object = doc.toJS() as { metadata?: { name?: string } } | null;
    if (object === null) return false;
    return !(values['no-create-namespace'] && object.metadata?.name === 'irsa-broker-create-namespaces');
  });
  const region = values.region ? ` --region ${values.region}` : '';
  const principals = values['principal-arn'] ?? ['<step role arn>'];
  const commands = principals.map(
    (arn) =>
      `#   aws eks create-access-entry --cluster-name ${cluster} --principal-arn ${arn} --kubernetes-groups ${GROUP}${region}`,
  );
  process.stdout.write(
    [
      `# irsa-broker RBAC for cluster ${cluster} (webhook namespace ${namespace}). Apply as a cluster admin,`,
      '# then map each step role to the group with an access entry without an access policy:',
      ...commands,
      // A document keeps its comments and its own `---` when the file had one.
      ...documents.map((doc) => {
        const yaml = String(doc).trimEnd();
        return /^---$/m.test(yaml) ? yaml : `---\n${yaml}`;
      }),
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
