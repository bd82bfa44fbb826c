// Runs one parsed command against the API and says how it ended (the exit status is main.ts's).
import type { Binding, BrokerApi } from './api-client.js';
import { type CommandLine, commandHelp, mainHelp } from './arguments.js';
import { bindingLines, eventLines, pageLines } from './binding-text.js';
import { bindRequest, listParams, updateRequest, verifyRequest } from './command-requests.js';
import { COMMANDS } from './command-specs.js';
import { type Clock, followBinding, type Screen } from './follow-binding.js';
import { outcomeLines } from './step-progress.js';

export interface CommandDeps {
  api: BrokerApi;
  clock: Clock;
  stdout: Screen;
  stderr: { write(text: string): void };
  pollMs?: number;
}

/** done: finished as asked; failed: the binding ended FAILED. */
export type CommandOutcome = 'done' | 'failed';

function print(target: { write(text: string): void }, lines: readonly string[]): void {
  if (lines.length > 0) target.write(`${lines.join('\n')}\n`);
}

export async function runCommand(line: CommandLine, deps: CommandDeps): Promise<CommandOutcome> {
  const spec = COMMANDS.find((command) => command.name === line.command);
  if (!spec) {
    deps.stdout.write(mainHelp(COMMANDS));
    return 'done';
  }
  if (line.help) {
    deps.stdout.write(commandHelp(spec));
    return 'done';
  }
  const json = line.values.output === 'json';
  const [id = ''] = line.positionals;
  const { api } = deps;

  const emitJson = (value: unknown) => deps.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

  /** Shows the workflow (unless --no-wait), then the outcome; the binding's status decides. */
  const follow = async (
    started: Binding,
    settledOk: readonly string[],
    stepsOfInitial = false,
  ): Promise<CommandOutcome> => {
    if (line.values.wait === false) {
      if (json) emitJson(started);
      else
        print(deps.stdout, [
          `${started.id}  ${started.status}`,
          `follow it: irsa-broker watch ${started.id}`,
        ]);
      return 'done';
    }
    const final = await followBinding(
      started,
      { api, clock: deps.clock, ...(json ? {} : { screen: deps.stdout }) },
      { stepsOfInitial, ...(deps.pollMs === undefined ? {} : { pollMs: deps.pollMs }) },
    );
    if (json) emitJson(final);
    else {
      const outcome = outcomeLines(final);
      print(deps.stdout, outcome.out);
      print(deps.stderr, outcome.err);
    }
    return settledOk.includes(final.status) ? 'done' : 'failed';
  };

  switch (spec.name) {
    case 'bind': {
      const request = bindRequest(spec, line.values);
      const created = await api.createBinding(
        request.body,
        request.idempotencyKey ? { idempotencyKey: request.idempotencyKey } : {},
      );
      return follow(created, ['SUCCEEDED']);
    }
    case 'watch':
      return follow(await api.getBinding(id), ['SUCCEEDED', 'DELETED'], true);
    case 'unbind':
      return follow(await api.deleteBinding(id), ['DELETED']);
    case 'retry':
      return follow(await api.retryBinding(id), ['SUCCEEDED']);
    case 'update':
      return follow(await api.updateBinding(id, updateRequest(spec, line.values)), ['SUCCEEDED']);
    case 'verify':
      return follow(await api.verifyBinding(id, verifyRequest(line.values)), ['SUCCEEDED']);
    case 'get': {
      const binding = await api.getBinding(id);
      if (json) emitJson(binding);
      else print(deps.stdout, bindingLines(binding, deps.clock.now()));
      return 'done';
    }
    case 'events': {
      const events = await api.listBindingEvents(id);
      if (json) emitJson(events);
      else print(deps.stdout, eventLines(events.items));
      return 'done';
    }
    case 'list': {
      const params = listParams(spec, line.values);
      let page = await api.listBindings(params);
      if (line.values.all === true) {
        const items = [...page.items];
        while (page.nextCursor) {
          page = await api.listBindings({ ...params, cursor: page.nextCursor });
          items.push(...page.items);
        }
        page = { items, nextCursor: null };
      }
      if (json) emitJson(page);
      else print(deps.stdout, pageLines(page, listAgain(line)));
      return 'done';
    }
    default:
      throw new Error(`command ${spec.name} has a spec but no implementation`);
  }
}

/** The list command line as typed, without its cursor, for the "more:" hint. */
function listAgain(line: CommandLine): string {
  const options = Object.entries(line.values)
    .filter(([name]) => name !== 'cursor' && name !== 'api-url' && name !== 'token-command')
    .map(([name, value]) =>
      typeof value === 'boolean' ? (value ? `--${name}` : `--no-${name}`) : `--${name} ${String(value)}`,
    );
  return ['irsa-broker list', ...options].join(' ');
}
