// Request bodies in Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`, what typed
// client-go clients such as kubectl's send for built-in kinds): the `k8s\0` magic and a
// runtime.Unknown envelope around the object, decoded to the JSON object a JSON client would have
// sent. Field numbers are those of k8s.io/api and k8s.io/apimachinery generated.proto.
import type { JsonObject, JsonValue } from './json.js';
import { ProtobufDecodeError, readFields, signed, type WireField, WireType } from './protobuf-wire.js';
import { badRequest, KubeStatusError } from './status.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
const MAGIC = [0x6b, 0x38, 0x73, 0x00]; // "k8s\0"

/** How one field's wire value becomes JSON. */
type FieldType =
  | 'string'
  | 'bytes' // base64, as encoding/json writes []byte
  | 'int' // int32 / int64 varint
  | 'bool'
  | 'time' // metav1.Time: {seconds, nanos}; nanos are dropped, as the API server does
  | 'fieldsV1' // {Raw}: the raw bytes are JSON
  | 'stringMap' // map<string, string>
  | 'extraMap' // map<string, ExtraValue>, ExtraValue {repeated string items = 1}
  | MessageTable;

interface FieldSpec {
  json: string;
  type: FieldType;
  repeated?: true;
  /** Go pointer fields: a value that was sent is kept even when it is the zero value. */
  present?: true;
}

type MessageTable = { [fieldNumber: number]: FieldSpec };

const OWNER_REFERENCE: MessageTable = {
  5: { json: 'apiVersion', type: 'string' },
  1: { json: 'kind', type: 'string' },
  3: { json: 'name', type: 'string' },
  4: { json: 'uid', type: 'string' },
  6: { json: 'controller', type: 'bool', present: true },
  7: { json: 'blockOwnerDeletion', type: 'bool', present: true },
};

const MANAGED_FIELDS_ENTRY: MessageTable = {
  1: { json: 'manager', type: 'string' },
  2: { json: 'operation', type: 'string' },
  3: { json: 'apiVersion', type: 'string' },
  4: { json: 'time', type: 'time' },
  6: { json: 'fieldsType', type: 'string' },
  7: { json: 'fieldsV1', type: 'fieldsV1' },
  8: { json: 'subresource', type: 'string' },
};

const OBJECT_META: MessageTable = {
  1: { json: 'name', type: 'string' },
  2: { json: 'generateName', type: 'string' },
  3: { json: 'namespace', type: 'string' },
  4: { json: 'selfLink', type: 'string' },
  5: { json: 'uid', type: 'string' },
  6: { json: 'resourceVersion', type: 'string' },
  7: { json: 'generation', type: 'int' },
  8: { json: 'creationTimestamp', type: 'time' },
  9: { json: 'deletionTimestamp', type: 'time' },
  10: { json: 'deletionGracePeriodSeconds', type: 'int', present: true },
  11: { json: 'labels', type: 'stringMap' },
  12: { json: 'annotations', type: 'stringMap' },
  13: { json: 'ownerReferences', type: OWNER_REFERENCE, repeated: true },
  14: { json: 'finalizers', type: 'string', repeated: true },
  17: { json: 'managedFields', type: MANAGED_FIELDS_ENTRY, repeated: true },
};

// certificates.k8s.io v1 and v1beta1 number their CertificateSigningRequest fields alike.
const CSR_SPEC: MessageTable = {
  1: { json: 'request', type: 'bytes' },
  7: { json: 'signerName', type: 'string', present: true },
  8: { json: 'expirationSeconds', type: 'int', present: true },
  5: { json: 'usages', type: 'string', repeated: true },
  2: { json: 'username', type: 'string' },
  3: { json: 'uid', type: 'string' },
  4: { json: 'groups', type: 'string', repeated: true },
  6: { json: 'extra', type: 'extraMap' },
};

const CSR_CONDITION: MessageTable = {
  1: { json: 'type', type: 'string' },
  6: { json: 'status', type: 'string' },
  2: { json: 'reason', type: 'string' },
  3: { json: 'message', type: 'string' },
  4: { json: 'lastUpdateTime', type: 'time' },
  5: { json: 'lastTransitionTime', type: 'time' },
};

