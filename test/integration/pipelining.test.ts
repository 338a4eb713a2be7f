/**
 * Many requests in flight on one connection: FIFO replies, strictly increasing zxids for writes, and
 * read-your-writes within a session.
 */
import { RawClient, decodeBody } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import { Zk, decodeCreate, decodeGetData, rawClientFixture, rawConnect, rawCreate, rawExists, rawGetData, rawSetData, socketOf } from './helpers';

type Reply = { xid: number; zxid: number; err: number; body: Buffer };

describe('pipelined requests on one connection', () => {
  const { server, raws } = rawClientFixture();

  /** The xids of the replies (not events) a client received, in arrival order. */
  function replyXids(c: RawClient): number[] {
    return c.received.flatMap((f) => (f.kind === 'reply' ? [f.xid] : []));
  }

  test('500 creates followed by 500 getData, all sent before any reply, are answered in request order and each read sees its create', async () => {
    const c = await rawConnect(raws, { port: server().port });
    expect((await rawCreate(c, '/pipe', null)).err).toBe(0);
    const before = replyXids(c).length;

    const N = 500;
    const creates: Promise<Reply>[] = [];
    const reads: Promise<Reply>[] = [];
    for (let i = 0; i < N; i++) creates.push(rawCreate(c, `/pipe/n${i}`, Buffer.from(`value-${i}`)));
    for (let i = 0; i < N; i++) reads.push(rawGetData(c, `/pipe/n${i}`));
    const cr = await Promise.all(creates);
    const rd = await Promise.all(reads);

    // FIFO: replies arrive in exactly the order the requests were written.
    const sentXids = [...cr, ...rd].map((r) => r.xid);
    expect(replyXids(c).slice(before)).toEqual(sentXids);

    // Every create succeeded with a zxid strictly greater than the one before it.
    expect(cr.every((r) => r.err === 0)).toBe(true);
    for (let i = 0; i < N; i++) expect(decodeCreate(cr[i].body).path).toBe(`/pipe/n${i}`);
    for (let i = 1; i < N; i++) {
      if (!(cr[i].zxid > cr[i - 1].zxid)) throw new Error(`create ${i} has zxid ${cr[i].zxid} after ${cr[i - 1].zxid}`);
    }
    expect(cr[N - 1].zxid - cr[0].zxid).toBe(N - 1);

    // Every read sees the data its own session wrote, and no read reports a zxid older than the writes before it.
    for (let i = 0; i < N; i++) {
      expect(rd[i].err).toBe(0);
      const g = decodeGetData(rd[i].body);
      expect(g.data).toEqual(Buffer.from(`value-${i}`));
      expect(g.stat.czxid).toBe(cr[i].zxid);
      expect(rd[i].zxid).toBeGreaterThanOrEqual(cr[N - 1].zxid);
    }
  });

  test('interleaved setData/getData on one node: each read returns the value of the write just before it', async () => {
    const c = await rawConnect(raws, { port: server().port });
    await rawCreate(c, '/ryw', Buffer.from('v0'));
    const N = 200;
    const writes: Promise<Reply>[] = [];
    const reads: Promise<Reply>[] = [];
    for (let i = 1; i <= N; i++) {
      writes.push(rawSetData(c, '/ryw', Buffer.from(`v${i}`)));
      reads.push(rawGetData(c, '/ryw'));
    }
    const w = await Promise.all(writes);
    const r = await Promise.all(reads);
    for (let i = 0; i < N; i++) {
      expect(w[i].err).toBe(0);
      const set = decodeBody(R.SetDataResponse, w[i].body);
      expect(set.stat.version).toBe(i + 1);
      const got = decodeGetData(r[i].body);
      expect(got.data!.toString()).toBe(`v${i + 1}`);
      expect(got.stat.version).toBe(i + 1);
      expect(got.stat.mzxid).toBe(w[i].zxid);
    }
  });

  test('pipelined setData with expected versions: each checks against the one before it, and each reply\'s Stat is the znode\'s after that write', async () => {
    const c = await rawConnect(raws, { port: server().port });
    await rawCreate(c, '/versions', null);
    await rawCreate(c, '/versions/e', Buffer.from('x'), 1); // an ephemeral: its Stat shows the owner
    await rawCreate(c, '/versions/e2', null, 1);
    const sent: Promise<Reply>[] = [];
    for (let v = 0; v < 5; v++) sent.push(rawSetData(c, '/versions/e', Buffer.from(`v${v}`), v));
    sent.push(rawSetData(c, '/versions/e', Buffer.from('stale'), 0)); // BADVERSION: the tree is at 5 by then
    sent.push(rawSetData(c, '/versions/e', Buffer.from('last'), 5));
    const res = await Promise.all(sent);
    expect(res.map((r) => r.err)).toEqual([0, 0, 0, 0, 0, -103, 0]);
    const last = decodeBody(R.SetDataResponse, res[6].body).stat;
    const now = decodeBody(R.ExistsResponse, (await rawExists(c, '/versions/e')).body).stat;
    expect(last).toEqual(now);
    expect(last.version).toBe(6);
    expect(last.mzxid).toBe(res[6].zxid);
    expect(last.dataLength).toBe(4);
    expect(last.ephemeralOwner).toBe(c.session!.sessionId);
    const first = decodeBody(R.SetDataResponse, res[0].body).stat;
    expect([first.version, first.mzxid, first.dataLength]).toEqual([1, res[0].zxid, 2]);
    // The parent's record was taken from the tree by the first child's create; the second create built on it.
    const parent = decodeBody(R.ExistsResponse, (await rawExists(c, '/versions')).body).stat;
    expect([parent.numChildren, parent.cversion]).toEqual([2, 2]);
  });

  test('change records of applied txns read as absent and are swept in bulk: thousands of distinct paths leave the map bounded, and later writes check against the tree', async () => {
    const c = await rawConnect(raws, { port: server().port });
    const zks = server().server;
    await rawCreate(c, '/swept', null);
    const sent: Promise<Reply>[] = [];
    for (let i = 0; i < 10_000; i++) sent.push(rawCreate(c, `/swept/n${i}`, Buffer.from('x')));
    expect((await Promise.all(sent)).every((r) => r.err === 0)).toBe(true);
    // Applied: nothing pending, whatever the map still holds; and it holds far fewer than 10,000.
    expect(zks.pendingChange('/swept/n9999')).toBeUndefined();
    expect(zks.pendingChange('/swept')).toBeUndefined();
    expect(zks.outstandingChangesForPath.size).toBeLessThan(8192);
    // The parent's last record (cversion 10,000) is stale: a create now builds on the tree's parent.
    const seq = await rawCreate(c, '/swept/s-', null, 2);
    expect(decodeCreate(seq.body).path).toBe('/swept/s-0000010000');
    // A node written before, its record stale or swept: versions come from the tree.
    const w = await Promise.all([rawSetData(c, '/swept/n9999', Buffer.from('y'), 0), rawSetData(c, '/swept/n9999', Buffer.from('z'), 1), rawSetData(c, '/swept/n0', Buffer.from('y'), 1)]);
    expect(w.map((r) => r.err)).toEqual([0, 0, -103]);
    // Pipelined writes: each checks against the one before it, pending or applied.
    const p = await Promise.all([0, 1, 2, 0].map((v) => rawSetData(c, '/swept/n1', Buffer.from('b'), v)));
    expect(p.map((r) => r.err)).toEqual([0, 0, 0, -103]);
    expect(zks.pendingChange('/swept/n1')).toBeUndefined();
  });

  test('failing writes in the pipeline keep their place and, as in Apache, each still gets its own zxid (an error txn)', async () => {
    const c = await rawConnect(raws, { port: server().port });
    await rawCreate(c, '/mixed', null);
    const ops: Promise<Reply>[] = [];
    ops.push(rawCreate(c, '/mixed/a', null)); // ok
    ops.push(rawCreate(c, '/mixed/a', null)); // NODEEXISTS
    ops.push(rawSetData(c, '/mixed/missing', Buffer.from('x'))); // NONODE
    ops.push(rawSetData(c, '/mixed/a', Buffer.from('x'), 5)); // BADVERSION
    ops.push(c.request(OpCode.delete, R.DeleteRequest, { path: '/mixed', version: -1 })); // NOTEMPTY
    ops.push(rawCreate(c, '/mixed/b', null)); // ok
    ops.push(rawGetData(c, '/mixed/nothing')); // NONODE (read)
    const res = await Promise.all(ops);
    expect(res.map((r) => r.err)).toEqual([0, -110, -101, -103, -111, 0, -101]);
    expect(replyXids(c).slice(-7)).toEqual(res.map((r) => r.xid));
    const zx = res.map((r) => r.zxid);
    // Apache gives every write request a zxid, failed ones included (an error txn): strictly increasing.
    for (let i = 1; i < 6; i++) expect(zx[i]).toBeGreaterThan(zx[i - 1]);
  });

  test('pings interleaved with writes and reads are answered in their place in the pipeline', async () => {
    const c = await rawConnect(raws, { port: server().port });
    await rawCreate(c, '/pings', null);
    const start = c.received.length;
    const order: string[] = [];
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      ps.push(rawCreate(c, `/pings/n${i}`, null).then(() => order.push(`c${i}`)));
      ps.push(c.ping().then(() => order.push(`p${i}`)));
      ps.push(rawGetData(c, `/pings/n${i}`).then((r) => order.push(r.err === 0 ? `g${i}` : `G${i}`)));
    }
    await Promise.all(ps);
    const expected = Array.from({ length: 50 }, (_, i) => [`c${i}`, `p${i}`, `g${i}`]).flat();
    expect(order).toEqual(expected);
    const kinds = c.received.slice(start).map((f) => (f.kind === 'reply' ? f.xid === -2 : null));
    expect(kinds.filter((k) => k === true)).toHaveLength(50);
  });

  test('pipelines on two connections do not mix: each connection gets only its own replies, in its own order', async () => {
    const a = await rawConnect(raws, { port: server().port });
    const b = await rawConnect(raws, { port: server().port });
    await rawCreate(a, '/two', null);
    const pa: Promise<Reply>[] = [];
    const pb: Promise<Reply>[] = [];
    for (let i = 0; i < 100; i++) {
      pa.push(rawCreate(a, `/two/a${i}`, null));
      pb.push(rawCreate(b, `/two/b${i}`, null));
    }
    const ra = await Promise.all(pa);
    const rb = await Promise.all(pb);
    expect(replyXids(a).slice(-100)).toEqual(ra.map((r) => r.xid));
    expect(replyXids(b)).toEqual(rb.map((r) => r.xid));
    const all = [...ra, ...rb].map((r) => r.zxid).sort((x, y) => x - y);
    expect(new Set(all).size).toBe(200);
    const z = await Zk.connect(server().connectString);
    try {
      expect((await z.getChildren('/two')).children).toHaveLength(200);
    } finally {
      await z.close();
    }
  });

  test('a connection that sends hundreds of requests in one chunk hands them in by turns: another connection gets in before it is done, and both stay in order', async () => {
    const a = await rawConnect(raws, { port: server().port });
    const b = await rawConnect(raws, { port: server().port });
    await rawCreate(a, '/turns', null);
    const submitted: number[] = [];
    const orig = server().server.processPacket.bind(server().server);
    server().server.processPacket = (cnxn, buf, start, end) => {
      if (end - start >= 8 && buf.readInt32BE(start + 4) === OpCode.create) submitted.push(cnxn.remotePort === a.localPort ? 0 : 1);
      orig(cnxn, buf, start, end);
    };
    try {
      // Corked, so each burst leaves in one write and arrives in one or a few chunks.
      const sockA = socketOf(a);
      const sockB = socketOf(b);
      sockA.cork();
      sockB.cork();
      const pa: Promise<Reply>[] = [];
      const pb: Promise<Reply>[] = [];
      for (let i = 0; i < 300; i++) pa.push(rawCreate(a, `/turns/a${i}`, null));
      for (let i = 0; i < 300; i++) pb.push(rawCreate(b, `/turns/b${i}`, null));
      sockA.uncork();
      sockB.uncork();
      const ra = await Promise.all(pa);
      const rb = await Promise.all(pb);
      expect(ra.every((r) => r.err === 0) && rb.every((r) => r.err === 0)).toBe(true);
      for (const rs of [ra, rb]) {
        const zxids = rs.map((r) => r.zxid);
        expect(zxids).toEqual([...zxids].sort((x, y) => x - y));
      }
      expect(replyXids(a).slice(-300)).toEqual(ra.map((r) => r.xid));
      expect(replyXids(b)).toEqual(rb.map((r) => r.xid));
      // Taken whole, a's burst would all be handed in before b's first request.
      expect(submitted.indexOf(1)).toBeLessThan(submitted.lastIndexOf(0));
    } finally {
      server().server.processPacket = orig;
    }
  });

  test.each([
    ['values up to 900 B, pieces of 1 to ~3,000 bytes', 900, 3000],
    // Several frames a piece, and frames spanning three or more pieces: what is left of a piece after a
    // straddling frame is read from where it lies.
    ['values up to 40 KB, pieces of 1 to ~100 KB', 40_000, 100_000],
  ])('pipelined frames cut at arbitrary places (%s), some arriving while earlier frames wait for their turn, are read intact and in order', async (_name, valueMax, pieceMax) => {
    const c = await rawConnect(raws, { port: server().port });
    const dir = `/cut${valueMax}`;
    await rawCreate(c, dir, null);
    const sock = (c as unknown as { socket: import('net').Socket }).socket;
    const realWrite = sock.write.bind(sock);
    const held: Buffer[] = [];
    (sock as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => held.push(Buffer.from(b)) > 0;
    const replies: Promise<Reply>[] = [];
    const size = (i: number): number => (i * 7919) % valueMax;
    for (let i = 0; i < 400; i++) {
      replies.push(i % 2 === 0 ? rawCreate(c, `${dir}/n${i}`, Buffer.alloc(size(i), i)) : rawGetData(c, `${dir}/n${i - 1}`));
    }
    (sock as unknown as { write: (b: Buffer) => boolean }).write = realWrite;
    const bytes = Buffer.concat(held);
    // Twenty pieces a turn: more frames a turn than a connection hands in at once.
    let seed = 7;
    for (let at = 0, n = 0; at < bytes.length; n++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const piece = 1 + (seed % (n % 5 === 0 ? 7 : pieceMax));
      realWrite(bytes.subarray(at, at + piece));
      at += piece;
      if (n % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const rs = await Promise.all(replies);
    expect(rs.every((r) => r.err === 0)).toBe(true);
    expect(replyXids(c).slice(-400)).toEqual(rs.map((r) => r.xid));
    // Buffer.equals: jest's deep equality walks 40 KB values byte by byte, for a minute.
    for (let i = 1; i < 400; i += 2) expect([i, decodeGetData(rs[i].body).data!.equals(Buffer.alloc(size(i - 1), i - 1))]).toEqual([i, true]);
  });

  test('a large pipelined batch of exists/getChildren/sync requests is answered in order', async () => {
    const c = await rawConnect(raws, { port: server().port });
    await rawCreate(c, '/reads', null);
    const ps: Promise<Reply>[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 3 === 0) ps.push(c.request(OpCode.exists, R.GetDataRequest, { path: '/reads', watch: false }));
      else if (i % 3 === 1) ps.push(c.request(OpCode.getChildren2, R.GetDataRequest, { path: '/reads', watch: false }));
      else ps.push(c.request(OpCode.sync, R.PathRequest, { path: '/reads' }));
    }
    const res = await Promise.all(ps);
    expect(res.every((r) => r.err === 0)).toBe(true);
    expect(replyXids(c).slice(-300)).toEqual(res.map((r) => r.xid));
    expect(decodeBody(R.PathRequest, res[2].body).path).toBe('/reads');
  });
});

describe('frames read while the connection waits for slots', () => {
  let ts: TestingServer | undefined;
  const raws: RawClient[] = [];
  beforeAll(async () => {
    // A limit of 4 requests in the server: the connection waits for slots most of the time, and its
    // reads queue up behind the frame it stopped in.
    ts = await TestingServer.start({ config: { globalOutstandingLimit: 4 } });
  });
  afterAll(async () => {
    for (const r of raws) r.destroy();
    await ts?.stop();
  });

  test('frames of up to 30 KB, several reads of them queued at a time, are read intact and in order', async () => {
    const c = await rawConnect(raws, { port: ts!.port });
    await rawCreate(c, '/q', null);
    const sock = socketOf(c);
    const realWrite = sock.write.bind(sock);
    const held: Buffer[] = [];
    (sock as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => held.push(Buffer.from(b)) > 0;
    const size = (i: number): number => (i * 7919) % 30_000;
    const replies: Promise<Reply>[] = [];
    for (let i = 0; i < 120; i++) replies.push(i % 2 === 0 ? rawCreate(c, `/q/n${i}`, Buffer.alloc(size(i), i)) : rawGetData(c, `/q/n${i - 1}`));
    (sock as unknown as { write: (b: Buffer) => boolean }).write = realWrite;
    // All at once: the server reads it 64 KB at a time, and while the connection waits for slots the
    // reads queue behind the frame it stopped in (up to its read-ahead).
    realWrite(Buffer.concat(held));
    const rs = await Promise.all(replies);
    expect(rs.every((r) => r.err === 0)).toBe(true);
    for (let i = 1; i < 120; i += 2) expect([i, decodeGetData(rs[i].body).data!.equals(Buffer.alloc(size(i - 1), i - 1))]).toEqual([i, true]);
  });
});
