/**
 * DataTree: the initial tree, how each transaction type changes it (DataTree.processTxn), the parent
 * bookkeeping (cversion, pzxid), ephemerals, and the watches transactions trigger, as Apache's DataTree.
 *
 * A node stores StatPersisted, whose cversion counts child creates; the Stat a client sees
 * (DataNode.copyStat, here DataNode.stat()) reports cversion as creates + deletes = 2 * cversion - numChildren
 * and ephemeralOwner only for plain ephemerals.
 */
import { ACL, Stat, TxnHeader } from '../../src/jute/records';
import { JuteReader } from '../../src/jute/reader';
import { JuteWriter } from '../../src/jute/writer';
import { Code } from '../../src/protocol/errors';
import { ReplyWriter, ZERO_COPY_MIN } from '../../src/protocol/replyWriter';
import { EventType, Perms } from '../../src/protocol/enums';
import { OpCode } from '../../src/protocol/opCodes';
import { CONTAINER_EPHEMERAL_OWNER } from '../../src/tree/ephemeralType';
import { DataTree } from '../../src/tree/dataTree';
import { SubTxn, TxnBody } from '../../src/tree/txn';
import { Watcher } from '../../src/tree/watchManager';

const SESSION = 0x0100018c5f3e0000n;
const OTHER = 0x0100018c5f3e0001n;
const OPEN: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
const READ_ONLY: ACL[] = [{ perms: Perms.READ, id: { scheme: 'world', id: 'anyone' } }];

const hdr = (type: number, zxid: number, clientId = SESSION): TxnHeader => ({
  clientId,
  cxid: zxid * 10,
  zxid,
  time: 1_700_000_000_000 + zxid,
  type,
});

interface CreateOpts {
  data?: Buffer | null;
  acl?: ACL[];
  ephemeral?: boolean;
  parentCVersion?: number;
  clientId?: bigint;
  type?: number;
}

const createTxn = (path: string, o: CreateOpts = {}) => ({
  path,
  data: o.data === undefined ? Buffer.from('x') : o.data,
  acl: o.acl ?? OPEN,
  ephemeral: o.ephemeral ?? false,
  parentCVersion: o.parentCVersion ?? -1,
});

function create(t: DataTree, path: string, zxid: number, o: CreateOpts = {}) {
  return t.processTxn(hdr(o.type ?? OpCode.create, zxid, o.clientId), createTxn(path, o));
}
const del = (t: DataTree, path: string, zxid: number) => t.processTxn(hdr(OpCode.delete, zxid), { path });
const setData = (t: DataTree, path: string, data: Buffer | null, version: number, zxid: number) =>
  t.processTxn(hdr(OpCode.setData, zxid), { path, data, version });
const multi = (t: DataTree, zxid: number, txns: SubTxn[]) => t.processTxn(hdr(OpCode.multi, zxid), { txns });

class RecordingWatcher implements Watcher {
  readonly events: [number, string][] = [];
  constructor(readonly sessionId: bigint = SESSION) {}
  process(type: number, path: string): void {
    this.events.push([type, path]);
  }
}

/** The persisted (StatPersisted) cversion and pzxid of a node. */
const persisted = (t: DataTree, path: string) => {
  const n = t.getNode(path)!;
  return { cversion: n.cversion, pzxid: n.pzxid, numChildren: n.numChildren };
};

/** exists() with a watch: the watch is set even when the node is missing (and NONODE thrown). */
function existsWatch(t: DataTree, path: string, w: Watcher): boolean {
  try {
    t.statNode(path, w);
    return true;
  } catch (e) {
    expect(e).toMatchObject({ code: Code.NONODE });
    return false;
  }
}

const snapshotOf = (t: DataTree) =>
  t.allPaths().map((p) => {
    const n = t.getNode(p)!;
    return [p, n.stat(), n.data?.toString('hex') ?? null, n.childNames().sort(), t.aclOf(n)];
  });

