/**
 * Snapshots (FileSnap): what is written reads back as the same tree — every Stat field, data, ACL, child
 * order and ephemeral ownership — including names whose bytes differ between UTF-8 and jute's encoding,
 * and a walk that meets deletes and creates while it yields to the event loop (a fuzzy snapshot).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ACL, TxnHeader } from '../../src/jute/records';
import { JuteWriter } from '../../src/jute/writer';
import { Perms } from '../../src/protocol/enums';
import { OpCode } from '../../src/protocol/opCodes';
import { readSnapshot, writeSnapshot } from '../../src/persistence/snapshot';
import { DataTree } from '../../src/tree/dataTree';
import { Adler32 } from '../../src/persistence/adler32';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, so that jest can spy on it
const nodeFs: typeof fs = require('fs');

const OPEN: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
const DIGEST: ACL[] = [{ perms: Perms.READ | Perms.ADMIN, id: { scheme: 'digest', id: 'u:2jmj7l5rSw0yVb/vlWAYkK/YBwk=' } }];
const SESSION = 0x0100018c5f3e0007n;

let zxid = 0;
function create(tree: DataTree, p: string, data: Buffer | null = Buffer.from(p), opts: { acl?: ACL[]; owner?: bigint } = {}): void {
  zxid++;
  const hdr: TxnHeader = { clientId: opts.owner ?? 1n, cxid: zxid, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.create };
  const r = tree.processTxn(hdr, { path: p, data, acl: opts.acl ?? OPEN, ephemeral: opts.owner !== undefined, parentCVersion: -1 });
  expect(r.err).toBe(0);
}

function remove(tree: DataTree, p: string): void {
  zxid++;
  tree.processTxn({ clientId: 1n, cxid: zxid, zxid, time: 1_700_000_000_000 + zxid, type: OpCode.delete }, { path: p });
}

/** Every znode with everything a snapshot keeps, children in listing order. */
function dump(tree: DataTree): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of tree.allPaths()) {
    const n = tree.getNode(p)!;
    out[p] = {
      data: n.data === null ? null : n.data.toString('hex'),
      acl: tree.aclOf(n),
      stat: { ...n.stat(), ephemeralOwner: String(n.ephemeralOwner) },
      children: n.childList(),
    };
  }
  return out;
}

