const TWO_32 = 4294967296;

/**
 * Writes jute's binary archive format into one growable Buffer that is reused between frames,
 * so steady-state serialization allocates nothing but the occasional growth.
 */
export class JuteWriter {
  buf: Buffer;
  offset = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.offset = 0;
  }

  ensure(n: number): void {
    const need = this.offset + n;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  writeInt(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v | 0, this.offset);
    this.offset += 4;
  }

  writeLong(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt.asIntN(64, v), this.offset);
    this.offset += 8;
  }

  /** Writes a number that is an exact 64-bit integer below 2^53 in magnitude. */
  writeLong53(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeInt32BE(hi, this.offset);
    this.buf.writeUInt32BE(v - hi * TWO_32, this.offset + 4);
    this.offset += 8;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
  }

  writeBuffer(b: Uint8Array | null): void {
    if (b === null) {
      this.writeInt(-1);
      return;
    }
    this.ensure(4 + b.length);
    this.buf.writeInt32BE(b.length, this.offset);
    this.offset += 4;
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  writeString(s: string | null): void {
    if (s === null) {
      this.writeInt(-1);
      return;
    }
    // Worst case UTF-8 is 3 bytes per UTF-16 unit; write then patch the length.
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.offset + 4, 'utf8');
    this.buf.writeInt32BE(n, this.offset);
    this.offset += 4 + n;
  }

  writeRaw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
  }

  /** Reserves a 4-byte length prefix; returns its position for endFrame. */
  beginFrame(): number {
    this.ensure(4);
    const at = this.offset;
    this.offset += 4;
    return at;
  }

  endFrame(at: number): void {
    this.buf.writeInt32BE(this.offset - at - 4, at);
  }

  /** A copy of what was written, for callers that keep the bytes. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.offset));
  }
}
