import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function globalTeardown() {
  if (process.env.IRSA_TEST_RUN_ID) {
    await rm(join(tmpdir(), `irsa-package-${process.env.IRSA_TEST_RUN_ID}`), {
      recursive: true,
      force: true,
    });
  }
  const child = globalThis.__dynamoDbLocal;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