/** A fresh directory for each test, removed after it. */
function useTempDir(): () => string {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-snap-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

describe('snapshot write and read', () => {
  const dir = useTempDir();

  test('a tree reads back exactly: data, null data, ACLs, Stats, child order, ephemerals, odd names', async () => {
    const tree = new DataTree();
    create(tree, '/a');
    create(tree, '/a/b', null);
    create(tree, '/a/b/c', Buffer.alloc(0), { acl: DIGEST });
    for (let i = 0; i < 30; i++) create(tree, `/a/n${i}`);
    remove(tree, '/a/n3');
    create(tree, '/a/é ü', Buffer.from([0, 1, 2]));
    create(tree, '/a/e1', Buffer.from('eph'), { owner: SESSION });
    create(tree, '/z', Buffer.alloc(70_000, 7));
    const file = await writeSnapshot(dir(), { tree, sessions: new Map([[SESSION, 30000]]), zxid: tree.lastProcessedZxid });

    const back = new DataTree();
    const loaded = readSnapshot(file, back);
    expect(loaded.zxid).toBe(tree.lastProcessedZxid);
    expect(loaded.sessions.get(SESSION)).toBe(30000);
    expect(dump(back)).toEqual(dump(tree));
    expect([...(back.ephemerals.get(SESSION) ?? [])]).toEqual(['/a/e1']);
    expect(back.nodeCount).toBe(tree.nodeCount);
    expect(back.approximateDataSize).toBe(tree.approximateDataSize);
  });

  test('a large snapshot is pushed to disk every 8 MB as it is written, though not fsynced at the end', async () => {
    const tree = new DataTree();
    create(tree, '/d');
    const value = Buffer.alloc(100_000, 0x5a);
    for (let i = 0; i < 300; i++) create(tree, `/d/n${i}`, value); // ~30 MB
    const syncs: number[] = [];
    const fdatasync = jest.spyOn(nodeFs, 'fdatasync').mockImplementation(((fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
      syncs.push(fs.fstatSync(fd).size);
      cb(null);
    }) as typeof fs.fdatasync);
    const fsync = jest.spyOn(nodeFs, 'fsync');
    try {
      const file = await writeSnapshot(dir(), { tree, sessions: new Map(), zxid: tree.lastProcessedZxid }, false);
      // One every 8 MB (at the end of the 1 MB write that crosses the mark), none for the tail.
      expect(syncs.length).toBe(Math.floor(fs.statSync(file).size / (8 << 20)));
      syncs.forEach((size, i) => expect(size - (i + 1) * (8 << 20)).toBeGreaterThanOrEqual(0));
      syncs.forEach((size, i) => expect(size - (i + 1) * (8 << 20)).toBeLessThan(2 << 20));
      expect(fsync).not.toHaveBeenCalled();
      const back = new DataTree();
      readSnapshot(file, back);
      expect(back.nodeCount).toBe(tree.nodeCount);
      expect(back.getNode('/d/n299')!.data!.equals(value)).toBe(true);
    } finally {
      fdatasync.mockRestore();
      fsync.mockRestore();
    }
  });

  test("a name with a supplementary character is written in jute's string encoding, as Apache writes it", async () => {
    const tree = new DataTree();
    create(tree, '/s');
    create(tree, '/s/\u{1F600}x');
    const file = await writeSnapshot(dir(), { tree, sessions: new Map(), zxid: tree.lastProcessedZxid }, false);
    const w = new JuteWriter();
    w.writeString('/s/\u{1F600}x');
    expect(fs.readFileSync(file).includes(w.buf.subarray(0, w.offset))).toBe(true);
  });

  test('the snapshot written before serving (blocking) has the same bytes, fsyncs, and never waits for the event loop', async () => {
    const tree = new DataTree();
    create(tree, '/a', Buffer.alloc(3000, 1));
    for (let i = 0; i < 3000; i++) create(tree, `/a/n${i}`, Buffer.from(`v${i}`));
    const src = { tree, sessions: new Map([[SESSION, 30000]]), zxid: tree.lastProcessedZxid };
    const fsyncSync = jest.spyOn(nodeFs, 'fsyncSync');
    const fsyncAsync = jest.spyOn(nodeFs, 'fsync');
    try {
      let turns = 0;
      const tick = setInterval(() => turns++, 0);
      const blockingDir = path.join(dir(), 'blocking');
      const blocking = await writeSnapshot(blockingDir, src, true, 0, true);
      clearInterval(tick);
      // Not one event-loop turn (timers, I/O callbacks) ran while it was written, though sliceMs is 0.
      expect(turns).toBe(0);
      // The file and the directory, inline; nothing through the thread pool.
      expect(fsyncSync).toHaveBeenCalledTimes(2);
      expect(fsyncAsync).not.toHaveBeenCalled();
      const threaded = await writeSnapshot(path.join(dir(), 'threaded'), src, true, 0, false);
      expect(fsyncAsync).toHaveBeenCalled();
      expect(fs.readFileSync(blocking).equals(fs.readFileSync(threaded))).toBe(true);
      expect(fs.readdirSync(blockingDir)).toEqual([path.basename(blocking)]);
    } finally {
      fsyncSync.mockRestore();
      fsyncAsync.mockRestore();
    }
  });

  test('a walk that yields meets deletes and creates: deleted subtrees drop out, every node has its parent', async () => {
    const tree = new DataTree();
    create(tree, '/big');
    for (let i = 0; i < 20; i++) {
      create(tree, `/big/p${i}`);
      for (let j = 0; j < 600; j++) create(tree, `/big/p${i}/c${j}`, null);
    }
    const snapZxid = tree.lastProcessedZxid;
    const writing = writeSnapshot(dir(), { tree, sessions: new Map(), zxid: snapZxid }, false, 0);
    // Runs between the walk's slices (of 256 znodes with sliceMs 0).
    await new Promise((r) => setImmediate(r));
    for (let j = 0; j < 600; j++) remove(tree, `/big/p19/c${j}`);
    remove(tree, '/big/p19');
    create(tree, '/big/p19');
    create(tree, '/big/late');
    const file = await writing;

    const back = new DataTree();
    readSnapshot(file, back);
    // p19 was deleted and re-created during the walk: its old children are not in the snapshot.
    expect(back.getNode('/big/p19/c0')).toBeUndefined();
    for (const p of back.allPaths()) {
      if (p === '') continue;
      expect(back.getNode(p.substring(0, p.lastIndexOf('/')) || '')).toBeDefined();
    }
    expect(back.getNode('/big/p0/c599')).toBeDefined();
  });
});

/** A snapshot file made by hand: the given znodes in the given order (paths, data), one open ACL. */
function handMadeSnapshot(file: string, nodes: [string, string | null][]): void {
  const w = new JuteWriter();
  w.writeInt(0x5a4b534e);
  w.writeInt(2);
  w.writeLong(0n);
  w.writeInt(0); // sessions
  w.writeInt(1); // ACL map
  w.writeLong53(1);
  w.writeInt(1);
  w.writeInt(Perms.ALL);
  w.writeString('world');
  w.writeString('anyone');
  for (const [p, data] of nodes) {
    w.writeString(p);
    w.writeBuffer(data === null ? null : Buffer.from(data));
    w.writeLong53(p === '' ? -1 : 1);
    for (let k = 0; k < 4; k++) w.writeLong53(1);
    for (let k = 0; k < 3; k++) w.writeInt(0);
    w.writeLong53(0);
    w.writeLong53(1);
  }
  w.writeString('/');
  const body = w.buf.subarray(0, w.offset);
  const seal = new JuteWriter();
  seal.writeLong53(new Adler32().update(body).value);
  seal.writeString('/');
  fs.writeFileSync(file, Buffer.concat([body, seal.buf.subarray(0, seal.offset)]));
}

describe('snapshot reading', () => {
  const dir = useTempDir();

  test('a snapshot many times the read window, with a znode larger than the window, reads back exactly', async () => {
    const tree = new DataTree();
    create(tree, '/w');
    // Records of odd sizes, so that window boundaries fall inside paths, lengths, data and Stats.
    for (let i = 0; i < 30_000; i++) create(tree, `/w/n${i}`, Buffer.alloc(i % 397, i & 0xff));
    create(tree, '/w/big', Buffer.alloc(6 << 20, 9));
    for (let i = 0; i < 2_000; i++) create(tree, `/w/after${i}`, i % 3 === 0 ? null : Buffer.from(`v${i}`), { acl: i % 2 === 0 ? DIGEST : OPEN });
    const file = await writeSnapshot(dir(), { tree, sessions: new Map([[SESSION, 30000]]), zxid: tree.lastProcessedZxid }, false);
    expect(fs.statSync(file).size).toBeGreaterThan(12 << 20);

    const back = new DataTree();
    readSnapshot(file, back);
    expect(dump(back)).toEqual(dump(tree));
    expect(back.approximateDataSize).toBe(tree.approximateDataSize);
    // The (parent, name) table was built after the load: lookups and new children work.
    expect(back.getNode('/w/n29999')!.data!.length).toBe(29_999 % 397);
    expect(back.getNode('/w/missing')).toBeUndefined();
    create(back, '/w/n30000');
    expect(back.getNode('/w/n30000')).toBeDefined();
  });

  test('a snapshot cut short anywhere is refused as corrupt, naming the file', async () => {
    const tree = new DataTree();
    create(tree, '/a');
    for (let i = 0; i < 50; i++) create(tree, `/a/n${i}`, Buffer.from(`data ${i}`), { acl: i % 2 ? DIGEST : OPEN });
    const file = await writeSnapshot(dir(), { tree, sessions: new Map([[SESSION, 30000]]), zxid: tree.lastProcessedZxid }, false);
    const whole = fs.readFileSync(file);
    const cut = path.join(dir(), 'snapshot.1');
    // Up to the end of the first seal (what follows it, the digest, Apache 3.4 did not write).
    const sealEnd = whole.length - 8 - 4 - 8 - 8 - 4 - 1;
    expect(readSnapshot(file, new DataTree()).zxid).toBe(tree.lastProcessedZxid);
    for (let len = 0; len < sealEnd; len += len < 200 || len > sealEnd - 200 ? 1 : 7) {
      fs.writeFileSync(cut, whole.subarray(0, len));
      expect(() => readSnapshot(cut, new DataTree())).toThrow(/snapshot\.1: /);
    }
  });

  test('znodes not listed depth first still find their parents', () => {
    const file = path.join(dir(), 'snapshot.5');
    handMadeSnapshot(file, [
      ['', null],
      ['/a', 'A'],
      ['/b', 'B'],
      ['/b/y', 'BY'],
      ['/a/x', 'AX'],
      ['/a/x/deep', 'D'],
      ['/b/z', 'BZ'],
    ]);
    const back = new DataTree();
    readSnapshot(file, back);
    expect(back.getNode('/a')!.childList()).toEqual(['x']);
    expect(back.getNode('/b')!.childList()).toEqual(['y', 'z']);
    expect(back.getNode('/a/x/deep')!.data!.toString()).toBe('D');
    // Apache's node count has the root twice ("" and "/").
    expect(back.nodeCount).toBe(8);
  });

  test('a path listed twice loads as Apache 3.8 loads it (the later record wins); a missing parent is refused', () => {
    const twice = path.join(dir(), 'snapshot.6');
    handMadeSnapshot(twice, [
      ['', null],
      ['/a', 'A'],
      ['/a/x', '1'],
      ['/a/x', '2'],
    ]);
    // Checked by hand against Apache 3.8.0 started on this file: `get /a/x` is 2, `ls /a` is [x].
    const back = new DataTree();
    readSnapshot(twice, back);
    expect(back.getNode('/a')!.childList()).toEqual(['x']);
    expect(back.getNode('/a/x')!.data!.toString()).toBe('2');
    create(back, '/a/y');
    expect(back.getNode('/a')!.childList()).toEqual(['x', 'y']);
    const orphan = path.join(dir(), 'snapshot.7');
    handMadeSnapshot(orphan, [
      ['', null],
      ['/a', 'A'],
      ['/q/x', '1'],
    ]);
    expect(() => readSnapshot(orphan, new DataTree())).toThrow(/unable to find parent \/q of path \/q\/x/);
  });
});
