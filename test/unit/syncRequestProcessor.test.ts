/**
 * SyncRequestProcessor: an exception while the next stage applies a request is fatal, as Apache's
 * ZooKeeperCriticalThread.handleException makes it (the server stops; nothing behind it is answered).
 */
import { OpCode } from '../../src/protocol/opCodes';
import { Request } from '../../src/server/request';
import { InMemoryTxnLog, SyncRequestProcessor, TxnLogSink } from '../../src/server/syncRequestProcessor';

const write = (cxid: number) => {
  const r = new Request(null, 1n, cxid, OpCode.setData, Buffer.alloc(0), [], null, 0);
  r.hdr = { clientId: 1n, cxid, zxid: cxid, time: 0, type: OpCode.setData };
  r.txn = { path: '/a', data: null, version: cxid };
  return r;
};

/** A log whose flushes complete when the test says so. */
class ManualLog implements TxnLogSink {
  readonly synchronous = false;
  pending: ((err: Error | null) => void)[] = [];
  append(): void {}
  flush(done: (err: Error | null) => void): void {
    this.pending.push(done);
  }
}

test('a throw from the next stage stops the processor and reports it once', async () => {
  const seen: number[] = [];
  const fatal: string[] = [];
  const next = {
    processRequest(r: Request) {
      if (r.cxid === 2) throw new Error('NumberFormatException');
      seen.push(r.cxid);
    },
  };
  const sync = new SyncRequestProcessor(new InMemoryTxnLog(), next, (e) => fatal.push(e.message));
  for (const cxid of [1, 2, 3]) sync.processRequest(write(cxid));
  expect(seen).toEqual([1]);
  expect(fatal).toEqual(['NumberFormatException']);
  await sync.drain();
});

test('with a disk log, the rest of the group and the queue behind it are dropped', async () => {
  const seen: number[] = [];
  const fatal: string[] = [];
  const log = new ManualLog();
  const next = {
    processRequest(r: Request) {
      if (r.cxid === 2) throw new Error('boom');
      seen.push(r.cxid);
    },
  };
  const sync = new SyncRequestProcessor(log, next, (e) => fatal.push(e.message));
  for (const cxid of [1, 2, 3]) sync.processRequest(write(cxid));
  await new Promise((r) => setImmediate(r));
  expect(log.pending.length).toBe(1);
  log.pending.shift()!(null);
  sync.processRequest(write(4));
  expect(seen).toEqual([1]);
  expect(fatal).toEqual(['boom']);
  await sync.drain();
  expect(sync.queued).toBe(0);
});

test('a flush is lone only for a group of one while nothing else is in flight', async () => {
  const lone: (boolean | undefined)[] = [];
  const log = new (class extends ManualLog {
    flush(done: (err: Error | null) => void, l?: boolean): void {
      lone.push(l);
      super.flush(done);
    }
  })();
  let inFlight = 1;
  const sync = new SyncRequestProcessor(log, { processRequest() {} }, () => undefined, undefined, () => inFlight);
  sync.processRequest(write(1));
  await new Promise((r) => setImmediate(r));
  log.pending.shift()!(null);
  inFlight = 2; // another client's request is in the server
  sync.processRequest(write(2));
  await new Promise((r) => setImmediate(r));
  log.pending.shift()!(null);
  inFlight = 2;
  sync.processRequest(write(3));
  sync.processRequest(write(4));
  await new Promise((r) => setImmediate(r));
  log.pending.shift()!(null);
  expect(lone).toEqual([true, false, false]);
  await sync.drain();
});
