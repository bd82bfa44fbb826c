// The Lambda bundles' credential chain (lib/adapters/aws/lambda-credential-provider.ts): the environment
// the Lambda runtime sets, a container credentials endpoint, and an error that names both otherwise.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { defaultProvider } from '../../lib/adapters/aws/lambda-credential-provider.js';

const VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));
  for (const name of VARIABLES) delete process.env[name];
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

function setEnvironmentCredentials(id: string, expiration?: Date): void {
  process.env.AWS_ACCESS_KEY_ID = id;
  process.env.AWS_SECRET_ACCESS_KEY = `secret-of-${id}`;
  process.env.AWS_SESSION_TOKEN = `token-of-${id}`;
  if (expiration) process.env.AWS_CREDENTIAL_EXPIRATION = expiration.toISOString();
  else delete process.env.AWS_CREDENTIAL_EXPIRATION;
}

describe('Lambda credential provider', () => {
  it('returns the credentials the Lambda runtime puts in the environment', async () => {
    setEnvironmentCredentials('ASIAFIRST');
    const credentials = await defaultProvider()();
    expect(credentials).toMatchObject({
      accessKeyId: 'ASIAFIRST',
      secretAccessKey: 'secret-of-ASIAFIRST',
      sessionToken: 'token-of-ASIAFIRST',
    });
  });

  it('keeps credentials without an expiry and re-reads ones that expire within five minutes', async () => {
    setEnvironmentCredentials('ASIASTATIC');
    const lasting = defaultProvider();
    await lasting();
    setEnvironmentCredentials('ASIALATER');
    expect((await lasting()).accessKeyId).toBe('ASIASTATIC');

    setEnvironmentCredentials('ASIASOON', new Date(Date.now() + 60_000));
    const expiring = defaultProvider();
    expect((await expiring()).accessKeyId).toBe('ASIASOON');
    setEnvironmentCredentials('ASIAFRESH', new Date(Date.now() + 3_600_000));
    expect((await expiring()).accessKeyId).toBe('ASIAFRESH');
    setEnvironmentCredentials('ASIANEVER');
    expect((await expiring()).accessKeyId).toBe('ASIAFRESH');
  });

  describe('with a container credentials endpoint', () => {
    let server: Server;
    let authorization: string | undefined;

    beforeEach(async () => {
      server = createServer((request, response) => {
        authorization = request.headers.authorization;
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            AccessKeyId: 'ASIACONTAINER',
            SecretAccessKey: 'container-secret',
            Token: 'container-token',
            Expiration: new Date(Date.now() + 3_600_000).toISOString(),
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterEach(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('fetches them from the endpoint when the environment holds no keys', async () => {
      const { port } = server.address() as AddressInfo;
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = `http://127.0.0.1:${port}/credentials`;
      process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN = 'container-auth';
      const credentials = await defaultProvider()();
      expect(credentials).toMatchObject({ accessKeyId: 'ASIACONTAINER', sessionToken: 'container-token' });
      expect(authorization).toBe('container-auth');
    });
  });

  it('names the variables to set when there is nothing to read', async () => {
    await expect(defaultProvider()()).rejects.toThrow(
      /AWS_ACCESS_KEY_ID.*AWS_SECRET_ACCESS_KEY.*AWS_CONTAINER_CREDENTIALS_FULL_URI/,
    );
  });
});
