import * as net from 'net';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { FieldType } from '../jute/schema';
import { OpCode, Xid } from '../protocol/opCodes';

/** A frame the client received: a reply to one of its requests, or a watch event. */
export type Received =
  | { kind: 'reply'; xid: number; zxid: number; err: number; body: Buffer }
  | { kind: 'event'; type: number; state: number; path: string | null; zxid: number };

export interface ConnectOptions {
  host?: string;
  port: number;
  timeout?: number;
  sessionId?: bigint;
  passwd?: Buffer;
  lastZxidSeen?: bigint;
  /** false: send the readOnly byte as false (default); null: omit it, as pre-3.3 clients do. */
  readOnly?: boolean | null;
  connectTimeoutMs?: number;
}

export interface ConnectResult {
  protocolVersion: number;
  timeOut: number;
  sessionId: bigint;
  passwd: Buffer;
  /** Whether the response carried the trailing readOnly byte. */
  readOnly: boolean | null;
}

interface Pending {
  xid: number;
  type: number;
  resolve: (r: { xid: number; zxid: number; err: number; body: Buffer }) => void;
  reject: (e: Error) => void;
}

/**
 * A minimal pipelined ZooKeeper client speaking the wire protocol directly: the load generator and the
 * differential tests use it to send exactly the bytes they mean and to see every frame that comes back.
 */
export class RawClient {
  private readonly socket: net.Socket;
  private buf: Buffer | null = null;
  private readonly pending: Pending[] = [];
  private nextXid = 1;
  private connectWaiter: ((r: ConnectResult) => void) | null = null;
  private connectFail: ((e: Error) => void) | null = null;
  /** Strings go out as standard UTF-8, as non-Java clients send them. */
  private readonly writer = new JuteWriter(1024, true);
  /** Everything received after the handshake, in arrival order. */
  readonly received: Received[] = [];
  session: ConnectResult | null = null;
  closed = false;
  onEvent: ((e: Received & { kind: 'event' }) => void) | null = null;
  private closeWaiters: (() => void)[] = [];

  private constructor(socket: net.Socket, private readonly port: number) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.onClose(new Error(`connection closed by ${this.peer()}`)));
    socket.on('error', (e) => this.onClose(new Error(`${e.message} (${this.peer()})`)));
  }

  static async connect(opts: ConnectOptions): Promise<RawClient> {
    const socket = net.connect({ host: opts.host ?? '127.0.0.1', port: opts.port });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connect timeout')), opts.connectTimeoutMs ?? 5000);
      socket.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    const c = new RawClient(socket, opts.port);
    const w = new JuteWriter(64, true);
    const at = w.beginFrame();
    R.ConnectRequest.write(w, {
      protocolVersion: 0,
      lastZxidSeen: opts.lastZxidSeen ?? 0n,
      timeOut: opts.timeout ?? 30000,
      sessionId: opts.sessionId ?? 0n,
      passwd: opts.passwd ?? Buffer.alloc(16),
    });
    if (opts.readOnly !== null) w.writeBool(opts.readOnly ?? false);
    w.endFrame(at);
    const res = new Promise<ConnectResult>((resolve, reject) => {
      c.connectWaiter = resolve;
      c.connectFail = reject;
    });
    socket.write(w.toBuffer());
    c.session = await res;
    return c;
  }

  /** The client's own port (what the server lists this connection under), while connected. */
  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  /** Raw bytes onto the socket (malformed-input tests). */
  writeRaw(b: Buffer): void {
    this.socket.write(b);
  }

  private onData(d: Buffer): void {
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    let pos = 0;
    const b = this.buf;
    while (b.length - pos >= 4) {
      const len = b.readInt32BE(pos);
      if (b.length - pos - 4 < len) break;
      const frame = b.subarray(pos + 4, pos + 4 + len);
      pos += 4 + len;
      this.onFrame(frame);
    }
    this.buf = pos >= b.length ? null : b.subarray(pos);
  }

  private onFrame(frame: Buffer): void {
    if (this.connectWaiter !== null) {
      const r = new JuteReader(frame, 0, frame.length, 0x7fffffff);
      const rsp = R.ConnectResponse.read(r);
      const readOnly = r.remaining > 0 ? r.readBool() : null;
      const w = this.connectWaiter;
      this.connectWaiter = null;
      this.connectFail = null;
      w({ ...rsp, passwd: Buffer.from(rsp.passwd ?? Buffer.alloc(0)), readOnly });
      return;
    }
    const r = new JuteReader(frame, 0, frame.length, 0x7fffffff);
    const hdr = R.ReplyHeader.read(r);
    if (hdr.xid === Xid.notification) {
      const ev = R.WatcherEvent.read(r);
      const e = { kind: 'event' as const, type: ev.type, state: ev.state, path: ev.path, zxid: hdr.zxid };
      this.received.push(e);
      this.onEvent?.(e);
      return;
    }
    const body = Buffer.from(frame.subarray(r.offset));
    this.received.push({ kind: 'reply', xid: hdr.xid, zxid: hdr.zxid, err: hdr.err, body });
    const i = this.pending.findIndex((p) => p.xid === hdr.xid);
    if (i >= 0) {
      const [p] = this.pending.splice(i, 1);
      p.resolve({ xid: hdr.xid, zxid: hdr.zxid, err: hdr.err, body });
    }
  }

  private peer(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? this.port}`;
  }

  private onClose(e: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.connectFail?.(new Error(`${e.message} before the connect response`));
    for (const p of this.pending.splice(0)) p.reject(new Error(`${e.message} with no reply to xid ${p.xid} (type ${p.type})`));
    for (const w of this.closeWaiters.splice(0)) w();
  }

  /** Resolves once the server has closed the connection. */
  waitClosed(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  /** Sends a request and resolves with its reply (header fields and the undecoded body). */
  request<T>(type: number, recordType: FieldType<T> | null, value: T | null, xid?: number): Promise<{ xid: number; zxid: number; err: number; body: Buffer }> {
    const x = xid ?? this.nextXid++;
    const w = this.writer;
    w.reset();
    const at = w.beginFrame();
    w.writeInt(x);
    w.writeInt(type);
    if (recordType !== null) recordType.write(w, value as T);
    w.endFrame(at);
    return this.sendFrame(x, w.toBuffer(), type);
  }

  /** Sends a prepared frame (length prefix included) and waits for the reply with this xid. */
  sendFrame(xid: number, frame: Buffer, type = -1): Promise<{ xid: number; zxid: number; err: number; body: Buffer }> {
    if (this.closed) return Promise.reject(new Error(`connection to port ${this.port} already closed (xid ${xid}, type ${type})`));
    const p = new Promise<{ xid: number; zxid: number; err: number; body: Buffer }>((resolve, reject) => {
      this.pending.push({ xid, type, resolve, reject });
    });
    this.socket.write(frame);
    return p;
  }

  ping(): Promise<{ xid: number; zxid: number; err: number; body: Buffer }> {
    return this.request(OpCode.ping, null, null, Xid.ping);
  }

  /** Sends closeSession and waits for its reply. */
  async closeSession(): Promise<number> {
    const r = await this.request(OpCode.closeSession, null, null);
    this.destroy();
    return r.err;
  }

  /** Drops the connection without closing the session. */
  destroy(): void {
    this.socket.destroy();
  }
}

/** Decodes a reply body with a record type (null for an empty body). */
export function decodeBody<T>(type: FieldType<T>, body: Buffer): T {
  return type.read(new JuteReader(body, 0, body.length, 0x7fffffff));
}