describe('the initial tree', () => {
  const t = new DataTree();

  test('holds /, /zookeeper, /zookeeper/quota and /zookeeper/config; the root is keyed both "" and "/"', () => {
    expect(t.allPaths().sort()).toEqual(['', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']);
    expect(t.getNode('')!.id).toBe(t.getNode('/')!.id);
    expect(t.nodeCount).toBe(5);
    expect(t.getAllChildrenNumber('/')).toBe(3);
    expect(t.getAllChildrenNumber('/zookeeper')).toBe(2);
  });

  test('children: / has zookeeper; /zookeeper has quota and config', () => {
    expect(t.getNode('/')!.childNames()).toEqual(['zookeeper']);
    expect(t.getNode('/zookeeper')!.childNames().sort()).toEqual(['config', 'quota']);
    expect(t.getNode('/zookeeper/quota')!.numChildren).toBe(0);
  });

  test('every persisted stat is zero but /zookeeper/config\'s aversion, -1 (setACL with version -1)', () => {
    const zero = {
      czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0,
      ephemeralOwner: 0n, dataLength: 0, numChildren: 0, pzxid: 0,
    };
    for (const p of ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config']) {
      expect(persisted(t, p)).toMatchObject({ cversion: 0, pzxid: 0 });
    }
    // No child was created by a txn, so a client sees cversion 0 * 2 - numChildren: `stat /` shows -1.
    expect(t.getNode('/')!.stat()).toEqual({ ...zero, numChildren: 1, cversion: -1 });
    expect(t.getNode('/zookeeper')!.stat()).toEqual({ ...zero, numChildren: 2, cversion: -2 });
    expect(t.getNode('/zookeeper/quota')!.stat()).toEqual(zero);
    expect(t.getNode('/zookeeper/config')!.stat()).toEqual({ ...zero, aversion: -1 });
    expect(t.lastProcessedZxid).toBe(0);
  });

  test('/zookeeper/config is READ_ACL_UNSAFE; the others are OPEN_ACL_UNSAFE', () => {
    expect(t.aclOf(t.getNode('/zookeeper/config')!)).toEqual(READ_ONLY);
    expect(t.aclOf(t.getNode('/')!)).toEqual(OPEN);
    expect(t.aclOf(t.getNode('/zookeeper')!)).toEqual(OPEN);
    expect(t.aclOf(t.getNode('/zookeeper/quota')!)).toEqual(OPEN);
  });
});

describe('create / create2', () => {
  test('creates the node with czxid = mzxid = pzxid = zxid and ctime = mtime = the txn time', () => {
    const t = new DataTree();
    const rc = create(t, '/a', 5, { data: Buffer.from('hello') });
    expect(rc).toMatchObject({ clientId: SESSION, cxid: 50, zxid: 5, type: OpCode.create, err: 0, path: '/a' });
    expect(rc.stat).toBeNull(); // create (1) returns no stat; create2 does
    const n = t.getNode('/a')!;
    expect(n.stat()).toEqual({
      czxid: 5, mzxid: 5, ctime: 1_700_000_000_005, mtime: 1_700_000_000_005, version: 0, cversion: 0,
      aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0, pzxid: 5,
    });
    expect(n.data).toEqual(Buffer.from('hello'));
    expect(t.aclOf(n)).toEqual(OPEN);
    expect(t.nodeCount).toBe(6);
    expect(t.lastProcessedZxid).toBe(5);
  });

  test('a create writes the znode\'s record once: no dead copy is left in the store\'s pages', () => {
    const t = new DataTree();
    // (The root's first record, null data, was replaced with empty data as the tree was set up.)
    const dead = t.store.deadRecordBytes;
    for (let i = 0; i < 100; i++) create(t, `/n${i}`, i + 1, { data: i % 10 === 0 ? null : Buffer.alloc(i, i) });
    expect(t.store.deadRecordBytes).toBe(dead);
    for (let i = 0; i < 100; i++) expect(t.getNode(`/n${i}`)!.data).toEqual(i % 10 === 0 ? null : Buffer.alloc(i, i));
    setData(t, '/n1', Buffer.from('longer than one byte'), 0, 101);
    expect(t.store.deadRecordBytes).toBeGreaterThan(dead);
  });

  test('create2 returns the new node\'s stat', () => {
    const t = new DataTree();
    const rc = create(t, '/a', 5, { type: OpCode.create2 });
    expect(rc.stat).toEqual(t.getNode('/a')!.stat());
  });

  test('parentCVersion -1 bumps the parent\'s cversion by one and sets its pzxid', () => {
    const t = new DataTree();
    create(t, '/a', 3);
    create(t, '/b', 4);
    expect(persisted(t, '/')).toEqual({ cversion: 2, pzxid: 4, numChildren: 3 });
    expect(t.getNode('/')!.stat()).toMatchObject({ cversion: 2 * 2 - 3, pzxid: 4, numChildren: 3, mzxid: 0 });
  });

  test("the parent's cversion becomes the txn's parentCVersion, and its pzxid the txn's zxid", () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/c', 9, { parentCVersion: 7 });
    expect(persisted(t, '/p')).toEqual({ cversion: 7, pzxid: 9, numChildren: 1 });
    expect(t.getNode('/p')!.stat()).toMatchObject({ cversion: 13, pzxid: 9, mzxid: 1 });
  });

  test('a parentCVersion not above the current one (a replayed txn) leaves cversion and pzxid alone', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/c1', 2, { parentCVersion: 5 });
    create(t, '/p/c2', 3, { parentCVersion: 5 });
    create(t, '/p/c3', 4, { parentCVersion: 2 });
    expect(persisted(t, '/p')).toEqual({ cversion: 5, pzxid: 2, numChildren: 3 });
  });

  test('only the parent changes, not the grandparent', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    create(t, '/a/b', 2);
    create(t, '/a/b/c', 3);
    expect(persisted(t, '/a')).toEqual({ cversion: 1, pzxid: 2, numChildren: 1 });
    expect(persisted(t, '/a/b')).toEqual({ cversion: 1, pzxid: 3, numChildren: 1 });
    expect(t.getNode('/a')!.stat()).toMatchObject({ cversion: 1, pzxid: 2 });
  });

  test("create of an existing node: NODEEXISTS, the node untouched, yet the parent's cversion and pzxid move", () => {
    // DataTree.processTxn: a create txn failing with NODEEXISTS (met when replaying a log over a fuzzy
    // snapshot) still applies the txn's parentCVersion to the parent, so cversion and pzxid stay consistent.
    const t = new DataTree();
    create(t, '/a', 1, { data: Buffer.from('first') });
    const node = t.getNode('/a')!.stat();
    const rc = create(t, '/a', 2, { data: Buffer.from('second') });
    expect(rc.err).toBe(Code.NODEEXISTS);
    expect(rc.path).toBe('/a');
    expect(t.getNode('/a')!.stat()).toEqual(node);
    expect(t.getNode('/a')!.data!.toString()).toBe('first');
    expect(persisted(t, '/')).toEqual({ cversion: 2, pzxid: 2, numChildren: 2 });
    expect(t.nodeCount).toBe(6);
    expect(t.lastProcessedZxid).toBe(2);
  });

  test('create2 of an existing node: NODEEXISTS and nothing changes (Apache adjusts the parent for create only)', () => {
    const t = new DataTree();
    create(t, '/a', 1, { data: Buffer.from('first') });
    const before = snapshotOf(t);
    const rc = create(t, '/a', 2, { data: Buffer.from('second'), type: OpCode.create2 });
    expect(rc.err).toBe(Code.NODEEXISTS);
    expect(snapshotOf(t)).toEqual(before);
  });

  test('container and TTL creates of an existing node: NODEEXISTS, no Stat, the node keeps its kind and data', () => {
    const t = new DataTree({ extendedTypesEnabled: true });
    t.processTxn(hdr(OpCode.createContainer, 1), { path: '/c', data: Buffer.from('c'), acl: OPEN, parentCVersion: -1 });
    t.processTxn(hdr(OpCode.createTTL, 2), { path: '/t', data: Buffer.from('t'), acl: OPEN, parentCVersion: -1, ttl: 5000 });
    const before = snapshotOf(t);
    // Replayed again, each as the other kind too.
    for (const [type, path, zxid] of [
      [OpCode.createContainer, '/c', 3],
      [OpCode.createTTL, '/c', 4],
      [OpCode.createTTL, '/t', 5],
      [OpCode.createContainer, '/t', 6],
    ] as const) {
      const rc = t.processTxn(hdr(type, zxid), { path, data: Buffer.from('again'), acl: OPEN, parentCVersion: -1, ttl: 9000 });
      expect([rc.err, rc.path, rc.stat]).toEqual([Code.NODEEXISTS, path, null]);
    }
    expect(snapshotOf(t)).toEqual(before);
    expect(t.containers.has('/c')).toBe(true);
    expect(t.ttls.has('/t')).toBe(true);
    expect(t.containers.has('/t') || t.ttls.has('/c')).toBe(false);
    expect(t.lastProcessedZxid).toBe(6);
  });

  test('an existing node with a parentCVersion not above the current one: the parent stays as it is', () => {
    const t = new DataTree();
    create(t, '/a', 1, { parentCVersion: 4 });
    create(t, '/a', 2, { parentCVersion: 3 });
    expect(persisted(t, '/')).toEqual({ cversion: 4, pzxid: 1, numChildren: 2 });
  });

  test('a missing parent: NONODE', () => {
    const t = new DataTree();
    expect(create(t, '/missing/child', 1).err).toBe(Code.NONODE);
    expect(t.getNode('/missing/child')).toBeUndefined();
  });

  test('null data is kept as null (dataLength 0)', () => {
    const t = new DataTree();
    create(t, '/n', 1, { data: null });
    expect(t.getNode('/n')!.data).toBeNull();
    expect(t.getNode('/n')!.stat().dataLength).toBe(0);
  });

  test('the node keeps its own copy of the data', () => {
    const t = new DataTree();
    const data = Buffer.from('abc');
    create(t, '/a', 1, { data });
    data[0] = 0x7a;
    expect(t.getNode('/a')!.data!.toString()).toBe('abc');
  });

  test('lastProcessedZxid only moves forward', () => {
    const t = new DataTree();
    create(t, '/a', 10);
    create(t, '/b', 4);
    expect(t.lastProcessedZxid).toBe(10);
  });

  test('a container is tracked as one; its owner is the container marker, which clients see as 0', () => {
    const t = new DataTree();
    const rc = t.processTxn(hdr(OpCode.createContainer, 1), { path: '/c', data: null, acl: OPEN, parentCVersion: -1 });
    expect(rc.err).toBe(0);
    expect(t.getNode('/c')!.ephemeralOwner).toBe(CONTAINER_EPHEMERAL_OWNER);
    expect(rc.stat!.ephemeralOwner).toBe(0n);
    expect(t.containers.has('/c')).toBe(true);
    expect(t.ephemerals.size).toBe(0);
    del(t, '/c', 2);
    expect(t.containers.has('/c')).toBe(false);
  });
});