const CERTIFICATE_SIGNING_REQUEST: MessageTable = {
  1: { json: 'metadata', type: OBJECT_META },
  2: { json: 'spec', type: CSR_SPEC },
  3: {
    json: 'status',
    type: {
      1: { json: 'conditions', type: CSR_CONDITION, repeated: true },
      2: { json: 'certificate', type: 'bytes' },
    },
  },
};

/** The kinds this sandbox decodes from protobuf, by `group/version/kind`. */
const DECODABLE: Record<string, MessageTable> = {
  'certificates.k8s.io/v1/CertificateSigningRequest': CERTIFICATE_SIGNING_REQUEST,
  'certificates.k8s.io/v1beta1/CertificateSigningRequest': CERTIFICATE_SIGNING_REQUEST,
};

export function isProtobuf(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/** Whether a protobuf body can be decoded for this kind at all (else the server answers 415). */
export function decodesProtobuf(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in DECODABLE;
}

/** What a server that cannot read protobuf for a resource (a custom resource, say) answers. */
export function protobufNotAccepted(): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml',
  );
}

/**
 * The object in a protobuf request body, as JSON. `expected` is the kind the URL addresses: like the
 * API server, an envelope that leaves apiVersion or kind empty is taken to mean it.
 */
export function decodeProtobufBody(body: Uint8Array, expected: { apiVersion: string; kind: string }) {
  const unrecognized = (reason: string) =>
    badRequest(
      `the object provided is unrecognized (must be of type ${expected.kind}): ${reason} (${summarize(body)})`,
    );
  if (body.length === 0) throw unrecognized('empty data');
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b))
    throw unrecognized(
      `provided data does not appear to be a protobuf message, expected prefix [${MAGIC.join(' ')}]`,
    );
  if (body.length === MAGIC.length) throw unrecognized('empty body');

  let envelope: { apiVersion: string; kind: string; raw: Uint8Array };
  try {
    envelope = readEnvelope(body.subarray(MAGIC.length));
  } catch (error) {
    if (error instanceof ProtobufDecodeError) throw unrecognized(error.message);
    throw error;
  }
  const apiVersion = envelope.apiVersion || expected.apiVersion;
  const kind = envelope.kind || expected.kind;
  const table = DECODABLE[`${apiVersion}/${kind}`];
  if (!table) throw protobufNotAccepted();
  try {
    return { apiVersion, kind, ...decodeMessage(envelope.raw, table) } as JsonObject;
  } catch (error) {
    if (!(error instanceof ProtobufDecodeError)) throw error;
    const version = apiVersion.split('/').pop() ?? '';
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${expected.kind}: ${error.message}`,
    );
  }
}

/** runtime.Unknown: typeMeta {apiVersion = 1, kind = 2} = 1, raw = 2, contentEncoding = 3, contentType = 4. */
function readEnvelope(bytes: Uint8Array) {
  const envelope: { apiVersion: string; kind: string; raw: Uint8Array } = {
    apiVersion: '',
    kind: '',
    raw: new Uint8Array(),
  };
  for (const field of readFields(bytes)) {
    if (field.number === 1) {
      for (const meta of readFields(lengthDelimited(field, 'Unknown.typeMeta'))) {
        if (meta.number === 1) envelope.apiVersion = text(lengthDelimited(meta, 'TypeMeta.apiVersion'));
        if (meta.number === 2) envelope.kind = text(lengthDelimited(meta, 'TypeMeta.kind'));
      }
    } else if (field.number === 2) envelope.raw = lengthDelimited(field, 'Unknown.raw');
  }
  return envelope;
}

function decodeMessage(bytes: Uint8Array, table: MessageTable): JsonObject {
  const out: JsonObject = {};
  const lists: Record<string, JsonValue[]> = {};
  const maps: Record<string, JsonObject> = {};
  for (const field of readFields(bytes)) {
    const spec = table[field.number];
    if (!spec) continue; // unknown fields are dropped, as the generated Go decoders do
    if (spec.type === 'stringMap' || spec.type === 'extraMap') {
      const [key, value] = decodeMapEntry(lengthDelimited(field, spec.json), spec.type);
      const map = maps[spec.json] ?? {};
      map[key] = value;
      maps[spec.json] = map;
      out[spec.json] = map;
      continue;
    }
    const value = decodeValue(field, spec);
    if (spec.repeated) {
      const list = lists[spec.json] ?? [];
      if (value !== undefined) list.push(value);
      lists[spec.json] = list;
      out[spec.json] = list;
    } else if (value !== undefined) out[spec.json] = value;
    else delete out[spec.json]; // the last occurrence wins, and it was a zero value
  }
  return out;
}

/** The JSON for one field, or undefined where encoding/json would omit it (omitempty). */
function decodeValue(field: WireField, spec: FieldSpec): JsonValue | undefined {
  const { type } = spec;
  if (typeof type === 'object') return decodeMessage(lengthDelimited(field, spec.json), type);
  switch (type) {
    case 'string': {
      const value = text(lengthDelimited(field, spec.json));
      return value || spec.present || spec.repeated ? value : undefined;
    }
    case 'bytes': {
      const value = lengthDelimited(field, spec.json);
      return value.length > 0 ? Buffer.from(value).toString('base64') : undefined;
    }
    case 'int': {
      const value = Number(signed(varint(field, spec.json)));
      return value !== 0 || spec.present ? value : undefined;
    }
    case 'bool': {
      const value = varint(field, spec.json) !== 0n;
      return value || spec.present ? value : undefined;
    }
    case 'time':
      return decodeTime(lengthDelimited(field, spec.json));
    case 'fieldsV1': {
      // FieldsV1 {Raw = 1}: Raw is already the JSON encoding of the field set.
      const raw = readFields(lengthDelimited(field, spec.json)).findLast((f) => f.number === 1);
      if (!raw) return undefined;
      try {
        return JSON.parse(text(lengthDelimited(raw, 'Raw'))) as JsonValue;
      } catch {
        throw new ProtobufDecodeError(`${spec.json}: the fields are not valid JSON`);
      }
    }
    case 'stringMap':
    case 'extraMap':
      throw new ProtobufDecodeError(`proto: map field ${spec.json} read as a single value`);
  }
}

/** A map entry is a message {key = 1, value = 2}; a missing part is its zero value. */
function decodeMapEntry(bytes: Uint8Array, type: 'stringMap' | 'extraMap'): [string, JsonValue] {
  let key = '';
  let value: JsonValue = type === 'stringMap' ? '' : [];
  for (const field of readFields(bytes)) {
    if (field.number === 1) key = text(lengthDelimited(field, 'key'));
    else if (field.number === 2) {
      const entry = lengthDelimited(field, 'value');
      value =
        type === 'stringMap'
          ? text(entry)
          : readFields(entry)
              .filter((item) => item.number === 1)
              .map((item) => text(lengthDelimited(item, 'items')));
    }
  }
  return [key, value];
}

function decodeTime(bytes: Uint8Array): string | undefined {
  // A zero metav1.Time is sent as an empty message; JSON has null for it.
  if (bytes.length === 0) return undefined;
  let seconds = 0n;
  for (const field of readFields(bytes)) if (field.number === 1) seconds = signed(varint(field, 'seconds'));
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lengthDelimited(field: WireField, name: string): Uint8Array {
  if (field.wireType !== WireType.LengthDelimited)
    throw new ProtobufDecodeError(`proto: wrong wireType = ${field.wireType} for field ${name}`);
  return field.bytes;
}

function varint(field: WireField, name: string): bigint {
  if (field.wireType !== WireType.Varint)
    throw new ProtobufDecodeError(`proto: wrong wireType = ${field.wireType} for field ${name}`);
  return field.varint;
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8');
}

/** How the API server quotes a body it cannot recognize: its first 30 bytes, as text if JSON, else hex. */
function summarize(body: Uint8Array): string {
  if (body.length === 0) return '<empty>';
  const head = Buffer.from(body.subarray(0, 30));
  const shown = body[0] === 0x7b ? head.toString('utf8') : head.toString('hex');
  return body.length > 30 ? `${shown} ...` : shown;
}
