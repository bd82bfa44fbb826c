// Pod Identity on demo, which runs no agent add-on, with INSTALL_POD_IDENTITY_AGENT=true: the binding
// installs the add-on (CreateAddon), waits for it to become ACTIVE, and proves the role through it.
// One system per file: a process hosts one local runtime.
import { DescribeAddonCommand } from '@aws-sdk/client-eks';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, stepStatuses, type TestSystem } from './system.js';

let system: TestSystem;

beforeAll(async () => {
  system = await startTestSystem({ env: { INSTALL_POD_IDENTITY_AGENT: 'true' } });
});

afterAll(async () => {
  await system?.stop();
});

describe('installing the Pod Identity agent', () => {
  it('installs eks-pod-identity-agent on demo (1.31, none yet) for a pod-identity binding and proves the role', async () => {
    const before = await system.eks
      .send(new DescribeAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }))
      .catch((error: { name?: string }) => error.name);
    expect(before).toBe('ResourceNotFoundException');

    const done = await system.waitFor(
      (await system.post(bindingRequest({ clusterName: 'demo', mode: 'pod-identity' }))).json.id,
      undefined,
      120_000,
    );

    expect(done.status).toBe('SUCCEEDED');
    expect(stepStatuses(done)).toMatchObject({
      DescribeCluster: 'SUCCEEDED',
      EnsureWebhook: 'SKIPPED',
      EnsurePodIdentityAssociation: 'SUCCEEDED',
      VerifyIdentity: 'SUCCEEDED',
    });
    expect(done.steps.find((s) => s.name === 'DescribeCluster')?.detail).toContain(
      'eks-pod-identity-agent missing',
    );
    expect(done.steps.find((s) => s.name === 'EnsurePodIdentityAssociation')?.detail).toMatch(
      /^installed the eks-pod-identity-agent add-on \(.+\); created association/,
    );
    const { addon } = await system.eks.send(
      new DescribeAddonCommand({ clusterName: 'demo', addonName: 'eks-pod-identity-agent' }),
    );
    expect(addon?.status).toBe('ACTIVE');
    expect(done.outputs?.verification?.arn).toMatch(/^arn:aws:sts::111122223333:assumed-role\/irsa-demo-/);
  }, 150_000);
});
