import { copyBytes } from '../util/bytes';

const MOD = 65521;
/** Largest n such that 255n(n+1)/2 + (n+1)(MOD-1) fits in 2^32: sums can wait this long before a modulo. */
const NMAX = 5552;

// ---- WebAssembly, assembled from the listings below at load time (no binary is checked in)

/** An unsigned LEB128 number, as wasm encodes sizes, indices and opcodes after a prefix. */
function uleb(n: number): number[] {
  const o: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    o.push(b);
  } while (n !== 0);
  return o;
}

function sleb(n: number): number[] {
  const o: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      o.push(b);
      return o;
    }
    o.push(b | 0x80);
  }
}

const I32 = 0x7f;
const V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const tee = (i: number) => [0x22, i];
const i32 = (n: number) => [0x41, ...sleb(n)];
const [ADD, SUB, MUL, AND, OR, SHL, SHR_U, REM_U, LT_U, GE_U, SELECT, LOAD8_U] = [0x6a, 0x6b, 0x6c, 0x71, 0x72, 0x74, 0x76, 0x70, 0x49, 0x4f, 0x1b, 0x2d];
const [BLOCK, LOOP, END, BR, BR_IF, VOID] = [0x02, 0x03, 0x0b, 0x0c, 0x0d, 0x40];

/**
 * What both loops share, around a body: params 0 ptr, 1 len, 2 ab (= (b << 16) | a); locals 3 a, 4 b,
 * 5 end, 6 stop. The input is taken in stretches of at most `stretch` bytes (ptr to stop), after each of
 * which the body has reduced a and b; the result is (b << 16) | a.
 */
function stretches(stretch: number, body: number[]): number[] {
  return [
    ...get(2), ...i32(0xffff), AND, ...set(3),
    ...get(2), ...i32(16), SHR_U, ...set(4),
    ...get(0), ...get(1), ADD, ...set(5),
    BLOCK, VOID,
    LOOP, VOID,
    // while (ptr < end)
    ...get(0), ...get(5), GE_U, BR_IF, 1,
    // stop = min(ptr + stretch, end)
    ...get(0), ...i32(stretch), ADD, ...tee(6), ...get(5), ...get(6), ...get(5), LT_U, SELECT, ...set(6),
    ...body,
    BR, 0,
    END,
    END,
    ...get(4), ...i32(16), SHL, ...get(3), OR,
    END,
  ];
}

/**
 * adler(ptr, len, ab) -> ab' over memory[ptr, ptr + len): the same loop as `updateJs`. V8 compiles it to
 * machine code without the bounds and type checks of the JS loop, about 4x faster (0.55 vs 2.2 ns/byte here).
 */
function byteLoop(): number[] {
  return stretches(NMAX, [
    LOOP, VOID,
    // a += mem[ptr]; b += a; while (++ptr < stop)
    ...get(3), ...get(0), LOAD8_U, 0, 0, ADD, ...tee(3), ...get(4), ADD, ...set(4),
    ...get(0), ...i32(1), ADD, ...tee(0), ...get(6), LT_U, BR_IF, 0,
    END,
    ...get(3), ...i32(MOD), REM_U, ...set(3),
    ...get(4), ...i32(MOD), REM_U, ...set(4),
  ]);
}

/** Bytes in 16-byte blocks summed as vectors before the sums are reduced: 256 blocks keep every sum below 2^32. */
const SIMD_STRETCH = 4096;

/**
 * adler16(ptr, len, ab) -> ab' for len a multiple of 16, with 128-bit vectors: for each 16-byte block x,
 * a grows by the sum of x and b by 16 a + sum of (16 - k) x[k]; summed lane-wise over a stretch of
 * blocks (vps adds up the a of every block before it), then folded into the scalar sums. With the copy
 * into wasm memory, 0.17-0.25 ns a byte where the byte loop takes 0.7 here: log entries of 10 KB values
 * and snapshots of hundreds of megabytes are checksummed on the event loop's thread.
 *
 *   stretch of n bytes from (a, b):  a' = a + hsum(va),  b' = b + n a + 16 hsum(vps) + hsum(vb)
 */
