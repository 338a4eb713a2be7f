/**
 * The load generator's connection takes replies apart header by header as bytes arrive: a server that
 * sends its replies in pieces of every size (splitting the length prefix, the header and the body, and
 * joining the ends of replies with the starts of the next) is read exactly as one sending whole frames.
 */
import * as net from 'net';
import { BenchConnection } from '../../src/bench/conn';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';

/** Answers the handshake, then every request with its xid, err = xid % 7 and `bodyOf(xid)` bytes, written in pieces. */
async function choppyServer(piece: () => number, bodyOf: (xid: number) => number): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    let rem = Buffer.alloc(0);
    let handshake = true;
    const out: Buffer[] = [];
    let writing = false;
    const pump = (): void => {
      if (writing) return;
      writing = true;
      const all = Buffer.concat(out.splice(0));
      let at = 0;
      const step = (): void => {
        if (at >= all.length || s.destroyed) {
          writing = false;
          if (out.length > 0) pump();
          return;
        }
        const n = Math.min(piece(), all.length - at);
        s.write(all.subarray(at, at + n));
        at += n;
        setImmediate(step);
      };
      step();
    };
    s.setNoDelay(true);
    s.on('data', (d) => {
      rem = Buffer.concat([rem, d]);
      while (rem.length >= 4 && rem.length - 4 >= rem.readInt32BE(0)) {
        const len = rem.readInt32BE(0);
        const frame = rem.subarray(4, 4 + len);
        rem = rem.subarray(4 + len);
        const w = new JuteWriter(64);
        const at = w.beginFrame();
        if (handshake) {
          handshake = false;
          R.ConnectResponse.write(w, { protocolVersion: 0, timeOut: 30_000, sessionId: 7n, passwd: Buffer.alloc(16) });
          w.writeBool(false);
        } else {
          const xid = frame.readInt32BE(0);
          w.writeInt(xid);
          w.writeLong(5n);
          w.writeInt(xid % 7);
          w.writeRaw(Buffer.alloc(bodyOf(xid), xid & 0xff));
        }
        w.endFrame(at);
        out.push(w.toBuffer());
      }
      pump();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port, sockets };
}

test.each([
  ['one byte at a time', () => 1, 40],
  ['pieces of 1 to 40 bytes', () => 1 + Math.floor(Math.random() * 40), 3000],
  ['pieces of up to 100 KB', () => 1 + Math.floor(Math.random() * 100_000), 30_000],
])('replies sent in %s are matched to their requests in order', async (_name, piece, maxBody) => {
  const { server, port, sockets } = await choppyServer(piece, (xid) => (xid * 37) % maxBody);
  const c = await BenchConnection.connect({ host: '127.0.0.1', port });
  expect(c.sessionId).toBe(7n);
  const errs: number[] = [];
  c.onReply = (err) => errs.push(err);
  const n = 340;
  const xids: number[] = [];
  const sendOne = (): void => {
    const xid = c.begin(OpCode.exists);
    xids.push(xid);
    c.send(xid, performance.now());
  };
  // A corked batch (one write), requests sent one by one, then nested corks: frames go out whole, in order.
  c.cork();
  for (let i = 0; i < 300; i++) sendOne();
  c.uncork();
  for (let i = 0; i < 20; i++) sendOne();
  c.cork();
  for (let i = 0; i < 10; i++) sendOne();
  c.cork();
  for (let i = 0; i < 10; i++) sendOne();
  c.uncork();
  c.uncork();
  const end = Date.now() + 20_000;
  while (errs.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  expect(errs).toEqual(xids.map((x) => x % 7));
  expect(c.xidMismatches).toBe(0);
  expect(c.inflight).toBe(0);
  c.destroy();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});
