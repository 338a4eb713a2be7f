import { JuteError } from './errors';
import { javaUtf8Decode } from './javaUtf8';

const TWO_32 = 4294967296;

/**
 * Reads jute's binary archive format (big-endian, as BinaryInputArchive) from a Buffer at an offset.
 * Buffers are returned as views into the input, not copies: whoever keeps one beyond the frame copies it.
 */
export class JuteReader {
  buf: Buffer;
  offset: number;
  end: number;
  /** Upper bound on any buffer/string/vector length, like jute.maxbuffer. */
  maxLength: number;

  constructor(buf: Buffer, offset = 0, end = buf.length, maxLength = 0xfffff) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    this.maxLength = maxLength;
  }

  reset(buf: Buffer, offset: number, end: number): void {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): void {
    if (this.offset + n > this.end) {
      throw new JuteError(`truncated record: need ${n} bytes at offset ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  readInt(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A 64-bit long, exact over its whole range. */
  readLong(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A 64-bit long known to stay within ±2^53 (zxids, timestamps, TTLs); refused otherwise. */
  readLong53(): number {
    this.need(8);
    const hi = this.buf.readInt32BE(this.offset);
    const lo = this.buf.readUInt32BE(this.offset + 4);
    this.offset += 8;
    const v = hi * TWO_32 + lo;
    if (hi >= 0x200000 || hi < -0x200000) {
      throw new JuteError(`64-bit value 0x${(BigInt(hi) * 4294967296n + BigInt(lo)).toString(16)} is out of range for a zxid/time field`);
    }
    return v;
  }

  readBool(): boolean {
    this.need(1);
    return this.buf[this.offset++] !== 0;
  }

  private readLength(what: string): number {
    const len = this.readInt();
    if (len < -1 || len > this.maxLength) {
      throw new JuteError(`unreasonable ${what} length ${len} at offset ${this.offset - 4}`);
    }
    return len;
  }

  /** A jute buffer; -1 on the wire (null) is returned as null. */
  readBuffer(): Buffer | null {
    const len = this.readLength('buffer');
    if (len === -1) return null;
    this.need(len);
    const b = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return b;
  }

  /** A jute ustring (UTF-8); -1 on the wire (null) is returned as null. */
  readString(): string | null {
    const len = this.readLength('string');
    if (len === -1) return null;
    this.need(len);
    let s = this.buf.toString('utf8', this.offset, this.offset + len);
    // Malformed input (U+FFFD in the result): decode as Java does, which groups bad bytes differently.
    if (s.indexOf('\ufffd') !== -1) s = javaUtf8Decode(this.buf, this.offset, this.offset + len);
    this.offset += len;
    return s;
  }

  /** A vector's element count; -1 (null vector) is returned as -1. */
  readVectorLength(): number {
    const n = this.readInt();
    if (n < -1 || n > this.maxLength) {
      throw new JuteError(`unreasonable vector length ${n} at offset ${this.offset - 4}`);
    }
    return n;
  }
}
