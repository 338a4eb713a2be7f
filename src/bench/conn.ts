import * as net from 'net';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { OpCode, Xid } from '../protocol/opCodes';

/** Largest reply frame accepted (Apache's default jute.maxbuffer is 1 MB; leave room). */
const MAX_FRAME = 64 * 1024 * 1024;
/** A reply's length prefix and ReplyHeader (xid, zxid, err). */
const REPLY_PREFIX = 20;
const READ_SIZE = 64 * 1024;
let readBuffer: Buffer | null = null;

export interface BenchConnectOptions {
  host: string;
  port: number;
  /** Requested session timeout, ms. */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * A lean pipelined ZooKeeper connection for load generation. Requests are encoded with the jute codec;
 * replies are decoded only as far as the reply header (xid, err): ZooKeeper answers a session's
 * requests in order, so the reply matches the oldest request in flight and its send time sits at the
 * head of a ring buffer — no per-request objects, promises or maps.
 */
export class BenchConnection {
  readonly socket: net.Socket;
  readonly writer = new JuteWriter(16 * 1024);
  sessionId = 0n;
  /** Negotiated session timeout. */
  timeOut = 0;
  closed = false;
  /** Replies whose xid was not the one expected (a server answering out of order). */
  xidMismatches = 0;
  /** Called for every reply: err is the reply header's error code, latencyMs since the send. */
  onReply: (err: number, latencyMs: number, now: number) => void = () => undefined;
  onClose: (e: Error) => void = () => undefined;

  /** The handshake's reply, while it arrives. */
  private rem: Buffer | null = null;
  /** The length prefix and reply header of a reply split between reads. */
  private readonly hdr = Buffer.alloc(REPLY_PREFIX);
  private hdrHave = 0;
  /** Bytes of the current reply's body not read yet. */
  private skip = 0;
  private handshakeDone: ((e: Error | null) => void) | null = null;
  private nextXid = 1;
  // FIFO of (xid, send time) for requests in flight.
  private ringXid = new Int32Array(256);
  private ringAt = new Float64Array(256);
  private head = 0;
  private count = 0;
  private frameStart = -1;
  /** cork() depth: while above 0, frames collect in `writer` and go out in one write at uncork(). */
  private corked = 0;
  private closeReplyWaiter: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('close', () => this.shut(new Error('connection closed')));
    socket.on('error', (e) => this.shut(e));
  }

  /** Opens a TCP connection and creates a session (ConnectRequest/ConnectResponse). */
  static connect(opts: BenchConnectOptions): Promise<BenchConnection> {
    return new Promise<BenchConnection>((resolve, reject) => {
      let c: BenchConnection | null = null;
      // Read into a buffer all connections of this thread share: a reply's header is all the generator
      // needs, so nothing of a read is kept and nothing is allocated per read.
      readBuffer ??= Buffer.allocUnsafe(READ_SIZE);
      const socket = net.connect({ host: opts.host, port: opts.port, onread: { buffer: readBuffer, callback: (n) => c!.onRead(readBuffer!, n) } });
      c = new BenchConnection(socket);
      let settled = false;
      const timer = setTimeout(() => finish(new Error(`connect to ${opts.host}:${opts.port} timed out`)), opts.connectTimeoutMs ?? 10_000);
      const finish = (e: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        c.handshakeDone = null;
        if (e === null) resolve(c);
        else {
          socket.destroy();
          reject(e);
        }
      };
      c.handshakeDone = finish;
      socket.once('connect', () => {
        const w = c.writer;
        w.reset();
        const at = w.beginFrame();
        R.ConnectRequest.write(w, {
          protocolVersion: 0,
          lastZxidSeen: 0n,
          timeOut: opts.sessionTimeoutMs ?? 30_000,
          sessionId: 0n,
          passwd: Buffer.alloc(16),
        });
        w.writeBool(false);
        w.endFrame(at);
        socket.write(w.toBuffer());
        w.reset();
      });
    });
  }

  /** Requests sent and not yet answered. */
  get inflight(): number {
    return this.count;
  }

  /** Starts a request frame in `writer`: length placeholder and request header. Returns the xid. */
  begin(type: number): number {
    const xid = type === OpCode.ping ? Xid.ping : this.nextXid++;
    const w = this.writer;
    this.frameStart = w.beginFrame();
    w.writeInt(xid);
    w.writeInt(type);
    return xid;
  }

  /** Finishes the frame begun with begin(), sends it (or, corked, leaves it for uncork) and notes its send time. */
  send(xid: number, now: number): void {
    const w = this.writer;
    w.endFrame(this.frameStart);
    this.push(xid, now);
    if (this.corked === 0) {
      this.socket.write(w.toBuffer());
      w.reset();
    }
  }

