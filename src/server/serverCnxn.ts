import * as net from 'net';
import { JuteError } from '../jute/errors';
import { ACL, Id } from '../jute/records';
import { KeeperState, Perms } from '../protocol/enums';
import { OpCode, Xid } from '../protocol/opCodes';
import { ReplyWriter } from '../protocol/replyWriter';
import { Deque } from '../util/deque';
import { Watcher } from '../tree/watchManager';
import { ReplyBody } from './finalRequestProcessor';
import { Request } from './request';
import { DigestMd5Server } from '../auth/digestMd5';
import { ownBytes, readChunks } from './socketReads';
import type { ZooKeeperServer } from './zooKeeperServer';

/** Pause reading from a client whose replies pile up unsent (a slow reader). */
const MAX_PENDING_OUTPUT = 8 * 1024 * 1024;

/**
 * Frames one connection hands in before the others get a turn. A chunk can hold hundreds of pipelined
 * requests; taken whole, the first connections read fill globalOutstandingLimit and the rest wait a
 * whole round. Apache's selector reads one request per connection in turn.
 */
const FRAMES_PER_TURN = 32;

/**
 * Whole frames a turn takes past FRAMES_PER_TURN when they end the chunk in hand (what one socket read
 * returned, about one write of the client's). A pipelining client sends a burst for each batch of
 * replies; a turn that stopped a few frames short of a burst's end would leave them a round behind the
 * rest, and with 100 in flight and turns of 32 that was the last 4 of every 32 requests (the p99).
 */
const TAIL_FRAMES = 8;

/** Unread bytes a connection queued for its turn holds before its socket is paused. */
const READ_AHEAD = 256 * 1024;

let nextCnxnId = 1;

/**
 * One client connection (NIOServerCnxn): splits the byte stream into length-prefixed frames, hands the
 * first one to the handshake and the rest to the server as requests, and batches everything written
 * to the client in one socket write per event-loop turn. It is also the Watcher for its session.
 */
export class ServerCnxn implements Watcher {
  readonly id = nextCnxnId++;
  readonly socket: net.Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly authInfo: Id[];
  sessionId = 0n;
  sessionTimeout = 0;
  /** The SASL exchange of this connection, once the client starts one. */
  saslServer: DigestMd5Server | null = null;
  /** True once the ConnectRequest has been read. */
  initialized = false;
  /** True while the handshake is in progress; frames wait. */
  private recvDisabled = false;
  /** Reading paused because the server has globalOutstandingLimit requests in flight. */
  throttled = false;
  /** The client sent a ConnectRequest without the trailing readOnly byte. */
  isOldClient = true;
  closed = false;
  private closing = false;
  private leftover: Buffer | null = null;
  /** Chunks that arrived after `leftover`, not read yet, and the bytes a frame still arriving needs from the start of `leftover`. */
  private readonly pending = new Deque<Buffer>();
  private pendingLength = 0;
  private needed = 0;
  private readonly out = new ReplyWriter(1024);
  private flushScheduled = false;
  /** Inside readFrames, which flushes when it is done. */
  private reading = false;
  /** The rest of `leftover` is read in a later turn of the event loop (after the handshake). */
  private readScheduled = false;
  /** The socket is paused because this connection, queued for its turn, has READ_AHEAD bytes unread. */
  private readAheadPaused = false;
  /** Frames left of a turn the outstanding limit cut short. */
  private turnLeft = 0;
  /** Requests submitted and not yet answered. */
  outstanding = 0;
  readonly established = Date.now();
  lastZxid = -1;
  lastCxid = -1;
  lastOp = 'NA';
  packetsReceived = 0;
  packetsSent = 0;
  minLatency = Number.MAX_SAFE_INTEGER;
  maxLatency = 0;
  totalLatency = 0;
  lastLatency = 0;
  lastResponseTime = 0;