function vectorLoop(): number[] {
  // SIMD instructions: the 0xfd prefix, then the opcode in LEB128.
  const op = (n: number): number[] => [0xfd, ...uleb(n)];
  const LOAD = [...op(0x00), 0, 0];
  const vconst16 = (lanes: number[]): number[] => [...op(0x0c), ...lanes.flatMap((v) => [v & 0xff, v >> 8])];
  const ZERO = vconst16([0, 0, 0, 0, 0, 0, 0, 0]);
  const W_LOW = vconst16([16, 15, 14, 13, 12, 11, 10, 9]);
  const W_HIGH = vconst16([8, 7, 6, 5, 4, 3, 2, 1]);
  const [SUMS8, SUMS16, LOW8, HIGH8, DOT, ADD4] = [op(0x7d), op(0x7f), op(0x89), op(0x8a), op(0xba), op(0xae)];
  const lane = (i: number, k: number) => [...get(i), ...op(0x1b), k];
  const hsum = (i: number) => [...lane(i, 0), ...lane(i, 1), ADD, ...lane(i, 2), ADD, ...lane(i, 3), ADD];
  // Locals past the shared ones: i32 7 n; v128 8 va, 9 vb, 10 vps, 11 x.
  return stretches(SIMD_STRETCH, [
    ...get(6), ...get(0), SUB, ...set(7),
    ...ZERO, ...set(8), ...ZERO, ...set(9), ...ZERO, ...set(10),
    LOOP, VOID,
    ...get(0), ...LOAD, ...set(11),
    ...get(10), ...get(8), ...ADD4, ...set(10),
    ...get(8), ...get(11), ...SUMS8, ...SUMS16, ...ADD4, ...set(8),
    ...get(9),
    ...get(11), ...LOW8, ...W_LOW, ...DOT,
    ...get(11), ...HIGH8, ...W_HIGH, ...DOT,
    ...ADD4, ...ADD4, ...set(9),
    ...get(0), ...i32(16), ADD, ...tee(0), ...get(6), LT_U, BR_IF, 0,
    END,
    ...get(4), ...get(7), ...get(3), MUL, ADD, ...hsum(10), ...i32(4), SHL, ADD, ...hsum(9), ADD, ...i32(MOD), REM_U, ...set(4),
    ...get(3), ...hsum(8), ADD, ...i32(MOD), REM_U, ...set(3),
  ]);
}

/** The module: `adler`, with `simd` also `adler16`, and the memory `mem` they read. */
function adlerModule(simd: boolean): Uint8Array {
  const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
  const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
  const fn = (locals: number[], code: number[]): number[] => {
    const body = [...locals, ...code];
    return [...uleb(body.length), ...body];
  };
  const funcs = [fn([1, 4, I32], byteLoop())];
  const exports = [...name('adler'), 0, 0];
  if (simd) {
    funcs.push(fn([2, 5, I32, 4, V128], vectorLoop()));
    exports.push(...name('adler16'), 0, 1);
  }
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 3, I32, I32, I32, 1, I32]),
    ...section(3, [funcs.length, ...funcs.map(() => 0)]),
    ...section(5, [1, 0, WASM_PAGES]),
    ...section(7, [funcs.length + 1, ...exports, ...name('mem'), 2, 0]),
    ...section(10, [funcs.length, ...funcs.flat()]),
  ]);
}

/** 16 pages of 64 KiB: the input is fed through in 1 MiB pieces. */
const WASM_PAGES = 16;
const CHUNK = WASM_PAGES << 16;
/**
 * Below this many bytes the JS loop (8 bytes a turn) is as fast as copying the bytes into wasm memory and
 * calling it, and allocates nothing. Measured here: 160 bytes 115 ns in JS against 100–160 through wasm;
 * 256 bytes 180 against ~130; a log entry of a 100-byte value is ~150 bytes.
 */