  /**
   * Collects the frames sent until uncork() and writes them as one buffer: one copy and one socket
   * write per batch rather than per request, so the generator's own cost stays small beside the server's.
   */
  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (--this.corked > 0) return;
    const w = this.writer;
    if (w.offset > 0 && !this.closed) this.socket.write(w.toBuffer());
    w.reset();
  }

  private push(xid: number, at: number): void {
    if (this.count === this.ringXid.length) {
      const n = this.count * 2;
      const x = new Int32Array(n);
      const a = new Float64Array(n);
      for (let i = 0; i < this.count; i++) {
        const j = (this.head + i) % this.count;
        x[i] = this.ringXid[j];
        a[i] = this.ringAt[j];
      }
      this.ringXid = x;
      this.ringAt = a;
      this.head = 0;
    }
    const cap = this.ringXid.length;
    const tail = (this.head + this.count) % cap;
    this.ringXid[tail] = xid;
    this.ringAt[tail] = at;
    this.count++;
  }

  /** A read of `n` bytes into `b`: replies are taken apart as they come, header by header. */
  private onRead(b: Buffer, n: number): boolean {
    const now = performance.now();
    this.cork();
    try {
      this.feed(b, 0, n, now);
    } finally {
      this.uncork();
    }
    return true;
  }

  private feed(b: Buffer, pos: number, end: number, now: number): void {
    while (pos < end && !this.closed) {
      if (this.skip > 0) {
        // The rest of a reply's body: the generator needs none of it.
        const k = Math.min(this.skip, end - pos);
        this.skip -= k;
        pos += k;
        continue;
      }
      if (this.handshakeDone !== null) {
        pos = this.feedHandshake(b, pos, end);
        continue;
      }
      let h = b;
      let at = pos;
      if (this.hdrHave === 0 && end - pos >= REPLY_PREFIX) {
        pos += REPLY_PREFIX;
      } else {
        // A reply header split between reads: gathered in `hdr`.
        const k = Math.min(REPLY_PREFIX - this.hdrHave, end - pos);
        b.copy(this.hdr, this.hdrHave, pos, pos + k);
        this.hdrHave += k;
        pos += k;
        if (this.hdrHave < REPLY_PREFIX) break;
        this.hdrHave = 0;
        h = this.hdr;
        at = 0;
      }
      const len = h.readInt32BE(at);
      if (len < 16 || len > MAX_FRAME) {
        this.socket.destroy(new Error(len < 16 ? `short reply frame (${len} bytes)` : `bad frame length ${len}`));
        return;
      }
      this.skip = len - 16;
      this.onReplyHeader(h.readInt32BE(at + 4), h.readInt32BE(at + 16), now);
    }
  }

  /** The ConnectResponse, whole, then whatever follows it. */
  private feedHandshake(b: Buffer, pos: number, end: number): number {
    const have = this.rem === null ? Buffer.from(b.subarray(pos, end)) : Buffer.concat([this.rem, b.subarray(pos, end)]);
    this.rem = null;
    if (have.length < 4 || have.length - 4 < have.readInt32BE(0)) {
      this.rem = have;
      return end;
    }
    const len = have.readInt32BE(0);
    try {
      const rsp = R.ConnectResponse.read(new JuteReader(have, 4, 4 + len, 0x7fffffff));
      if (rsp.timeOut <= 0) {
        this.handshakeDone!(new Error('session refused (ConnectResponse with timeout 0)'));
        return end;
      }
      this.sessionId = rsp.sessionId;
      this.timeOut = rsp.timeOut;
      this.handshakeDone!(null);
    } catch (e) {
      this.handshakeDone!(e as Error);
      return end;
    }
    if (4 + len < have.length) this.feed(have, 4 + len, have.length, performance.now());
    return end;
  }

  private onReplyHeader(xid: number, err: number, now: number): void {
    if (xid === Xid.notification) return;
    if (this.count === 0) {
      this.xidMismatches++;
      return;
    }
    const cap = this.ringXid.length;
    const expected = this.ringXid[this.head];
    const at = this.ringAt[this.head];
    this.head = (this.head + 1) % cap;
    this.count--;
    if (expected !== xid) this.xidMismatches++;
    if (this.closeReplyWaiter !== null && this.count === 0) {
      const w = this.closeReplyWaiter;
      this.closeReplyWaiter = null;
      w();
      return;
    }
    this.onReply(err, now - at, now);
  }

  private shut(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.handshakeDone?.(e);
    const w = this.closeReplyWaiter;
    this.closeReplyWaiter = null;
    w?.();
    this.onClose(e);
  }

  /**
   * Ends the session: sends closeSession once nothing is in flight, waits for its reply (at most
   * waitMs), then closes the socket.
   */
  async close(waitMs = 2000): Promise<void> {
    if (this.closed) return;
    this.onReply = () => undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.closeReplyWaiter = done;
      // The reply to closeSession is the last in the FIFO; anything still in flight is dropped.
      const xid = this.begin(OpCode.closeSession);
      this.send(xid, performance.now());
    });
    this.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
