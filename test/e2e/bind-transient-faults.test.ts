// The bind workflow under a condition real AWS brings. One system per file: a process hosts one
// local runtime, as a Lambda sandbox hosts one configuration.
import { afterEach, describe, expect, it } from '@jest/globals';
import { bindingRequest, startTestSystem, type TestSystem } from './system.js';

let system: TestSystem | undefined;

afterEach(async () => {
  await system?.stop();
  system = undefined;
});

describe('bind workflow under real-world conditions', () => {
  it('binds 20 concurrent requests with 20% transient faults on every AWS and Kubernetes call', async () => {
    system = await startTestSystem({
      sandbox: {
        faults: {
          seed: 2026,
          rules: [
            { service: 'iam', kind: 'server-error', rate: 0.1 },
            { service: 'iam', kind: 'throttle', rate: 0.1 },
            // Pods' AssumeRoleWithWebIdentity (EKS's own token checks are not the API under test).
            { service: 'sts', operation: 'AssumeRoleWithWebIdentity', kind: 'server-error', rate: 0.2 },
            { service: 'eks', kind: 'throttle', rate: 0.2 },
            { service: 'k8s:*', kind: 'server-error', rate: 0.1 },
            { service: 'k8s:*', kind: 'throttle', rate: 0.1 },
          ],
        },
      },
    });
    const running = system;
    const requests = Array.from({ length: 20 }, (_, i) =>
      bindingRequest({ serviceAccountName: `concurrent-${i}`, namespace: `team-${i % 3}` }),
    );

    const created = await Promise.all(requests.map((request) => running.post(request)));
    expect(created.map((c) => c.status)).toEqual(requests.map(() => 202));
    const done = await Promise.all(created.map((c) => running.waitFor(c.json.id, undefined, 120_000)));

    const injected = running.cloud.faults.injected();
    expect(injected['server-error']).toBeGreaterThan(20);
    expect(injected.throttle).toBeGreaterThan(20);
    const failures = done.filter((b) => b.status !== 'SUCCEEDED').map((b) => b.error);
    expect(failures).toEqual([]);
  }, 180_000);
});
