// The OpenAPI schemas of the served kinds, read from the type declarations the `kubernetes-models`
// package generates from the upstream Kubernetes OpenAPI spec (field names, docs, required fields,
// references and enums survive there; the compiled validators carry no descriptions).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { JsonObject } from './json.js';

/** A schema whose `$ref`s name other definitions as `#/components/schemas/<name>`. */
export type Definitions = Map<string, JsonObject>;

const require = createRequire(import.meta.url);
const REF_PREFIX = '#/components/schemas/';

/** The definition name upstream uses for a kubernetes-models alias (`IoK8sApiCoreV1Pod` → `io.k8s.api.core.v1.Pod`). */
export function definitionName(alias: string): string {
  const api = /^IoK8sApi([A-Z][a-z]+)(V\d+(?:alpha\d+|beta\d+)?)([A-Z]\w*)$/.exec(alias);
  if (api) return `io.k8s.api.${api[1]!.toLowerCase()}.${api[2]!.toLowerCase()}.${api[3]}`;
  const meta = /^IoK8sApimachineryPkgApisMetaV1([A-Z]\w*)$/.exec(alias);
  if (meta) return `io.k8s.apimachinery.pkg.apis.meta.v1.${meta[1]}`;
  const machinery = /^IoK8sApimachineryPkg([A-Z][a-z]+)([A-Z][a-z]+)([A-Z]\w*)$/.exec(alias);
  if (machinery)
    return `io.k8s.apimachinery.pkg.${machinery[1]!.toLowerCase()}.${machinery[2]!.toLowerCase()}.${machinery[3]}`;
  throw new Error(`unknown kubernetes-models alias ${alias}`);
}

/** Upstream gives these scalar wrappers string formats that TypeScript cannot say. */
const SCALARS: Record<string, JsonObject> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { type: 'string', format: 'int-or-string' },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': { type: 'string', format: 'date-time' },
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': { type: 'string', format: 'date-time' },
};

interface Declaration {
  description?: string;
  /** Interface members in source order, or undefined for a type alias. */
  members?: { name: string; optional: boolean; description?: string; type: string }[];
  aliasType?: string;
  imports: Map<string, string>;
  file: string;
}

function cleanDoc(doc: string | undefined): string | undefined {
  if (doc === undefined) return undefined;
  const text = doc
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, ''))
    .join('\n')
    .trim()
    .replace(/\\\*/g, '*');
  return text || undefined;
}

/** Where the expression starting at `from` ends (`;` at depth 0). */
function typeEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '<' || c === '{' || c === '(' || c === '[') depth++;
    else if (c === '>' || c === '}' || c === ')' || c === ']') depth--;
    else if (c === '"') i = text.indexOf('"', i + 1);
    else if (c === ';' && depth === 0) return i;
  }
  throw new Error('unterminated type');
}

function readDeclaration(file: string): Declaration {
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1]!, m[2]!);
  const iface = /(?:\/\*\*([\s\S]*?)\*\/\s*)?export interface \w+(?: extends [\w, ]+)? \{/.exec(text);
  if (iface) {
    const members: NonNullable<Declaration['members']> = [];
    let i = iface.index + iface[0].length;
    const member = /\s*(?:\/\*\*([\s\S]*?)\*\/\s*)?"([^"]+)"(\?)?:\s*/y;
    for (;;) {
      member.lastIndex = i;
      const m = member.exec(text);
      if (!m) break;
      const end = typeEnd(text, member.lastIndex);
      members.push({
        name: m[2]!,
        optional: m[3] === '?',
        description: cleanDoc(m[1]),
        type: text.slice(member.lastIndex, end).trim(),
      });
      i = end + 1;
    }
    return { description: cleanDoc(iface[1]), members, imports, file };
  }
  const alias = /(?:\/\*\*([\s\S]*?)\*\/\s*)?export declare type \w+ = ([^;]+);/.exec(text);
  if (!alias) throw new Error(`no declaration in ${file}`);
  return { description: cleanDoc(alias[1]), aliasType: alias[2]!.trim(), imports, file };
}

