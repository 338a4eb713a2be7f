import { JuteWriter } from '../jute/writer';

/**
 * Byte arrays at least this long go out as their own chunk instead of being copied, as do those that would
 * take the batch past COPY_MAX. Copying is the cheaper way for short values: one contiguous write, no
 * per-chunk cost in the socket's stream. From 8 KB the copy costs more than the chunk where batches are
 * large: 10 KB values, 6 alternating runs, server CPU per read at 32 clients x 100 in flight 6.1 -> 5.1 µs
 * (ops/s +21 %, higher in each pair). With one reply a write (32 x 1) copying is as cheap or a little
 * cheaper (~8 % in one set of 8 alternating runs, equal in another), within the runs' spread. A batch of
 * large values copied would need megabyte buffers, allocated afresh whenever the socket keeps one: once a
 * batch holds COPY_MAX bytes, the rest go as chunks.
 */
export const ZERO_COPY_MIN = 8 * 1024;
export const COPY_MAX = 512 * 1024;
/**
 * A batch that stays this small is copied whole, whatever the sizes of its arrays: a reply alone in its
 * write (a client with one request in flight) goes out as one buffer, cheaper than a corked write of three
 * chunks (get 10 KB at 32 x 1, 8 alternating pairs, 7 lower: server CPU per read 17.6 -> 14.7 µs, medians;
 * at 32 x 100 the same or lower, where only a batch's first value is copied).
 */
export const LONE_COPY_MAX = 16 * 1024 + 64;

/** Batches, in every ReplyWriter of the process, holding uncopied byte arrays that are not written yet. */
let liveViewBatches = 0;

/**
 * Whether some reply still holds an uncopied byte array (a view of a znode's data) that the socket has
 * not written: until it has, the bytes behind it must stay as they are (NodeStore.viewsLive).
 */
export function replyViewsLive(): boolean {
  return liveViewBatches > 0;
}

/**
 * A connection's output: frames written as by JuteWriter, except that a large byte array (a znode's
 * data) is not copied but kept as a chunk of its own, between the pieces of the buffer around it, and
 * the whole batch goes to the socket in one writev. The caller must not change such an array until the
 * batch is written (znode data views never change: record pages are not overwritten).
 *
 * The buffer never grows by copying: a full one is kept as a chunk and a fresh one started, so a frame
 * may span buffers; `endFrame` patches the length where `beginFrame` left room for it.
 */
export class ReplyWriter extends JuteWriter {
  private chunks: Uint8Array[] = [];
  /** Where in `buf` the bytes not yet in `chunks` begin. */
  private chunkStart = 0;
  /** Bytes written before `buf[0]`: logical position = base + offset. */
  private base = 0;
  private frameBuf: Buffer;
  private frameAt = 0;
  /** The batch being written holds an uncopied array (counted in liveViewBatches). */
  private batchHasViews = false;

  constructor(initialSize = 1024) {
    super(initialSize);
    this.frameBuf = this.buf;
  }

  /** Anything written and not yet taken? */
  get pending(): boolean {
    return this.offset > 0 || this.chunks.length > 0;
  }

  override ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    if (this.offset > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.offset));
    this.base += this.offset;
    let size = this.buf.length * 2;
    while (size < n) size *= 2;
    this.buf = Buffer.allocUnsafe(size);
    this.offset = 0;
    this.chunkStart = 0;
  }

  override writeBuffer(b: Uint8Array | null): void {
    if (b === null || this.copies(b.length)) super.writeBuffer(b);
    else this.passThrough(b);
  }

  override writeBufferRange(src: Uint8Array, start: number, end: number): void {
    if (this.copies(end - start)) super.writeBufferRange(src, start, end);
    else this.passThrough(src.subarray(start, end));
  }

  private copies(n: number): boolean {
    const end = this.base + this.offset + 4 + n;
    return (n < ZERO_COPY_MIN && end <= COPY_MAX) || end <= LONE_COPY_MAX;
  }

  /** A length, then `b` as a chunk of its own. */
  private passThrough(b: Uint8Array): void {
    this.writeInt(b.length);
    if (!this.batchHasViews) {
      this.batchHasViews = true;
      liveViewBatches++;
    }
    this.chunks.push(this.buf.subarray(this.chunkStart, this.offset), b);
    this.chunkStart = this.offset;
    this.base += b.length;
  }

  override beginFrame(): number {
    this.ensure(4);
    this.frameBuf = this.buf;
    this.frameAt = this.offset;
    this.offset += 4;
    return this.base + this.frameAt;
  }

  override endFrame(at: number): void {
    this.frameBuf.writeInt32BE(this.base + this.offset - at - 4, this.frameAt);
  }

  /**
   * What was written since the last take: one buffer, or the chunks of a writev. The bytes stay in
   * place until `release`.
   */
  /**
   * After a take: whether the batch taken holds uncopied arrays, and if so, the function to call once the
   * socket has written it (or dropped it); the next batch starts uncounted.
   */
  takeViews(): (() => void) | null {
    if (!this.batchHasViews) return null;
    this.batchHasViews = false;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      liveViewBatches--;
    };
  }

  /** The connection is gone: the batch not taken will never be written. */
  discard(): void {
    if (this.batchHasViews) {
      this.batchHasViews = false;
      liveViewBatches--;
    }
    this.chunks.length = 0;
  }

  take(): Buffer | Uint8Array[] {
    if (this.chunks.length === 0) return this.buf.subarray(0, this.offset);
    if (this.offset > this.chunkStart) this.chunks.push(this.buf.subarray(this.chunkStart, this.offset));
    const chunks = this.chunks;
    this.chunks = [];
    return chunks;
  }

  /**
   * Starts the next batch after a take. `reuse`: the taken bytes are no longer referenced (the socket
   * wrote them at once), so the buffer can be written over; otherwise a fresh one is started.
   */
  release(reuse: boolean): void {
    // A buffer that grew for one large reply is not kept.
    if (this.buf.length > 1024 * 1024) this.buf = Buffer.allocUnsafe(1024);
    else if (!reuse) this.buf = Buffer.allocUnsafe(this.buf.length);
    this.chunks.length = 0;
    this.chunkStart = 0;
    this.base = 0;
    this.offset = 0;
    this.frameBuf = this.buf;
  }

  override reset(): void {
    this.release(true);
  }

  override toBuffer(): Buffer {
    throw new Error('ReplyWriter output is taken with take()');
  }
}
