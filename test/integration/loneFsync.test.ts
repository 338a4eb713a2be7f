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