describe('delete', () => {
  test("removes the node; the parent's pzxid becomes the zxid but its cversion does not change", () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/c', 2);
    const rc = del(t, '/p/c', 3);
    expect(rc).toMatchObject({ err: 0, path: '/p/c', type: OpCode.delete, zxid: 3 });
    expect(t.getNode('/p/c')).toBeUndefined();
    expect(persisted(t, '/p')).toEqual({ cversion: 1, pzxid: 3, numChildren: 0 });
    // A client sees creates + deletes: 2 * 1 - 0.
    expect(t.getNode('/p')!.stat()).toMatchObject({ cversion: 2, pzxid: 3, numChildren: 0, mzxid: 1 });
    expect(t.nodeCount).toBe(6);
  });

  test("a missing node: NONODE, yet the parent's pzxid still moves (fuzzy-snapshot replay)", () => {
    const t = new DataTree();
    create(t, '/p', 1);
    const rc = del(t, '/p/ghost', 7);
    expect(rc.err).toBe(Code.NONODE);
    expect(persisted(t, '/p')).toEqual({ pzxid: 7, cversion: 0, numChildren: 0 });
  });

  test('a missing parent: NONODE', () => {
    const t = new DataTree();
    expect(del(t, '/no/such', 2).err).toBe(Code.NONODE);
  });

  test("a delete with a zxid below the parent's pzxid does not move pzxid back", () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/a', 2);
    create(t, '/p/b', 10);
    del(t, '/p/a', 5);
    expect(persisted(t, '/p').pzxid).toBe(10);
  });

  test('the ACL of a deleted node is released from the cache', () => {
    const t = new DataTree();
    const acl: ACL[] = [{ perms: Perms.READ, id: { scheme: 'ip', id: '10.0.0.1' } }];
    create(t, '/a', 1, { acl });
    const size = t.aclCache.size;
    del(t, '/a', 2);
    expect(t.aclCache.size).toBe(size - 1);
  });
});

