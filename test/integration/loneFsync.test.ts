/**
 * The server lets a write group's fsync block the event loop only while its clients have nothing else on
 * the way: each request in it is its connection's only one. A pipelining client's groups go to the thread
 * pool, so that its next requests are read and form the next group while this one syncs.
 */
import * as net from 'net';
import { FileTxnLog } from '../../src/persistence/txnLog';
import { RawClient } from '../../src/client/rawClient';
import { TestingServer } from '../../src/testingServer';
import { destroyAll, rawConnect, rawCreate, rawSetData } from './helpers';

test('a write whose client has nothing else on the way may block, whoever else is connected; pipelined writes may not', async () => {
  const ts = await TestingServer.start();
  const raws: RawClient[] = [];
  const flush = jest.spyOn(FileTxnLog.prototype, 'flush');
  try {
    const a = await rawConnect(raws, { port: ts.port });
    expect((await rawCreate(a, '/lone', Buffer.from('0'))).err).toBe(0);
    flush.mockClear();
    expect((await rawSetData(a, '/lone', Buffer.from('1'))).err).toBe(0);
    expect(flush.mock.calls.map((c) => c[1])).toEqual([true]);
    // Another client, idle: a's write still has nothing behind it.
    await rawConnect(raws, { port: ts.port });
    flush.mockClear();
    expect((await rawSetData(a, '/lone', Buffer.from('2'))).err).toBe(0);
    expect(flush.mock.calls.map((c) => c[1])).toEqual([true]);
    // Two clients, one write each (one group or two): each request is its client's only one.
    const b = raws[1];
    flush.mockClear();
    const each = await Promise.all([rawSetData(a, '/lone', Buffer.from('a')), rawSetData(b, '/lone', Buffer.from('b'))]);
    expect(each.map((r) => r.err)).toEqual([0, 0]);
    expect(flush.mock.calls.length).toBeGreaterThan(0);
    expect(flush.mock.calls.every((c) => c[1] === true)).toBe(true);
    // Two writes sent in one packet: one group of two requests of one connection.
    flush.mockClear();
    const socket = (a as unknown as { socket: net.Socket }).socket;
    socket.cork();
    const both = Promise.all([rawSetData(a, '/lone', Buffer.from('3')), rawSetData(a, '/lone', Buffer.from('4'))]);
    socket.uncork();
    expect((await both).map((r) => r.err)).toEqual([0, 0]);
    expect(flush.mock.calls.map((c) => c[1])).toEqual([false]);
  } finally {
    flush.mockRestore();
    destroyAll(raws);
    await ts.stop();
  }
});

test("a lone write is synced, applied and answered before the event loop turns", async () => {
  const { ServerCnxn } = await import('../../src/server/serverCnxn');
  const ts = await TestingServer.start();
  const raws: RawClient[] = [];
  const replyWrites = jest.spyOn(ServerCnxn.prototype, 'flush');
  const seen: { answered: boolean; written: boolean }[] = [];
  const original = FileTxnLog.prototype.flush;
  const flush = jest.spyOn(FileTxnLog.prototype, 'flush').mockImplementation(function (this: FileTxnLog, done, lone) {
    // A fast disk, whatever this machine's is right now: the blocking path is only taken while the
    // average sync stays under 2 ms (txnLogFsync.test.ts covers the slow side).
    (this as unknown as { fsyncMs: number }).fsyncMs = 0;
    let answered = false;
    const before = replyWrites.mock.calls.length;
    original.call(this, (err) => {
      answered = true;
      done(err);
    }, lone);
    // Runs at the next check phase: a reply written only then, or later, is a turn late.
    setImmediate(() => seen.push({ answered, written: replyWrites.mock.calls.length > before }));
  });
  try {
    const a = await rawConnect(raws, { port: ts.port });
    expect((await rawCreate(a, '/lone', Buffer.from('0'))).err).toBe(0);
    seen.length = 0;
    expect((await rawSetData(a, '/lone', Buffer.from('1'))).err).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([{ answered: true, written: true }]);
  } finally {
    flush.mockRestore();
    replyWrites.mockRestore();
    destroyAll(raws);
    await ts.stop();
  }
});
