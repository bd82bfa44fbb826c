// A Swagger 2.0 document as gnostic's `openapi.v2.Document` message (openapiv2/OpenAPIv2.proto), the
// protobuf kube-apiserver serves on /openapi/v2 and kubectl reads to validate and explain.
import { stringify as toYaml } from 'yaml';
import type { JsonObject, JsonValue } from './json.js';
import { MessageWriter } from './protobuf-writer.js';

type Encoder = (value: JsonValue, where: string) => MessageWriter | MessageWriter[];
type Kind = 'string' | 'bool' | 'double' | 'int' | 'strings' | 'any' | 'anys' | Encoder;

/** A message's JSON keys → (field number, how the value is written); `extensions` is the field of `x-` keys. */
interface MessageSpec {
  name: string;
  fields: Record<string, readonly [number, Kind]>;
  extensions?: number;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: JsonValue, where: string): JsonObject {
  if (!isObject(value)) throw new Error(`${where}: expected an object`);
  return value;
}

/** gnostic's Any: the value as YAML text (the `value` google.protobuf.Any is left unset). */
function any(value: JsonValue): MessageWriter {
  return new MessageWriter().string(2, toYaml(value));
}

function namedAny(name: string, value: JsonValue): MessageWriter {
  return new MessageWriter().string(1, name).message(2, any(value));
}

function named(name: string, value: MessageWriter): MessageWriter {
  return new MessageWriter().string(1, name).message(2, value);
}

function encode(spec: MessageSpec, value: JsonValue, where: string): MessageWriter {
  const object = objectAt(value, where);
  const entries: { number: number; write: (w: MessageWriter) => void }[] = [];
  const extensions: MessageWriter[] = [];
  for (const [key, item] of Object.entries(object)) {
    if (key.startsWith('x-') && spec.extensions) {
      extensions.push(namedAny(key, item));
      continue;
    }
    const field = spec.fields[key];
    if (!field) throw new Error(`${where}: ${spec.name} has no field ${JSON.stringify(key)}`);
    const [number, kind] = field;
    const at = `${where}.${key}`;
    entries.push({ number, write: (w) => writeField(w, number, kind, item, at) });
  }
  if (spec.extensions && extensions.length > 0)
    entries.push({ number: spec.extensions, write: (w) => w.messages(spec.extensions!, extensions) });
  const writer = new MessageWriter();
  for (const entry of entries.sort((a, b) => a.number - b.number)) entry.write(writer);
  return writer;
}

function writeField(w: MessageWriter, number: number, kind: Kind, value: JsonValue, where: string): void {
  const fail = (expected: string) => new Error(`${where}: expected ${expected}`);
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw fail('a string');
      w.string(number, value);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw fail('a boolean');
      w.bool(number, value);
      return;
    case 'double':
      if (typeof value !== 'number') throw fail('a number');
      w.double(number, value);
      return;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value)) throw fail('an integer');
      w.int(number, value);
      return;
    case 'strings':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw fail('strings');
      w.strings(number, value as string[]);
      return;
    case 'any':
      w.message(number, any(value));
      return;
    case 'anys':
      if (!Array.isArray(value)) throw fail('an array');
      w.messages(number, value.map(any));
      return;
    default: {
      const encoded = kind(value, where);
      if (Array.isArray(encoded)) w.messages(number, encoded);
      else w.message(number, encoded);
    }
  }
}

const message =
  (spec: MessageSpec): Encoder =>
  (value, where) =>
    encode(spec, value, where);

const repeated =
  (item: Encoder): Encoder =>
  (value, where) => {
    if (!Array.isArray(value)) throw new Error(`${where}: expected an array`);
    return value.flatMap((v, i) => item(v, `${where}[${i}]`));
  };

/** A JSON object whose every key is a name, as a repeated Named<Message>. */
const namedMap =
  (item: Encoder): Encoder =>
  (value, where) =>
    Object.entries(objectAt(value, where)).map(([name, v]) =>
      named(name, item(v, `${where}.${name}`) as MessageWriter),
    );

const externalDocs = message({
  name: 'ExternalDocs',
  fields: { description: [1, 'string'], url: [2, 'string'] },
  extensions: 3,
});

const schema: Encoder = (value, where) => encode(SCHEMA, value, where);