describe('setData, setACL, check, error', () => {
  test('setData sets data, version (from the txn), mzxid and mtime, and names the znode whose Stat the reply writes', () => {
    const t = new DataTree();
    create(t, '/a', 1, { data: Buffer.from('one') });
    const rc = setData(t, '/a', Buffer.from('three'), 7, 4);
    expect(rc.err).toBe(0);
    expect(rc.path).toBe('/a');
    // A lone setData carries no Stat object: the reply writes it from the tree.
    expect(rc.stat).toBeNull();
    const w = new JuteWriter(16);
    t.writeStatOf(w, rc.node);
    const expected = {
      czxid: 1, mzxid: 4, ctime: 1_700_000_000_001, mtime: 1_700_000_000_004, version: 7, cversion: 0,
      aversion: 0, ephemeralOwner: 0n, dataLength: 5, numChildren: 0, pzxid: 1,
    };
    expect(Stat.read(new JuteReader(w.toBuffer()))).toEqual(expected);
    // The same txn inside a multi keeps its Stat object (MultiResponse writes it after every op is applied).
    const sub = t.processTxn(hdr(OpCode.setData, 5), { path: '/a', data: Buffer.from('three'), version: 8 }, true);
    expect(sub.stat).toEqual({ ...expected, mzxid: 5, mtime: 1_700_000_000_005, version: 8 });
    expect(t.getNode('/a')!.data!.toString()).toBe('three');
    expect(t.getNode('/')!.stat().pzxid).toBe(1);
  });

  test('setData on a missing node: NONODE', () => {
    expect(setData(new DataTree(), '/none', null, 1, 1).err).toBe(Code.NONODE);
  });

  test('setACL sets the ACL and aversion (from the txn), and returns the stat', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const rc = t.processTxn(hdr(OpCode.setACL, 2), { path: '/a', acl: READ_ONLY, version: 3 });
    expect(rc.err).toBe(0);
    expect(rc.stat).toMatchObject({ aversion: 3, version: 0, mzxid: 1 });
    expect(t.aclOf(t.getNode('/a')!)).toEqual(READ_ONLY);
    expect(t.processTxn(hdr(OpCode.setACL, 3), { path: '/none', acl: OPEN, version: 1 }).err).toBe(Code.NONODE);
  });

  test('an error txn reports its code and changes nothing but lastProcessedZxid', () => {
    const t = new DataTree();
    const before = snapshotOf(t);
    const rc = t.processTxn(hdr(OpCode.error, 3), { err: Code.NODEEXISTS });
    expect(rc).toMatchObject({ err: Code.NODEEXISTS, type: OpCode.error, zxid: 3 });
    expect(snapshotOf(t)).toEqual(before);
    expect(t.lastProcessedZxid).toBe(3);
  });

  test('a check txn changes nothing', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const before = snapshotOf(t);
    const rc = t.processTxn(hdr(OpCode.check, 2), { path: '/a', version: 0 });
    expect(rc).toMatchObject({ err: 0, path: '/a' });
    expect(snapshotOf(t)).toEqual(before);
  });
});

describe('multi', () => {
  test('a successful multi applies every op at the multi\'s zxid and reports each result', () => {
    const t = new DataTree();
    create(t, '/old', 1);
    const rc = multi(t, 5, [
      { type: OpCode.create, txn: createTxn('/m') },
      { type: OpCode.create, txn: createTxn('/m/c') },
      { type: OpCode.setData, txn: { path: '/m', data: Buffer.from('d'), version: 1 } },
      { type: OpCode.delete, txn: { path: '/old' } },
      { type: OpCode.check, txn: { path: '/m', version: 1 } },
    ]);
    expect(rc.err).toBe(0);
    expect(rc.multiResult!.map((r) => [r.type, r.err, r.path, r.zxid])).toEqual([
      [OpCode.create, 0, '/m', 5],
      [OpCode.create, 0, '/m/c', 5],
      [OpCode.setData, 0, '/m', 5],
      [OpCode.delete, 0, '/old', 5],
      [OpCode.check, 0, '/m', 5],
    ]);
    expect(t.getNode('/m')!.stat()).toMatchObject({ czxid: 5, mzxid: 5, version: 1, pzxid: 5, numChildren: 1 });
    expect(persisted(t, '/m').cversion).toBe(1);
    expect(t.getNode('/old')).toBeUndefined();
    expect(t.lastProcessedZxid).toBe(5);
  });

  test('a failed multi: ops before the failure report 0, the failing op its code, later ops -2; nothing is applied', () => {
    const t = new DataTree();
    create(t, '/x', 1);
    const before = snapshotOf(t);
    const watcher = new RecordingWatcher();
    existsWatch(t, '/a', watcher);
    t.getData('/x', watcher);
    t.getChildren('/', watcher);
    // As PrepRequestProcessor logs it: real txns up to the failure, then ErrorTxns.
    const rc = multi(t, 6, [
      { type: OpCode.create, txn: createTxn('/a') },
      { type: OpCode.setData, txn: { path: '/x', data: Buffer.from('new'), version: 1 } },
      { type: OpCode.error, txn: { err: Code.NONODE } },
      { type: OpCode.error, txn: { err: Code.RUNTIMEINCONSISTENCY } },
    ]);
    expect(rc.err).toBe(Code.NONODE);
    expect(rc.multiResult!.map((r) => [r.type, r.err])).toEqual([
      [OpCode.error, Code.OK],
      [OpCode.error, Code.OK],
      [OpCode.error, Code.NONODE],
      [OpCode.error, Code.RUNTIMEINCONSISTENCY],
    ]);
    expect(snapshotOf(t)).toEqual(before);
    expect(watcher.events).toEqual([]);
    expect(t.lastProcessedZxid).toBe(6);
  });

  test('ops after the failing one become RUNTIMEINCONSISTENCY even if logged as real txns', () => {
    const t = new DataTree();
    const rc = multi(t, 2, [
      { type: OpCode.error, txn: { err: Code.BADVERSION } },
      { type: OpCode.create, txn: createTxn('/late') },
    ]);
    expect(rc.multiResult!.map((r) => r.err)).toEqual([Code.BADVERSION, Code.RUNTIMEINCONSISTENCY]);
    expect(rc.err).toBe(Code.BADVERSION);
    expect(t.getNode('/late')).toBeUndefined();
  });

  test("the multi's error is the first sub-result's non-zero error", () => {
    const t = new DataTree();
    const rc = multi(t, 2, [
      { type: OpCode.create, txn: createTxn('/a') },
      { type: OpCode.create, txn: createTxn('/a') }, // replay of an applied create: NODEEXISTS
    ]);
    expect(rc.multiResult!.map((r) => r.err)).toEqual([0, Code.NODEEXISTS]);
    expect(rc.err).toBe(Code.NODEEXISTS);
  });
});

