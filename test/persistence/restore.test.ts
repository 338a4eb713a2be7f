/**
 * Restore (FileTxnSnapLog.restore): a snapshot taken in the middle of a log, then the txns after it. The
 * log is read a window at a time and the entries before the snapshot are checked but not decoded; these
 * tests pin that the result is the same tree, that only the later txns are replayed, and that a damaged
 * entry before the snapshot is still reported.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TxnHeader } from '../../src/jute/records';
import { Perms } from '../../src/protocol/enums';
import { OpCode } from '../../src/protocol/opCodes';
import { FileTxnSnapLog } from '../../src/persistence/fileTxnSnapLog';
import { FileTxnLog, CorruptDataError, scanLogFile } from '../../src/persistence/txnLog';
import { writeSnapshot } from '../../src/persistence/snapshot';
import { DataTree } from '../../src/tree/dataTree';
import { CreateTxn } from '../../src/jute/records';

const OPEN = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
const quiet = { error() {}, warn() {}, info() {}, debug() {} };

function txn(zxid: number): { hdr: TxnHeader; body: CreateTxn } {
  const hdr: TxnHeader = { clientId: 1n, cxid: zxid, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create };
  // Values of varying size, so entries straddle the read window at odd offsets.
  const body: CreateTxn = { path: zxid === 1 ? '/r' : `/r/n${zxid}`, data: Buffer.alloc(zxid % 700, zxid & 0xff), acl: OPEN, ephemeral: false, parentCVersion: -1 };
  return { hdr, body };
}

function flush(log: FileTxnLog): Promise<void> {
  return new Promise((resolve, reject) => log.flush((e) => (e ? reject(e) : resolve())));
}

describe('restore from a snapshot in the middle of a log', () => {
  let dir: string;
  const TOTAL = 30_000;
  const SNAP = 21_000;
  let expected: DataTree;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-restore-'));
    const logDir = path.join(dir, 'version-2');
    const log = new FileTxnLog(logDir, { forceSync: false });
    expected = new DataTree();
    for (let z = 1; z <= TOTAL; z++) {
      const { hdr, body } = txn(z);
      log.append(hdr, body);
      expect(expected.processTxn(hdr, body).err).toBe(0);
      if (z % 1000 === 0) await flush(log);
      if (z === SNAP) await writeSnapshot(logDir, { tree: expected, sessions: new Map(), zxid: SNAP }, false);
    }
    await log.close();
    // One log file, several times the 4 MB read window.
    expect(fs.readdirSync(logDir).filter((f) => f.startsWith('log.'))).toEqual(['log.1']);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('replays only the txns after the snapshot and ends with the same tree', () => {
    const tree = new DataTree();
    const r = new FileTxnSnapLog(dir, dir, quiet).restore(tree, 1 << 20);
    expect(r.zxid).toBe(TOTAL);
    expect(r.txnsReplayed).toBe(TOTAL - SNAP);
    expect(tree.nodeCount).toBe(expected.nodeCount);
    expect(tree.getNode('/r')!.childList()).toEqual(expected.getNode('/r')!.childList());
    for (const z of [2, SNAP, SNAP + 1, TOTAL - 1, TOTAL]) {
      expect(tree.getNode(`/r/n${z}`)!.data).toEqual(expected.getNode(`/r/n${z}`)!.data);
      expect(tree.getNode(`/r/n${z}`)!.stat()).toEqual(expected.getNode(`/r/n${z}`)!.stat());
    }
  });

  test('the log reads the same through its window as the dump tool sees it', () => {
    const scan = scanLogFile(path.join(dir, 'version-2', 'log.1'));
    expect(scan.entries.length).toBe(TOTAL);
    expect(scan.partialAt).toBeNull();
    expect(scan.entries[TOTAL - 1].offset).toBeGreaterThan(8 << 20);
    expect(scan.entries.map((e) => e.hdr.zxid)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect((scan.entries[TOTAL - 1].txn as CreateTxn).data).toEqual(txn(TOTAL).body.data);
  });

  test('an entry before the snapshot that fails its checksum is still reported, with file and offset', () => {
    const file = path.join(dir, 'version-2', 'log.1');
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-restore-bad-'));
    try {
      fs.mkdirSync(path.join(copy, 'version-2'));
      for (const f of fs.readdirSync(path.join(dir, 'version-2'))) fs.copyFileSync(path.join(dir, 'version-2', f), path.join(copy, 'version-2', f));
      const victim = scanLogFile(file).entries[5000];
      const bad = path.join(copy, 'version-2', 'log.1');
      const b = fs.readFileSync(bad);
      b[victim.offset + 40] ^= 4;
      fs.writeFileSync(bad, b);
      expect(() => new FileTxnSnapLog(copy, copy, quiet).restore(new DataTree(), 1 << 20)).toThrow(CorruptDataError);
      expect(() => new FileTxnSnapLog(copy, copy, quiet).restore(new DataTree(), 1 << 20)).toThrow(`log.1: checksum mismatch in txn entry at offset ${victim.offset}`);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('a snapshot the server was still writing when it stopped is removed at start-up', () => {
    const stale = path.join(dir, 'version-2', 'snapshot.75ff.tmp');
    fs.writeFileSync(stale, Buffer.alloc(1000));
    const said: string[] = [];
    new FileTxnSnapLog(dir, dir, { ...quiet, info: (m: string) => said.push(m) }).restore(new DataTree(), 1 << 20);
    expect(fs.existsSync(stale)).toBe(false);
    expect(said.some((m) => m.includes('snapshot.75ff.tmp'))).toBe(true);
  });
});
