// `npm run token -- --cluster <name> [--region <region>]`: prints an ExecCredential with an EKS bearer
// token, like `aws eks get-token`, so kubectl or curl can reach a (sandbox) cluster as our credentials.
import { parseArgs } from 'node:util';
import {
  type CredentialSource,
  createEksToken,
  defaultCredentialSource,
} from '../lib/adapters/kubernetes/eks-token.js';

const USAGE = `Usage: npm run token -- --cluster <name> [--region <region>] [--sandbox [<url>]] [--as operator|broker]

  --cluster  EKS cluster name (required)
  --region   AWS region; defaults to AWS_REGION, then AWS_DEFAULT_REGION
  --sandbox  sign with sandbox keys, which the running \`npm start\` serves at <url>/_sandbox/credentials
             (default http://127.0.0.1:3000)
  --as       with --sandbox: operator (default; cluster-admin, as EKS's cluster creator) or broker (the
             broker's own principal, held to the RBAC of config/rbac/irsa-broker.yaml)

Without --sandbox, credentials come from the AWS SDK default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
AWS_PROFILE, ...).`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

interface Options {
  cluster: string;
  region: string;
  /** Whose sandbox keys: the operator's (cluster-admin) or the broker's. */
  as: 'operator' | 'broker';
  /** Base URL of a running local runtime whose sandbox credentials to sign with. */
  sandbox?: string;
}

const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';

function parse(argv: string[]): Options {
  // `--sandbox` may stand alone; give it the default URL so parseArgs sees a value.
  const args = argv.flatMap((arg, i) =>
    arg === '--sandbox' && (argv[i + 1] === undefined || argv[i + 1]?.startsWith('--'))
      ? [arg, DEFAULT_LOCAL_URL]
      : [arg],
  );
  let values: { cluster?: string; region?: string; sandbox?: string; as?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        cluster: { type: 'string' },
        sandbox: { type: 'string' },
        as: { type: 'string' },
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
  if (values.sandbox !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(values.sandbox)) {
    fail(`--sandbox "${values.sandbox}" is not the base URL of a local runtime, e.g. ${DEFAULT_LOCAL_URL}.`);
  }
  const as = values.as ?? 'operator';
  if (as !== 'operator' && as !== 'broker') fail(`--as "${as}" is not known: use operator or broker.`);
  if (values.as !== undefined && values.sandbox === undefined) fail('--as needs --sandbox.');
  return { cluster, region, as, ...(values.sandbox !== undefined ? { sandbox: values.sandbox } : {}) };
}

/** The operator's or the broker principal's keys from a running `npm start`. */
function sandboxCredentials(baseUrl: string, as: Options['as']): CredentialSource {
  return async () => {
    const url = `${baseUrl.replace(/\/$/, '')}/_sandbox/credentials?as=${as}`;
    const response = await fetch(url).catch((error: unknown) => {
      throw new Error(`${url} did not answer (${String(error)}); is \`npm start\` running there?`);
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}; is that a local irsa-broker?`);
    const body = (await response.json()) as {
      accessKeyId: string;
      secretAccessKey: string;
      sessionToken?: string;
    };
    return body;
  };
}

const { cluster, region, sandbox, as } = parse(process.argv.slice(2));
const { token, expiresAt } = await createEksToken({
  clusterName: cluster,
  region,
  credentials: sandbox ? sandboxCredentials(sandbox, as) : defaultCredentialSource(),
}).catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    sandbox
      ? `Could not sign a token: ${reason}\n`
      : `Could not sign a token: ${reason}\nConfigure AWS credentials (e.g. AWS_PROFILE) and retry.\n`,
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
