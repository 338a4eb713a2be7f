import { copyBytes } from '../util/bytes';

const TWO_32 = 4294967296;
const SURROGATE = /[\ud800-\udfff]/;

/** The 32-bit halves of longs written lately (session ids), shared by every writer. */
const longHalves = new Map<bigint, { high: number; low: number }>();
const LONG_HALVES_MAX = 4096;

/**
 * Writes jute's binary archive format into one growable Buffer that is reused between frames,
 * so steady-state serialization allocates nothing but the occasional growth.
 */
export class JuteWriter {
  buf: Buffer;
  offset = 0;

  /**
   * `standardUtf8`: write strings as standard UTF-8, as non-Java clients (C, Python, Node) do, instead of
   * the server's (and the Java client's) BinaryOutputArchive encoding. Only zkts's own test client sets it.
   */
  constructor(
    initialSize = 4096,
    readonly standardUtf8 = false,
  ) {
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

  // Byte stores rather than Buffer's writeInt32BE: no range checks on the path every reply takes (a
  // Uint8Array store keeps the low 8 bits, which is what big-endian bytes need).
  writeInt(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const o = this.offset;
    b[o] = v >>> 24;
    b[o + 1] = v >>> 16;
    b[o + 2] = v >>> 8;
    b[o + 3] = v;
    this.offset = o + 4;
  }

  writeLong(v: bigint): void {
    // Longs are session ids, written again and again: splitting a bigint allocates several more, so
    // the halves of the last one are kept, and those of the last few thousand in longHalves (the txns
    // of a group interleave many sessions).
    if (v !== this.lastLong) {
      let h = longHalves.get(v);
      if (h === undefined) {
        const u = BigInt.asUintN(64, v);
        h = { high: Number(u >> 32n), low: Number(u & 0xffffffffn) };
        if (longHalves.size >= LONG_HALVES_MAX) longHalves.clear();
        longHalves.set(v, h);
      }
      this.lastHigh = h.high;
      this.lastLow = h.low;
      this.lastLong = v;
    }
    this.writeInt(this.lastHigh);
    this.writeInt(this.lastLow);
  }

  private lastLong = 0n;
  private lastHigh = 0;
  private lastLow = 0;

  /** Writes a number that is an exact 64-bit integer below 2^53 in magnitude. */
  writeLong53(v: number): void {
    const hi = Math.floor(v / TWO_32);
    this.writeInt(hi);
    this.writeInt(v - hi * TWO_32);
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

  /** A buffer (length, then bytes) of src[start, end), copied from where it lies. */
  writeBufferRange(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.ensure(4 + n);
    this.buf.writeInt32BE(n, this.offset);
    this.offset += 4;
    copyBytes(src, start, end, this.buf, this.offset);
    this.offset += n;
  }

  writeString(s: string | null): void {
    if (s === null) {
      this.writeInt(-1);
      return;
    }
    // Worst case is 3 bytes per UTF-16 unit; write then patch the length.
    this.ensure(4 + s.length * 3);
    let n = this.buf.write(s, this.offset + 4, 'utf8');
    // Only a string with a surrogate encodes differently from UTF-8, and an all-ASCII one has none.
    if (n !== s.length && !this.standardUtf8 && SURROGATE.test(s)) n = this.writeUtf16Units(s, this.offset + 4);
    this.buf.writeInt32BE(n, this.offset);
    this.offset += 4 + n;
  }

  /**
   * BinaryOutputArchive.stringToByteBuffer (3.8 and 3.9): each UTF-16 unit is encoded on its own, in 1, 2 or
   * 3 bytes, so a surrogate (paired or lone) takes 3 bytes: a supplementary character becomes 6 bytes
   * (CESU-8) where UTF-8 has 4, and a lone surrogate keeps its value where UTF-8 writes U+FFFD. Returns
   * the byte count; the room (3 bytes a unit) is already ensured.
   */
  private writeUtf16Units(s: string, at: number): number {
    const b = this.buf;
    let o = at;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) b[o++] = c;
      else if (c < 0x800) {
        b[o++] = 0xc0 | (c >> 6);
        b[o++] = 0x80 | (c & 0x3f);
      } else {
        b[o++] = 0xe0 | (c >> 12);
        b[o++] = 0x80 | ((c >> 6) & 0x3f);
        b[o++] = 0x80 | (c & 0x3f);
      }
    }
    return o - at;
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
