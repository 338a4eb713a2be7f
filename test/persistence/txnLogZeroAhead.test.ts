/**
 * The txn log writes zeros over the hole just past its end while groups are small, so that a group's
 * fdatasync overwrites blocks an earlier one made durable instead of allocating new ones. The zeros must
 * never land on data, never grow the file, and the log must read back the same.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpCode } from '../../src/protocol/opCodes';
import { FileTxnLog, scanLogFile, ZERO_AHEAD } from '../../src/persistence/txnLog';

const nodeFs: typeof fs = require('fs');

interface Write {
  position: number;
  length: number;
  zeros: boolean;
}

let dir: string;
let writes: Write[];
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-zeroahead-'));
  writes = [];
  const real = nodeFs.writeSync;
  jest.spyOn(nodeFs, 'writeSync').mockImplementation(((fd: number, buf: Buffer, off: number, len: number, pos: number) => {
    const bytes = buf.subarray(off, off + len);
    writes.push({ position: pos, length: len, zeros: bytes.every((b) => b === 0) });
    return real(fd, buf, off, len, pos);
  }) as typeof fs.writeSync);
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function append(log: FileTxnLog, zxid: number, size: number): void {
  log.append({ clientId: 1n, cxid: zxid, zxid, time: 0, type: OpCode.setData }, { path: '/a', data: Buffer.alloc(size, 7), version: zxid });
}

function flush(log: FileTxnLog): Promise<void> {
  return new Promise((resolve, reject) => log.flush((e) => (e ? reject(e) : resolve())));
}

/** Zero blocks written by zeroAhead (not the single byte that sets the padded size). */
const zeroBlocks = () => writes.filter((w) => w.zeros && w.length > 1);
const dataWrites = () => writes.filter((w) => !w.zeros);

test('small groups: zeros are written a block ahead of the end, from where the last block stopped', async () => {
  const log = new FileTxnLog(dir, { preAllocSize: 1024 * 1024 });
  let zxid = 1;
  append(log, zxid++, 1000);
  await flush(log);
  // The header, the group, the padded size, then a block of zeros right after the group.
  expect(dataWrites()[0]).toEqual({ position: 0, length: 16, zeros: false });
  const first = dataWrites()[1];
  expect(first.position).toBe(16);
  expect(zeroBlocks()).toEqual([{ position: first.position + first.length, length: ZERO_AHEAD, zeros: true }]);
  let zeroedTo = first.position + first.length + ZERO_AHEAD;
  // Groups of ~10 KB: a new block each time the end comes within half a block of the zeros' end.
  for (let i = 0; i < 40; i++) {
    const before = zeroBlocks().length;
    const end = () => dataWrites().at(-1)!.position + dataWrites().at(-1)!.length;
    append(log, zxid++, 5000);
    append(log, zxid++, 5000);
    await flush(log);
    const added = zeroBlocks().slice(before);
    if (end() + ZERO_AHEAD / 2 > zeroedTo) {
      expect(added).toEqual([{ position: zeroedTo, length: ZERO_AHEAD, zeros: true }]);
      zeroedTo += ZERO_AHEAD;
    } else {
      expect(added).toEqual([]);
    }
  }
  expect(zeroBlocks().length).toBeGreaterThan(5);
  // Zeros never land on data written before them (data is written over zeros, never the reverse).
  writes.forEach((z, i) => {
    if (!z.zeros || z.length === 1) return;
    for (const d of writes.slice(0, i).filter((w) => !w.zeros)) expect(z.position >= d.position + d.length).toBe(true);
  });
  await log.close();
  const scan = scanLogFile(log.currentFile!);
  expect(scan.entries.map((e) => e.hdr.zxid)).toEqual(Array.from({ length: zxid - 1 }, (_, i) => i + 1));
  expect(scan.partialAt).toBeNull();
});

test('a group larger than the block writes no zeros; zeros never reach the padded end', async () => {
  const log = new FileTxnLog(dir, { preAllocSize: 128 * 1024 });
  append(log, 1, ZERO_AHEAD + 1000);
  await flush(log);
  expect(zeroBlocks()).toEqual([]);
  // Small groups near the end of a 128 KB file: the zeros stop short of the byte that sets its size.
  let zxid = 2;
  for (let i = 0; i < 8; i++) {
    append(log, zxid++, 2000);
    await flush(log);
  }
  const size = fs.statSync(log.currentFile!).size;
  for (const z of zeroBlocks()) expect(z.position + z.length).toBeLessThanOrEqual(size - 1);
  expect(zeroBlocks().length).toBeGreaterThan(0);
  await log.close();
  expect(fs.statSync(scanLogFile(log.currentFile!).file).size).toBe(size);
  expect(scanLogFile(log.currentFile!).entries).toHaveLength(zxid - 1);
});
