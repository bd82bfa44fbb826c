// The protobuf wire format, write side: one message's fields appended in field-number order, with
// proto3's implicit presence (a zero scalar is left out unless it sits in a oneof).
import { WireType } from './protobuf-wire.js';

const encoder = new TextEncoder();

export class MessageWriter {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;
  private lastField = 0;

  /** The bytes written so far, as one message body. */
  get byteLength(): number {
    return this.length;
  }

  /** An int64/uint64/enum field; `explicit` writes a zero too (a oneof member). */
  int(field: number, value: number | bigint | undefined, explicit = false): this {
    if (value === undefined || (!explicit && BigInt(value) === 0n)) return this;
    this.tag(field, WireType.Varint);
    this.push(varintBytes(BigInt.asUintN(64, BigInt(value))));
    return this;
  }

  bool(field: number, value: boolean | undefined, explicit = false): this {
    if (value === undefined || (!value && !explicit)) return this;
    this.tag(field, WireType.Varint);
    this.push(Uint8Array.of(value ? 1 : 0));
    return this;
  }

  double(field: number, value: number | undefined, explicit = false): this {
    if (value === undefined || (!explicit && value === 0 && !Object.is(value, -0))) return this;
    this.tag(field, WireType.Fixed64);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.push(bytes);
    return this;
  }

  string(field: number, value: string | undefined, explicit = false): this {
    if (value === undefined || (value === '' && !explicit)) return this;
    return this.bytes(field, encoder.encode(value));
  }

  strings(field: number, values: readonly string[] | undefined): this {
    // A repeated string keeps its empty elements: presence is the element itself.
    for (const value of values ?? []) this.bytes(field, encoder.encode(value));
    return this;
  }

  /** A nested message; an absent one (undefined) is left out, an empty one is written. */
  message(field: number, message: MessageWriter | undefined): this {
    if (!message) return this;
    this.tag(field, WireType.LengthDelimited);
    this.push(varintBytes(BigInt(message.length)));
    for (const chunk of message.chunks) this.push(chunk);
    return this;
  }

  messages(field: number, messages: readonly MessageWriter[]): this {
    for (const message of messages) this.message(field, message);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  private bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.push(varintBytes(BigInt(value.length)));
    this.push(value);
    return this;
  }

  private tag(field: number, wireType: number): void {
    // Go's generated marshalers write fields by ascending number; a reader accepts any order, but
    // the bytes are then the ones kube-apiserver would send.
    if (field < this.lastField) throw new Error(`protobuf field ${field} written after ${this.lastField}`);
    this.lastField = field;
    this.push(varintBytes((BigInt(field) << 3n) | BigInt(wireType)));
  }

  private push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
}

function varintBytes(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80n) {
    bytes.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  bytes.push(Number(rest));
  return Uint8Array.from(bytes);
}
