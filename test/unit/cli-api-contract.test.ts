// The client against the API contract: its operations are the OpenAPI document's, API problems and an
// unreachable API read as a person wants, and the bearer token comes from the helper or the environment.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { HttpBrokerApi, OPERATIONS } from '../../lib/cli/api-client.js';
import { readBearerToken } from '../../lib/cli/bearer-token.js';
import {
  ApiProblemError,
  ApiUnreachableError,
  TokenCommandError,
  UsageError,
} from '../../lib/cli/cli-errors.js';
import { optionForField } from '../../lib/cli/command-requests.js';
import { COMMANDS } from '../../lib/cli/command-specs.js';
import {
  EXIT,
  failureReport,
  invalidRequestLines,
  problemLines,
  unreachableLines,
} from '../../lib/cli/error-messages.js';
import { InputError } from '../../lib/domain/errors.js';
import { buildOpenApiDocument } from '../../lib/openapi/openapi-document.js';

describe('operations', () => {
  it('calls exactly the paths and methods the OpenAPI document gives each operationId', () => {
    const document = buildOpenApiDocument();
    const documented = new Map<string, string>();
    for (const [path, item] of Object.entries(document.paths ?? {})) {
      for (const [method, operation] of Object.entries(item ?? {})) {
        const id = (operation as { operationId?: string }).operationId;
        if (id) documented.set(id, `${method.toUpperCase()} ${path}`);
      }
    }
    for (const [id, { method, path }] of Object.entries(OPERATIONS)) {
      expect(`${id}: ${documented.get(id)}`).toBe(`${id}: ${method} ${path}`);
    }
  });
});

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A one-route HTTP server answering every request the same way; records what it was sent. */
async function answering(status: number, type: string, body: string) {
  const seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];
  server = createServer((req, res) => {
    let received = '';
    req.on('data', (chunk) => {
      received += chunk;
    });
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        body: received,
      });
      res.writeHead(status, { 'content-type': type }).end(body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

describe('HttpBrokerApi', () => {
  it('sends the bearer token and the query; returns the JSON', async () => {
    const { url, seen } = await answering(200, 'application/json', '{"items":[],"nextCursor":null}');

    const page = await new HttpBrokerApi(url, async () => 'tok-1').listBindings({
      clusterName: 'demo',
      limit: '5',
    });

    expect(page).toEqual({ items: [], nextCursor: null });
    expect(seen).toEqual([
      {
        method: 'GET',
        url: '/v1/bindings?clusterName=demo&limit=5',
        authorization: 'Bearer tok-1',
        body: '',
      },
    ]);
  });

  it('turns a problem+json answer into ApiProblemError with the problem', async () => {
    const problem = {
      type: 'urn:irsa-broker:problem:ConflictError',
      title: 'Conflict',
      status: 409,
      detail: 'team-a/app is bound by b-0old',
      existingBindingId: 'b-0old',
    };
    const { url } = await answering(409, 'application/problem+json', JSON.stringify(problem));

    const call = new HttpBrokerApi(url, async () => undefined).retryBinding('b-1');

    await expect(call).rejects.toEqual(new ApiProblemError(problem, 'POST /v1/bindings/b-1/retry'));
  });

  it("reads a gateway's own error (not problem+json) as a problem too", async () => {
    const { url } = await answering(401, 'application/json', '{"message":"Unauthorized"}');

    const call = new HttpBrokerApi(url, async () => undefined).getBinding('b-1');

    await expect(call).rejects.toEqual(
      new ApiProblemError(
        { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Unauthorized' },
        'GET /v1/bindings/b-1',
      ),
    );
  });

  it('says nothing answered, naming the URL, when the connection is refused', async () => {
    const { url } = await answering(200, 'application/json', '{}');
    await new Promise((resolve) => server?.close(resolve));
    server = undefined;

    const call = new HttpBrokerApi(url, async () => undefined).getBinding('b-1');

    await expect(call).rejects.toBeInstanceOf(ApiUnreachableError);
    await expect(call).rejects.toMatchObject({ url: url.replace(/\/$/, ''), reason: 'connection refused' });
  });
});

describe('messages', () => {
  const bind = optionForField(COMMANDS.find((command) => command.name === 'bind')!);

  it('a validation problem lists each field error, path: message, with the option that sets it', () => {
    expect(
      problemLines(
        {
          type: 'urn:irsa-broker:problem:InputError',
          title: 'Invalid request',
          status: 400,
          detail: 'The binding request is invalid: namespace: …; serviceAccountName: …',
          errors: [
            { path: 'namespace', message: 'namespace must be a DNS-1123 label' },
            { path: 'tags.aws:x', message: 'tag keys must not start with aws: (reserved)' },
            { path: 'extra', message: 'unknown field; remove it' },
          ],
        },
        'POST /v1/bindings',
        bind,
      ),
    ).toEqual([
      'error: Invalid request (400 InputError) on POST /v1/bindings',
      '  namespace: namespace must be a DNS-1123 label [--namespace]',
      '  tags.aws:x: tag keys must not start with aws: (reserved) [--tag]',
      '  extra: unknown field; remove it',
    ]);
  });

  it('a refusal gives its detail, the binding holding the account, the access rule, and what to do', () => {
    expect(
      problemLines(
        {
          type: 'urn:irsa-broker:problem:ConflictError',
          title: 'Conflict',
          status: 409,
          detail: 'team-a/app is bound by b-0old',
          existingBindingId: 'b-0old',
        },
        'POST /v1/bindings',
      ),
    ).toEqual([
      'error: Conflict (409 ConflictError) on POST /v1/bindings',
      '  team-a/app is bound by b-0old',
      '  held by binding b-0old: irsa-broker get b-0old',
    ]);
    const notAllowed = problemLines(
      {
        type: 'urn:irsa-broker:problem:NotAllowed',
        title: 'Not allowed',
        status: 403,
        detail: 'no',
        rule: 'tenants.team-a.namespaces',
      },
      'POST /v1/bindings',
    );
    expect(notAllowed).toContain('  refused by the access policy rule tenants.team-a.namespaces');
    const unauthenticated = problemLines(
      {
        type: 'urn:irsa-broker:problem:Unauthenticated',
        title: 'Not authenticated',
        status: 401,
        detail: 'no token',
      },
      'GET /v1/bindings',
    );
    expect(unauthenticated.at(-1)).toMatch(/^Set IRSA_BROKER_TOKEN, or --token-command/);
  });

  it('local validation says nothing was sent; an unreachable API names the URL and npm start', () => {
    expect(
      invalidRequestLines([{ path: 'region', message: 'region must be an AWS region code' }], bind),
    ).toEqual([
      'error: the request is invalid (nothing was sent):',
      '  region: region must be an AWS region code [--region]',
    ]);
    expect(unreachableLines('http://127.0.0.1:3000', 'connection refused')).toEqual([
      'error: cannot reach irsa-broker at http://127.0.0.1:3000 (connection refused).',
      'Is it running? Start it locally with `npm start`, or point --api-url / IRSA_BROKER_URL at the API.',
    ]);
  });
});

describe('failureReport', () => {
  it("gives each of the client's errors its exit status; anything else is a defect and surfaces", () => {
    const exit = (error: unknown) => failureReport(error, 'bind')?.exit;
    expect(exit(new UsageError('get needs <id>: irsa-broker get <id>', 'get'))).toBe(EXIT.usage);
    expect(exit(new InputError('bad', [{ path: 'region', message: 'no' }]))).toBe(EXIT.usage);
    expect(exit(new TokenCommandError('the token command `x` failed'))).toBe(EXIT.usage);
    expect(
      exit(
        new ApiProblemError({ type: 'about:blank', title: 'Busy', status: 503, detail: 'busy' }, 'GET /v1/x'),
      ),
    ).toBe(EXIT.refused);
    expect(exit(new ApiUnreachableError('http://127.0.0.1:3000', 'connection refused'))).toBe(
      EXIT.unreachable,
    );
    expect(failureReport(new TypeError('x is undefined'), 'bind')).toBeUndefined();
  });

  it('a usage error points at the help of its command unless it already does', () => {
    expect(
      failureReport(new UsageError('get needs <id>: irsa-broker get <id>', 'get'), undefined)?.lines,
    ).toEqual(['error: get needs <id>: irsa-broker get <id>', 'See irsa-broker get --help']);
    expect(failureReport(new UsageError('unknown command x; the commands are …'), undefined)?.lines).toEqual([
      'error: unknown command x; the commands are …',
      'See irsa-broker --help',
    ]);
    expect(
      failureReport(new UsageError('unknown option --x for get; see irsa-broker get --help', 'get'), 'get')
        ?.lines,
    ).toEqual(['error: unknown option --x for get; see irsa-broker get --help']);
  });
});

describe('readBearerToken', () => {
  it('runs the helper command and trims what it prints; the helper wins over the variable', async () => {
    expect(await readBearerToken({ command: "printf '  tok-from-helper \\n'", token: 'tok-env' })).toBe(
      'tok-from-helper',
    );
    expect(await readBearerToken({ token: ' tok-env ' })).toBe('tok-env');
    expect(await readBearerToken({})).toBeUndefined();
  });

  it('a helper that fails or prints nothing is an error naming the command and what it said', async () => {
    await expect(readBearerToken({ command: 'echo nope >&2; exit 3' })).rejects.toEqual(
      new TokenCommandError('the token command `echo nope >&2; exit 3` failed (exit 3): nope'),
    );
    await expect(readBearerToken({ command: 'true' })).rejects.toThrow(
      'the token command `true` printed nothing; it must print the bearer token',
    );
  });
});