describe('ephemerals', () => {
  test('an ephemeral create records the session as owner and tracks the path under the session', () => {
    const t = new DataTree();
    create(t, '/e1', 1, { ephemeral: true });
    create(t, '/e2', 2, { ephemeral: true });
    create(t, '/o', 3, { ephemeral: true, clientId: OTHER });
    create(t, '/persistent', 4);
    expect(t.getNode('/e1')!.stat().ephemeralOwner).toBe(SESSION);
    expect(t.getNode('/persistent')!.stat().ephemeralOwner).toBe(0n);
    expect([...t.ephemeralsOf(SESSION)].sort()).toEqual(['/e1', '/e2']);
    expect([...t.ephemeralsOf(OTHER)]).toEqual(['/o']);
    expect(t.ephemeralsCount).toBe(3);
  });

  test('deleting an ephemeral stops tracking it', () => {
    const t = new DataTree();
    create(t, '/e1', 1, { ephemeral: true });
    del(t, '/e1', 2);
    expect(t.ephemeralsOf(SESSION).size).toBe(0);
    expect(t.ephemeralsCount).toBe(0);
  });

  test('killSession deletes the session\'s ephemerals only, moving the parents\' pzxid', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/e1', 2, { ephemeral: true });
    create(t, '/e2', 3, { ephemeral: true });
    create(t, '/p/o', 4, { ephemeral: true, clientId: OTHER });
    t.killSession(SESSION, 9, null);
    expect(t.getNode('/p/e1')).toBeUndefined();
    expect(t.getNode('/e2')).toBeUndefined();
    expect(t.getNode('/p/o')).toBeDefined();
    expect(t.ephemeralsOf(SESSION).size).toBe(0);
    expect(t.ephemerals.has(SESSION)).toBe(false);
    expect(persisted(t, '/p')).toEqual({ pzxid: 9, cversion: 2, numChildren: 1 });
    expect(persisted(t, '/').pzxid).toBe(9);
  });

  test('a closeSession txn deletes the paths it names and whatever else the session owns', () => {
    const t = new DataTree();
    create(t, '/e1', 1, { ephemeral: true });
    create(t, '/e2', 2, { ephemeral: true });
    create(t, '/o', 3, { ephemeral: true, clientId: OTHER });
    const rc = t.processTxn(hdr(OpCode.closeSession, 4), { paths2Delete: ['/e1'] });
    expect(rc.err).toBe(0);
    expect(t.getNode('/e1')).toBeUndefined();
    expect(t.getNode('/e2')).toBeUndefined();
    expect(t.getNode('/o')).toBeDefined();
    expect(t.nodeCount).toBe(6);
  });

  test('a closeSession txn without a body (closeSessionTxn disabled) deletes the session\'s ephemerals', () => {
    const t = new DataTree();
    create(t, '/e1', 1, { ephemeral: true });
    t.processTxn(hdr(OpCode.closeSession, 2), null as TxnBody);
    expect(t.getNode('/e1')).toBeUndefined();
  });

  test('closing a session that owns nothing is harmless', () => {
    const t = new DataTree();
    const before = snapshotOf(t);
    expect(t.processTxn(hdr(OpCode.closeSession, 2, OTHER), { paths2Delete: [] }).err).toBe(0);
    expect(snapshotOf(t)).toEqual(before);
  });
  test('a TTL node (extended types on) is tracked as one; clients see ephemeralOwner 0', () => {
    const t = new DataTree({ extendedTypesEnabled: true });
    const rc = t.processTxn(hdr(OpCode.createTTL, 1), { path: '/t', data: null, acl: OPEN, parentCVersion: -1, ttl: 5000 });
    expect(rc.err).toBe(0);
    expect(t.ttls.has('/t')).toBe(true);
    expect(t.getNode('/t')!.ephemeralOwner).toBe(BigInt.asIntN(64, 0xff00000000001388n));
    expect(rc.stat!.ephemeralOwner).toBe(0n);
    expect(t.ephemerals.size).toBe(0);
  });

  /**
   * DataNode.copyStat hides the owner unless EphemeralType.get(owner) is NORMAL, and EphemeralType.get only
   * reads a 0xff top byte as TTL when extended types are enabled. With them off (the default) server id 255 is
   * allowed, its session ids start 0xff, and Apache shows such a session's ephemerals' owner to clients.
   */
  test('with extended types off, an ephemeral of a session whose id starts 0xff (server id 255) shows its owner', () => {
    const t = new DataTree();
    const sid = BigInt.asIntN(64, 0xff00018c5f3e0000n);
    const rc = create(t, '/e', 1, { ephemeral: true, clientId: sid, type: OpCode.create2 });
    expect(rc.err).toBe(0);
    expect([...t.ephemeralsOf(sid)]).toEqual(['/e']);
    expect(rc.stat!.ephemeralOwner).toBe(sid);
  });
});

