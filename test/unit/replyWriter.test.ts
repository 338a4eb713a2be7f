/**
 * The connection's output writer: whatever mix of frames, small and large byte arrays and buffer growth,
 * the bytes taken are exactly what JuteWriter writes, large arrays are passed through uncopied, and a
 * buffer is written over only when released for reuse.
 */
import { JuteWriter } from '../../src/jute/writer';
import { COPY_MAX, LONE_COPY_MAX, ReplyWriter, ZERO_COPY_MIN } from '../../src/protocol/replyWriter';
import { mulberry32 } from '../../compat-tests/lib/prng';

type Step = { kind: 'int'; v: number } | { kind: 'str'; v: string } | { kind: 'buf'; v: Buffer | null } | { kind: 'long'; v: number };

function frames(w: JuteWriter, batch: Step[][]): void {
  for (const frame of batch) {
    const at = w.beginFrame();
    for (const s of frame) {
      if (s.kind === 'int') w.writeInt(s.v);
      else if (s.kind === 'long') w.writeLong53(s.v);
      else if (s.kind === 'str') w.writeString(s.v);
      else w.writeBuffer(s.v);
    }
    w.endFrame(at);
  }
}

function joined(out: Buffer | Uint8Array[]): Buffer {
  return Array.isArray(out) ? Buffer.concat(out) : Buffer.from(out);
}

describe('ReplyWriter', () => {
  test('random batches: same bytes as JuteWriter, across growth and large arrays', () => {
    const rnd = mulberry32(7);
    const w = new ReplyWriter(16);
    for (let round = 0; round < 300; round++) {
      const batch: Step[][] = [];
      const nFrames = 1 + Math.floor(rnd() * 6);
      for (let f = 0; f < nFrames; f++) {
        const steps: Step[] = [];
        const n = Math.floor(rnd() * 6);
        for (let k = 0; k < n; k++) {
          const r = rnd();
          if (r < 0.25) steps.push({ kind: 'int', v: Math.floor(rnd() * 1e9) });
          else if (r < 0.4) steps.push({ kind: 'long', v: Math.floor(rnd() * 2 ** 50) });
          else if (r < 0.6) steps.push({ kind: 'str', v: 'é/node-'.repeat(Math.floor(rnd() * 40)) });
          else if (r < 0.65) steps.push({ kind: 'buf', v: null });
          else {
            const len = rnd() < 0.5 ? Math.floor(rnd() * 300) : ZERO_COPY_MIN - 2 + Math.floor(rnd() * 20_000);
            const b = Buffer.alloc(len);
            for (let i = 0; i < len; i += 97) b[i] = Math.floor(rnd() * 256);
            steps.push({ kind: 'buf', v: b });
          }
        }
        batch.push(steps);
      }
      const ref = new JuteWriter(16);
      frames(ref, batch);
      frames(w, batch);
      expect(w.pending).toBe(true);
      const out = w.take();
      expect(joined(out).equals(ref.buf.subarray(0, ref.offset))).toBe(true);
      // Large arrays are handed over as they are (those past LONE_COPY_MAX can be in no batch copied whole).
      if (Array.isArray(out)) {
        const big = batch.flat().filter((s) => s.kind === 'buf' && s.v !== null && s.v.length > LONE_COPY_MAX);
        for (const s of big) expect(out).toContain(s.v);
      }
      w.release(rnd() < 0.5);
      expect(w.pending).toBe(false);
    }
  });

  test('arrays under ZERO_COPY_MIN are copied until the batch holds COPY_MAX bytes; the rest go as chunks', () => {
    const w = new ReplyWriter(1024);
    const size = ZERO_COPY_MIN - 1;
    const values = Array.from({ length: Math.ceil((2 * COPY_MAX) / size) }, (_, i) => Buffer.alloc(size, i));
    const batch: Step[][] = values.map((v, i) => [{ kind: 'int', v: i }, { kind: 'buf', v }]);
    const ref = new JuteWriter(16);
    frames(ref, batch);
    frames(w, batch);
    const out = w.take();
    expect(joined(out).equals(ref.buf.subarray(0, ref.offset))).toBe(true);
    expect(Array.isArray(out)).toBe(true);
    const chunks = out as Uint8Array[];
    const passed = values.filter((v) => chunks.includes(v));
    // Each frame: length, int, array length, array.
    const copied = Math.floor(COPY_MAX / (12 + size));
    expect(passed).toEqual(values.slice(copied));
    for (const c of chunks) if (!values.includes(c as Buffer)) expect(c.length).toBeLessThanOrEqual(COPY_MAX);
    w.release(true);
  });

  test('a large array in a batch that stays under LONE_COPY_MAX is copied; the next one goes as a chunk', () => {
    // Room for the copy: a buffer that grows mid-batch leaves its first part as a chunk of its own.
    const w = new ReplyWriter(64 * 1024);
    const a = Buffer.alloc(ZERO_COPY_MIN + 2000, 1);
    const b = Buffer.alloc(ZERO_COPY_MIN + 2000, 2);
    const ref = new JuteWriter(16);
    frames(ref, [[{ kind: 'int', v: 1 }, { kind: 'buf', v: a }]]);
    frames(w, [[{ kind: 'int', v: 1 }, { kind: 'buf', v: a }]]);
    let out = w.take();
    expect(Array.isArray(out)).toBe(false);
    expect(joined(out).equals(ref.buf.subarray(0, ref.offset))).toBe(true);
    w.release(true);
    const batch: Step[][] = [[{ kind: 'int', v: 1 }, { kind: 'buf', v: a }], [{ kind: 'int', v: 2 }, { kind: 'buf', v: b }]];
    const ref2 = new JuteWriter(16);
    frames(ref2, batch);
    frames(w, batch);
    out = w.take();
    expect(joined(out).equals(ref2.buf.subarray(0, ref2.offset))).toBe(true);
    expect(Array.isArray(out)).toBe(true);
    expect(out as Uint8Array[]).not.toContain(a);
    expect(out as Uint8Array[]).toContain(b);
    w.release(true);
  });

  test('release without reuse leaves the taken bytes alone', () => {
    const w = new ReplyWriter(64);
    let at = w.beginFrame();
    w.writeInt(1);
    w.endFrame(at);
    const first = w.take() as Buffer;
    const copy = Buffer.from(first);
    w.release(false);
    at = w.beginFrame();
    w.writeInt(2);
    w.endFrame(at);
    expect(first.equals(copy)).toBe(true);
    expect(Buffer.from(w.take() as Buffer).equals(Buffer.from([0, 0, 0, 4, 0, 0, 0, 2]))).toBe(true);
  });
});
