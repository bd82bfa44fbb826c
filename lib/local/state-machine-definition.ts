// Loads statemachines/<name>.asl.yaml and resolves its serverless.yml placeholders for local runs:
// `${self:custom.stepFunctionArns.<fn>}` becomes the local function's ARN, `${self:custom.tableName}`
// the local table; any other `${self:…}` resolves as the framework would.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse } from 'yaml';
import type { ServiceConfig } from './serverless-config.js';

export interface LocalNames {
  /** The ARN a Lambda Task names for `functions.<key>` locally. */
  functionArn(key: string): string;
  tableName: string;
}

const FUNCTION_ARN = /\$\{self:custom\.stepFunctionArns\.(\w+)\}/g;
const TABLE_NAME = /\$\{self:custom\.tableName\}/g;

function substitute(value: unknown, config: ServiceConfig, names: LocalNames, where: string): unknown {
  if (typeof value === 'string') {
    const replaced = value
      .replace(FUNCTION_ARN, (_, key: string) => {
        if (!config.functions[key]) {
          throw new Error(
            `${where}: \${self:custom.stepFunctionArns.${key}} names no function; add "${key}" under functions: in serverless.yml`,
          );
        }
        return names.functionArn(key);
      })
      .replace(TABLE_NAME, names.tableName);
    return config.resolve(replaced);
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, config, names, where));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, substitute(item, config, names, where)]),
    );
  }
  return value;
}

export async function loadStateMachineDefinition(
  config: ServiceConfig,
  key: string,
  names: LocalNames,
): Promise<StateMachineDefinition> {
  const spec = config.stateMachines[key];
  if (!spec) {
    const known = Object.keys(config.stateMachines).join(', ') || 'none';
    throw new Error(`serverless.yml declares no state machine "${key}" (declared: ${known})`);
  }
  const file = join(config.rootDir, spec.definitionFile);
  const parsed: unknown = parse(await readFile(file, 'utf8'));
  const definition = substitute(parsed, config, names, spec.definitionFile);
  if (typeof definition !== 'object' || definition === null || !('States' in definition)) {
    throw new Error(`${spec.definitionFile} is not an ASL definition (no States)`);
  }
  return definition as StateMachineDefinition;
}
