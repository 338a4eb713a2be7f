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

test('a flush is lone only for a group of one while the server says its client is alone', async () => {
  const lone: (boolean | undefined)[] = [];
  const log = new (class extends ManualLog {
    override flush(done: (err: Error | null) => void, l?: boolean): void {
      lone.push(l);
      super.flush(done);
    }
  })();
  let alone = true;
  const sync = new SyncRequestProcessor(log, { processRequest() {} }, () => undefined, undefined, () => alone);
  // Alone, nothing can join its group: flushed at once, not at the end of the I/O turn.
  sync.processRequest(write(1));
  expect(lone).toEqual([true]);
  log.pending.shift()!(null);
  alone = false; // another client is connected, or has a request in the server
  sync.processRequest(write(2));
  expect(lone).toEqual([true]);
  await new Promise((r) => setImmediate(r));
  log.pending.shift()!(null);
  sync.processRequest(write(3));
  sync.processRequest(write(4));
  alone = true; // whatever the server says by the time the group is flushed
  await new Promise((r) => setImmediate(r));
  log.pending.shift()!(null);
  expect(lone).toEqual([true, false, false]);
  await sync.drain();
});

const read = (cxid: number) => new Request(null, 1n, cxid, OpCode.getData, Buffer.alloc(0), [], null, 0);

test("the next group's fsync starts before the group just made durable is handed on", async () => {
  const events: string[] = [];
  const log = new (class extends ManualLog {
    override flush(done: (err: Error | null) => void): void {
      events.push('fsync');
      super.flush(done);
    }
  })();
  const sync = new SyncRequestProcessor(log, { processRequest: (r: Request) => events.push(`apply ${r.cxid}`) }, () => undefined);
  sync.processRequest(write(1));
  sync.processRequest(write(2));
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual(['fsync']);
  // Arriving while the first fsync runs: the next group, a read behind the first group, and a read behind the second.
  sync.processRequest(read(3));
  sync.processRequest(write(4));
  sync.processRequest(read(5));
  await new Promise((r) => setImmediate(r));
  expect(events).toEqual(['fsync']);
  log.pending.shift()!(null);
  expect(events).toEqual(['fsync', 'fsync', 'apply 1', 'apply 2', 'apply 3']);
  log.pending.shift()!(null);
  expect(events.slice(5)).toEqual(['apply 4', 'apply 5']);
  expect(sync.queued).toBe(0);
  await sync.drain();
});

test('a group reaching maxGroup is flushed at once; the rest forms the next group', async () => {
  const groups: number[] = [];
  let appended = 0;
  const log = new (class extends ManualLog {
    override append(): void {
      appended++;
    }
    override flush(done: (err: Error | null) => void): void {
      groups.push(appended);
      appended = 0;
      super.flush(done);
    }
  })();
  const applied: number[] = [];
  const sync = new SyncRequestProcessor(log, { processRequest: (r: Request) => applied.push(r.cxid) }, () => undefined, undefined, undefined, 3);
  for (let i = 1; i <= 7; i++) sync.processRequest(write(i));
  expect(groups).toEqual([3]);
  log.pending.shift()!(null);
  expect(groups).toEqual([3, 4]);
  log.pending.shift()!(null);
  expect(applied).toEqual([1, 2, 3, 4, 5, 6, 7]);
  await sync.drain();
});

test('each durable group is handed on inside one handOff call, and an idle processor schedules nothing after it', async () => {
  const events: string[] = [];
  const log = new ManualLog();
  const handOff = (forward: () => void): void => {
    events.push('begin');
    forward();
    events.push('end');
  };
  const sync = new SyncRequestProcessor(log, { processRequest: (r: Request) => events.push(`apply ${r.cxid}`) }, () => undefined, undefined, undefined, Infinity, handOff);
  sync.processRequest(write(1));
  sync.processRequest(write(2));
  await new Promise((r) => setImmediate(r));
  const immediate = jest.spyOn(global, 'setImmediate');
  try {
    log.pending.shift()!(null);
    expect(events).toEqual(['begin', 'apply 1', 'apply 2', 'end']);
    expect(immediate).not.toHaveBeenCalled();
  } finally {
    immediate.mockRestore();
  }
  await sync.drain();
});

test('a lone flush is not taken while a group is being handed on: one that called back at once would overtake it', async () => {
  const lone: (boolean | undefined)[] = [];
  const log = new (class extends ManualLog {
    override flush(done: (err: Error | null) => void, l?: boolean): void {
      lone.push(l);
      // Like FileTxnLog's blocking flush: a lone group is written, synced and called back in the call.
      if (l) done(null);
      else super.flush(done);
    }
  })();
  let alone = false;
  const applied: number[] = [];
  const sync = new SyncRequestProcessor(log, { processRequest: (r: Request) => applied.push(r.cxid) }, () => undefined, undefined, () => alone);
  sync.processRequest(write(1));
  sync.processRequest(write(2));
  await new Promise((r) => setImmediate(r));
  sync.processRequest(write(3)); // the next group, while the first one's fsync runs
  alone = true; // whatever the server says: 1 and 2 are not handed on yet
  log.pending.shift()!(null);
  expect(applied).toEqual([1, 2]);
  log.pending.shift()!(null);
  expect(applied).toEqual([1, 2, 3]);
  expect(lone).toEqual([false, false]);
  await sync.drain();
});
