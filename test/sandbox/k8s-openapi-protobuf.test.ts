// /openapi/v2 in gnostic protobuf, read back by a decoder written here from OpenAPIv2.proto's field
// numbers (not the sandbox's tables), and the content negotiation and caching kube-openapi does.
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import type { SandboxCluster } from '../../lib/sandbox/k8s/index.js';
import { MessageWriter } from '../../lib/sandbox/k8s/protobuf-writer.js';
import { eksToken, FakeSts, startCluster } from './k8s-fixtures.js';

const PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
const PROTOBUF_NEW = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

/** Field number → its values in wire order: a bigint (varint), Buffer (length-delimited) or 8 bytes. */
type Message = Map<number, (bigint | Buffer)[]>;

function decode(bytes: Buffer): Message {
  const fields: Message = new Map();
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const tag = varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    let value: bigint | Buffer;
    if (wireType === 0) value = varint();
    else if (wireType === 2) {
      const length = Number(varint());
      value = bytes.subarray(at, at + length);
      if (value.length !== length) throw new Error('truncated field');
      at += length;
    } else if (wireType === 1) {
      value = bytes.subarray(at, at + 8);
      at += 8;
    } else throw new Error(`unexpected wire type ${wireType}`);
    fields.set(number, [...(fields.get(number) ?? []), value]);
  }
  return fields;
}

const bytesOf = (m: Message, n: number): Buffer[] => (m.get(n) ?? []) as Buffer[];
const text = (m: Message, n: number): string | undefined => bytesOf(m, n)[0]?.toString('utf8');
const texts = (m: Message, n: number): string[] => bytesOf(m, n).map((b) => b.toString('utf8'));
const child = (m: Message, n: number): Message | undefined => {
  const bytes = bytesOf(m, n)[0];
  return bytes ? decode(bytes) : undefined;
};
/** Repeated Named* {string name = 1; value = 2;} as name → decoded value. */
const namedEntries = (m: Message, n: number): Map<string, Message> =>
  new Map(
    bytesOf(m, n).map((b) => {
      const entry = decode(b);
      return [text(entry, 1)!, child(entry, 2)!];
    }),
  );

// openapiv2/OpenAPIv2.proto field numbers.
const DOCUMENT = { swagger: 1, info: 2, paths: 8, definitions: 9 };
const INFO = { title: 1, version: 2 };
const DEFINITIONS = { additionalProperties: 1 };
const SCHEMA = {
  ref: 1,
  description: 4,
  required: 19,
  additionalProperties: 21,
  type: 22,
  items: 23,
  properties: 25,
  vendorExtension: 31,
};
const ADDITIONAL_PROPERTIES_ITEM = { schema: 1, boolean: 2 };
const PATHS = { path: 2 };
const PATH_ITEM = { patch: 8 };
const OPERATION = { operationId: 5, parameters: 8, vendorExtension: 13 };
const PARAMETERS_ITEM = { parameter: 1 };
const PARAMETER = { bodyParameter: 1, nonBodyParameter: 2 };
const NON_BODY_PARAMETER = { query: 3 };
const QUERY_PARAMETER = { name: 4 };
const ANY = { yaml: 2 };

function extensions(m: Message, n: number): Record<string, unknown> {
  return Object.fromEntries(
    [...namedEntries(m, n)].map(([name, any]) => [name, parseYaml(text(any, ANY.yaml) ?? '')]),
  );
}

