/**
 * Log groups written with O_DIRECT | O_DSYNC: whole blocks from the start of the block the group begins
 * in, no fdatasync. The files must come out byte for byte as the buffered way writes them (same entries,
 * same padded size, zeros after the end), across block boundaries, small and large groups, lone flushes
 * and a roll; and a file system that refuses a direct write gets the group the buffered way instead.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpCode } from '../../src/protocol/opCodes';
import { FileTxnLog, listLogFiles, scanLogFile } from '../../src/persistence/txnLog';

const nodeFs: typeof fs = require('fs');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-direct-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function append(log: FileTxnLog, zxid: number, size: number): void {
  log.append({ clientId: 1n, cxid: zxid, zxid, time: 0, type: OpCode.setData }, { path: '/a', data: Buffer.alloc(size, zxid & 0xff), version: zxid });
}

function flush(log: FileTxnLog, lone = false): Promise<void> {
  return new Promise((resolve, reject) => log.flush((e) => (e ? reject(e) : resolve()), lone));
}

/** Groups of one to a few hundred KB, lone and not, with a roll in the middle. */
async function writeScript(sub: string, directIo: boolean): Promise<string> {
  const d = path.join(dir, sub);
  const log = new FileTxnLog(d, { preAllocSize: 1024 * 1024, directIo });
  let zxid = 1;
  const sizes = [10, 100, 3000, 4000, 5000, 10_000, 70_000, 1];
  for (let g = 0; g < 60; g++) {
    const n = 1 + (g % 5) * (g % 3);
    for (let i = 0; i < n; i++) append(log, zxid++, sizes[(g + i) % sizes.length]);
    if (g === 30) log.rollLog();
    await flush(log, g % 4 === 0);
  }
  await log.close();
  return d;
}

/** Whether `len` bytes at `pos` are a direct write's shape: whole 4 KB blocks. */
const blockShaped = (len: number, pos: number) => len >= 4096 && len % 4096 === 0 && pos % 4096 === 0;

test('direct and buffered logs are the same files byte for byte; direct groups go out as whole blocks, without fdatasync', async () => {
  const write = jest.spyOn(nodeFs, 'write');
  const writeSync = jest.spyOn(nodeFs, 'writeSync');
  const fdatasync = jest.spyOn(nodeFs, 'fdatasync');
  const fdatasyncSync = jest.spyOn(nodeFs, 'fdatasyncSync');
  const direct = await writeScript('direct', true);
  const directWrites = [...write.mock.calls.map((c) => [c[3], c[4]]), ...writeSync.mock.calls.map((c) => [c[3], c[4]])] as [number, number][];
  expect(directWrites.filter(([len, pos]) => blockShaped(len, pos)).length).toBeGreaterThanOrEqual(60);
  expect(fdatasync.mock.calls.length + fdatasyncSync.mock.calls.length).toBe(0);
  // Lone flushes block on this thread, the others go through the thread pool: both kinds were direct.
  expect(writeSync.mock.calls.some((c) => blockShaped(c[3] as number, c[4] as number))).toBe(true);
  expect(write.mock.calls.some((c) => blockShaped(c[3] as number, c[4] as number))).toBe(true);
  jest.restoreAllMocks();

  const buffered = await writeScript('buffered', false);
  const a = listLogFiles(path.join(direct));
  const b = listLogFiles(path.join(buffered));
  expect(a.map((f) => path.basename(f.file))).toEqual(b.map((f) => path.basename(f.file)));
  expect(a.length).toBe(2);
  for (let i = 0; i < a.length; i++) {
    const x = fs.readFileSync(a[i].file);
    const y = fs.readFileSync(b[i].file);
    expect(x.length).toBe(y.length);
    expect(x.equals(y)).toBe(true);
    const scan = scanLogFile(a[i].file);
    expect(scan.partialAt).toBeNull();
    expect(scan.entries.length).toBeGreaterThan(10);
  }
  const zxids = a.flatMap((f) => scanLogFile(f.file).entries.map((e) => e.hdr.zxid));
  expect(zxids).toEqual(Array.from({ length: zxids.length }, (_, i) => i + 1));
});

test('each group is durable as its flush completes: a reader sees every entry flushed so far', async () => {
  const log = new FileTxnLog(dir, { preAllocSize: 64 * 1024, directIo: true });
  let zxid = 1;
  for (let g = 0; g < 40; g++) {
    for (let i = 0; i < 1 + (g % 3); i++) append(log, zxid++, 1500 + g * 97);
    await flush(log, g % 2 === 0);
    const [file] = listLogFiles(dir);
    const scan = scanLogFile(file.file);
    expect(scan.partialAt).toBeNull();
    expect(scan.entries.map((e) => e.hdr.zxid)).toEqual(Array.from({ length: zxid - 1 }, (_, i) => i + 1));
    // Past the entries, zeros to the padded end, which moves ahead in 64 KB steps.
    const bytes = fs.readFileSync(file.file);
    expect(bytes.length % (64 * 1024)).toBe(0);
  }
  await log.close();
});

test('a file system that refuses a direct write: that group and the later ones are written the buffered way', async () => {
  const realWrite = nodeFs.write;
  let refused = 0;
  jest.spyOn(nodeFs, 'write').mockImplementation(((...args: unknown[]) => {
    const [, , , len, pos, cb] = args as [number, Buffer, number, number, number, (e: Error | null, n?: number) => void];
    if (typeof cb === 'function' && blockShaped(len, pos)) {
      refused++;
      const e = Object.assign(new Error('EINVAL: invalid argument, write'), { code: 'EINVAL' });
      setImmediate(() => cb(e));
      return;
    }
    return (realWrite as (...a: unknown[]) => void)(...args);
  }) as unknown as typeof fs.write);
  const fdatasync = jest.spyOn(nodeFs, 'fdatasync');
  const log = new FileTxnLog(dir, { preAllocSize: 1024 * 1024, directIo: true });
  let zxid = 1;
  for (let g = 0; g < 5; g++) {
    append(log, zxid++, 6000);
    append(log, zxid++, 300);
    await flush(log);
  }
  await log.close();
  expect(refused).toBe(1);
  expect(fdatasync).toHaveBeenCalledTimes(5);
  const [file] = listLogFiles(dir);
  const scan = scanLogFile(file.file);
  expect(scan.partialAt).toBeNull();
  expect(scan.entries.map((e) => e.hdr.zxid)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('forceSync off: never direct (nothing to make durable, the page cache is the fast way)', async () => {
  const open = jest.spyOn(nodeFs, 'open');
  const log = new FileTxnLog(dir, { preAllocSize: 1024 * 1024, directIo: true, forceSync: false });
  append(log, 1, 5000);
  await flush(log);
  await log.close();
  expect(open.mock.calls.filter((c) => typeof c[1] === 'number' && ((c[1] as number) & fs.constants.O_DIRECT) !== 0)).toEqual([]);
  expect(scanLogFile(listLogFiles(dir)[0].file).entries.length).toBe(1);
});