describe('watches', () => {
  test("each event carries the ACL of the znode it is about, for the connection's READ check", () => {
    const t = new DataTree();
    const parentAcl: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'digest', id: 'p:x' } }];
    const childAcl: ACL[] = [{ perms: Perms.ALL & ~Perms.READ, id: { scheme: 'world', id: 'anyone' } }];
    create(t, '/p', 1, { acl: parentAcl });
    const seen: [number, string, ACL[] | null | undefined][] = [];
    const w: Watcher = { sessionId: SESSION, process: (type, path, acl) => void seen.push([type, path, acl]) };
    existsWatch(t, '/p/c', w);
    t.getChildren('/p', w);
    create(t, '/p/c', 2, { acl: childAcl });
    t.getData('/p/c', w);
    setData(t, '/p/c', null, 1, 3);
    t.getData('/p/c', w);
    t.getChildren('/p', w);
    del(t, '/p/c', 4);
    expect(seen).toEqual([
      [EventType.NodeCreated, '/p/c', childAcl],
      [EventType.NodeChildrenChanged, '/p', parentAcl],
      [EventType.NodeDataChanged, '/p/c', childAcl],
      [EventType.NodeDeleted, '/p/c', childAcl],
      [EventType.NodeChildrenChanged, '/p', parentAcl],
    ]);
  });

  test('exists on a missing node sets a data watch that fires NodeCreated, once', () => {
    const t = new DataTree();
    const w = new RecordingWatcher();
    expect(existsWatch(t, '/a', w)).toBe(false);
    create(t, '/a', 1);
    setData(t, '/a', null, 1, 2);
    expect(w.events).toEqual([[EventType.NodeCreated, '/a']]);
  });

  test('a data watch fires NodeDataChanged on setData, and is then gone (one-shot)', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w = new RecordingWatcher();
    t.getData('/a', w);
    expect(t.watchCount).toBe(1);
    setData(t, '/a', Buffer.from('1'), 1, 2);
    setData(t, '/a', Buffer.from('2'), 2, 3);
    expect(w.events).toEqual([[EventType.NodeDataChanged, '/a']]);
    expect(t.watchCount).toBe(0);
  });

  test('exists on an existing node fires NodeDataChanged / NodeDeleted like getData', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w = new RecordingWatcher();
    t.statNode('/a', w);
    del(t, '/a', 2);
    expect(w.events).toEqual([[EventType.NodeDeleted, '/a']]);
  });

  test('a child watch fires NodeChildrenChanged on the parent path for a create and a delete', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    const w = new RecordingWatcher();
    t.getChildren('/p', w);
    create(t, '/p/c', 2);
    t.getChildren('/p', w);
    del(t, '/p/c', 3);
    expect(w.events).toEqual([
      [EventType.NodeChildrenChanged, '/p'],
      [EventType.NodeChildrenChanged, '/p'],
    ]);
  });

  test('a child watch on the root fires with path "/"', () => {
    const t = new DataTree();
    const w = new RecordingWatcher();
    t.getChildren('/', w);
    create(t, '/a', 1);
    expect(w.events).toEqual([[EventType.NodeChildrenChanged, '/']]);
  });

  test('setData does not fire child watches; a child create does not fire the parent\'s data watch', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    const w = new RecordingWatcher();
    t.getChildren('/p', w);
    setData(t, '/p', null, 1, 2);
    expect(w.events).toEqual([]);
    const d = new RecordingWatcher();
    t.getData('/p', d);
    create(t, '/p/c', 3);
    expect(d.events).toEqual([]);
  });

  test('deleting a node fires NodeDeleted to its child watchers, and NodeChildrenChanged to the parent\'s', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    create(t, '/p/c', 2);
    const own = new RecordingWatcher();
    const parent = new RecordingWatcher();
    t.getChildren('/p/c', own);
    t.getChildren('/p', parent);
    del(t, '/p/c', 3);
    expect(own.events).toEqual([[EventType.NodeDeleted, '/p/c']]);
    expect(parent.events).toEqual([[EventType.NodeChildrenChanged, '/p']]);
    expect(t.watchCount).toBe(0);
  });

  test('a watcher with both a data and a child watch on a deleted node gets one NodeDeleted', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w = new RecordingWatcher();
    t.getData('/a', w);
    t.getChildren('/a', w);
    expect(t.watchCount).toBe(2);
    del(t, '/a', 2);
    expect(w.events).toEqual([[EventType.NodeDeleted, '/a']]);
    expect(t.watchCount).toBe(0);
  });

  test('every watcher on a path is notified; each only once', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w1 = new RecordingWatcher(SESSION);
    const w2 = new RecordingWatcher(OTHER);
    t.getData('/a', w1);
    t.getData('/a', w1);
    t.getData('/a', w2);
    setData(t, '/a', null, 1, 2);
    expect(w1.events).toEqual([[EventType.NodeDataChanged, '/a']]);
    expect(w2.events).toEqual([[EventType.NodeDataChanged, '/a']]);
  });

  test('a failed create triggers no watch', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w = new RecordingWatcher();
    t.statNode('/a', w);
    t.getChildren('/', w);
    create(t, '/a', 2);
    expect(w.events).toEqual([]);
  });

  test('killSession fires NodeDeleted for each ephemeral it removes', () => {
    const t = new DataTree();
    create(t, '/e', 1, { ephemeral: true });
    const w = new RecordingWatcher(OTHER);
    t.getData('/e', w);
    t.getChildren('/', w);
    t.killSession(SESSION, 2, null);
    expect(w.events).toEqual([
      [EventType.NodeDeleted, '/e'],
      [EventType.NodeChildrenChanged, '/'],
    ]);
  });

  test('removeCnxn drops all of a watcher\'s watches', () => {
    const t = new DataTree();
    create(t, '/a', 1);
    const w = new RecordingWatcher();
    t.getData('/a', w);
    t.getChildren('/a', w);
    existsWatch(t, '/b', w);
    expect(t.watchCount).toBe(3);
    t.removeCnxn(w);
    expect(t.watchCount).toBe(0);
    setData(t, '/a', null, 1, 2);
    create(t, '/b', 3);
    expect(w.events).toEqual([]);
  });

  test('a persistent watch (addWatch mode 0) fires data and child events every time', () => {
    const t = new DataTree();
    create(t, '/p', 1);
    const w = new RecordingWatcher();
    t.addWatch('/p', w, 0);
    setData(t, '/p', null, 1, 2);
    setData(t, '/p', null, 2, 3);
    create(t, '/p/c', 4);
    expect(w.events).toEqual([
      [EventType.NodeDataChanged, '/p'],
      [EventType.NodeDataChanged, '/p'],
      [EventType.NodeChildrenChanged, '/p'],
    ]);
  });

  test('a persistent recursive watch (addWatch mode 1) fires for descendants, never NodeChildrenChanged', () => {
    const t = new DataTree();
    create(t, '/r', 1);
    const w = new RecordingWatcher();
    t.addWatch('/r', w, 1);
    create(t, '/r/a', 2);
    create(t, '/r/a/b', 3);
    setData(t, '/r/a/b', null, 1, 4);
    del(t, '/r/a/b', 5);
    create(t, '/other', 6);
    expect(w.events).toEqual([
      [EventType.NodeCreated, '/r/a'],
      [EventType.NodeCreated, '/r/a/b'],
      [EventType.NodeDataChanged, '/r/a/b'],
      [EventType.NodeDeleted, '/r/a/b'],
    ]);
  });
});

