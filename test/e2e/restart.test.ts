// `npm start` keeps its world across a restart: bindings in DynamoDB Local and, beside them, the sandbox
// account and clusters (roles, OIDC providers, service accounts, CA and issuer keys), consistent with each other.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from '@jest/globals';
import { VERIFY_STEPS } from '../../lib/domain/binding.js';
import { bindingRequest, settledWith, startTestSystem, type TestSystem } from './system.js';

let system: TestSystem | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await system?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a restart of the local system', () => {
  it('keeps bindings, roles, service accounts and cluster identities, and binds again afterwards', async () => {
    // Prepare: a first run binds on demo.
    dataDir = await mkdtemp(join(tmpdir(), 'irsa-restart-'));
    const options = {
      tableName: `restart-${randomUUID()}`,
      sandbox: { stateFile: join(dataDir, 'sandbox.json') },
    };
    system = await startTestSystem(options);
    const request = bindingRequest({ clusterName: 'demo' });
    const first = await system.waitFor((await system.post(request)).json.id);
    expect(first.status).toBe('SUCCEEDED');
    const issuerBefore = system.cloud.describeClusters().find((c) => c.name === 'demo')?.oidcIssuer;
    await system.stop();

    // Act: a second run on the same data.
    system = await startTestSystem(options);
    const running = system;

    // Assess: the record, the role and the service account are all still there, and agree.
    expect(await running.get(first.id)).toMatchObject({ status: 'SUCCEEDED', outputs: first.outputs });
    const roleName = first.outputs?.roleArn?.split('/').pop();
    const role = await running.iam.send(new GetRoleCommand({ RoleName: roleName }));
    expect(role.Role?.Arn).toBe(first.outputs?.roleArn);
    const demo = running.cloud.describeClusters().find((c) => c.name === 'demo');
    if (!demo) throw new Error('no demo cluster');
    expect(demo.oidcIssuer).toBe(issuerBefore);
    const kubernetes = running.kubernetes('demo');
    const serviceAccount = await kubernetes.get({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      namespace: request.namespace,
      name: request.serviceAccountName,
    });
    expect(serviceAccount?.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(first.outputs?.roleArn);
    // The slot is still taken, and a new service account binds and verifies on the restored cluster.
    expect((await running.post(request)).status).toBe(409);
    const second = await running.waitFor(
      (await running.post(bindingRequest({ clusterName: 'demo' }))).json.id,
    );
    expect(second.status).toBe('SUCCEEDED');
  }, 120_000);

  it('keeps the webhook irsa-broker installed on legacy serving after a restart: a drift check proves the binding', async () => {
    await system?.stop();
    dataDir = await mkdtemp(join(tmpdir(), 'irsa-restart-webhook-'));
    const options = {
      tableName: `restart-${randomUUID()}`,
      sandbox: { stateFile: join(dataDir, 'sandbox.json') },
    };
    system = await startTestSystem(options);
    const bound = await system.waitFor(
      (await system.post(bindingRequest({ clusterName: 'legacy' }))).json.id,
    );
    expect(bound.status).toBe('SUCCEEDED');
    await system.stop();

    system = await startTestSystem(options);
    const running = system;
    const check = await fetch(`${running.url}/v1/bindings/${bound.id}/verify`, { method: 'POST' });
    expect(check.status).toBe(202);
    const checked = await running.waitFor(bound.id, settledWith(VERIFY_STEPS));

    // The webhook's pods kept running across the restart, as a cluster's do: the test pod is mutated.
    expect(checked.error).toBeUndefined();
    expect(checked.status).toBe('SUCCEEDED');
    expect(checked.outputs?.verification?.arn).toContain(':assumed-role/');
  }, 120_000);
});
