/**
 * The server lets a write's fsync block the event loop only while one client is connected and that
 * write is all it has in flight: with a second client, whose reads a slow fsync would stall, it goes to
 * the thread pool.
 */
import { FileTxnLog } from '../../src/persistence/txnLog';
import { RawClient } from '../../src/client/rawClient';
import { TestingServer } from '../../src/testingServer';
import { destroyAll, rawConnect, rawCreate, rawSetData } from './helpers';

test('a lone write of the only client may block; with another client connected it may not', async () => {
  const ts = await TestingServer.start();
  const raws: RawClient[] = [];
  const flush = jest.spyOn(FileTxnLog.prototype, 'flush');
  try {
    const a = await rawConnect(raws, { port: ts.port });
    expect((await rawCreate(a, '/lone', Buffer.from('0'))).err).toBe(0);
    flush.mockClear();
    expect((await rawSetData(a, '/lone', Buffer.from('1'))).err).toBe(0);
    expect(flush.mock.calls.map((c) => c[1])).toEqual([true]);
    await rawConnect(raws, { port: ts.port });
    flush.mockClear();
    expect((await rawSetData(a, '/lone', Buffer.from('2'))).err).toBe(0);
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
