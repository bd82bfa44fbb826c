// The local stand-in for the JWT authorizer, and the routes serverless.yml puts behind the real one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { implicitAuthorizer, loadTokenAuthorizer } from '../../lib/local/local-authorizer.js';
import { loadServiceConfig } from '../../lib/local/serverless-config.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'tokens-')), 'tokens.yaml');
  writeFileSync(path, text);
  return path;
}

describe('loadTokenAuthorizer', () => {
  it('turns a known bearer token into claims shaped as API Gateway passes them', async () => {
    const authorize = await loadTokenAuthorizer(join(repoRoot, 'config/local-tokens.example.yaml'));

    expect(authorize('Bearer local-team-a')).toEqual({
      claims: { sub: 'local-team-a', groups: '[team-a]' },
      scopes: null,
    });
    expect(authorize('bearer local-admin')?.claims.sub).toBe('local-admin');
    expect(authorize('Bearer local-team-b')?.claims).toEqual({ sub: 'local-team-b', groups: '[team-b]' });
  });

  it('refuses a missing header, another scheme, an unknown token and a token with extra parts', async () => {
    const authorize = await loadTokenAuthorizer(join(repoRoot, 'config/local-tokens.example.yaml'));
    for (const header of [
      undefined,
      '',
      'Basic bG9jYWw6',
      'Bearer nope',
      'Bearer local-admin extra',
      'local-admin',
    ]) {
      expect(authorize(header)).toBeUndefined();
    }
  });

  it('refuses a tokens file that is missing, not YAML, or has a token without sub, naming the problem', async () => {
    await expect(loadTokenAuthorizer('/nonexistent/tokens.yaml')).rejects.toThrow(/Cannot read .*ENOENT/);
    await expect(loadTokenAuthorizer(file('tokens: [1'))).rejects.toThrow(/not YAML/);
    await expect(loadTokenAuthorizer(file('tokens:\n  t1: { groups: [a] }\n'))).rejects.toThrow(
      /tokens\.t1\.sub: every token needs a sub claim/,
    );
    await expect(loadTokenAuthorizer(file('tokens:\n  "has space": { sub: x }\n'))).rejects.toThrow(
      /no spaces/,
    );
  });

  it('the implicit authorizer answers the same claims whatever the request sends', () => {
    const authorize = implicitAuthorizer({ sub: 'anonymous', groups: ['irsa-broker-admins'] });
    expect(authorize(undefined)).toEqual({
      claims: { sub: 'anonymous', groups: '[irsa-broker-admins]' },
      scopes: null,
    });
    expect(authorize('Bearer anything')?.claims.sub).toBe('anonymous');
  });
});

describe('serverless.yml', () => {
  it('puts every /v1/bindings route behind the JWT authorizer; health and OpenAPI stay public', async () => {
    const config = await loadServiceConfig({ rootDir: repoRoot, stage: 'local' });

    for (const route of config.routes) {
      const isPublic = route.path === '/v1/health' || route.path === '/v1/openapi.json';
      expect({ route: `${route.method} ${route.path}`, authorizer: route.authorizer }).toEqual({
        route: `${route.method} ${route.path}`,
        authorizer: isPublic ? undefined : 'jwt',
      });
    }
    expect(config.routes.map((r) => `${r.method} ${r.path}`)).toContain('GET /v1/bindings/{id}/events');
    // Issuer and audience come from params; the default issuer is a placeholder that accepts no token.
    expect(config.variable('self:provider.httpApi.authorizers.jwt')).toEqual({
      type: 'jwt',
      identitySource: '$request.header.Authorization',
      issuerUrl: 'https://issuer.invalid/set-the-jwtIssuerUrl-param',
      audience: ['irsa-broker'],
    });
  });
});
