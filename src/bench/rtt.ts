import * as net from 'net';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { BenchResult, runBench } from './runner';
import { readChunks } from '../server/socketReads';

/**
 * A tiny in-process echo server speaking ZooKeeper's framing: it answers the first frame with a
 * ConnectResponse and every later frame with a 16-byte reply header carrying the request's xid.
 * It does no work, so a client's round trip through it is the floor for single-client latency:
 * loopback TCP plus two event-loop turns.
 */
export class EchoServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  private constructor(server: net.Server) {
    this.server = server;
  }

  static start(host = '127.0.0.1'): Promise<EchoServer> {
    const server = net.createServer();
    const echo = new EchoServer(server);
    server.on('connection', (s) => echo.serve(s));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0 }, () => resolve(echo));
    });
  }

  get port(): number {
    const a = this.server.address();
    return a !== null && typeof a === 'object' ? a.port : 0;
  }

  private serve(s: net.Socket): void {
    this.sockets.add(s);
    s.setNoDelay(true);
    let handshake = true;
    let rem: Buffer | null = null;
    readChunks(s, (d: Buffer) => {
      const b = rem === null ? d : Buffer.concat([rem, d]);
      rem = null;
      let pos = 0;
      const out: Buffer[] = [];
      while (b.length - pos >= 4) {
        const len = b.readInt32BE(pos);
        if (len < 0 || len > 1 << 20) {
          s.destroy();
          return;
        }
        if (b.length - pos - 4 < len) break;
        if (handshake) {
          handshake = false;
          const w = new JuteWriter(64);
          const at = w.beginFrame();
          R.ConnectResponse.write(w, { protocolVersion: 0, timeOut: 30_000, sessionId: 1n, passwd: Buffer.alloc(16) });
          w.writeBool(false);
          w.endFrame(at);
          out.push(w.toBuffer());
        } else {
          const r = Buffer.allocUnsafe(20);
          r.writeInt32BE(16, 0);
          r.writeInt32BE(len >= 4 ? b.readInt32BE(pos + 4) : 0, 4); // xid
          r.writeInt32BE(0, 8); // zxid
          r.writeInt32BE(0, 12);
          r.writeInt32BE(0, 16); // err
          out.push(r);
        }
        pos += 4 + len;
      }
      if (pos < b.length) rem = Buffer.from(b.subarray(pos));
      if (out.length === 1) s.write(out[0]);
      else if (out.length > 1) s.write(Buffer.concat(out));
    });
    s.on('error', () => undefined);
    s.on('close', () => this.sockets.delete(s));
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface RttOptions {
  durationS: number;
  warmupS: number;
  /** 0: client in the main thread too; default: the client in a worker thread when available. */
  workers?: number;
  progress?: Parameters<typeof runBench>[0]['progress'];
  maxOps?: number;
}

/**
 * Loopback round trip: one session, one request in flight (pings), against the echo server. The
 * same client code as every other run, so the number is directly the floor under `--op ping`.
 */
export async function runRtt(o: RttOptions): Promise<BenchResult> {
  const echo = await EchoServer.start();
  try {
    return await runBench({
      host: '127.0.0.1',
      port: echo.port,
      sessions: 1,
      inflight: 1,
      op: 'ping',
      readRatio: 0,
      valueSize: 0,
      durationS: o.durationS,
      warmupS: o.warmupS,
      workers: o.workers,
      keys: 1,
      maxOps: o.maxOps ?? 10_000_000,
      progress: o.progress,
    });
  } finally {
    await echo.stop();
  }
}