const SCHEMA: MessageSpec = {
  name: 'Schema',
  fields: {
    $ref: [1, 'string'],
    format: [2, 'string'],
    title: [3, 'string'],
    description: [4, 'string'],
    default: [5, 'any'],
    multipleOf: [6, 'double'],
    maximum: [7, 'double'],
    exclusiveMaximum: [8, 'bool'],
    minimum: [9, 'double'],
    exclusiveMinimum: [10, 'bool'],
    maxLength: [11, 'int'],
    minLength: [12, 'int'],
    pattern: [13, 'string'],
    maxItems: [14, 'int'],
    minItems: [15, 'int'],
    uniqueItems: [16, 'bool'],
    maxProperties: [17, 'int'],
    minProperties: [18, 'int'],
    required: [19, 'strings'],
    enum: [20, 'anys'],
    // AdditionalPropertiesItem: oneof { Schema schema = 1; bool boolean = 2; }
    additionalProperties: [
      21,
      (value, where) =>
        typeof value === 'boolean'
          ? new MessageWriter().bool(2, value, true)
          : new MessageWriter().message(1, schema(value, where) as MessageWriter),
    ],
    // TypeItem { repeated string value = 1; }: one type name or several.
    type: [
      22,
      (value) => new MessageWriter().strings(1, (Array.isArray(value) ? value : [value]) as string[]),
    ],
    // ItemsItem { repeated Schema schema = 1; }: one schema or a tuple of them.
    items: [
      23,
      (value, where) =>
        new MessageWriter().messages(
          1,
          (Array.isArray(value) ? value : [value]).map(
            (v, i) => schema(v, `${where}[${i}]`) as MessageWriter,
          ),
        ),
    ],
    allOf: [24, repeated(schema)],
    // Properties { repeated NamedSchema additional_properties = 1; }
    properties: [
      25,
      (value, where) => new MessageWriter().messages(1, namedMap(schema)(value, where) as MessageWriter[]),
    ],
    discriminator: [26, 'string'],
    readOnly: [27, 'bool'],
    externalDocs: [29, externalDocs],
    example: [30, 'any'],
  },
  extensions: 31,
};

/** The fields a non-body parameter shares; query and formData ones add allowEmptyValue after name. */
function nonBodyParameter(name: string, allowEmptyValue: boolean): MessageSpec {
  const keys = [
    'required',
    'in',
    'description',
    'name',
    ...(allowEmptyValue ? ['allowEmptyValue'] : []),
    'type',
    'format',
    'items',
    'collectionFormat',
    'default',
    'maximum',
    'exclusiveMaximum',
    'minimum',
    'exclusiveMinimum',
    'maxLength',
    'minLength',
    'pattern',
    'maxItems',
    'minItems',
    'uniqueItems',
    'enum',
    'multipleOf',
  ];
  const kinds: Record<string, Kind> = {
    required: 'bool',
    allowEmptyValue: 'bool',
    items: (value, where) => encode(PRIMITIVES_ITEMS, value, where),
    default: 'any',
    maximum: 'double',
    exclusiveMaximum: 'bool',
    minimum: 'double',
    exclusiveMinimum: 'bool',
    maxLength: 'int',
    minLength: 'int',
    maxItems: 'int',
    minItems: 'int',
    uniqueItems: 'bool',
    enum: 'anys',
    multipleOf: 'double',
  };
  // In OpenAPIv2.proto these messages number their fields in exactly this order, from 1.
  return {
    name,
    fields: Object.fromEntries(keys.map((key, i) => [key, [i + 1, kinds[key] ?? 'string'] as const])),
    extensions: keys.length + 1,
  };
}

const PRIMITIVES_ITEMS: MessageSpec = {
  name: 'PrimitivesItems',
  fields: {
    type: [1, 'string'],
    format: [2, 'string'],
    items: [3, (value, where) => encode(PRIMITIVES_ITEMS, value, where)],
    collectionFormat: [4, 'string'],
    default: [5, 'any'],
    maximum: [6, 'double'],
    exclusiveMaximum: [7, 'bool'],
    minimum: [8, 'double'],
    exclusiveMinimum: [9, 'bool'],
    maxLength: [10, 'int'],
    minLength: [11, 'int'],
    pattern: [12, 'string'],
    maxItems: [13, 'int'],
    minItems: [14, 'int'],
    uniqueItems: [15, 'bool'],
    enum: [16, 'anys'],
    multipleOf: [17, 'double'],
  },
  extensions: 18,
};

// NonBodyParameter: oneof { header = 1; form_data = 2; query = 3; path = 4; }
const NON_BODY: Record<string, [number, MessageSpec]> = {
  header: [1, nonBodyParameter('HeaderParameterSubSchema', false)],
  formData: [2, nonBodyParameter('FormDataParameterSubSchema', true)],
  query: [3, nonBodyParameter('QueryParameterSubSchema', true)],
  path: [4, nonBodyParameter('PathParameterSubSchema', false)],
};

const BODY_PARAMETER: MessageSpec = {
  name: 'BodyParameter',
  fields: {
    description: [1, 'string'],
    name: [2, 'string'],
    in: [3, 'string'],
    required: [4, 'bool'],
    schema: [5, schema],
  },
  extensions: 6,
};

