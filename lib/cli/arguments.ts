// Reads a command line against the command specs: `irsa-broker <command> [positionals] [--options]`.
import { UsageError } from './cli-errors.js';

export type OptionKind = 'string' | 'boolean' | 'list';

export interface OptionSpec {
  /** Long name without dashes: `cluster` is `--cluster`; a boolean also takes `--no-cluster`. */
  name: string;
  kind: OptionKind;
  /** Placeholder in the usage text, e.g. `<name>`. */
  value?: string;
  description: string;
  /** The API field the option fills, so a field error can name the option too. */
  field?: string;
  /** Shown as the default in the usage text (booleans: `--no-<name>` turns it off). */
  default?: string | boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** One paragraph under the usage line. */
  description: string;
  positionals: { name: string; description: string }[];
  options: OptionSpec[];
  examples: string[];
}

export type OptionValues = Record<string, string | boolean | string[]>;

export interface CommandLine {
  /** Undefined: no command given (top-level help). */
  command?: string;
  positionals: string[];
  values: OptionValues;
  help: boolean;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    name: 'api-url',
    kind: 'string',
    value: '<url>',
    description: 'The irsa-broker API (env IRSA_BROKER_URL; default http://127.0.0.1:3000)',
  },
  {
    name: 'token-command',
    kind: 'string',
    value: '<cmd>',
    description:
      'A command printing a bearer token, run with sh -c (env IRSA_BROKER_TOKEN_COMMAND); ' +
      'else the token in env IRSA_BROKER_TOKEN',
  },
  {
    name: 'output',
    kind: 'string',
    value: 'text|json',
    description: 'json: the API JSON only (default text)',
  },
  { name: 'help', kind: 'boolean', description: 'Show this help' },
];

function findOption(
  specs: readonly OptionSpec[],
  name: string,
): { spec: OptionSpec; negated: boolean } | undefined {
  const direct = specs.find((spec) => spec.name === name);
  if (direct) return { spec: direct, negated: false };
  if (name.startsWith('no-')) {
    const positive = specs.find((spec) => spec.name === name.slice(3) && spec.kind === 'boolean');
    if (positive) return { spec: positive, negated: true };
  }
  return undefined;
}

