// The client's command line: options, positionals, usage errors and help text.
import { describe, expect, it } from '@jest/globals';
import { commandHelp, mainHelp, parseCommandLine } from '../../lib/cli/arguments.js';
import { UsageError } from '../../lib/cli/cli-errors.js';
import { bindRequest, listParams, updateRequest } from '../../lib/cli/command-requests.js';
import { COMMANDS } from '../../lib/cli/command-specs.js';
import { CreateBindingRequestSchema } from '../../lib/domain/binding-rules.js';
import { InputError } from '../../lib/domain/errors.js';

const spec = (name: string) => COMMANDS.find((command) => command.name === name)!;

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv, COMMANDS);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

function inputError(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no InputError');
}

describe('parseCommandLine', () => {
  it('reads values in both spellings, repeats lists, negates booleans, takes global options anywhere', () => {
    const line = parseCommandLine(
      [
        '--api-url',
        'http://broker:8080',
        'bind',
        '--cluster=demo',
        '--policy-arn',
        'arn:aws:iam::aws:policy/A',
        '--policy-arn',
        'arn:aws:iam::aws:policy/B',
        '--no-wait',
        '--verify',
        '--output',
        'json',
      ],
      COMMANDS,
    );

    expect(line).toEqual({
      command: 'bind',
      positionals: [],
      help: false,
      values: {
        'api-url': 'http://broker:8080',
        cluster: 'demo',
        'policy-arn': ['arn:aws:iam::aws:policy/A', 'arn:aws:iam::aws:policy/B'],
        wait: false,
        verify: true,
        output: 'json',
      },
    });
  });

  it('takes the id as a positional, and a value after -- even when it starts with a dash', () => {
    expect(parseCommandLine(['get', 'b-01'], COMMANDS)).toMatchObject({
      command: 'get',
      positionals: ['b-01'],
    });
    expect(parseCommandLine(['get', '--', '--odd'], COMMANDS)).toMatchObject({ positionals: ['--odd'] });
  });

  it('says what to type for each mistake', () => {
    expect(usageError(['bnid']).message).toBe(
      'unknown command bnid; the commands are bind, get, list, watch, unbind, retry, update, verify, events',
    );
    expect(usageError(['bind', '--clutser', 'demo']).message).toBe(
      'unknown option --clutser for bind; see irsa-broker bind --help',
    );
    expect(usageError(['bind', '--cluster']).message).toBe('--cluster needs a value: --cluster <name>');
    expect(usageError(['bind', '--cluster', '--region', 'x']).message).toBe(
      '--cluster needs a value: --cluster <name>',
    );
    expect(usageError(['bind', '--no-wait=yes']).message).toBe(
      '--no-wait takes no value; use --wait or --no-wait',
    );
    expect(usageError(['get']).message).toBe('get needs <id>: irsa-broker get <id>');
    expect(usageError(['get', 'a', 'b']).message).toBe('get takes only <id>, not b');
    expect(usageError(['list', 'x']).message).toBe('list takes no arguments, not x');
    expect(usageError(['list', '--output', 'yaml']).message).toBe('--output must be json or text, not yaml');
    expect(usageError(['list', '-l']).message).toMatch(/^unknown option -l for list/);
    // A command's options are not another's.
    expect(usageError(['get', 'b-1', '--cluster', 'demo']).message).toMatch(
      /^unknown option --cluster for get/,
    );
  });

  it('asks for help without requiring the arguments', () => {
    expect(parseCommandLine(['get', '--help'], COMMANDS)).toMatchObject({ command: 'get', help: true });
    expect(parseCommandLine(['-h'], COMMANDS)).toEqual({ positionals: [], values: {}, help: true });
    expect(parseCommandLine([], COMMANDS)).toEqual({ positionals: [], values: {}, help: false });
  });
});