const WASM_MIN = 256;

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { adler: AdlerFn; adler16?: AdlerFn; mem: { buffer: ArrayBuffer } } };
};
type AdlerFn = (ptr: number, len: number, ab: number) => number;
interface AdlerWasm {
  adler: AdlerFn;
  /** The vector loop over 16-byte blocks; null where the engine has no WebAssembly SIMD. */
  adler16: AdlerFn | null;
  mem: Uint8Array;
}

/** Compiled on first use; null where WebAssembly is unavailable (the JS loop serves then). */
let wasm: AdlerWasm | null | undefined;

function loadWasm(): AdlerWasm | null {
  // Without WebAssembly SIMD (an older or restricted engine) the byte loop serves.
  for (const simd of [true, false]) {
    try {
      const e = new WebAssembly.Instance(new WebAssembly.Module(adlerModule(simd))).exports;
      return { adler: e.adler, adler16: simd ? e.adler16! : null, mem: new Uint8Array(e.mem.buffer) };
    } catch {
      // next
    }
  }
  return null;
}

/** Which loop checksums long inputs here: 'simd', 'wasm' (bytes one at a time) or 'js'. */
export function adlerPath(): 'simd' | 'wasm' | 'js' {
  if (wasm === undefined) wasm = loadWasm();
  return wasm === null ? 'js' : wasm.adler16 !== null ? 'simd' : 'wasm';
}

/** java.util.zip.Adler32, incremental: the checksum of every log entry and snapshot. */
export class Adler32 {
  private a = 1;
  private b = 0;

  update(buf: Uint8Array, start = 0, end = buf.length): this {
    if (end - start >= WASM_MIN) {
      if (wasm === undefined) wasm = loadWasm();
      const w = wasm;
      if (w !== null) {
        let ab = (this.b << 16) | this.a;
        for (let i = start; i < end; i += CHUNK) {
          const n = Math.min(CHUNK, end - i);
          // A txn's few hundred bytes are copied without making a view of them.
          copyBytes(buf, i, i + n, w.mem, 0);
          const blocks = w.adler16 === null ? 0 : n & ~15;
          if (blocks > 0) ab = w.adler16!(0, blocks, ab);
          if (blocks < n) ab = w.adler(blocks, n - blocks, ab);
        }
        this.a = ab & 0xffff;
        this.b = ab >>> 16;
        return this;
      }
    }
    return this.updateJs(buf, start, end);
  }

  private updateJs(buf: Uint8Array, start: number, end: number): this {
    let a = this.a;
    let b = this.b;
    let i = start;
    while (i < end) {
      const stop = Math.min(end, i + NMAX);
      // Eight bytes a turn: b gains 8a and each byte times the number of sums it enters (8 down to 1).
      for (const stop8 = stop - 7; i < stop8; i += 8) {
        const x0 = buf[i];
        const x1 = buf[i + 1];
        const x2 = buf[i + 2];
        const x3 = buf[i + 3];
        const x4 = buf[i + 4];
        const x5 = buf[i + 5];
        const x6 = buf[i + 6];
        const x7 = buf[i + 7];
        b += 8 * a + 8 * x0 + 7 * x1 + 6 * x2 + 5 * x3 + 4 * x4 + 3 * x5 + 2 * x6 + x7;
        a += x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
      }
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

/** One instance for the one-shot checksums (every log entry): update runs to completion, nothing else can interleave. */
const oneShot = new Adler32();

export function adler32(buf: Uint8Array, start = 0, end = buf.length): number {
  oneShot.reset();
  return oneShot.update(buf, start, end).value;
}

/** The pure JS checksum, for tests that compare the two paths. */
export function adler32Js(buf: Uint8Array, start = 0, end = buf.length): number {
  return (new Adler32() as unknown as { updateJs(b: Uint8Array, s: number, e: number): Adler32 }).updateJs(buf, start, end).value;
}
