// Plugs the sandbox cloud into the local runtime: its endpoints and credentials become the handlers'
// environment, and its introspection is served under /_sandbox on the local HTTP API (never deployed).
import * as z from 'zod/mini';
import '../domain/validation-locale.js';
import type { FaultRule } from '../sandbox/faults.js';
import { type SandboxCloud, type SandboxCloudOptions, startSandboxCloud } from '../sandbox/index.js';
import type { LocalEndpointResponse, LocalEndpoints } from './http-gateway.js';
import type { LocalSandbox, StartedSandbox } from './runtime.js';
import { ensureLocalBoundary } from './sandbox-boundary.js';
import { ensureLocalTargetAccount } from './sandbox-target-account.js';

const FAULT_KINDS = [
  'throttle',
  'server-error',
  'latency',
  'permanent',
  'image-pull',
  'webhook-no-csr',
] as const;

const FaultsBody = z.strictObject({
  seed: z.optional(z.number().check(z.int())),
  rules: z
    .array(
      z.strictObject({
        service: z.string().check(z.minLength(1), z.maxLength(100)),
        operation: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
        kind: z.enum(FAULT_KINDS),
        rate: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
        latencyMs: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(60_000))),
        retryAfterSeconds: z.optional(z.number().check(z.int(), z.minimum(0), z.maximum(3600))),
      }),
    )
    .check(z.maxLength(100)),
});

/** The rule without absent optional fields (the injector's types have no room for `undefined`). */
function withoutUndefined(rule: z.output<typeof FaultsBody>['rules'][number]): FaultRule {
  const { operation, rate, latencyMs, retryAfterSeconds, ...required } = rule;
  return {
    ...required,
    ...(operation !== undefined ? { operation } : {}),
    ...(rate !== undefined ? { rate } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
  };
}

function problem(status: number, title: string, detail: string): LocalEndpointResponse {
  return { status, body: { type: 'about:blank', title, status, detail } };
}

/** `/_sandbox/*`: clusters, call counters, faults, published events and a state summary of the running sandbox. */
export function sandboxEndpoints(cloud: SandboxCloud): LocalEndpoints {
  return async ({ method, path, query, body }) => {
    if (!path.startsWith('/_sandbox/')) return undefined;
    const route = `${method} ${path.replace(/\/+$/, '')}`;
    switch (route) {
      case 'GET /_sandbox/clusters':
        return {
          status: 200,
          body: {
            items: cloud.describeClusters().map((c) => ({
              name: c.name,
              region: c.region,
              arn: c.arn,
              version: c.version,
              status: c.status,
              endpoint: c.endpoint,
              caData: c.certificateAuthorityData,
              oidcIssuer: c.oidcIssuer,
            })),
          },
        };
      case 'GET /_sandbox/calls':
        return { status: 200, body: cloud.counts() };
      case 'DELETE /_sandbox/calls':
        cloud.counter.reset();
        return { status: 200, body: cloud.counts() };
      case 'GET /_sandbox/faults':
        return {
          status: 200,
          body: {
            seed: cloud.faults.seed,
            rules: cloud.faults.getRules(),
            injected: cloud.faults.injected(),
          },
        };
      case 'PUT /_sandbox/faults': {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          return problem(400, 'Bad Request', 'The body must be JSON: {"seed"?: n, "rules": [...]}');
        }
        const parsed = FaultsBody.safeParse(json);
        if (!parsed.success) {
          const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
          return problem(400, 'Bad Request', `Invalid fault rules: ${detail.join('; ')}`);
        }
        cloud.faults.reset(parsed.data.seed);
        cloud.faults.setRules(parsed.data.rules.map(withoutUndefined));
        return {
          status: 200,
          body: {
            seed: cloud.faults.seed,
            rules: cloud.faults.getRules(),
            injected: cloud.faults.injected(),
          },
        };
      }
      case 'GET /_sandbox/credentials': {
        // The broker principal's sandbox keys (hand-made SDK calls as the broker), or with ?as=operator
        // the operator's, cluster-admin like EKS's cluster creator (`npm run token -- --sandbox`, kubectl).
        const as = query.get('as') ?? 'broker';
        if (as !== 'broker' && as !== 'operator') {
          return problem(
            400,
            'Bad Request',
            `as=${as} is not known; use as=broker (default) or as=operator.`,
          );
        }
        return {
          status: 200,
          body:
            as === 'operator'
              ? { roleArn: cloud.account.operatorRoleArn, ...cloud.account.operatorCredentials }
              : { roleArn: cloud.account.brokerRoleArn, ...cloud.account.brokerCredentials },
        };
      }
      case 'GET /_sandbox/events': {
        // What EventBridge accepted, oldest first; `bus`, `source` and `detail-type` narrow it down.
        const bus = query.get('bus');
        const source = query.get('source');
        const detailType = query.get('detail-type');
        const items = cloud.account
          .publishedEvents()
          .filter(
            (e) =>
              (bus === null || e.eventBusName === bus) &&
              (source === null || e.event.source === source) &&
              (detailType === null || e.event['detail-type'] === detailType),
          );
        return { status: 200, body: { items } };
      }
      case 'GET /_sandbox/state':
        return {
          status: 200,
          body: { account: cloud.account.snapshot(), clusters: cloud.describeClusters() },
        };
      default:
        return problem(
          404,
          'Not Found',
          `No sandbox endpoint ${method} ${path}. Try GET /_sandbox/clusters, /_sandbox/calls, /_sandbox/faults, /_sandbox/credentials, /_sandbox/events or /_sandbox/state.`,
        );
    }
  };
}