describe('help text', () => {
  it('lists every command, and each command its arguments, options and the global options', () => {
    const main = mainHelp(COMMANDS);
    for (const command of COMMANDS) expect(main).toMatch(new RegExp(`^  ${command.name} +\\S`, 'm'));
    expect(main).toContain('IRSA_BROKER_TOKEN_COMMAND');

    const bind = commandHelp(spec('bind'));
    expect(bind).toMatch(/^Usage: irsa-broker bind \[options\]$/m);
    expect(bind).toMatch(/^ {2}--policy-arn <arn> +A managed policy .*\(repeatable\)$/m);
    expect(bind).toMatch(/^ {2}--no-verify +Skip the test pod/m);
    expect(bind).toMatch(/^ {2}--api-url <url> +/m);
    expect(commandHelp(spec('get'))).toMatch(/^Usage: irsa-broker get <id> \[options\]$/m);
  });

  it('has a bind option for every field of the create request', () => {
    const fields = new Set(spec('bind').options.map((option) => option.field));
    for (const field of Object.keys(CreateBindingRequestSchema.shape)) expect(fields).toContain(field);
  });
});

describe('requests from options', () => {
  const bindLine = (extra: string[]) =>
    parseCommandLine(
      [
        'bind',
        '--cluster',
        'demo',
        '--region',
        'us-east-1',
        '--namespace',
        'team-a',
        '--service-account',
        'app',
        ...extra,
      ],
      COMMANDS,
    ).values;

  it('builds the create body: lists, tags, numbers, booleans; --no-policies is an empty list', () => {
    const { body, idempotencyKey } = bindRequest(
      spec('bind'),
      bindLine([
        '--no-policies',
        '--tag',
        'team=pay=ments',
        '--max-session-duration',
        '7200',
        '--no-verify',
        '--idempotency-key',
        'k1',
      ]),
    );

    expect(body).toMatchObject({
      clusterName: 'demo',
      region: 'us-east-1',
      namespace: 'team-a',
      serviceAccountName: 'app',
      policyArns: [],
      tags: { team: 'pay=ments' },
      maxSessionDuration: 7200,
      verify: false,
    });
    expect(idempotencyKey).toBe('k1');
  });

  it('asks for policies or --no-policies, as the API asks for policyArns', () => {
    const error = inputError(() => bindRequest(spec('bind'), bindLine([])));
    expect(error.issues).toEqual([
      {
        path: 'policyArns',
        message: 'give --policy-arn <arn> (once per policy), or --no-policies for a role with none',
      },
    ]);
  });

  it('refuses a bad bind with exactly the field errors the server gives for the same body', () => {
    const error = inputError(() =>
      bindRequest(
        spec('bind'),
        bindLine(['--no-policies', '--namespace', 'Bad_NS', '--max-session-duration', 'an hour']),
      ),
    );
    const server = CreateBindingRequestSchema.safeParse({
      clusterName: 'demo',
      region: 'us-east-1',
      namespace: 'Bad_NS',
      serviceAccountName: 'app',
      policyArns: [],
      maxSessionDuration: 'an hour',
    });

    expect(server.success).toBe(false);
    expect(error.issues.map((issue) => issue.path)).toEqual(['namespace', 'maxSessionDuration']);
    expect(error.issues.map((issue) => issue.message)).toEqual(
      server.error?.issues.map((issue) => issue.message),
    );
  });

  it('refuses a tag without = as a usage error', () => {
    expect(() => bindRequest(spec('bind'), bindLine(['--tag', 'team']))).toThrow(
      new UsageError('--tag takes key=value, e.g. --tag team=payments (got team)'),
    );
  });

  it('update needs something to change; list filters are checked like the server checks them', () => {
    const update = (argv: string[]) => parseCommandLine(['update', 'b-1', ...argv], COMMANDS).values;
    expect(inputError(() => updateRequest(spec('update'), update([]))).issues).toEqual([
      { path: '', message: 'send at least one of policyArns, tags, maxSessionDuration, mode' },
    ]);
    expect(updateRequest(spec('update'), update(['--tag', 'a=b']))).toEqual({ tags: { a: 'b' } });

    const list = (argv: string[]) => parseCommandLine(['list', ...argv], COMMANDS).values;
    expect(listParams(spec('list'), list(['--cluster', 'demo', '--limit', '5']))).toEqual({
      clusterName: 'demo',
      limit: '5',
    });
    expect(inputError(() => listParams(spec('list'), list(['--limit', '500']))).issues).toEqual([
      { path: 'limit', message: 'limit must be a whole number from 1 to 100' },
    ]);
  });
});
