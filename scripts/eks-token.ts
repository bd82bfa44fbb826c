// `npm run token -- --cluster <name> [--region <region>]`: prints an ExecCredential with an EKS bearer
// token, like `aws eks get-token`, so kubectl or curl can reach a (sandbox) cluster as our credentials.
import { parseArgs } from 'node:util';
import { createEksToken, defaultCredentialSource } from '../lib/adapters/kubernetes/eks-token.js';

const USAGE = `Usage: npm run token -- --cluster <name> [--region <region>]

  --cluster  EKS cluster name (required)
  --region   AWS region; defaults to AWS_REGION, then AWS_DEFAULT_REGION

Credentials come from the AWS SDK default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

function parse(argv: string[]): { cluster: string; region: string } {
  let values: { cluster?: string; region?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        cluster: { type: 'string' },
        region: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const cluster = values.cluster?.trim();
  if (!cluster) fail('Missing --cluster: name the EKS cluster the token is for.');
  if (!/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/.test(cluster)) {
    fail(
      `--cluster "${cluster}" is not an EKS cluster name (1-100 letters, digits, - and _, starting alphanumeric).`,
    );
  }
  const region = values.region?.trim() || process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  if (!region) fail('No region: pass --region or set AWS_REGION.');
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    fail(`--region "${region}" is not an AWS region such as us-east-1.`);
  return { cluster, region };
}

const { cluster, region } = parse(process.argv.slice(2));
const { token, expiresAt } = await createEksToken({
  clusterName: cluster,
  region,
  credentials: defaultCredentialSource(),
}).catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `Could not sign a token: ${reason}\nConfigure AWS credentials (e.g. AWS_PROFILE) and retry.\n`,
  );
  process.exit(1);
});
const credential = {
  kind: 'ExecCredential',
  apiVersion: 'client.authentication.k8s.io/v1beta1',
  spec: {},
  status: { expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), token },
};
process.stdout.write(`${JSON.stringify(credential, null, 2)}\n`);
