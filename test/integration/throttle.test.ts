import { RawClient } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import { socketOf } from './helpers';

/**
 * The index of the client each request admitted came from, in order (the server's submitRequest, spied
 * on); a test may push markers of its own into the same list.
 */
function recordAdmissions(ts: TestingServer, clients: RawClient[]): (number | string)[] {
  const admitted: (number | string)[] = [];
  const bySession = new Map(clients.map((c, i) => [c.session!.sessionId, i]));
  const orig = ts.server.submitRequest.bind(ts.server);
  ts.server.submitRequest = (r) => {
    admitted.push(bySession.get(r.sessionId) ?? -1);
    orig(r);
  };
  return admitted;
}

describe('globalOutstandingLimit', () => {
  test('a client far past the limit is paused, not refused: every request is answered, in order', async () => {
    const ts = await TestingServer.start({ config: { globalOutstandingLimit: 10 } });
    try {
      const c = await RawClient.connect({ port: ts.port });
      let maxOutstanding = 0;
      const orig = ts.server.submitRequest.bind(ts.server);
      ts.server.submitRequest = (r) => {
        orig(r);
        maxOutstanding = Math.max(maxOutstanding, ts.server.outstandingRequests);
      };
      const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => c.request(OpCode.create, R.CreateRequest, { path: `/t${i}`, data: null, acl, flags: 0 })),
      );
      expect(replies.every((r) => r.err === 0)).toBe(true);
      const zxids = replies.map((r) => r.zxid);
      expect(zxids).toEqual([...zxids].sort((a, b) => a - b));
      // A frame is read only when a slot is free: the limit holds exactly.
      expect(maxOutstanding).toBeLessThanOrEqual(10);
      await c.closeSession();
    } finally {
      await ts.stop();
    }
  });

  test('connections past the limit take turns: each gets its share of slots, in order, while all have requests waiting', async () => {
    const ts = await TestingServer.start({ config: { globalOutstandingLimit: 10 } });
    const clients: RawClient[] = [];
    try {
      const N = 4;
      const PER = 300;
      for (let i = 0; i < N; i++) clients.push(await RawClient.connect({ port: ts.port }));
      const admitted = recordAdmissions(ts, clients);
      const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
      const all: Promise<{ err: number }>[] = [];
      // Everything is on the wire before the server reads any of it.
      const sockets = clients.map(socketOf);
      for (const s of sockets) s.cork();
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < PER; j++) all.push(clients[i].request(OpCode.create, R.CreateRequest, { path: `/c${i}-${j}`, data: null, acl, flags: 0 }));
      }
      for (const s of sockets) s.uncork();
      const replies = await Promise.all(all);
      expect(replies.every((r) => r.err === 0)).toBe(true);
      // While every connection still has requests waiting, each takes about a quarter of the slots, and
      // none waits long: a turn is at most 32 frames, so between two of a connection's turns the other
      // three take at most 3 x 32.
      const firstDone = Math.min(...clients.map((_, i) => admitted.lastIndexOf(i)));
      const window = admitted.slice(0, firstDone);
      expect(window.length).toBeGreaterThan(N * PER * 0.6);
      for (let i = 0; i < N; i++) {
        const share = window.filter((x) => x === i).length / window.length;
        expect(share).toBeGreaterThan(0.2);
        expect(share).toBeLessThan(0.3);
        let gap = 0;
        let longest = 0;
        for (const x of window) {
          gap = x === i ? 0 : gap + 1;
          longest = Math.max(longest, gap);
        }
        expect(longest).toBeLessThanOrEqual(3 * 32);
      }
      for (const c of clients) await c.closeSession();
    } finally {
      for (const c of clients) c.destroy();
      await ts.stop();
    }
  });

  /**
   * What two connections' turns admit when their requests reach the server as the reads `reads` lists
   * ([connection, frames], in the order epoll would hand them over), all before any turn is taken: runs of
   * one connection's admissions ("0x36") and "|c" where connection c's turn ended with frames left.
   */
  async function turns(reads: [number, number][]): Promise<string> {
    const ts = await TestingServer.start();
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 2; i++) clients.push(await RawClient.connect({ port: ts.port }));
      const sockets = clients.map(socketOf);
      const cnxns = sockets.map((s) => [...ts.server.cnxns].find((c) => c.remotePort === s.localPort)!);
      const trace = recordAdmissions(ts, clients);
      const enqueue = ts.server.enqueue.bind(ts.server);
      ts.server.enqueue = (cnxn, turnOver) => {
        trace.push(`|${cnxns.indexOf(cnxn)}`);
        enqueue(cnxn, turnOver);
      };
      // Each read's frames, made by its client but handed to the server's connection directly.
      const bytes: Buffer[] = [];
      const all: Promise<{ err: number }>[] = [];
      for (const [i, n] of reads) {
        const sock = sockets[i] as unknown as { write: (b: Buffer) => boolean };
        const realWrite = sock.write;
        const held: Buffer[] = [];
        sock.write = (b: Buffer) => held.push(Buffer.from(b)) > 0;
        for (let k = 0; k < n; k++) all.push(clients[i].request(OpCode.exists, R.GetDataRequest, { path: '/', watch: false }));
        sock.write = realWrite;
        bytes.push(Buffer.concat(held));
      }
      reads.forEach(([i], k) => (cnxns[i] as unknown as { onData(b: Buffer): void }).onData(bytes[k]));
      expect((await Promise.all(all)).every((r) => r.err === 0)).toBe(true);
      const runs: string[] = [];
      for (const x of trace) {
        const last = runs.length > 0 ? runs[runs.length - 1] : '';
        if (typeof x === 'number' && last.startsWith(`${x}x`)) runs[runs.length - 1] = `${x}x${Number(last.slice(2)) + 1}`;
        else runs.push(typeof x === 'number' ? `${x}x1` : x);
      }
      for (const c of clients) await c.closeSession();
      return runs.join(' ');
    } finally {
      for (const c of clients) c.destroy();
      await ts.stop();
    }
  }

  test('a turn takes the few frames that end the read in hand, and ends there', async () => {
    // Reads of 36 then 32 frames: each turn ends where a read does. Cut at 32, the last 4 of the first
    // read would wait behind the other connection's turn ("0x32 |0 |1 0x32 |0 1x32 |1 0x4 1x32 |1 1x4").
    expect(await turns([[0, 36], [1, 36], [0, 32], [1, 32]])).toBe('0x36 1x36 0x32 1x32');
    // A tail of 9 is more than a turn takes past 32: it waits for the connection's next turn.
    expect(await turns([[0, 41], [1, 41], [0, 32], [1, 32]])).toBe('0x32 |0 |1 0x32 |0 1x32 |1 0x9 1x32 |1 1x9');
    // Connection 0 waits behind 1 with two reads in hand: its first turn ends with the first read's tail,
    // not 4 frames into the second read (which would split that read 4 / 28 in turn).
    expect(await turns([[1, 50], [0, 36], [0, 32]])).toBe('1x32 |1 |0 1x18 0x36 |0 0x32');
  });
});
