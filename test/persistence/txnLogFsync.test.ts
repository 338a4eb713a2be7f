/**
 * The txn log's fsync for a lone request: on a fast disk it is taken on the event loop's own thread (no
 * hand-off to the thread pool and back); once fsyncs turn slow it goes back to the pool, so a slow disk
 * never stalls the server. Either way the group is on disk before `done`.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpCode } from '../../src/protocol/opCodes';
import { FileTxnLog, scanLogFile } from '../../src/persistence/txnLog';

// The module object itself (the namespace import above is a read-only view), so its functions can be spied on.
const nodeFs: typeof fs = require('fs');

let dir: string;
/**
 * The clock the log times its syncs with: it stands still unless a test moves it, so how fast this
 * machine's disk happens to be (a loaded CI host's first fsync can take tens of ms) decides nothing.
 */
let clock = 0;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-fsync-'));
  clock = 0;
  jest.spyOn(performance, 'now').mockImplementation(() => clock);
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function append(log: FileTxnLog, zxid: number): void {
  log.append({ clientId: 1n, cxid: zxid, zxid, time: 0, type: OpCode.setData }, { path: '/a', data: Buffer.from(`v${zxid}`), version: zxid });
}

function flush(log: FileTxnLog, lone: boolean): Promise<void> {
  return new Promise((resolve, reject) => log.flush((e) => (e ? reject(e) : resolve()), lone));
}

test('a lone request on a fast disk fsyncs in place, a group goes to the thread pool', async () => {
  const sync = jest.spyOn(nodeFs, 'fdatasyncSync');
  const async = jest.spyOn(nodeFs, 'fdatasync');
  const log = new FileTxnLog(dir);
  const dirSync = jest.spyOn(nodeFs, 'fsyncSync');
  append(log, 1); // opens the file: made inline, its directory fsynced in place as the group may block
  await flush(log, true);
  expect(dirSync).toHaveBeenCalledTimes(1);
  append(log, 2);
  await flush(log, true);
  expect(sync).toHaveBeenCalledTimes(2);
  append(log, 3);
  append(log, 4);
  await flush(log, false);
  expect(sync).toHaveBeenCalledTimes(2);
  expect(async.mock.calls.length).toBeGreaterThanOrEqual(1);
  await log.close();
  const files = fs.readdirSync(dir).filter((f) => f.startsWith('log.'));
  expect(scanLogFile(path.join(dir, files[0])).entries.map((e) => e.hdr.zxid)).toEqual([1, 2, 3, 4]);
});

test('once fsyncs take longer than a couple of milliseconds, a lone request waits in the pool', async () => {
  const log = new FileTxnLog(dir);
  append(log, 1);
  await flush(log, false);
  const realSync = nodeFs.fdatasyncSync;
  const sync = jest.spyOn(nodeFs, 'fdatasyncSync').mockImplementation((fd) => {
    clock += 40; // a slow disk
    realSync(fd);
  });
  const async = jest.spyOn(nodeFs, 'fdatasync');
  append(log, 2);
  await flush(log, true);
  expect(sync).toHaveBeenCalledTimes(1);
  expect(async).not.toHaveBeenCalled();
  append(log, 3);
  await flush(log, true);
  expect(sync).toHaveBeenCalledTimes(1);
  expect(async).toHaveBeenCalledTimes(1);
  await log.close();
});