/** ParametersItem: oneof { Parameter parameter = 1; JsonReference json_reference = 2; } */
const parametersItem: Encoder = (value, where) => {
  const object = objectAt(value, where);
  if ('$ref' in object)
    return new MessageWriter().message(
      2,
      encode(
        { name: 'JsonReference', fields: { $ref: [1, 'string'], description: [2, 'string'] } },
        object,
        where,
      ),
    );
  // Parameter: oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; }
  if (object.in === 'body')
    return new MessageWriter().message(
      1,
      new MessageWriter().message(1, encode(BODY_PARAMETER, object, where)),
    );
  const nonBody = NON_BODY[String(object.in)];
  if (!nonBody) throw new Error(`${where}: a parameter cannot be in ${JSON.stringify(object.in)}`);
  const [number, spec] = nonBody;
  return new MessageWriter().message(
    1,
    new MessageWriter().message(2, new MessageWriter().message(number, encode(spec, object, where))),
  );
};

const RESPONSE: MessageSpec = {
  name: 'Response',
  fields: {
    description: [1, 'string'],
    // SchemaItem: oneof { Schema schema = 1; FileSchema file_schema = 2; }
    schema: [2, (value, where) => new MessageWriter().message(1, schema(value, where) as MessageWriter)],
  },
  extensions: 5,
};

/** Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; } */
const responses: Encoder = (value, where) => {
  const codes: MessageWriter[] = [];
  const extensions: MessageWriter[] = [];
  for (const [code, response] of Object.entries(objectAt(value, where))) {
    if (code.startsWith('x-')) {
      extensions.push(namedAny(code, response));
      continue;
    }
    // ResponseValue: oneof { Response response = 1; JsonReference json_reference = 2; }
    const responseValue = new MessageWriter().message(1, encode(RESPONSE, response, `${where}.${code}`));
    codes.push(named(code, responseValue));
  }
  return new MessageWriter().messages(1, codes).messages(2, extensions);
};

const OPERATION: MessageSpec = {
  name: 'Operation',
  fields: {
    tags: [1, 'strings'],
    summary: [2, 'string'],
    description: [3, 'string'],
    externalDocs: [4, externalDocs],
    operationId: [5, 'string'],
    produces: [6, 'strings'],
    consumes: [7, 'strings'],
    parameters: [8, repeated(parametersItem)],
    responses: [9, responses],
    schemes: [10, 'strings'],
    deprecated: [11, 'bool'],
  },
  extensions: 13,
};

const operation = message(OPERATION);

const PATH_ITEM: MessageSpec = {
  name: 'PathItem',
  fields: {
    $ref: [1, 'string'],
    get: [2, operation],
    put: [3, operation],
    post: [4, operation],
    delete: [5, operation],
    options: [6, operation],
    head: [7, operation],
    patch: [8, operation],
    parameters: [9, repeated(parametersItem)],
  },
  extensions: 10,
};

/** Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; } */
const paths: Encoder = (value, where) => {
  const items: MessageWriter[] = [];
  const extensions: MessageWriter[] = [];
  for (const [path, item] of Object.entries(objectAt(value, where))) {
    if (path.startsWith('x-')) extensions.push(namedAny(path, item));
    else items.push(named(path, encode(PATH_ITEM, item, `${where}.${path}`)));
  }
  return new MessageWriter().messages(1, extensions).messages(2, items);
};

const DOCUMENT: MessageSpec = {
  name: 'Document',
  fields: {
    swagger: [1, 'string'],
    info: [
      2,
      message({
        name: 'Info',
        fields: {
          title: [1, 'string'],
          version: [2, 'string'],
          description: [3, 'string'],
          termsOfService: [4, 'string'],
        },
        extensions: 7,
      }),
    ],
    host: [3, 'string'],
    basePath: [4, 'string'],
    schemes: [5, 'strings'],
    consumes: [6, 'strings'],
    produces: [7, 'strings'],
    paths: [8, paths],
    // Definitions { repeated NamedSchema additional_properties = 1; }
    definitions: [
      9,
      (value, where) => new MessageWriter().messages(1, namedMap(schema)(value, where) as MessageWriter[]),
    ],
    externalDocs: [15, externalDocs],
  },
  extensions: 16,
};

/**
 * The protobuf of a Swagger 2.0 document. A key the encoder does not know throws rather than being
 * dropped, so a document that grows a new keyword cannot silently lose it in protobuf.
 */
export function openApiV2Protobuf(document: JsonObject): Uint8Array {
  return encode(DOCUMENT, document, '$').finish();
}