/** The sandbox as the local runtime's embedded default target. */
export function localSandbox(
  options: SandboxCloudOptions = {},
  onStarted?: (cloud: SandboxCloud) => void,
): LocalSandbox {
  return {
    async start({ region, accountId, log, param }): Promise<StartedSandbox> {
      const cloud = await startSandboxCloud({ region, accountId, ...options });
      let accessRoleArn: string;
      const boundaryArn = await ensureLocalBoundary(cloud)
        .then(async (arn) => {
          accessRoleArn = await ensureLocalTargetAccount(cloud, {
            rolePath: param?.('rolePath') ?? '/irsa-broker/',
            roleNamePrefix: param?.('roleNamePrefix') ?? 'irsa-',
            permissionsBoundaryArn: arn,
            accessRoleName: param?.('targetAccountAccessRoleName') ?? 'irsa-broker-target-access',
          });
          return arn;
        })
        .catch(async (error: unknown) => {
          await cloud.stop();
          throw error;
        });
      onStarted?.(cloud);
      // Saved often, so a killed process loses at most a moment of sandbox state.
      const saver = options.stateFile
        ? setInterval(() => {
            cloud.save().catch((error: unknown) => log(`sandbox state not saved: ${String(error)}`));
          }, 2000)
        : undefined;
      saver?.unref();
      const clusters = cloud.describeClusters();
      return {
        env: cloud.env,
        localEndpoints: sandboxEndpoints(cloud),
        summary: [
          `Sandbox AWS     ${cloud.awsUrl}  (account ${cloud.account.accountId}, ${cloud.account.region})`,
          `  permissions boundary ${boundaryArn}`,
          `Sandbox AWS     ${cloud.peerAwsUrl}  (account ${cloud.peerAccount.accountId}, linked: cross-account target roles)`,
          `  irsa-broker's access role ${accessRoleArn!}`,
          ...clusters.map(
            (c) => `  cluster ${c.name.padEnd(7)} Kubernetes ${c.version.padEnd(5)} ${c.endpoint}`,
          ),
        ],
        stop: () => {
          clearInterval(saver);
          return cloud.stop();
        },
      };
    },
  };
}
