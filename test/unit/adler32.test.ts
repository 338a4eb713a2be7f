/** Adler32 (java.util.zip.Adler32): the WebAssembly loop against the JS one and known values. */
import { Adler32, adler32, adler32Js, adlerPath } from '../../src/persistence/adler32';
import { mulberry32 } from '../../compat-tests/lib/prng';

test('known values', () => {
  expect(adler32(Buffer.alloc(0))).toBe(1);
  expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  // Long runs of 0xff push both sums to their limits between modulos.
  const ff = Buffer.alloc(100_000, 0xff);
  expect(adler32(ff)).toBe(adler32Js(ff));
});

/** The definition, a byte at a time with a modulo per byte: what the unrolled JS loop must equal. */
function adlerByDefinition(buf: Uint8Array, start: number, end: number): number {
  let a = 1;
  let b = 0;
  for (let i = start; i < end; i++) {
    a = (a + buf[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

test('the JS loop (eight bytes a turn) equals the definition at every short length and offset, and at the modulo boundaries', () => {
  const rnd = mulberry32(11);
  const buf = Buffer.alloc(3 * 5552 + 40);
  for (let i = 0; i < buf.length; i++) buf[i] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
  for (let n = 0; n <= 300; n++) {
    for (const start of [0, 1, 7]) expect(adler32Js(buf, start, start + n)).toBe(adlerByDefinition(buf, start, start + n));
  }
  for (const n of [5551, 5552, 5553, 5559, 5560, 2 * 5552 + 3, buf.length]) expect(adler32Js(buf, 0, n)).toBe(adlerByDefinition(buf, 0, n));
  const ff = Buffer.alloc(3 * 5552 + 9, 0xff);
  expect(adler32Js(ff)).toBe(adlerByDefinition(ff, 0, ff.length));
  // Entries shorter than the wasm threshold take the JS loop through adler32 too.
  for (const n of [100, 200, 255, 256, 257]) expect(adler32(buf, 3, 3 + n)).toBe(adlerByDefinition(buf, 3, 3 + n));
});

test('the wasm path equals the JS path, across 1 MiB pieces and incremental splits', () => {
  const rnd = mulberry32(7);
  const buf = Buffer.alloc((2 << 20) + 12345);
  for (let i = 0; i < buf.length; i++) buf[i] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
  for (const n of [1, 63, 64, 65, 5552, 5553, 65536, 1 << 20, (1 << 20) + 1, buf.length]) {
    expect(adler32(buf, 0, n)).toBe(adler32Js(buf, 0, n));
  }
  const inc = new Adler32();
  let at = 0;
  while (at < buf.length) {
    const n = Math.min(buf.length - at, Math.floor(rnd() * 300_000));
    inc.update(buf, at, at + n);
    at += n;
  }
  expect(inc.value).toBe(adler32Js(buf));
});

test('the vector loop (16-byte blocks, sums folded every 4 KB) equals the JS loop at every length around its boundaries', () => {
  // Node 20 has WebAssembly SIMD: the vector loop is what runs here, not a fallback.
  expect(adlerPath()).toBe('simd');
  const rnd = mulberry32(11);
  const lengths = [...Array.from({ length: 80 }, (_, i) => i), 4080, 4095, 4096, 4097, 4111, 4112, 8192 + 15, 10_240, 65_536 + 3];
  for (const n of lengths) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
    expect([n, adler32(b)]).toEqual([n, adler32Js(b)]);
    // All 0xff: the largest lane sums a stretch can reach.
    b.fill(0xff);
    expect([n, adler32(b)]).toEqual([n, adler32Js(b)]);
    // From a running checksum: a stretch then starts from sums other than (1, 0).
    const k = Math.min(7, n);
    const c = new Adler32().update(b, 0, k);
    expect([n, c.update(b, k, n).value]).toEqual([n, adler32Js(b)]);
  }
});

test('without WebAssembly SIMD the byte loop serves, with the same results', () => {
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object } }).WebAssembly;
  const Real = wasm.Module;
  let compiled = 0;
  // The first module tried is the one with the vector loop: refuse it, as an engine without SIMD would.
  wasm.Module = function (bytes: Uint8Array) {
    if (compiled++ === 0) throw new Error('SIMD unsupported');
    return new Real(bytes);
  } as unknown as typeof Real;
  try {
    jest.isolateModules(() => {
      const fresh = require('../../src/persistence/adler32') as typeof import('../../src/persistence/adler32');
      expect(fresh.adlerPath()).toBe('wasm');
      const rnd = mulberry32(5);
      for (const n of [64, 65, 4097, 10_240, 100_003]) {
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256);
        expect([n, fresh.adler32(b)]).toEqual([n, adler32Js(b)]);
      }
    });
  } finally {
    wasm.Module = Real;
  }
  expect(compiled).toBe(2);
});
