// `npx irsa-broker …`: the command-line client of the irsa-broker API. Wiring only: read the command
// line and the environment, run the command, turn how it ended into output and an exit status.
import { InputError } from '../domain/errors.js';
import { HttpBrokerApi } from './api-client.js';
import { parseCommandLine } from './arguments.js';
import { lazyToken } from './bearer-token.js';
import {
  ApiProblemError,
  ApiUnreachableError,
  TokenCommandError,
  UnexpectedResponseError,
  UsageError,
} from './cli-errors.js';
import { optionForField } from './command-requests.js';
import { COMMANDS } from './command-specs.js';
import { invalidRequestLines, problemLines, unreachableLines } from './error-messages.js';
import { runCommand } from './run-command.js';
import { SHOW_CURSOR } from './step-progress.js';

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export const EXIT = { done: 0, failed: 1, usage: 2, refused: 3, unreachable: 4 } as const;

function fail(lines: readonly string[]): void {
  process.stderr.write(`${lines.join('\n')}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  let commandName: string | undefined;
  try {
    const line = parseCommandLine(argv, COMMANDS);
    commandName = line.command;
    const apiUrl =
      (line.values['api-url'] as string | undefined) ?? process.env.IRSA_BROKER_URL ?? DEFAULT_API_URL;
    const tokenCommand =
      (line.values['token-command'] as string | undefined) ?? process.env.IRSA_BROKER_TOKEN_COMMAND;
    const api = new HttpBrokerApi(
      apiUrl,
      lazyToken({
        ...(tokenCommand ? { command: tokenCommand } : {}),
        ...(process.env.IRSA_BROKER_TOKEN ? { token: process.env.IRSA_BROKER_TOKEN } : {}),
      }),
    );
    const stdout = process.stdout;
    if (stdout.isTTY) {
      process.once('SIGINT', () => {
        stdout.write(
          `${SHOW_CURSOR}\nstopped watching; the workflow goes on (irsa-broker watch <id> to follow it again)\n`,
        );
        process.exit(130);
      });
    }
    const outcome = await runCommand(line, {
      api,
      clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
      stdout: {
        isTTY: stdout.isTTY === true,
        ...(stdout.columns ? { columns: stdout.columns } : {}),
        write: (text) => stdout.write(text),
      },
      stderr: process.stderr,
    });
    return outcome === 'done' ? EXIT.done : EXIT.failed;
  } catch (error) {
    const spec = COMMANDS.find((command) => command.name === commandName);
    const optionFor = spec ? optionForField(spec) : undefined;
    if (error instanceof UsageError) {
      const command = error.command ?? commandName;
      const hint = error.message.includes('--help')
        ? []
        : [`See irsa-broker ${command ?? ''} --help`.replace('  ', ' ')];
      fail([`error: ${error.message}`, ...hint]);
      return EXIT.usage;
    }
    if (error instanceof InputError) {
      fail(
        invalidRequestLines(
          error.issues.length > 0 ? error.issues : [{ path: '', message: error.message }],
          optionFor,
        ),
      );
      return EXIT.usage;
    }
    if (error instanceof TokenCommandError) {
      fail([`error: ${error.message}`]);
      return EXIT.usage;
    }
    if (error instanceof ApiProblemError) {
      fail(problemLines(error.problem, error.request, optionFor));
      return EXIT.refused;
    }
    if (error instanceof UnexpectedResponseError) {
      fail([`error: ${error.message}`]);
      return EXIT.refused;
    }
    if (error instanceof ApiUnreachableError) {
      fail(unreachableLines(error.url, error.reason));
      return EXIT.unreachable;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
