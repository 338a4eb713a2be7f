import * as net from 'net';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { OpCode, Xid } from '../protocol/opCodes';

/** Largest reply frame accepted (Apache's default jute.maxbuffer is 1 MB; leave room). */
const MAX_FRAME = 64 * 1024 * 1024;

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

  private rem: Buffer | null = null;
  private handshakeDone: ((e: Error | null) => void) | null = null;
  private nextXid = 1;
  // FIFO of (xid, send time) for requests in flight.
  private ringXid = new Int32Array(256);
  private ringAt = new Float64Array(256);
  private head = 0;
  private count = 0;
  private frameStart = -1;
  private closeReplyWaiter: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.shut(new Error('connection closed')));
    socket.on('error', (e) => this.shut(e));
  }

  /** Opens a TCP connection and creates a session (ConnectRequest/ConnectResponse). */
  static connect(opts: BenchConnectOptions): Promise<BenchConnection> {
    return new Promise<BenchConnection>((resolve, reject) => {
      const socket = net.connect({ host: opts.host, port: opts.port });
      const c = new BenchConnection(socket);
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
    w.reset();
    this.frameStart = w.beginFrame();
    w.writeInt(xid);
    w.writeInt(type);
    return xid;
  }

  /** Finishes the frame begun with begin(), sends it and notes its send time. */
  send(xid: number, now: number): void {
    const w = this.writer;
    w.endFrame(this.frameStart);
    this.push(xid, now);
    this.socket.write(w.toBuffer());
  }

  /** Coalesces the writes issued until uncork() into one syscall. */
  cork(): void {
    this.socket.cork();
  }

  uncork(): void {
    this.socket.uncork();
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

  private onData(d: Buffer): void {
    let b = d;
    if (this.rem !== null) {
      b = Buffer.concat([this.rem, d]);
      this.rem = null;
    }
    const now = performance.now();
    let pos = 0;
    this.socket.cork();
    try {
      while (b.length - pos >= 4) {
        const len = b.readInt32BE(pos);
        if (len < 0 || len > MAX_FRAME) {
          this.socket.destroy(new Error(`bad frame length ${len}`));
          return;
        }
        if (b.length - pos - 4 < len) break;
        this.onFrame(b, pos + 4, len, now);
        pos += 4 + len;
        if (this.closed) return;
      }
    } finally {
      this.socket.uncork();
    }
    if (pos < b.length) this.rem = pos === 0 ? b : Buffer.from(b.subarray(pos));
  }

  private onFrame(b: Buffer, off: number, len: number, now: number): void {
    if (this.handshakeDone !== null) {
      try {
        const r = new JuteReader(b, off, off + len, 0x7fffffff);
        const rsp = R.ConnectResponse.read(r);
        if (rsp.timeOut <= 0) {
          this.handshakeDone(new Error('session refused (ConnectResponse with timeout 0)'));
          return;
        }
        this.sessionId = rsp.sessionId;
        this.timeOut = rsp.timeOut;
        this.handshakeDone(null);
      } catch (e) {
        this.handshakeDone(e as Error);
      }
      return;
    }
    if (len < 16) {
      this.socket.destroy(new Error(`short reply frame (${len} bytes)`));
      return;
    }
    const xid = b.readInt32BE(off);
    if (xid === Xid.notification) return;
    const err = b.readInt32BE(off + 12);
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
