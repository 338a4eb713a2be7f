const MOD = 65521;
/** Largest n such that 255n(n+1)/2 + (n+1)(MOD-1) fits in 2^32: sums can wait this long before a modulo. */
const NMAX = 5552;

/** java.util.zip.Adler32, incremental: the checksum of every log entry and snapshot. */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    let a = this.a;
    let b = this.b;
    let i = start;
    while (i < end) {
      const stop = Math.min(end, i + NMAX);
      for (; i < stop; i++) {
        a += buf[i];
        b += a;
      }
      a %= MOD;
      b %= MOD;
    }
    this.a = a;
    this.b = b;
    return this;
  }

  /** The checksum as Java returns it: an unsigned 32-bit value in a long. */
  get value(): number {
    return ((this.b << 16) | this.a) >>> 0;
  }

  reset(): void {
    this.a = 1;
    this.b = 0;
  }
}

export function adler32(buf: Uint8Array, start = 0, end = buf.length): number {
  return new Adler32().update(buf, start, end).value;
}
