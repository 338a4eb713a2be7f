/** Adler32 (java.util.zip.Adler32): the WebAssembly loop against the JS one and known values. */
import { Adler32, adler32, adler32Js } from '../../src/persistence/adler32';
import { mulberry32 } from '../../compat-tests/lib/prng';

test('known values', () => {
  expect(adler32(Buffer.alloc(0))).toBe(1);
  expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  // Long runs of 0xff push both sums to their limits between modulos.
  const ff = Buffer.alloc(100_000, 0xff);
  expect(adler32(ff)).toBe(adler32Js(ff));
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
