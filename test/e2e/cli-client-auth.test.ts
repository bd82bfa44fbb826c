// `irsa-broker` against the system as `npm start` runs it, with the example tokens and access policy:
// where the bearer token comes from, and how refusals (401, 403, 409) read.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runIrsaBroker } from './cli-tools.js';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ auth: { tokensFile: 'config/local-tokens.example.yaml' } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
});

const cli = (args: string[], env: Record<string, string> = {}) => runIrsaBroker(system.url, args, env);

function bindArgs(namespace: string, serviceAccountName = bindingRequest().serviceAccountName): string[] {
  return [
    'bind',
    ...['--cluster', 'demo', '--region', 'us-east-1', '--namespace', namespace],
    ...['--service-account', serviceAccountName, '--policy-arn', 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
  ];
}

describe('irsa-broker with bearer tokens', () => {
  it('without a token: the 401 and how to give one, exit 3', async () => {
    const result = await cli(['list']);

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: Unauthorized \(401\) on GET \/v1\/bindings$/m);
    expect(result.stderr).toMatch(/^Set IRSA_BROKER_TOKEN, or --token-command/m);
  });

  it('takes the token from a helper command (--token-command or IRSA_BROKER_TOKEN_COMMAND) or IRSA_BROKER_TOKEN', async () => {
    const viaFlag = await cli([...bindArgs('team-a'), '--token-command', 'echo "  local-team-a  "']);
    expect(viaFlag.stderr).toBe('');
    expect(viaFlag.code).toBe(0);
    expect(viaFlag.stdout).toMatch(/^role {6}arn:aws:iam::111122223333:role\//m);

    expect((await cli(['list'], { IRSA_BROKER_TOKEN_COMMAND: 'printf local-admin' })).code).toBe(0);
    expect((await cli(['list'], { IRSA_BROKER_TOKEN: 'local-team-a' })).code).toBe(0);

    const broken = await cli(['list'], { IRSA_BROKER_TOKEN_COMMAND: 'echo "no session" >&2; exit 7' });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain(
      'the token command `echo "no session" >&2; exit 7` failed (exit 7): no session',
    );
  });

  it("outside the tenant's rules: the 403 with the rule that refused it", async () => {
    const result = await cli(bindArgs('team-a'), { IRSA_BROKER_TOKEN: 'local-team-b' });

    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^error: Not allowed \(403 NotAllowed\) on POST \/v1\/bindings$/m);
    expect(result.stderr).toMatch(/^ {2}refused by the access policy rule tenants\.team-b\.\S+$/m);
  });

  it('a service account already bound: the 409 names the binding holding it', async () => {
    const serviceAccount = bindingRequest().serviceAccountName;
    const token = { IRSA_BROKER_TOKEN: 'local-team-a' };
    const first = JSON.parse(
      (await cli([...bindArgs('team-a', serviceAccount), '--output', 'json'], token)).stdout,
    ) as {
      id: string;
    };

    const second = await cli(bindArgs('team-a', serviceAccount), token);

    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/^error: Conflict \(409 ConflictError\) on POST \/v1\/bindings$/m);
    expect(second.stderr).toContain(`  held by binding ${first.id}: irsa-broker get ${first.id}`);
  });
});