function splitTopLevel(type: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type[i];
    if (c === '<' || c === '{' || c === '(') depth++;
    else if (c === '>' || c === '}' || c === ')') depth--;
    else if (c === '"') i = type.indexOf('"', i + 1);
    else if (c === separator && depth === 0) {
      parts.push(type.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(type.slice(start).trim());
  return parts.filter(Boolean);
}

type Validator = ((data: unknown) => boolean) & {
  errors?: { instancePath?: string; params?: { type?: string } }[] | null;
};

/** The compiled validator kubernetes-models ships beside the declaration (`…/_schemas/<alias>.js`). */
function validatorOf(file: string, alias: string): Validator | undefined {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = resolve(dir, '_schemas', `${alias}.js`);
    if (existsSync(candidate)) return (require(candidate) as { validate: Validator }).validate;
  }
  return undefined;
}

/**
 * TypeScript says `number` for both; the compiled validator still knows which numbers are integers,
 * so each numeric property is probed with a fraction and turns `integer` where the validator refuses it.
 */
function markIntegers(file: string, alias: string, properties: JsonObject): void {
  let validate: Validator | undefined;
  for (const [name, value] of Object.entries(properties) as [string, JsonObject][]) {
    const probes: [JsonObject, unknown, string][] = [];
    if (value.type === 'number') probes.push([value, 0.5, `/${name}`]);
    const items = value.items as JsonObject | undefined;
    if (value.type === 'array' && items?.type === 'number') probes.push([items, [0.5], `/${name}/0`]);
    const entries = value.additionalProperties as JsonObject | undefined;
    if (value.type === 'object' && entries?.type === 'number')
      probes.push([entries, { k: 0.5 }, `/${name}/k`]);
    for (const [leaf, probe, path] of probes) {
      validate ??= validatorOf(file, alias);
      if (!validate) return;
      validate({ [name]: probe });
      if (validate.errors?.some((e) => e.instancePath === path && e.params?.type === 'integer'))
        leaf.type = 'integer';
    }
  }
}

/** Reads the declarations reachable from the given model files into OpenAPI v3 schemas. */
export class SchemaReader {
  readonly definitions: Definitions = new Map();

  /** Reads the model at `modulePath` (e.g. `kubernetes-models/v1/Pod`); returns its definition name. */
  read(modulePath: string): string {
    const file = require.resolve(modulePath).replace(/\.js$/, '.d.ts');
    return this.readFile(file);
  }

  private readFile(file: string): string {
    const text = readFileSync(file, 'utf8');
    const exported = /export \{ \w+ as I(IoK8s\w+)/.exec(text);
    if (!exported) throw new Error(`no kubernetes-models alias in ${file}`);
    const name = definitionName(exported[1]!);
    if (this.definitions.has(name)) return name;
    const declaration = readDeclaration(file);
    const schema: JsonObject = {};
    this.definitions.set(name, schema);
    if (declaration.description) schema.description = declaration.description;
    if (SCALARS[name]) Object.assign(schema, SCALARS[name]);
    else if (declaration.aliasType !== undefined)
      Object.assign(schema, this.typeSchema(declaration.aliasType, declaration));
    else {
      const properties: JsonObject = {};
      const required: string[] = [];
      for (const member of declaration.members ?? []) {
        const property = this.typeSchema(member.type, declaration);
        // kubernetes-models pins apiVersion and kind to the model; upstream leaves them free strings.
        if (member.name === 'apiVersion' || member.name === 'kind') delete property.enum;
        if (member.description) {
          if (typeof property.$ref === 'string')
            properties[member.name] = { allOf: [property], description: member.description };
          else properties[member.name] = { description: member.description, ...property };
        } else properties[member.name] = property;
        if (!member.optional && member.name !== 'apiVersion' && member.name !== 'kind')
          required.push(member.name);
      }
      markIntegers(file, exported[1]!, properties);
      schema.type = 'object';
      schema.properties = properties;
      if (required.length > 0) schema.required = required;
    }
    return name;
  }

  private typeSchema(type: string, declaration: Declaration): JsonObject {
    const alternatives = splitTopLevel(type, '|').filter((t) => t !== 'null');
    if (alternatives.length > 1) {
      if (alternatives.every((t) => /^"[^"]*"$/.test(t)))
        return { type: 'string', enum: alternatives.map((t) => t.slice(1, -1)) };
      return { 'x-kubernetes-int-or-string': true };
    }
    const t = alternatives[0] ?? 'unknown';
    if (t === 'string' || t === 'boolean' || t === 'number') return { type: t };
    if (/^"[^"]*"$/.test(t)) return { type: 'string', enum: [t.slice(1, -1)] };
    const array = /^Array<([\s\S]+)>$/.exec(t);
    if (array) return { type: 'array', items: this.typeSchema(array[1]!, declaration) };
    const map = /^\{\s*\[key: string\]: ([\s\S]+?);?\s*\}$/.exec(t);
    if (map) return { type: 'object', additionalProperties: this.typeSchema(map[1]!, declaration) };
    if (t === 'any' || t === 'unknown' || t === 'object' || t === '{}')
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    const from = declaration.imports.get(t);
    if (from) {
      const target = from.startsWith('.')
        ? resolve(dirname(declaration.file), `${from}.d.ts`)
        : require.resolve(from).replace(/\.js$/, '.d.ts');
      if (!existsSync(target)) throw new Error(`cannot find ${from} from ${declaration.file}`);
      return { $ref: `${REF_PREFIX}${this.readFile(target)}` };
    }
    throw new Error(`unsupported type ${t} in ${declaration.file}`);
  }
}