describe('what Apache does to a multi and to quota stats while applying', () => {
  const EMOJI_ACL: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'digest', id: '\u{1F600}:WeYoHBmMIQaCHfJ3nqOAjwLO/uQ=' } }];

  test('a multi sub-txn goes through BinaryOutputArchive and back: each surrogate becomes one U+FFFD', () => {
    const t = new DataTree();
    create(t, '/lone', 1, { acl: EMOJI_ACL });
    multi(t, 2, [{ type: OpCode.create, txn: createTxn('/m', { acl: EMOJI_ACL }) }]);
    expect(t.aclOf(t.getNode('/lone')!)[0].id.id).toBe('\u{1F600}:WeYoHBmMIQaCHfJ3nqOAjwLO/uQ=');
    expect(t.aclOf(t.getNode('/m')!)[0].id.id).toBe('\ufffd\ufffd:WeYoHBmMIQaCHfJ3nqOAjwLO/uQ=');
    // A string without surrogates is left alone (the same object).
    expect(t.aclOf(t.getNode('/m')!)[0].id.scheme).toBe('digest');
  });

  test('unparseable zookeeper_stats data is left alone by the next write in the quota (Apache stops there)', () => {
    const t = new DataTree();
    create(t, '/q', 1);
    create(t, '/zookeeper/quota/q', 2);
    create(t, '/zookeeper/quota/q/zookeeper_limits', 3, { data: Buffer.from('count=10,bytes=-1') });
    create(t, '/zookeeper/quota/q/zookeeper_stats', 4, { data: null });
    expect(t.getNode('/zookeeper/quota/q/zookeeper_stats')!.data!.toString()).toBe('count=1,bytes=1');
    setData(t, '/zookeeper/quota/q/zookeeper_stats', Buffer.from('count=+1;;bytes==5,'), -1, 5);
    create(t, '/q/a', 6, { data: Buffer.from('abc') });
    expect(t.getNode('/zookeeper/quota/q/zookeeper_stats')!.data!.toString()).toBe('count=2,bytes=2');
    for (const [i, bad] of ['count=1,bytes', 'count=1,bytes=', 'count=x', ',count=1', 'count=9223372036854775808', 'count=0x1', 'count= 1', '\u{1F600}'].entries()) {
      setData(t, '/zookeeper/quota/q/zookeeper_stats', Buffer.from(bad), -1, 10 + i * 2);
      setData(t, '/q', Buffer.from(`y${i}`), -1, 11 + i * 2);
      expect(t.getNode('/q')!.data!.toString()).toBe(`y${i}`);
      expect(t.getNode('/zookeeper/quota/q/zookeeper_stats')!.data!.toString()).toBe(bad);
    }
    setData(t, '/zookeeper/quota/q/zookeeper_stats', null, -1, 40);
    expect(del(t, '/q/a', 41).err).toBe(0);
    expect(t.getNode('/zookeeper/quota/q/zookeeper_stats')!.data).toBeNull();
    // Outside the quota nothing is parsed.
    expect(create(t, '/elsewhere', 42).err).toBe(0);
  });
});