  constructor(
    private readonly zks: ZooKeeperServer,
    socket: net.Socket,
  ) {
    this.socket = socket;
    const addr = socket.remoteAddress ?? '0.0.0.0';
    this.remoteAddress = addr.startsWith('::ffff:') ? addr.substring(7) : addr;
    this.remotePort = socket.remotePort ?? 0;
    this.authInfo = [{ scheme: 'ip', id: this.remoteAddress }];
    socket.setNoDelay(true);
    readChunks(socket, (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    socket.on('close', () => this.close('client closed the connection'));
    socket.on('drain', () => {
      // Paused for the replies piling up (flush); a read-ahead pause lasts until this connection's turn.
      if (!this.readAheadPaused && !this.closed) socket.resume();
    });
  }

  // ---- input

  private onData(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    if (this.leftover === null) {
      this.leftover = chunk;
    } else {
      // Behind the bytes not read yet; copied only if a frame straddles the boundary.
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
    }
    if (this.throttled) {
      // Queued for a turn: read ahead, so that the turn has frames at hand, but only so far.
      if (this.leftover.length + this.pendingLength > READ_AHEAD && !this.readAheadPaused) {
        this.readAheadPaused = true;
        this.socket.pause();
      }
      return;
    }
    // A large frame still arriving, or frames waiting for a later turn: nothing to do yet.
    if (this.readScheduled || this.leftover.length + this.pendingLength < this.needed) return;
    this.readFrames();
  }

  /**
   * The first `need` bytes of `buf[pos..]` and the chunks behind it, in a buffer of their own: a copy of
   * just those bytes (the frame that straddles the chunks, or its length). What is left of the last chunk
   * used goes back in front of the queue uncopied; copying it along would copy most of what is read twice
   * at high load, where nearly every read ends inside a frame. The caller has checked that the bytes are
   * there; `need` Infinity takes everything queued.
   */
  private join(buf: Buffer, pos: number, need: number): Buffer {
    if (need === Infinity) {
      const parts = [buf.subarray(pos), ...this.pending];
      this.pending.clear();
      this.pendingLength = 0;
      return Buffer.concat(parts);
    }
    const out = Buffer.allocUnsafe(need);
    let have = buf.copy(out, 0, pos);
    while (have < need) {
      const c = this.pending.shift()!;
      this.pendingLength -= c.length;
      const take = Math.min(c.length, need - have);
      c.copy(out, have, 0, take);
      have += take;
      if (take < c.length) {
        this.pending.unshift(c.subarray(take));
        this.pendingLength += c.length - take;
      }
    }
    return out;
  }

  private readFrames(): void {
    this.reading = true;
    try {
      this.takeFrames();
    } finally {
      this.reading = false;
      // Replies to the reads just served go with this turn's batch rather than a setImmediate later (what
      // a lone client waits for). Replies that wait for an fsync go when it is done.
      if (this.out.pending && !this.closed) this.flush();
    }
  }

  private takeFrames(): void {
    if (this.leftover === null) return;
    let buf: Buffer = this.leftover;
    let pos = 0;
    const max = this.zks.config.juteMaxBuffer;
    this.needed = 0;
    let budget = this.turnLeft > 0 ? this.turnLeft : FRAMES_PER_TURN;
    let tailTaken = false;
    this.turnLeft = 0;
    try {
      while (!this.recvDisabled && !this.throttled && !this.closed && !this.closing) {
        const avail: number = buf.length - pos;
        if (avail < 4) {
          if (avail + this.pendingLength < 4) break;
          buf = this.leftover = avail === 0 ? this.takePending() : this.join(buf, pos, 4);
          pos = 0;
          continue;
        }
        const len = buf.readInt32BE(pos);
        if (!this.initialized && this.packetsReceived === 0 && this.zks.isFourLetterWord(len)) {
          this.leftover = null;
          // stmk is followed by an 8-byte trace mask; the rest of what arrived goes along.
          const rest = this.pendingLength > 0 ? this.join(buf, pos + 4, Infinity) : buf.subarray(pos + 4);
          this.zks.runFourLetterWord(this, buf.toString('latin1', pos, pos + 4), rest);
          return;
        }
        if (len < 0 || len > max) {
          this.zks.log.warn(`Closing connection from ${this.remoteAddress}:${this.remotePort}: packet length ${len} is out of range (jute.maxbuffer ${max})`);
          this.close('len error');
          return;
        }
        if (avail - 4 < len) {
          if (avail + this.pendingLength < 4 + len) {
            this.needed = 4 + len;
            break;
          }
          buf = this.leftover = this.join(buf, pos, 4 + len);
          pos = 0;
          continue;
        }
        if (budget === 0 && !tailTaken) {
          budget = this.tailFrames(buf, pos);
          tailTaken = true;
        }
        // Turn over, or no slot for this connection now (the limit, or others queued first): its frames
        // wait for its next turn. A turn the limit cut short is finished first when slots free.
        if (budget-- === 0 || !this.zks.admits(this)) {
          if (budget >= 0) this.turnLeft = budget + 1;
          this.zks.enqueue(this, budget < 0);
          break;
        }
        const start = pos + 4;
        pos = start + len;
        this.packetsReceived++;
        this.zks.stats.packetsReceived++;
        this.zks.framesBehind = pos < buf.length || this.pendingLength > 0;
        if (!this.initialized) {
          this.initialized = true;
          this.zks.processConnectRequest(this, buf.subarray(start, pos));
        } else {
          this.zks.processPacket(this, buf, start, pos);
        }
      }
    } catch (e) {
      if (e instanceof JuteError || e instanceof RangeError) {
        this.zks.log.warn(`Closing connection from ${this.remoteAddress}:${this.remotePort}: malformed packet: ${e.message}`);
        this.close('malformed packet');
        return;
      }
      throw e;
    }
    if (this.closed || this.leftover !== buf) return;
    // What is left of this buffer, else the next chunk: `leftover` is null only when nothing is pending.
    this.leftover = pos < buf.length ? ownBytes(buf.subarray(pos)) : this.pendingLength > 0 ? this.takePending() : null;
  }

  /** How many whole frames end the chunk in hand after `pos`, if at most TAIL_FRAMES; else 0. */
  private tailFrames(buf: Buffer, pos: number): number {
    let n = 0;
    for (; pos + 4 <= buf.length; n++) {
      const len = buf.readInt32BE(pos);
      if (n === TAIL_FRAMES || len < 0 || buf.length - pos - 4 < len) return 0;
      pos += 4 + len;
    }
    return pos === buf.length ? n : 0;
  }

  private takePending(): Buffer {
    const c = this.pending.shift()!;
    this.pendingLength -= c.length;
    return c;
  }

  private scheduleRead(): void {
    if (this.readScheduled) return;
    this.readScheduled = true;
    setImmediate(this.readLater);
  }

  // The callbacks of scheduleRead and scheduleFlush, made once: a function that makes an arrow function
  // capturing `this` allocates a context on every call, even when it returns before making it.
  private readonly readLater = (): void => {
    this.readScheduled = false;
    this.readFrames();
  };

  private readonly flushLater = (): void => this.flush();

  /** Queued for a turn (ZooKeeperServer.enqueue): no frames are read until then. */
  throttle(): void {
    this.throttled = true;
  }

  /** This connection's turn from the queue: reads what it holds; readFrames queues it again if more must wait. */
  takeTurn(): void {
    this.throttled = false;
    if (this.closed) return;
    if (this.readAheadPaused) {
      this.readAheadPaused = false;
      // Not while a slow reader's replies pile up: 'drain' resumes it then.
      if (this.socket.writableLength <= MAX_PENDING_OUTPUT) this.socket.resume();
    }
    this.readFrames();
  }

  /** Stops reading frames until enableRecv (while a session is being set up). */
  disableRecv(): void {
    this.recvDisabled = true;
  }

  enableRecv(): void {
    if (!this.recvDisabled) return;
    this.recvDisabled = false;
    if (this.leftover !== null) this.scheduleRead();
  }

  // ---- output

  sendResponse(xid: number, zxid: number, err: number, body: ReplyBody | null): void {
    if (this.closed) return;
    const w = this.out;
    const at = w.beginFrame();
    w.writeInt(xid);
    w.writeLong53(zxid);
    w.writeInt(err);
    if (body !== null) body.type.write(w, body.value);
    w.endFrame(at);
    this.packetsSent++;
    this.zks.stats.packetsSent++;
    this.scheduleFlush();
  }

  /** Writes an already-encoded frame body (handshake replies). */
  sendFrame(payload: Buffer): void {
    if (this.closed) return;
    this.packetsSent++;
    this.zks.stats.packetsSent++;
    const at = this.out.beginFrame();
    this.out.writeRaw(payload);
    this.out.endFrame(at);
    this.scheduleFlush();
  }

  /**
   * A watch event (Watcher.process): xid -1, zxid -1, then WatcherEvent. With the znode's ACL, the event
   * is dropped unless this connection may READ the znode (NIOServerCnxn.process, CVE-2024-23944).
   */
  process(type: number, path: string, acl?: ACL[] | null): void {
    if (this.closed) return;
    if (acl != null && acl.length > 0 && !this.zks.auth.allows(acl, Perms.READ, this.authInfo)) return;
    const w = this.out;
    const at = w.beginFrame();
    w.writeInt(Xid.notification);
    w.writeLong53(-1);
    w.writeInt(0);
    w.writeInt(type);
    w.writeInt(KeeperState.SyncConnected);
    w.writeString(path);
    w.endFrame(at);
    this.packetsSent++;
    this.zks.stats.packetsSent++;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    // While frames are being read, readFrames sends what they produce when it is done.
    if (this.flushScheduled || this.reading) return;
    this.flushScheduled = true;
    const batch = this.zks.replyBatch;
    if (batch !== null) batch.push(this);
    else setImmediate(this.flushLater);
  }

  flush(): void {
    this.flushScheduled = false;
    const w = this.out;
    if (this.closed || !w.pending) return;
    const data = w.take();
    let ok: boolean;
    if (!Array.isArray(data)) ok = this.socket.write(data);
    else {
      // Large znode data went in as chunks of its own: one writev for the batch, no copy. The znode's
      // bytes stay as they are until the socket is done with them (the callback; also on an error).
      const viewsDone = w.takeViews();
      this.socket.cork();
      const last = data.length - 1;
      for (let i = 0; i < last; i++) this.socket.write(data[i]);
      if (viewsDone !== null) this.socket.write(data[last], viewsDone);
      else this.socket.write(data[last]);
      this.socket.uncork();
      ok = !this.socket.writableNeedDrain;
    }
    // Written to the kernel at once (the usual case), the socket holds no reference to the bytes and
    // the buffer serves the next batch; otherwise it stays with the socket and a fresh one starts.
    const pendingBytes = this.socket.writableLength;
    w.release(pendingBytes === 0);
    if (!ok && pendingBytes > MAX_PENDING_OUTPUT) this.socket.pause();
  }

  /** Sends what is queued, then closes (closeSession replies, refused handshakes, 4lw output). */
  closeAfterFlush(reason: string): void {
    if (this.closed || this.closing) return;
    this.closing = true;
    setImmediate(() => {
      this.flush();
      this.socket.end(() => this.close(reason));
      // A client that never reads must not keep the socket open.
      setTimeout(() => this.close(reason), 1000).unref();
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.out.discard();
    this.leftover = null;
    this.pending.clear();
    this.pendingLength = 0;
    this.socket.destroy();
    this.zks.removeCnxn(this, reason);
  }

  requestFinished(request: Request, zxid: number): void {
    this.outstanding--;
    const now = Date.now();
    this.zks.requestFinished(request, now);
    const latency = now - request.startTime;
    this.lastZxid = zxid;
    this.lastCxid = request.cxid;
    this.lastOp = opShortName(request.type);
    this.lastLatency = latency;
    this.lastResponseTime = now;
    this.totalLatency += latency;
    if (latency < this.minLatency) this.minLatency = latency;
    if (latency > this.maxLatency) this.maxLatency = latency;
  }

  /** This connection's one request in the server is all it has sent: nothing else read, nothing buffered. */
  soleRequest(): boolean {
    return this.outstanding === 1 && this.leftover === null;
  }

  get interestOps(): number {
    return this.recvDisabled ? 0 : 1;
  }
}

/** The short names Apache prints for a connection's last operation (cons). */
export function opShortName(type: number): string {
  switch (type) {
    case OpCode.ping:
      return 'PING';
    case OpCode.createSession:
      return 'SESS';
    case OpCode.multi:
      return 'MULT';
    case OpCode.multiRead:
      return 'MLTR';
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return 'CREA';
    case OpCode.delete:
    case OpCode.deleteContainer:
      return 'DELE';
    case OpCode.setData:
      return 'SETD';
    case OpCode.setACL:
      return 'SETA';
    case OpCode.closeSession:
      return 'CLOS';
    case OpCode.sync:
      return 'SYNC';
    case OpCode.check:
      return 'CHEC';
    case OpCode.exists:
      return 'EXIS';
    case OpCode.getData:
      return 'GETD';
    case OpCode.setWatches:
      return 'SETW';
    case OpCode.setWatches2:
      return 'STW2';
    case OpCode.addWatch:
      return 'ADDW';
    case OpCode.getACL:
      return 'GETA';
    case OpCode.getChildren:
    case OpCode.getChildren2:
      return 'GETC';
    case OpCode.getAllChildrenNumber:
      return 'GETACN';
    case OpCode.checkWatches:
      return 'CHKW';
    case OpCode.removeWatches:
      return 'REMW';
    case OpCode.whoAmI:
      return 'HOMI';
    case OpCode.getEphemerals:
      return 'GETE';
    default:
      return 'NA';
  }
}
