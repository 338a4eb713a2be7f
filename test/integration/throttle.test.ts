import { RawClient } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import { socketOf } from './helpers';

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
      const admitted: number[] = [];
      const bySession = new Map(clients.map((c, i) => [c.session!.sessionId, i]));
      const orig = ts.server.submitRequest.bind(ts.server);
      ts.server.submitRequest = (r) => {
        admitted.push(bySession.get(r.sessionId) ?? -1);
        orig(r);
      };
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
   * The order in which two connections' requests were admitted, as runs ("0x36" is 36 of connection 0's
   * in a row). Each connection's requests reach the server as the reads `chunks` gives (frames per read),
   * delivered in turn (a's first, b's first, a's second, ...) before any turn is taken, as epoll would
   * hand them over when both clients are ahead of the server.
   */
  async function admissionOrder(chunks: number[]): Promise<string> {
    const ts = await TestingServer.start();
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 2; i++) clients.push(await RawClient.connect({ port: ts.port }));
      const admitted: number[] = [];
      const bySession = new Map(clients.map((c, i) => [c.session!.sessionId, i]));
      const orig = ts.server.submitRequest.bind(ts.server);
      ts.server.submitRequest = (r) => {
        admitted.push(bySession.get(r.sessionId) ?? -1);
        orig(r);
      };
      const sockets = clients.map(socketOf);
      const cnxns = sockets.map((s) => [...ts.server.cnxns].find((c) => c.remotePort === s.localPort)!);
      // Each chunk's frames, made by the client but handed to its server connection directly.
      const reads: Buffer[][] = [[], []];
      const all: Promise<{ err: number }>[] = [];
      for (let i = 0; i < 2; i++) {
        const sock = sockets[i] as unknown as { write: (b: Buffer) => boolean };
        const realWrite = sock.write;
        for (const n of chunks) {
          const held: Buffer[] = [];
          sock.write = (b: Buffer) => held.push(Buffer.from(b)) > 0;
          for (let k = 0; k < n; k++) all.push(clients[i].request(OpCode.exists, R.GetDataRequest, { path: '/', watch: false }));
          reads[i].push(Buffer.concat(held));
        }
        sock.write = realWrite;
      }
      for (let k = 0; k < chunks.length; k++) for (let i = 0; i < 2; i++) (cnxns[i] as unknown as { onData(b: Buffer): void }).onData(reads[i][k]);
      expect((await Promise.all(all)).every((r) => r.err === 0)).toBe(true);
      const runs: string[] = [];
      let last = -2;
      let count = 0;
      for (const x of [...admitted, -3]) {
        if (x !== last && count > 0) runs.push(`${last}x${count}`);
        count = x === last ? count + 1 : 1;
        last = x;
      }
      for (const c of clients) await c.closeSession();
      return runs.join(' ');
    } finally {
      for (const c of clients) c.destroy();
      await ts.stop();
    }
  }

  test('a turn takes the few frames that end the read in hand instead of leaving them a round behind', async () => {
    // Reads of 36 then 32 frames: each turn ends where a read does. Cut at 32, the last 4 of the first
    // read would wait behind the other connection's turn ("0x64 1x32 0x4 1x36").
    expect(await admissionOrder([36, 32])).toBe('0x36 1x36 0x32 1x32');
    // A tail of 9 is more than a turn takes past 32: it waits its turn, and the next read with it.
    expect(await admissionOrder([41, 32])).toBe('0x64 1x32 0x9 1x41');
  });
});
