// A hand-written protobuf encoder for tests, independent of the sandbox's decoder and its field tables:
// each helper writes one field by number, so a test spells out the bytes a Go client would send.

type Part = Uint8Array;

export function varint(value: bigint | number): Uint8Array {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(out);
}

const tag = (field: number, wireType: number) => varint((field << 3) | wireType);
const join = (parts: Part[]) => Uint8Array.from(Buffer.concat(parts));

/** Wire type 0: int32/int64 (negative numbers as ten bytes, like Go) and bool. */
export const int = (field: number, value: bigint | number | boolean) =>
  join([tag(field, 0), varint(typeof value === 'boolean' ? Number(value) : value)]);

/** Wire type 2: bytes. */
export const bytes = (field: number, value: Uint8Array) => join([tag(field, 2), varint(value.length), value]);

export const str = (field: number, value: string) => bytes(field, Buffer.from(value, 'utf8'));

export const msg = (field: number, ...parts: Part[]) => bytes(field, join(parts));

/** Fields no decoder table knows: fixed64, fixed32, and a group with a field inside. */
export const fixed64 = (field: number) => join([tag(field, 1), new Uint8Array(8).fill(0xab)]);
export const fixed32 = (field: number) => join([tag(field, 5), new Uint8Array(4).fill(0xcd)]);
export const group = (field: number, ...parts: Part[]) => join([tag(field, 3), ...parts, tag(field, 4)]);

/** A map<string, string> entry or map<string, message> entry. */
export const mapEntry = (field: number, key: string, value: Part) => msg(field, str(1, key), value);

/** metav1.Time: seconds = 1, nanos = 2. */
export const time = (field: number, iso: string, nanos = 0) =>
  msg(field, int(1, Math.floor(Date.parse(iso) / 1000)), ...(nanos ? [int(2, nanos)] : []));

/** The body of a protobuf request: `k8s\0` and a runtime.Unknown around the object's bytes. */
export function kubernetesProtobuf(
  apiVersion: string,
  kind: string,
  object: Part[],
  ...envelopeExtra: Part[]
) {
  return join([
    Uint8Array.from([0x6b, 0x38, 0x73, 0x00]),
    msg(1, str(1, apiVersion), str(2, kind)),
    msg(2, ...object),
    ...envelopeExtra,
  ]);
}