test('a CreateTTLTxn with a ttl out of (0, TTL_MAX] throws while applied (EphemeralType.TTL.toEphemeralOwner)', () => {
  const t = new DataTree();
  for (const [i, ttl] of [-5, 0, 0x10000000000].entries()) {
    expect(() => t.processTxn(hdr(OpCode.createTTL, i + 1), { path: `/t${i}`, data: null, acl: OPEN, parentCVersion: -1, ttl })).toThrow(/IllegalArgumentException/);
    expect(t.getNode(`/t${i}`)).toBeUndefined();
  }
  expect(t.processTxn(hdr(OpCode.createTTL, 9), { path: '/ok', data: null, acl: OPEN, parentCVersion: -1, ttl: 0xffffffffff }).err).toBe(0);
});

test('zookeeper_limits right under /zookeeper/quota (created) or /zookeeper (deleted) registers no quota (Apache stops there)', () => {
  const t = new DataTree();
  expect(create(t, '/zookeeper/quota/zookeeper_limits', 1).err).toBe(0);
  expect(t.quotaPaths.size).toBe(0);
  const u = new DataTree();
  create(u, '/zookeeper/zookeeper_limits', 1);
  expect(del(u, '/zookeeper/zookeeper_limits', 2).err).toBe(0);
  // A name that only starts with "quota" is fine both ways.
  create(u, '/zookeeper/quotaX', 3);
  create(u, '/zookeeper/quotaX/zookeeper_limits', 4);
  expect(del(u, '/zookeeper/quotaX/zookeeper_limits', 5).err).toBe(0);
});

test('DataNode.writeData writes the bytes writeBuffer(data) does, into a plain writer and a reply writer, for null, empty, small and large data', () => {
  const t = new DataTree();
  const sizes = [0, 1, 3, 255, 256, 257, 9000, ZERO_COPY_MIN - 1, ZERO_COPY_MIN, 200_000];
  create(t, '/null', 1, { data: null });
  sizes.forEach((n, i) => create(t, `/d${i}`, 2 + i, { data: Buffer.from(Array.from({ length: n }, (_, k) => (k * 7 + i) & 0xff)) }));
  // Rewritten data lands in a new record: the bytes come from where it is now.
  setData(t, '/d3', Buffer.alloc(300, 9), 0, 40);
  for (const path of ['/null', ...sizes.map((_, i) => `/d${i}`)]) {
    const n = t.getNode(path)!;
    const ref = new JuteWriter(16);
    ref.writeBuffer(n.data);
    const direct = new JuteWriter(16);
    n.writeData(direct);
    expect([path, direct.toBuffer().equals(ref.toBuffer())]).toEqual([path, true]);
    const reply = new ReplyWriter(16);
    const at = reply.beginFrame();
    n.writeData(reply);
    reply.endFrame(at);
    const out = reply.take();
    const bytes = Array.isArray(out) ? Buffer.concat(out) : Buffer.from(out);
    expect([path, bytes.subarray(4).equals(ref.toBuffer())]).toEqual([path, true]);
  }
});

test("DataNode.writeStat writes the very bytes of Stat.write(stat()) for every kind of znode, with and without extended types", () => {
  const t = new DataTree();
  create(t, '/plain', 1, { data: Buffer.from('hello') });
  create(t, '/nodata', 2, { data: null });
  create(t, '/empty', 3, { data: Buffer.alloc(0) });
  create(t, '/eph', 4, { ephemeral: true, clientId: OTHER });
  t.processTxn(hdr(OpCode.createContainer, 5), { path: '/container', data: null, acl: OPEN, parentCVersion: -1 });
  t.processTxn(hdr(OpCode.createTTL, 6), { path: '/ttl', data: Buffer.from('t'), acl: OPEN, parentCVersion: -1, ttl: 5000 });
  // Children created and deleted (cversion is derived), data rewritten (version, mzxid, dataLength).
  for (let i = 0; i < 5; i++) create(t, `/plain/c${i}`, 10 + i);
  del(t, '/plain/c1', 20);
  del(t, '/plain/c3', 21);
  setData(t, '/plain', Buffer.alloc(9000, 1), 0, 22);
  for (const ext of [false, true]) {
    for (const path of ['/', '/plain', '/nodata', '/empty', '/eph', '/container', '/ttl', '/plain/c4']) {
      const n = t.getNode(path)!;
      const direct = new JuteWriter(64);
      n.writeStat(direct, ext);
      const viaRecord = new JuteWriter(64);
      Stat.write(viaRecord, n.stat(ext));
      expect([path, ext, direct.toBuffer().toString('hex')]).toEqual([path, ext, viaRecord.toBuffer().toString('hex')]);
    }
  }
});
