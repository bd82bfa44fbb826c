// `npx irsa-broker …`: the command-line client of the irsa-broker API. Wiring only: read the command
// line and the environment, run the command, turn how it ended into output and an exit status.
import { HttpBrokerApi } from './api-client.js';
import { parseCommandLine } from './arguments.js';
import { lazyToken } from './bearer-token.js';
import { optionForField } from './command-requests.js';
import { COMMANDS } from './command-specs.js';
import { EXIT, failureReport } from './error-messages.js';
import { runCommand } from './run-command.js';
import { SHOW_CURSOR } from './step-progress.js';

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

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
    const report = failureReport(error, commandName, spec ? optionForField(spec) : undefined);
    if (!report) throw error;
    process.stderr.write(`${report.lines.join('\n')}\n`);
    return report.exit;
  }
}

process.exitCode = await main(process.argv.slice(2));