function get(
  cluster: SandboxCluster,
  token: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { endpoint, certificateAuthorityData } = cluster.description;
  return new Promise((resolve, reject) => {
    const req = request(new URL('/openapi/v2', endpoint), {
      ca: Buffer.from(certificateAuthorityData, 'base64').toString(),
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the protobuf wire writer', () => {
  it('writes varints, zigzag-free negative int64s, doubles, strings and nested messages in field order', () => {
    const inner = new MessageWriter().string(1, 'a');
    const bytes = new MessageWriter()
      .int(1, 300)
      .int(2, -1)
      .bool(3, false)
      .bool(4, false, true)
      .double(5, 1.5)
      .string(6, '')
      .strings(7, ['', 'é'])
      .message(8, inner)
      .message(9, new MessageWriter())
      .finish();
    expect(Buffer.from(bytes).toString('hex')).toBe(
      [
        '08ac02', // 1: varint 300
        '10ffffffffffffffffff01', // 2: -1 as ten bytes, as Go writes int64
        // 3: false is proto3's default and is left out; 4 sits in a oneof, so it is written
        '2000',
        '29000000000000f83f', // 5: little-endian double 1.5
        // 6: the empty string is left out; a repeated one's empty element is not
        '3a00',
        '3a02c3a9',
        '42030a0161', // 8: nested { 1: "a" }
        '4a00', // 9: an empty message that is present
      ].join(''),
    );
  });

  it('refuses a field written after a higher-numbered one', () => {
    expect(() => new MessageWriter().string(2, 'b').string(1, 'a')).toThrow(
      'protobuf field 1 written after 2',
    );
  });
});

describe('/openapi/v2 as protobuf on Kubernetes 1.20', () => {
  let cluster: SandboxCluster;
  let token: string;

  beforeAll(async () => {
    cluster = await startCluster(new FakeSts(), { version: '1.20' });
    token = await eksToken('demo');
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('encodes the ServiceAccount definition, its properties and its group-version-kind as gnostic does', async () => {
    const response = await get(cluster, token, { accept: PROTOBUF });
    expect(response.status).toBe(200);
    const document = decode(response.body);
    expect(text(document, DOCUMENT.swagger)).toBe('2.0');
    const info = child(document, DOCUMENT.info)!;
    expect(text(info, INFO.title)).toBe('Kubernetes');
    expect(text(info, INFO.version)).toMatch(/^v1\.20\.\d+-eks-/);
    const definitions = namedEntries(
      child(document, DOCUMENT.definitions)!,
      DEFINITIONS.additionalProperties,
    );
    const sa = definitions.get('io.k8s.api.core.v1.ServiceAccount')!;
    expect(sa).toBeDefined();
    expect(texts(child(sa, SCHEMA.type)!, 1)).toEqual(['object']);
    expect(text(sa, SCHEMA.description)).toMatch(/^ServiceAccount binds together/);
    expect(extensions(sa, SCHEMA.vendorExtension)).toEqual({
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'ServiceAccount', version: 'v1' }],
    });
    const properties = namedEntries(child(sa, SCHEMA.properties)!, 1);
    expect([...properties.keys()].sort()).toEqual([
      'apiVersion',
      'automountServiceAccountToken',
      'imagePullSecrets',
      'kind',
      'metadata',
      'secrets',
    ]);
    expect(texts(child(properties.get('automountServiceAccountToken')!, SCHEMA.type)!, 1)).toEqual([
      'boolean',
    ]);
    // A described reference is Swagger 2.0's `$ref` beside `description`, not OpenAPI 3's allOf.
    const metadata = properties.get('metadata')!;
    expect(text(metadata, SCHEMA.ref)).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta');
    expect(text(metadata, SCHEMA.description)).toMatch(/^Standard object's metadata/);
    const secrets = properties.get('secrets')!;
    expect(texts(child(secrets, SCHEMA.type)!, 1)).toEqual(['array']);
    const [item] = bytesOf(child(secrets, SCHEMA.items)!, 1).map(decode);
    expect(text(item!, SCHEMA.ref)).toBe('#/definitions/io.k8s.api.core.v1.ObjectReference');

    const container = definitions.get('io.k8s.api.core.v1.Container')!;
    expect(texts(container, SCHEMA.required)).toEqual(['name']);
    const labels = namedEntries(
      child(definitions.get('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!, SCHEMA.properties)!,
      1,
    ).get('labels')!;
    const valueSchema = child(
      child(labels, SCHEMA.additionalProperties)!,
      ADDITIONAL_PROPERTIES_ITEM.schema,
    )!;
    expect(texts(child(valueSchema, SCHEMA.type)!, 1)).toEqual(['string']);
  });

  it('carries the paths kubectl reads to learn whether the server validates fields (1.20 does not)', async () => {
    const document = decode((await get(cluster, token, { accept: PROTOBUF })).body);
    const paths = namedEntries(child(document, DOCUMENT.paths)!, PATHS.path);
    const patch = child(
      paths.get('/api/v1/namespaces/{namespace}/serviceaccounts/{name}')!,
      PATH_ITEM.patch,
    )!;
    expect(text(patch, OPERATION.operationId)).toBe('patchCoreV1NamespacedServiceAccount');
    expect(extensions(patch, OPERATION.vendorExtension)).toEqual({
      'x-kubernetes-action': 'patch',
      'x-kubernetes-group-version-kind': { group: '', kind: 'ServiceAccount', version: 'v1' },
    });
    const queryNames = bytesOf(patch, OPERATION.parameters)
      .map((b) => child(decode(b), PARAMETERS_ITEM.parameter)!)
      .map((p) => child(p, PARAMETER.nonBodyParameter))
      .flatMap((nonBody) => (nonBody ? [child(nonBody, NON_BODY_PARAMETER.query)] : []))
      .flatMap((query) => (query ? [text(query, QUERY_PARAMETER.name)] : []));
    expect(queryNames).toEqual(['fieldManager', 'force']);
    const [body] = bytesOf(patch, OPERATION.parameters).map(
      (b) => child(decode(b), PARAMETERS_ITEM.parameter)!,
    );
    expect(child(body!, PARAMETER.bodyParameter)).toBeDefined();
  });

  it('negotiates by Accept as kube-openapi 1.20 does: sniffed types, an ETag per encoding, bare 406', async () => {
    const pb = await get(cluster, token, { accept: PROTOBUF });
    expect(pb.headers['content-type']).toBe('application/octet-stream');
    expect(pb.headers.vary).toBe('Accept');
    const json = await get(cluster, token, { accept: 'application/json' });
    expect(json.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(JSON.parse(json.body.toString()).swagger).toBe('2.0');
    expect(json.headers.etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(pb.headers.etag).toMatch(/^"[0-9A-F]{128}"$/);
    expect(pb.headers.etag).not.toBe(json.headers.etag);
    // The preferred acceptable range wins: q first, then the more specific.
    const preferred = await get(cluster, token, { accept: `application/json;q=0.5, ${PROTOBUF}` });
    expect(preferred.headers.etag).toBe(pb.headers.etag);
    expect((await get(cluster, token, { accept: '*/*' })).headers.etag).toBe(json.headers.etag);
    // goautoneg keeps a q=0 range, and kube-openapi serves the first range it has.
    expect((await get(cluster, token, { accept: 'application/json;q=0' })).status).toBe(200);
    const unchanged = await get(cluster, token, {
      accept: PROTOBUF,
      'if-none-match': pb.headers.etag as string,
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    // The type without the `@` is understood only from 1.27.
    const refused = await get(cluster, token, { accept: PROTOBUF_NEW });
    expect(refused.status).toBe(406);
    expect(refused.body.length).toBe(0);
    expect((await get(cluster, token, { accept: 'text/html' })).status).toBe(406);
  });
});

describe('/openapi/v2 as protobuf on Kubernetes 1.32', () => {
  it('names the protobuf type, takes it with or without the `@`, and gives it the JSON ETag', async () => {
    const cluster = await startCluster(new FakeSts(), { version: '1.32' });
    try {
      const token = await eksToken('demo');
      const json = await get(cluster, token, { accept: 'application/json' });
      expect(json.headers['content-type']).toBe('application/json');
      for (const accept of [PROTOBUF, PROTOBUF_NEW]) {
        const pb = await get(cluster, token, { accept });
        expect(pb.status).toBe(200);
        expect(pb.headers['content-type']).toBe(PROTOBUF_NEW);
        expect(pb.headers.etag).toBe(json.headers.etag);
        const definitions = namedEntries(child(decode(pb.body), DOCUMENT.definitions)!, 1);
        expect(extensions(definitions.get('io.k8s.api.apps.v1.Deployment')!, SCHEMA.vendorExtension)).toEqual(
          {
            'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
          },
        );
      }
    } finally {
      await cluster.stop();
    }
  });
});