/** Parses argv (without node and the script); throws UsageError saying what to change. */
export function parseCommandLine(argv: readonly string[], commands: readonly CommandSpec[]): CommandLine {
  const args = [...argv];
  const values: OptionValues = {};
  const positionals: string[] = [];
  let command: CommandSpec | undefined;
  let optionsEnded = false;

  const knownOptions = () => [...GLOBAL_OPTIONS, ...(command?.options ?? [])];
  const where = () =>
    command ? ` for ${command.name}; see irsa-broker ${command.name} --help` : '; see irsa-broker --help';

  while (args.length > 0) {
    const arg = args.shift() as string;
    if (!optionsEnded && arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && (arg === '-h' || arg === '--help')) {
      values.help = true;
      continue;
    }
    if (!optionsEnded && arg.startsWith('--')) {
      const [rawName, inline] = splitOnce(arg.slice(2), '=');
      const found = findOption(knownOptions(), rawName);
      if (!found) throw new UsageError(`unknown option --${rawName}${where()}`, command?.name);
      const { spec, negated } = found;
      if (spec.kind === 'boolean') {
        if (inline !== undefined) {
          throw new UsageError(
            `--${rawName} takes no value; use --${spec.name} or --no-${spec.name}`,
            command?.name,
          );
        }
        values[spec.name] = !negated;
        continue;
      }
      const value = inline ?? args.shift();
      if (value === undefined || (inline === undefined && value.startsWith('--'))) {
        throw new UsageError(
          `--${spec.name} needs a value: --${spec.name} ${spec.value ?? '<value>'}`,
          command?.name,
        );
      }
      if (spec.kind === 'list') {
        const previous = values[spec.name];
        values[spec.name] = [...(Array.isArray(previous) ? previous : []), value];
      } else {
        values[spec.name] = value;
      }
      continue;
    }
    if (!optionsEnded && arg.startsWith('-') && arg !== '-') {
      throw new UsageError(`unknown option ${arg}${where()} (options are spelled --name)`, command?.name);
    }
    if (!command) {
      command = commands.find((spec) => spec.name === arg);
      if (!command) {
        throw new UsageError(
          `unknown command ${arg}; the commands are ${commands.map((c) => c.name).join(', ')}`,
        );
      }
      continue;
    }
    positionals.push(arg);
  }

  const output = values.output;
  if (output !== undefined && output !== 'json' && output !== 'text') {
    throw new UsageError(`--output must be json or text, not ${String(output)}`, command?.name);
  }
  const help = values.help === true;
  delete values.help;
  if (command && !help) {
    const expected = command.positionals.length;
    if (positionals.length < expected) {
      const missing = command.positionals[positionals.length]?.name ?? '';
      throw new UsageError(
        `${command.name} needs <${missing}>: irsa-broker ${command.name} ${command.positionals.map((p) => `<${p.name}>`).join(' ')}`,
        command.name,
      );
    }
    if (positionals.length > expected) {
      throw new UsageError(
        `${command.name} takes ${expected === 0 ? 'no arguments' : `only ${command.positionals.map((p) => `<${p.name}>`).join(' ')}`}, not ${positionals.slice(expected).join(' ')}`,
        command.name,
      );
    }
  }
  return { ...(command ? { command: command.name } : {}), positionals, values, help };
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** `--tag team=payments` → ['team', 'payments']; throws UsageError when there is no `=`. */
export function keyValue(option: string, text: string): [string, string] {
  const [key, value] = splitOnce(text, '=');
  if (value === undefined || key === '') {
    throw new UsageError(`--${option} takes key=value, e.g. --${option} team=payments (got ${text})`);
  }
  return [key, value];
}

function optionLines(options: readonly OptionSpec[]): string[] {
  const labels = options.map((spec) =>
    spec.kind === 'boolean'
      ? spec.default === true
        ? `--no-${spec.name}`
        : `--${spec.name}`
      : `--${spec.name} ${spec.value ?? '<value>'}`,
  );
  const width = Math.max(...labels.map((label) => label.length));
  return options.map((spec, index) => {
    const repeat = spec.kind === 'list' ? ' (repeatable)' : '';
    const fallback =
      spec.default === undefined || spec.kind === 'boolean' ? '' : ` (default ${String(spec.default)})`;
    return `  ${(labels[index] as string).padEnd(width)}  ${spec.description}${repeat}${fallback}`;
  });
}

/** The usage text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const positionals = spec.positionals.map((p) => ` <${p.name}>`).join('');
  const lines = [`Usage: irsa-broker ${spec.name}${positionals} [options]`, '', spec.description, ''];
  if (spec.positionals.length > 0) {
    const width = Math.max(...spec.positionals.map((p) => p.name.length + 2));
    lines.push(
      'Arguments:',
      ...spec.positionals.map((p) => `  ${`<${p.name}>`.padEnd(width)}  ${p.description}`),
      '',
    );
  }
  if (spec.options.length > 0) lines.push('Options:', ...optionLines(spec.options), '');
  lines.push('Global options:', ...optionLines(GLOBAL_OPTIONS), '');
  if (spec.examples.length > 0) lines.push('Examples:', ...spec.examples.map((e) => `  ${e}`), '');
  return lines.join('\n');
}

/** The top-level usage text: every command with its summary. */
export function mainHelp(commands: readonly CommandSpec[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: irsa-broker <command> [arguments] [options]',
    '',
    'Binds AWS IAM roles to Kubernetes service accounts on EKS through the irsa-broker API.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Environment: IRSA_BROKER_URL, IRSA_BROKER_TOKEN, IRSA_BROKER_TOKEN_COMMAND.',
    'Exit status: 0 done (SUCCEEDED, DELETED), 1 the binding FAILED, 2 bad command line or request,',
    '3 the API refused the call, 4 the API could not be reached.',
    'Run irsa-broker <command> --help for its options.',
    '',
  ].join('\n');
}
