// `npm start`: runs irsa-broker on this machine (see runtime.ts) until Ctrl-C or SIGTERM.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrokerAccess, SandboxCloud } from '../sandbox/index.js';
import { awsCliExports } from './aws-cli-exports.js';
import { localSandbox } from './local-sandbox.js';
import { type RateLimit, validateRateLimit } from './rate-limiter.js';
import { startLocalRuntime } from './runtime.js';

/** IAM's eventual consistency as the sandbox simulates it under `npm start` (AWS takes seconds too). */
const DEFAULT_IAM_PROPAGATION_MS = 3000;

function delayFromEnv(): number {
  const raw = process.env.SANDBOX_IAM_PROPAGATION_MS;
  if (raw === undefined || raw === '') return DEFAULT_IAM_PROPAGATION_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 600_000) {
    throw new Error(
      `SANDBOX_IAM_PROPAGATION_MS=${raw} is not a delay; set it to milliseconds from 0 to 600000`,
    );
  }
  return value;
}

/**
 * SANDBOX_AWS_CLI_IMAGES (repositories, e.g. a mirror, carrying the AWS CLI) and SANDBOX_IMAGES (other
 * repositories the sandbox registry has): comma-separated.
 */
function imagesFromEnv(name: 'SANDBOX_AWS_CLI_IMAGES' | 'SANDBOX_IMAGES'): string[] {
  return (process.env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/** SANDBOX_BROKER_ACCESS: how the sandbox clusters admit the broker (unset: the sandbox's default). */
function brokerAccessFromEnv(): { brokerAccess?: BrokerAccess } {
  const raw = process.env.SANDBOX_BROKER_ACCESS;
  if (raw === undefined || raw === '') return {};
  if (raw !== 'cluster-admin' && raw !== 'least-privilege') {
    throw new Error(`SANDBOX_BROKER_ACCESS=${raw} is not known; set it to least-privilege or cluster-admin`);
  }
  return { brokerAccess: raw };
}

function portFromEnv(): number {
  const raw = process.env.PORT ?? '3000';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(
      `PORT=${raw} is not a TCP port; set PORT to a number from 0 to 65535 (0 picks a free one)`,
    );
  }
  return port;
}

/** RATE_LIMIT_PER_SECOND / RATE_LIMIT_BURST per caller; defaults match the deployed stage throttling. */
function rateLimitFromEnv(): RateLimit {
  const ratePerSecond = Number(process.env.RATE_LIMIT_PER_SECOND ?? '50');
  const burst = Number(process.env.RATE_LIMIT_BURST ?? '100');
  try {
    return validateRateLimit({ ratePerSecond, burst });
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; set RATE_LIMIT_PER_SECOND to a positive number and RATE_LIMIT_BURST to a whole number ≥ 1`,
    );
  }
}

/** LOCAL_TOKENS_FILE, else config/local-tokens.yaml when there is one, else the committed example. */
function tokensFile(): string {
  if (process.env.LOCAL_TOKENS_FILE) return resolve(process.env.LOCAL_TOKENS_FILE);
  const own = resolve('config/local-tokens.yaml');
  return existsSync(own) ? own : resolve('config/local-tokens.example.yaml');
}

async function main() {
  const started = Date.now();
  const tokens = tokensFile();
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  let cloud: SandboxCloud | undefined;
  const runtime = await startLocalRuntime({
    port: portFromEnv(),
    dynamodb: { dataDir },
    accountId: '111122223333',
    auth: { tokensFile: tokens },
    rateLimit: rateLimitFromEnv(),
    sandbox: localSandbox(
      {
        stateFile: join(dataDir, 'sandbox.json'),
        propagationDelayMs: delayFromEnv(),
        podStartDelayMs: 1000,
        awsCliImages: imagesFromEnv('SANDBOX_AWS_CLI_IMAGES'),
        images: imagesFromEnv('SANDBOX_IMAGES'),
        ...brokerAccessFromEnv(),
      },
      (started) => {
        cloud = started;
      },
    ),
    progress: (line) => console.log(`· ${line}`),
    log: (line) => console.log(`  ${line}`),
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    try {
      await runtime.stop();
      process.exit(0);
    } catch (error) {
      console.error(error);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const missing = Object.keys(runtime.missingHandlers);
  const exports = cloud ? awsCliExports(cloud.env) : [];
  const awsSection =
    exports.length === 0
      ? ''
      : [
          'AWS CLI / SDKs against the sandbox, as the broker principal (paste into another shell):',
          ...exports.map((line) => `  ${line}`),
          '  aws eks describe-cluster --name demo --query cluster.identity.oidc.issuer --output text',
          '',
          '',
        ].join('\n');
  console.log(`
irsa-broker is running locally (started in ${((Date.now() - started) / 1000).toFixed(1)} s)
  HTTP API        ${runtime.url}
  Step Functions  ${runtime.sfnEndpoint}  (${Object.values(runtime.stateMachineArns).join(', ')})
  DynamoDB Local  ${runtime.dynamodbEndpoint}  table ${runtime.tableName}, data in ${dataDir}
${runtime.sandboxSummary.map((line) => `  ${line}`).join('\n')}
  Sandbox views   ${runtime.url}/_sandbox/clusters, /_sandbox/calls, /_sandbox/faults, /_sandbox/credentials, /_sandbox/events, /_sandbox/state
${missing.length > 0 ? `  Not loaded      ${missing.join(', ')} (their calls fail until fixed; see the warnings above)\n` : ''}  Bearer tokens   ${tokens} (local-admin, local-team-a, local-team-b in the example)

${awsSection}Try:
  curl -s ${runtime.url}/v1/health
  curl -s -X POST ${runtime.url}/v1/bindings -H 'authorization: Bearer local-team-a' \\
    -H 'content-type: application/json' -H 'idempotency-key: demo-1' \\
    -d '{"clusterName":"demo","region":"us-east-1","namespace":"team-a","serviceAccountName":"app","policyArns":["arn:aws:iam::aws:policy/ReadOnlyAccess"]}'

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(
    `irsa-broker could not start locally: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});
