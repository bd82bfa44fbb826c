// The protobuf wire format, read side only: a message's fields as (number, wire type, value),
// unknown or not, with errors worded like the Go decoders kube-apiserver runs.

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
type Wire = typeof WireType;

export type WireField =
  | { number: number; wireType: Wire['Varint']; varint: bigint }
  | { number: number; wireType: Wire['LengthDelimited']; bytes: Uint8Array }
  | { number: number; wireType: Wire['Fixed64'] | Wire['Fixed32'] | Wire['StartGroup'] };

export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError';
}

const MAX_GROUP_DEPTH = 100;

class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.bytes.length;
  }

  varint(): bigint {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 70n) throw new ProtobufDecodeError('proto: integer overflow');
      if (this.done) throw new ProtobufDecodeError('unexpected EOF');
      const byte = this.bytes[this.at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, value);
    }
  }

  take(length: number): Uint8Array {
    if (length < 0) throw new ProtobufDecodeError('proto: negative length found during unmarshaling');
    if (this.at + length > this.bytes.length) throw new ProtobufDecodeError('unexpected EOF');
    const slice = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return slice;
  }

  /** One tag and its value; a group is skipped whole (its end tag must match). */
  field(depth = 0): WireField | { number: number; wireType: Wire['EndGroup'] } {
    const tag = this.varint();
    const number = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    if (number <= 0 || number > 0x1fffffff)
      throw new ProtobufDecodeError(`proto: illegal tag ${number} (wire type ${wireType})`);
    switch (wireType) {
      case WireType.Varint:
        return { number, wireType, varint: this.varint() };
      case WireType.Fixed64:
        this.take(8);
        return { number, wireType };
      case WireType.LengthDelimited: {
        const length = this.varint();
        if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtobufDecodeError('unexpected EOF');
        return { number, wireType, bytes: this.take(Number(length)) };
      }
      case WireType.StartGroup:
        this.skipGroup(number, depth + 1);
        return { number, wireType };
      case WireType.EndGroup:
        return { number, wireType };
      case WireType.Fixed32:
        this.take(4);
        return { number, wireType };
      default:
        throw new ProtobufDecodeError(`proto: illegal wireType ${wireType}`);
    }
  }

  private skipGroup(number: number, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) throw new ProtobufDecodeError('proto: exceeded maximum group depth');
    for (;;) {
      if (this.done) throw new ProtobufDecodeError('unexpected EOF');
      const inner = this.field(depth);
      if (inner.wireType === WireType.EndGroup) {
        if (inner.number !== number) throw new ProtobufDecodeError('proto: mismatched end group');
        return;
      }
    }
  }
}

/** Every field of one message, in wire order (a field may repeat). */
export function readFields(bytes: Uint8Array): WireField[] {
  const reader = new Reader(bytes);
  const fields: WireField[] = [];
  while (!reader.done) {
    const field = reader.field();
    if (field.wireType === WireType.EndGroup)
      throw new ProtobufDecodeError('proto: wiretype end group for non-group');
    fields.push(field);
  }
  return fields;
}

/** A varint as the signed 64-bit integer (int32/int64 fields) it encodes. */
export function signed(varint: bigint): bigint {
  return BigInt.asIntN(64, varint);
}
