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
  it('succeeds with a 10 s IAM propagation delay by re-running the test pod', async () => {
    system = await startTestSystem({ sandbox: { propagationDelayMs: 10_000 } });

    const created = await system.post(bindingRequest());
    const done = await system.waitFor(created.json.id, undefined, 60_000);

    expect(done.status).toBe('SUCCEEDED');
    const verify = done.steps.find((step) => step.name === 'VerifyIdentity');
    // More than one pod was needed: the first ran before the role was visible to STS.
    expect(verify?.detail).toMatch(/attempt [2-9]|attempts?: ?[2-9]|\b[2-9] attempts/);
  }, 90_000);
});
