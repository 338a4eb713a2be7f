import * as fs from 'fs';
import { Adler32 } from './adler32';
import { CorruptDataError } from './corruptDataError';

/** How much a refill reads (more when one record is longer). */
const WINDOW_BYTES = 4 << 20;

/**
 * A file read front to back a window at a time, so neither a whole snapshot nor a log's preallocated zero
 * tail has to be in memory. `ensure(from, end)` makes the file's bytes [from, end) available at
 * buf[from - base]; `from` never goes back. With `reuse`, one buffer serves every refill (bytes must be
 * copied out before the next ensure); without it each refill is a new buffer, so views of earlier ones
 * stay valid. With `sum`, the Adler-32 of the bytes the window moves past is kept (checksumTo).
 */
export class FileWindow {
  buf = Buffer.alloc(0);
  /** The file offset of buf[0]. */
  base = 0;
  /** How many bytes of buf hold the file. */
  private held = 0;
  readonly size: number;
  private readonly fd: number;
  /** The checksum covers the file up to here. */
  private summed = 0;

  constructor(
    private readonly file: string,
    private readonly reuse: boolean,
    private readonly sum: Adler32 | null = null,
  ) {
    this.fd = fs.openSync(file, 'r');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** False if the file ends before `end` (the window is left as it was). */
  ensure(from: number, end: number): boolean {
    if (end <= this.base + this.held) return true;
    if (end > this.size) return false;
    const drop = from - this.base;
    if (this.sum !== null) {
      this.sum.update(this.buf, this.summed - this.base, drop);
      this.summed = from;
    }
    const kept = this.held - drop;
    const want = Math.min(this.size - from, Math.max(end - from, WINDOW_BYTES));
    if (!this.reuse || want > this.buf.length) {
      const next = Buffer.allocUnsafe(want);
      if (kept > 0) this.buf.copy(next, 0, drop, this.held);
      this.buf = next;
    } else if (kept > 0 && drop > 0) {
      this.buf.copyWithin(0, drop, this.held);
    }
    this.base = from;
    this.held = kept;
    while (this.held < want) {
      const n = fs.readSync(this.fd, this.buf, this.held, want - this.held, from + this.held);
      if (n === 0) throw new CorruptDataError(`${this.file} shrank while it was read (${this.size} bytes expected)`);
      this.held += n;
    }
    return true;
  }

  /** The Adler-32 of the file's first `end` bytes, which must be in the window (needs `sum`). */
  checksumTo(end: number): number {
    this.sum!.update(this.buf, this.summed - this.base, end - this.base);
    this.summed = end;
    return this.sum!.value;
  }

  /** Whether everything from `pos` to the end of the file is zero (reads it all: only on odd endings). */
  zeroFrom(pos: number): boolean {
    const chunk = Buffer.allocUnsafe(Math.min(WINDOW_BYTES, Math.max(0, this.size - pos)));
    for (let at = pos; at < this.size; ) {
      const n = fs.readSync(this.fd, chunk, 0, Math.min(chunk.length, this.size - at), at);
      if (n === 0) break;
      for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
      at += n;
    }
    return true;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}
