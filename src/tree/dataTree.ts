import { ACL, StatPersisted, CloseSessionTxn, CreateContainerTxn, CreateTTLTxn, CreateTxn, ErrorTxn, SetACLTxn, SetDataTxn, Stat, TxnHeader } from '../jute/records';
import { Code, KeeperException } from '../protocol/errors';
import { EventType } from '../protocol/enums';
import { OpCode } from '../protocol/opCodes';
import { AclCache } from './aclCache';
import { CONTAINER_EPHEMERAL_OWNER, Ephemeral, ephemeralTypeOf, ttlEphemeralOwner } from './ephemeralType';
import { MultiTxnBody, TxnBody } from './txn';

const EMPTY = Buffer.alloc(0);
import { Watcher, WatcherMode, WatchManager } from './watchManager';
import type { DataTreeObserver } from './dataTreeObserver';
import { JavaStringSet, javaStringSetOrder } from '../util/javaHash';
import { LIMIT_NODE, QUOTA_ROOT, QuotaStatsError, STAT_NODE, StatsTrack, statPath } from './quotas';
import { JuteWriter } from '../jute/writer';
import { javaUtf8Decode } from '../jute/javaUtf8';
import { NONE, NodeStore, ROOT, sameBytes } from './nodeStore';

/** The ephemeralOwner of a plain znode, shared so that a million of them hold no BigInt of their own. */
export const NO_OWNER = 0n;

/** The Stat fields a change record tracks (a DataNode has them all, so a live node can stand in). */
export interface StatFields {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: number;
}

/**
 * A znode as callers see it: a handle on its row in the tree's NodeStore, read live. Handles are made
 * per lookup and are meant to be used at once; an id freed by a delete may later name another znode.
 */
export class DataNode implements StatFields {
  constructor(
    private readonly s: NodeStore,
    readonly id: number,
  ) {}

  get data(): Buffer | null {
    return this.s.data(this.id);
  }
  get dataLength(): number {
    return this.s.dataLength(this.id);
  }
  get acl(): number {
    return this.s.acl[this.id];
  }
  get czxid(): number {
    return this.s.czxid[this.id];
  }
  get mzxid(): number {
    return this.s.mzxid[this.id];
  }
  get ctime(): number {
    return this.s.ctime[this.id];
  }
  get mtime(): number {
    return this.s.mtime[this.id];
  }
  get version(): number {
    return this.s.version[this.id];
  }
  get cversion(): number {
    return this.s.cversion[this.id];
  }
  get aversion(): number {
    return this.s.aversion[this.id];
  }
  get ephemeralOwner(): bigint {
    return this.s.owner(this.id);
  }
  get pzxid(): number {
    return this.s.pzxid[this.id];
  }
  get numChildren(): number {
    return this.s.numChildren[this.id];
  }

  /** Child names in insertion order. */
  childNames(): string[] {
    return this.s.childNames(this.id);
  }

  /** Child names in the order Apache lists them (its HashSet's iteration order). */
  childList(): string[] {
    return this.s.childList(this.id);
  }

  /** The Stat a client sees; only plain ephemerals show their owner (see statOf). */
  stat(extendedTypes = false): Stat {
    return statOf(this.s, this.id, extendedTypes);
  }

  /** The data written straight into a reply (a jute buffer). */
  writeData(w: JuteWriter): void {
    this.s.writeData(w, this.id);
  }

  /** stat() written straight into a reply. */
  writeStat(w: JuteWriter, extendedTypes: boolean): void {
    this.s.writeStat(w, this.id, showsOwner(this.s, this.id, extendedTypes));
  }
}

const CONTAINER_HI = 0x80000000 | 0;

/** DataNode.copyStat: containers, TTL nodes (with extended types) and plain znodes report owner 0. */
function showsOwner(s: NodeStore, id: number, extendedTypes: boolean): boolean {
  const hi = s.ownerHi[id];
  const lo = s.ownerLo[id];
  return !((hi === 0 && lo === 0) || (hi === CONTAINER_HI && lo === 0) || (extendedTypes && hi >>> 24 === 0xff));
}

function statOf(s: NodeStore, id: number, extendedTypes: boolean): Stat {
  return s.stat(id, showsOwner(s, id, extendedTypes));
}

/** The persisted fields of a znode read from a snapshot (one object, refilled per znode). */
export interface RestoredFields {
  acl: number;
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ownerHi: number;
  ownerLo: number;
  pzxid: number;
}

/** DataTree.ProcessTxnResult */
export interface ProcessTxnResult {
  clientId: bigint;
  cxid: number;
  zxid: number;
  type: number;
  err: number;
  path: string | null;
  stat: Stat | null;
  /**
   * A lone setData's znode (else NONE): its reply writes the Stat from the tree's columns (writeStatOf)
   * instead of a Stat object, as nothing else is applied before the reply is written.
   */
  node: number;
  multiResult: ProcessTxnResult[] | null;
}

export interface DataTreeOptions {
  /** zookeeper.extendedTypesEnabled: TTL nodes. */
  extendedTypesEnabled?: boolean;
}

/**
 * The in-memory znode tree. Transactions are applied here and nowhere else; applying one depends only on
 * the transaction, so every replica (and a replay of the log) reaches the same tree.
 */
export class DataTree {
  /** The znodes, column by column (see nodeStore.ts). */
  readonly store = new NodeStore();
  readonly aclCache = new AclCache();
  /** Session id -> paths of its ephemeral znodes (Apache: a HashSet per session, whose order shows). */
  readonly ephemerals = new Map<bigint, JavaStringSet>();
  readonly containers = new Set<string>();
  readonly ttls = new Set<string>();
  readonly dataWatches = new WatchManager();
  readonly childWatches = new WatchManager();
  lastProcessedZxid = 0;
  /** Paths that have a quota (a zookeeper_limits node); Apache's PathTrie. */
  readonly quotaPaths = new Set<string>();
  /** Sum over znodes of path length + data length (DataTree.approximateDataSize). */
  approximateDataSize = 0;
  readonly extendedTypesEnabled: boolean;
  /** Who keeps the server's metrics, or null (set with setObserver; see dataTreeObserver.ts). */
  observer: DataTreeObserver | null = null;

  constructor(opts: DataTreeOptions = {}) {
    this.extendedTypesEnabled = opts.extendedTypesEnabled ?? false;
    this.initSystemNodes();
  }

  /** The root, /zookeeper, /zookeeper/quota and /zookeeper/config, as Apache's DataTree constructor makes them. */
  private initSystemNodes(): void {
    const s = this.store;
    s.setData(ROOT, EMPTY);
    const proc = s.addChild(ROOT, 'zookeeper', EMPTY);
    s.acl[proc] = -1;
    s.addChild(proc, 'quota', EMPTY);
    const config = s.addChild(proc, 'config', EMPTY);
    // addConfigNode sets READ_ACL_UNSAFE with version -1, which leaves aversion at -1.
    s.acl[config] = this.aclCache.convertAcls([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
    s.aversion[config] = -1;
    s.acl[ROOT] = -1;
    s.acl[s.lookup('/zookeeper/quota')] = -1;
    // Apache keys the root as both "" and "/" in its node map, and counts both in the data size.
    this.approximateDataSize = ''.length + '/'.length + '/zookeeper'.length + '/zookeeper/quota'.length + '/zookeeper/config'.length;
  }

  /** Installs (or, with null, removes) the metrics observer of this tree and of its two watch tables. */
  setObserver(o: DataTreeObserver | null): void {
    this.observer = o;
    this.dataWatches.observer = o;
    this.childWatches.observer = o;
  }

  /** Nodes read from a snapshot whose ACL id the snapshot did not list (it was created during the snapshot). */
  private readonly pendingAcl = new Set<string>();

  /**
   * Empties the tree before a snapshot is loaded into it; `bulk`: znodes enter the name table at the end
   * of the load (NodeStore.beginBulkLoad), not one by one.
   */
  reset(bulk = true): void {
    this.store.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.pendingAcl.clear();
    this.aclCache.clear();
    this.approximateDataSize = 0;
    this.lastProcessedZxid = 0;
    this.chainLen = [];
    this.chainIds = [];
    this.restoredRoot = false;
    if (bulk) this.store.beginBulkLoad();
  }

  /**
   * The ancestors of the node restored last, root first: their paths' lengths and ids, and the deepest
   * path's bytes in chainPath (each ancestor's path is a prefix of it). Snapshots list the tree depth
   * first, so a node's parent is on this chain and is found by comparing bytes, without a string per
   * znode. The bytes are copied: the snapshot is read a window at a time.
   */
  private chainPath = Buffer.allocUnsafe(0);
  private chainLen: number[] = [];
  private chainIds: number[] = [];
  private restoredRoot = false;

  /**
   * Adds a znode read from a snapshot: its path b[pathStart, pathEnd) as the snapshot encodes it, its data
   * b[dataStart, dataEnd) (dataStart -1 for null) and its persisted fields. Parents come before children,
   * as snapshots list them.
   */
  restoreNode(b: Buffer, pathStart: number, pathEnd: number, dataStart: number, dataEnd: number, f: RestoredFields): void {
    const s = this.store;
    let ascii = true;
    let slash = -1;
    for (let k = pathStart; k < pathEnd; k++) {
      const c = b[k];
      if (c >= 0x80) ascii = false;
      else if (c === 0x2f) slash = k;
    }
    const lens = this.chainLen;
    const ids = this.chainIds;
    let id: number;
    let path: string | null = null;
    if (slash === -1) {
      if (pathEnd !== pathStart) throw new Error(`snapshot node ${javaUtf8Decode(b, pathStart, pathEnd)} is not a path`);
      id = ROOT;
      s.setDataFrom(ROOT, b, dataStart, dataEnd);
      // The "/" alias counts in the data size too, as it does in Apache's node map.
      this.approximateDataSize += 1 + s.dataLength(ROOT);
      lens.length = 0;
      ids.length = 0;
      this.restoredRoot = true;
      path = '';
    } else {
      const parentLen = slash - pathStart;
      while (lens.length > 0 && lens[lens.length - 1] > parentLen) {
        lens.pop();
        ids.pop();
      }
      const top = lens.length - 1;
      let parent: number;
      if (top >= 0 && lens[top] === parentLen && sameBytes(this.chainPath, 0, b, pathStart, slash)) parent = ids[top];
      else {
        // Not depth first (another writer, or a damaged file): look the parent up, and start a new chain.
        s.endBulkLoad();
        lens.length = 0;
        ids.length = 0;
        path = javaUtf8Decode(b, pathStart, pathEnd);
        parent = s.lookupRange(path, path.lastIndexOf('/'));
      }
      if (parent === NONE) {
        path ??= javaUtf8Decode(b, pathStart, pathEnd);
        throw new Error(`Invalid Datatree, unable to find parent ${path.substring(0, path.lastIndexOf('/'))} of path ${path}`);
      }
      if (ascii) {
        id = s.childFromBytes(parent, b, slash + 1, pathEnd, NodeStore.hashOfBytes(b, slash + 1, pathEnd), dataStart, dataEnd);
      } else {
        // A name beyond ASCII: as a string, decoded the way Java wrote it.
        path ??= javaUtf8Decode(b, pathStart, pathEnd);
        const cut = path.lastIndexOf('/');
        id = s.bulkLoading ? NONE : s.childOf(parent, path, cut + 1, path.length);
        if (id === NONE) id = s.addChild(parent, path.substring(cut + 1));
        s.setDataFrom(id, b, dataStart, dataEnd);
      }
    }
    const len = pathEnd - pathStart;
    if (len > this.chainPath.length) {
      const grown = Buffer.allocUnsafe(Math.max(len, this.chainPath.length * 2, 256));
      this.chainPath.copy(grown);
      this.chainPath = grown;
    }
    // Only the part past the parent's path differs from what chainPath holds (the root's path is empty).
    const chain = this.chainPath;
    for (let k = pathStart + (lens.length > 0 ? lens[lens.length - 1] : 0), at = k - pathStart; k < pathEnd; k++, at++) chain[at] = b[k];
    lens.push(len);
    ids.push(id);
    if (f.acl !== (f.acl | 0)) throw new Error(`snapshot: ACL id ${f.acl} of a znode is out of the range zkts keeps (32 bits)`);
    s.acl[id] = f.acl;
    s.czxid[id] = f.czxid;
    s.mzxid[id] = f.mzxid;
    s.ctime[id] = f.ctime;
    s.mtime[id] = f.mtime;
    s.version[id] = f.version;
    s.cversion[id] = f.cversion;
    s.aversion[id] = f.aversion;
    s.ownerHi[id] = f.ownerHi;
    s.ownerLo[id] = f.ownerLo;
    s.pzxid[id] = f.pzxid;
    const units = ascii ? pathEnd - pathStart : (path ??= javaUtf8Decode(b, pathStart, pathEnd)).length;
    this.approximateDataSize += units + s.dataLength(id);
    const aclKnown = this.aclCache.has(f.acl);
    if (aclKnown) this.aclCache.addUsage(f.acl);
    if (!aclKnown || s.hasOwner(id)) {
      path ??= javaUtf8Decode(b, pathStart, pathEnd);
      if (!aclKnown) this.pendingAcl.add(path);
      if (s.hasOwner(id)) this.track(path, s.owner(id));
    }
  }

  /** Completes a snapshot load: the tree now stands at `zxid`. */
  finishRestore(zxid: number): void {
    if (!this.restoredRoot) throw new Error('snapshot has no root');
    this.store.endBulkLoad();
    this.chainPath = Buffer.allocUnsafe(0);
    this.chainLen = [];
    this.chainIds = [];
    this.lastProcessedZxid = zxid;
    this.setupQuota();
  }

  // ---- quotas

  /** The deepest path with a quota that `path` lies in (PathTrie.findMaxPrefix), or null. */
  maxPrefixWithQuota(path: string): string | null {
    let p = path;
    for (;;) {
      if (p === '' || p === '/') return null;
      if (this.quotaPaths.has(p)) return p;
      p = p.substring(0, p.lastIndexOf('/'));
    }
  }

  /** Adjusts a quota's usage in its stats node's data, in place (no txn, no Stat change). */
  private updateQuotaStat(prefix: string, bytesDiff: number, countDiff: number): void {
    const id = this.store.lookup(statPath(prefix));
    if (id === NONE) return;
    // Stats a client wrote by hand may not parse. Apache throws here, while the txn is applied, and its
    // server stops (and fails again replaying the txn at the next start). zkts applies the write and
    // leaves such stats as they are: a client must not be able to stop the server.
    let st: StatsTrack;
    try {
      st = StatsTrack.parseStrict(this.store.data(id));
    } catch (e) {
      if (e instanceof QuotaStatsError) return;
      throw e;
    }
    st.set('count', st.count + countDiff);
    st.set('bytes', st.bytes + bytesDiff);
    this.store.setData(id, Buffer.from(st.toString()));
  }

  /** Recounts a subtree into its stats node (when the stats node appears, or after a restore). */
  private updateQuotaForPath(path: string): void {
    const s = this.store;
    let count = 0;
    let bytes = 0;
    const start = s.lookup(path);
    const stack = start === NONE ? [] : [start];
    while (stack.length > 0) {
      const id = stack.pop()!;
      count++;
      bytes += s.dataLength(id);
      for (let c = s.firstChild[id]; c !== NONE; c = s.nextSibling[c]) stack.push(c);
    }
    const st = new StatsTrack();
    st.set('count', count);
    st.set('bytes', bytes);
    const sn = s.lookup(statPath(path));
    if (sn !== NONE) s.setData(sn, Buffer.from(st.toString()));
  }

  private setupQuota(): void {
    const s = this.store;
    this.quotaPaths.clear();
    const root = s.lookup(QUOTA_ROOT);
    if (root === NONE) return;
    const stack: [number, string][] = [[root, QUOTA_ROOT]];
    while (stack.length > 0) {
      const [id, p] = stack.pop()!;
      if (s.numChildren[id] === 0) {
        if (p.endsWith(`/${LIMIT_NODE}`)) {
          const real = p.substring(QUOTA_ROOT.length, p.length - LIMIT_NODE.length - 1);
          this.quotaPaths.add(real);
          this.updateQuotaForPath(real);
        }
        continue;
      }
      for (let c = s.firstChild[id]; c !== NONE; c = s.nextSibling[c]) stack.push([c, `${p}/${s.nameOf(c)}`]);
    }
  }

  /** After log replay: ACLs still unknown are refused to everyone but the super user, and said so. */
  settlePendingAcls(log: (msg: string) => void): void {
    for (const p of this.pendingAcl) {
      const id = this.store.lookup(p);
      if (id === NONE) continue;
      log(`ACL of ${p} was not recoverable from the snapshot and log; it is now readable by nobody but the super user`);
      this.store.acl[id] = this.aclCache.convertAcls([]);
    }
    this.pendingAcl.clear();
  }

  private track(path: string, owner: bigint): void {
    switch (this.ephemeralType(owner)) {
      case Ephemeral.CONTAINER:
        this.containers.add(path);
        break;
      case Ephemeral.TTL:
        this.ttls.add(path);
        break;
      case Ephemeral.NORMAL: {
        let set = this.ephemerals.get(owner);
        if (set === undefined) {
          set = new JavaStringSet();
          this.ephemerals.set(owner, set);
        }
        set.add(path);
        break;
      }
      default:
        break;
    }
  }

  /** A handle on the znode at `path`, or undefined. */
  getNode(path: string): DataNode | undefined {
    const id = this.store.lookup(path);
    return id === NONE ? undefined : new DataNode(this.store, id);
  }

  /** The store id of the znode at `path`, or NONE: for callers that need a few of its fields and no handle. */
  nodeId(path: string): number {
    return this.store.lookup(path);
  }

  /** A copy of a znode's Stat fields as prep's change records keep them (the owner as stored). */
  statFieldsOf(id: number): StatFields {
    const s = this.store;
    return {
      czxid: s.czxid[id],
      mzxid: s.mzxid[id],
      ctime: s.ctime[id],
      mtime: s.mtime[id],
      version: s.version[id],
      cversion: s.cversion[id],
      aversion: s.aversion[id],
      ephemeralOwner: s.owner(id),
      pzxid: s.pzxid[id],
    };
  }

  /** The Stat of the znode with this id as a reply carries it (see DataNode.writeStat). */
  writeStatOf(w: JuteWriter, id: number): void {
    this.store.writeStat(w, id, showsOwner(this.store, id, this.extendedTypesEnabled));
  }

  numChildrenOf(id: number): number {
    return this.store.numChildren[id];
  }

  aclOfId(id: number): ACL[] {
    return this.aclCache.convertLong(this.store.acl[id]);
  }

  /** Apache's node map size: every znode, plus the root's second key (""/"/"). */
  get nodeCount(): number {
    return this.store.count + 1;
  }

  /** Every path, depth first from the root ("" for the root). */
  allPaths(): string[] {
    const s = this.store;
    const out: string[] = [''];
    const stack: [number, string][] = [];
    for (let c = s.lastChildOf(ROOT); c !== NONE; c = s.prevSiblingOf(c)) stack.push([c, `/${s.nameOf(c)}`]);
    while (stack.length > 0) {
      const [id, p] = stack.pop()!;
      out.push(p);
      for (let c = s.lastChildOf(id); c !== NONE; c = s.prevSiblingOf(c)) stack.push([c, `${p}/${s.nameOf(c)}`]);
    }
    return out;
  }

  aclOf(node: DataNode): ACL[] {
    return this.aclCache.convertLong(node.acl);
  }

  ephemeralType(owner: bigint): Ephemeral {
    return ephemeralTypeOf(owner, this.extendedTypesEnabled);
  }

  get ephemeralsCount(): number {
    let n = 0;
    for (const s of this.ephemerals.values()) n += s.size;
    return n;
  }

  get watchCount(): number {
    return this.dataWatches.size + this.childWatches.size;
  }

  // ---- reads (FinalRequestProcessor calls these; a watcher registers as part of the read)

  getData(path: string, watcher: Watcher | null): DataNode {
    const n = this.getNode(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    return this.getDataOf(n, path, watcher);
  }

  /** getData on a node the caller has looked up already (for its ACL check): the watch and the read stats. */
  getDataOf(n: DataNode, path: string, watcher: Watcher | null): DataNode {
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    if (this.observer !== null) this.observer.updateReadStat(path, this.store.dataLength(n.id));
    return n;
  }

  /** getChildren on a node the caller has looked up already. */
  getChildrenOf(n: DataNode, path: string, watcher: Watcher | null): DataNode {
    if (watcher !== null) this.childWatches.addWatch(path, watcher);
    if (this.observer !== null) this.observer.updateReadStat(path, this.childNameUnits(n.id));
    return n;
  }

  private childNameUnits(id: number): number {
    const s = this.store;
    let units = 0;
    for (let c = s.firstChild[id]; c !== NONE; c = s.nextSibling[c]) units += s.nameUnits(c);
    return units;
  }

  /** exists: a watch is set even when the node does not exist (it then waits for NodeCreated). */
  statNode(path: string, watcher: Watcher | null): DataNode {
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    const id = this.store.lookup(path);
    if (id === NONE) throw new KeeperException(Code.NONODE, path);
    if (this.observer !== null) this.observer.updateReadStat(path, 0);
    return new DataNode(this.store, id);
  }

  getChildren(path: string, watcher: Watcher | null): DataNode {
    const n = this.getNode(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    return this.getChildrenOf(n, path, watcher);
  }

  /** Number of descendants of a path, not counting the path (getAllChildrenNumber). */
  getAllChildrenNumber(path: string): number {
    if (path === '/') return this.nodeCount - 2;
    if (path === '') return this.nodeCount - 1;
    const s = this.store;
    // Apache counts the keys of its node map that start with path + "/".
    const start = s.lookup(path);
    if (start === NONE) return 0;
    let n = 0;
    const stack = [start];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (let c = s.firstChild[id]; c !== NONE; c = s.nextSibling[c]) {
        n++;
        stack.push(c);
      }
    }
    return n;
  }

  addWatch(path: string, watcher: Watcher, mode: number): void {
    // WatcherMode.fromZooDef knows only persistent (0) and persistentRecursive (1); anything else is an
    // IllegalArgumentException, which the client sees as MarshallingError.
    if (mode !== 0 && mode !== 1) throw new RangeError(`Unsupported mode: ${mode}`);
    const m = mode === 1 ? WatcherMode.PERSISTENT_RECURSIVE : WatcherMode.PERSISTENT;
    // 3.8 registers both kinds in both tables; a recursive child watch never fires NodeChildrenChanged.
    this.dataWatches.addWatch(path, watcher, m);
    this.childWatches.addWatch(path, watcher, m);
  }

  removeCnxn(watcher: Watcher): void {
    this.dataWatches.removeWatcher(watcher);
    this.childWatches.removeWatcher(watcher);
  }

  // ---- transactions

  processTxn(hdr: TxnHeader, txn: TxnBody, isSubTxn = false): ProcessTxnResult {
    const rc: ProcessTxnResult = {
      clientId: hdr.clientId,
      cxid: hdr.cxid,
      zxid: hdr.zxid,
      type: hdr.type,
      err: 0,
      path: null,
      stat: null,
      node: NONE,
      multiResult: null,
    };
    try {
      switch (hdr.type) {
        case OpCode.create:
        case OpCode.create2: {
          const t = txn as CreateTxn;
          rc.path = t.path;
          const id = this.createNode(t.path!, t.data, t.acl, t.ephemeral ? hdr.clientId : NO_OWNER, t.parentCVersion, hdr);
          if (id === NONE) rc.err = Code.NODEEXISTS;
          else if (hdr.type === OpCode.create2) rc.stat = this.createdStat(id, t.data);
          break;
        }
        case OpCode.createTTL:
        case OpCode.createContainer: {
          const t = txn as CreateTTLTxn;
          rc.path = t.path;
          const owner = hdr.type === OpCode.createTTL ? ttlEphemeralOwner(t.ttl) : CONTAINER_EPHEMERAL_OWNER;
          const id = this.createNode(t.path!, t.data, t.acl, owner, t.parentCVersion, hdr);
          if (id === NONE) rc.err = Code.NODEEXISTS;
          else rc.stat = this.createdStat(id, t.data);
          break;
        }
        case OpCode.delete:
        case OpCode.deleteContainer: {
          const path = (txn as { path: string }).path;
          rc.path = path;
          this.deleteNode(path, hdr.zxid);
          break;
        }
        case OpCode.reconfig:
        case OpCode.setData: {
          const t = txn as SetDataTxn;
          rc.path = t.path;
          const id = this.setData(t.path!, t.data, t.version, hdr.zxid, hdr.time);
          if (isSubTxn) rc.stat = statOf(this.store, id, this.extendedTypesEnabled);
          else rc.node = id;
          break;
        }
        case OpCode.setACL: {
          const t = txn as SetACLTxn;
          rc.path = t.path;
          rc.stat = this.setACL(t.path!, t.acl ?? [], t.version);
          break;
        }
        case OpCode.closeSession: {
          const t = txn as CloseSessionTxn | null;
          this.killSession(hdr.clientId, hdr.zxid, t?.paths2Delete ?? null);
          break;
        }
        case OpCode.error:
          rc.err = (txn as ErrorTxn).err;
          break;
        case OpCode.check:
          rc.path = (txn as { path: string }).path;
          break;
        case OpCode.multi:
          this.processMulti(hdr, txn as MultiTxnBody, rc);
          break;
        default:
          break;
      }
    } catch (e) {
      if (!(e instanceof KeeperException)) throw e;
      // Replaying a log over a fuzzy snapshot meets deletes that are already applied.
      rc.err = e.code;
    }
    // A multi's sub-txns share the multi's zxid, so only the outer txn moves lastProcessedZxid.
    if (!isSubTxn && hdr.zxid > this.lastProcessedZxid) this.lastProcessedZxid = hdr.zxid;
    return rc;
  }

  /**
   * A create replayed over a fuzzy snapshot that already holds the node: bring the parent's cversion and
   * pzxid forward (as Apache's setCversionPzxid does), and give the node the txn's ACL if the snapshot
   * could only name an ACL created after it started.
   */
  private replayedExistingCreate(parent: number, path: string, type: number, zxid: number, parentCVersion: number, acl: ACL[] | null): void {
    const s = this.store;
    if (type === OpCode.create) {
      const cv = parentCVersion === -1 ? s.cversion[parent] + 1 : parentCVersion;
      if (cv > s.cversion[parent]) {
        s.cversion[parent] = cv;
        s.pzxid[parent] = zxid;
      }
    }
    if (this.pendingAcl.has(path)) {
      const id = s.lookup(path);
      if (id !== NONE) s.acl[id] = this.aclCache.convertAcls(acl);
      this.pendingAcl.delete(path);
    }
  }

  private processMulti(hdr: TxnHeader, multi: MultiTxnBody, rc: ProcessTxnResult): void {
    const results: ProcessTxnResult[] = [];
    let failed = false;
    for (const s of multi.txns) if (s.type === OpCode.error) failed = true;
    let postFailed = false;
    for (const s of multi.txns) {
      let type = s.type;
      let body = s.txn;
      if (type === OpCode.error) {
        postFailed = true;
      } else if (failed) {
        // Ops before the failing one report OK, ops after it RUNTIMEINCONSISTENCY; nothing is applied.
        body = { err: postFailed ? Code.RUNTIMEINCONSISTENCY : Code.OK };
        type = OpCode.error;
      } else {
        body = subTxnAsApplied(body);
      }
      const sub = this.processTxn({ clientId: hdr.clientId, cxid: hdr.cxid, zxid: hdr.zxid, time: hdr.time, type }, body, true);
      results.push(sub);
      if (sub.err !== 0 && rc.err === 0) rc.err = sub.err;
    }
    rc.multiResult = results;
  }

  /**
   * Adds the znode and returns its id, or NONE when it is already there: only a replay over a fuzzy
   * snapshot meets that (for each txn the snapshot already holds), so it is answered, not thrown.
   */
  private createNode(path: string, data: Buffer | null, acl: ACL[] | null, ephemeralOwner: bigint, parentCVersion: number, hdr: TxnHeader): number {
    const s = this.store;
    const zxid = hdr.zxid;
    const time = hdr.time;
    const slash = path.lastIndexOf('/');
    const parent = s.dirOf(path, slash);
    if (parent === NONE) throw new KeeperException(Code.NONODE, path);
    if (s.childOf(parent, path, slash + 1, path.length) !== NONE) {
      this.replayedExistingCreate(parent, path, hdr.type, zxid, parentCVersion, acl);
      return NONE;
    }
    const parentName = path.substring(0, slash);
    const name = path.substring(slash + 1);
    if (parentCVersion === -1) parentCVersion = s.cversion[parent] + 1;
    if (parentCVersion > s.cversion[parent]) {
      s.cversion[parent] = parentCVersion;
      s.pzxid[parent] = zxid;
    }
    // The store keeps its own copy: `data` may be a view into a connection's receive buffer.
    const id = s.addChild(parent, name, data);
    s.initStat(id, zxid, time);
    s.acl[id] = this.aclCache.convertAcls(acl);
    s.setOwner(id, ephemeralOwner);
    const dataLength = data === null ? 0 : data.length;
    this.approximateDataSize += path.length + dataLength;
    if (ephemeralOwner !== NO_OWNER) this.track(path, ephemeralOwner);
    if (parentName.startsWith(QUOTA_ROOT)) {
      if (name === LIMIT_NODE) {
        const quoted = trimQuotaPath(parentName);
        if (quoted !== null) this.quotaPaths.add(quoted);
      }
      if (name === STAT_NODE) this.updateQuotaForPath(parentName.substring(QUOTA_ROOT.length));
    }
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, dataLength, 1);
    }
    // Each event carries the ACL of the znode it is about: watchers that may not READ it get nothing.
    if (this.dataWatches.pathCount > 0) this.dataWatches.triggerWatch(path, EventType.NodeCreated, null, acl);
    if (this.childWatches.pathCount > 0) this.childWatches.triggerWatch(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, null, this.aclOfId(parent));
    if (this.observer !== null) this.observer.updateWriteStat(path, dataLength);
    return id;
  }

  /**
   * The Stat a create answers with. Apache copies it from the new node before the quota bookkeeping, which
   * rewrites the data of a zookeeper_stats node just created: the Stat keeps the length the client sent.
   */
  private createdStat(id: number, data: Buffer | null): Stat {
    const stat = new DataNode(this.store, id).stat(this.extendedTypesEnabled);
    stat.dataLength = data === null ? 0 : data.length;
    return stat;
  }

  deleteNode(path: string, zxid: number): void {
    const s = this.store;
    const slash = path.lastIndexOf('/');
    const parent = s.dirOf(path, slash);
    if (parent === NONE) throw new KeeperException(Code.NONODE, path);
    const id = s.childOf(parent, path, slash + 1, path.length);
    // Only move pzxid forward: a replayed delete must not undo a later create's pzxid.
    if (zxid > s.pzxid[parent]) s.pzxid[parent] = zxid;
    if (id === NONE) throw new KeeperException(Code.NONODE, path);
    const parentName = path.substring(0, slash);
    const name = path.substring(slash + 1);
    const aclId = s.acl[id];
    const dataLength = s.dataLength(id);
    const owner = s.owner(id);
    const watched = this.dataWatches.pathCount > 0 || this.childWatches.pathCount > 0;
    const acl = watched ? this.aclCache.convertLong(aclId) : null;
    s.remove(id);
    this.aclCache.removeUsage(aclId);
    this.approximateDataSize -= path.length + dataLength;
    if (parentName.startsWith('/zookeeper') && name === LIMIT_NODE) {
      const quoted = trimQuotaPath(parentName);
      if (quoted !== null) this.quotaPaths.delete(quoted);
    }
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, -dataLength, -1);
    }
    if (owner !== NO_OWNER) {
      switch (this.ephemeralType(owner)) {
        case Ephemeral.CONTAINER:
          this.containers.delete(path);
          break;
        case Ephemeral.TTL:
          this.ttls.delete(path);
          break;
        case Ephemeral.NORMAL: {
          // Apache keeps the (empty) entry until the session closes; getEphemerals is unaffected.
          this.ephemerals.get(owner)?.delete(path);
          break;
        }
        default:
          break;
      }
    }
    if (watched) {
      const processed = this.dataWatches.triggerWatch(path, EventType.NodeDeleted, null, acl);
      this.childWatches.triggerWatch(path, EventType.NodeDeleted, processed, acl);
      this.childWatches.triggerWatch(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, null, this.aclOfId(parent));
    }
    if (this.observer !== null) this.observer.updateWriteStat(path, 0);
  }

  /** Writes a znode's data and version; returns its id. */
  private setData(path: string, data: Buffer | null, version: number, zxid: number, time: number): number {
    const s = this.store;
    const id = s.lookup(path);
    if (id === NONE) throw new KeeperException(Code.NONODE, path);
    const bytesDiff = (data === null ? 0 : data.length) - s.dataLength(id);
    this.approximateDataSize += bytesDiff;
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, bytesDiff, 0);
    }
    s.setData(id, data);
    s.mtime[id] = time;
    s.mzxid[id] = zxid;
    s.version[id] = version;
    if (this.dataWatches.pathCount > 0) this.dataWatches.triggerWatch(path, EventType.NodeDataChanged, null, this.aclOfId(id));
    if (this.observer !== null) this.observer.updateWriteStat(path, data === null ? 0 : data.length);
    return id;
  }

  setACL(path: string, acl: ACL[], version: number): Stat {
    const s = this.store;
    const id = s.lookup(path);
    if (id === NONE) throw new KeeperException(Code.NONODE, path);
    this.aclCache.removeUsage(s.acl[id]);
    s.aversion[id] = version;
    s.acl[id] = this.aclCache.convertAcls(acl);
    return statOf(s, id, this.extendedTypesEnabled);
  }

  /** Removes a closed session's ephemerals: the paths its closeSession txn names, then any it still owns. */
  killSession(sessionId: bigint, zxid: number, paths2Delete: (string | null)[] | null): void {
    const owned = this.ephemerals.get(sessionId);
    this.ephemerals.delete(sessionId);
    if (paths2Delete !== null) {
      for (const p of paths2Delete) {
        if (p === null) continue;
        owned?.delete(p);
        this.deleteQuietly(p, zxid);
      }
    }
    if (owned !== undefined) for (const p of owned.toArray()) this.deleteQuietly(p, zxid);
  }

  private deleteQuietly(path: string, zxid: number): void {
    try {
      this.deleteNode(path, zxid);
    } catch (e) {
      if (!(e instanceof KeeperException)) throw e;
    }
  }

  /** The session's live set of ephemeral paths (do not modify). */
  ephemeralsOf(sessionId: bigint): JavaStringSet {
    return this.ephemerals.get(sessionId) ?? new JavaStringSet();
  }

  /** DataTree.getEphemerals(sessionId): a clone of the session's set, iterated in the clone's own order. */
  getEphemerals(sessionId: bigint): JavaStringSet {
    return this.ephemerals.get(sessionId)?.clone() ?? new JavaStringSet();
  }
}

const SURROGATE = /[\ud800-\udfff]/;

/** A string after BinaryOutputArchive's encoding (a surrogate alone in 3 bytes) and Java's UTF-8 decoding. */
function javaRoundTrip(str: string): string;
function javaRoundTrip(str: string | null): string | null;
function javaRoundTrip(str: string | null): string | null {
  if (str === null || !SURROGATE.test(str)) return str;
  const w = new JuteWriter(16 + str.length * 3);
  w.writeString(str);
  const b = w.toBuffer();
  return javaUtf8Decode(b, 4, b.length);
}

/**
 * Apache's MultiTxn carries each sub-txn serialized (Txn{type, byte[] data}), and DataTree.processTxn
 * deserializes it again before applying it. A supplementary character in a path or an ACL id does not
 * survive that trip: BinaryOutputArchive writes each surrogate in 3 bytes, which Java's UTF-8 decoder turns
 * into one U+FFFD each. So a digest ACL id with one, given in a multi, matches no auth id any more; a lone
 * create keeps it (no such trip). Paths go through the same trip, though a surrogate in a path is refused
 * earlier (validatePath). zkts keeps sub-txns decoded, so it makes the trip here; on replay the strings
 * come from the log already that way (a no-op).
 */
function subTxnAsApplied(body: TxnBody): TxnBody {
  if (body === null || typeof body !== 'object') return body;
  const b = body as { path?: unknown; acl?: unknown };
  let changed = false;
  let path = b.path;
  if (typeof path === 'string') {
    const p = javaRoundTrip(path);
    if (p !== path) {
      path = p;
      changed = true;
    }
  }
  let acl = b.acl;
  if (Array.isArray(acl)) {
    const list = acl as ACL[];
    if (list.some((a) => (a.id.scheme !== null && SURROGATE.test(a.id.scheme)) || (a.id.id !== null && SURROGATE.test(a.id.id)))) {
      acl = list.map((a) => ({ perms: a.perms, id: { scheme: javaRoundTrip(a.id.scheme), id: javaRoundTrip(a.id.id) } }));
      changed = true;
    }
  }
  if (!changed) return body;
  const out: Record<string, unknown> = { ...body };
  if (path !== b.path) out.path = path;
  if (acl !== b.acl) out.acl = acl;
  return out as TxnBody;
}

/**
 * Quotas.trimQuotaPath: the path a zookeeper_limits node's parent stands for, or null where there is none.
 * Apache throws while applying the txn there, and its server stops: a zookeeper_limits node right under
 * /zookeeper/quota (PathTrie refuses "") or, when deleted, right under a /zookeeper path shorter than the
 * quota root (substring out of range). zkts applies the txn and registers no quota.
 */
function trimQuotaPath(parentName: string): string | null {
  if (parentName.length <= QUOTA_ROOT.length) return null;
  return parentName.substring(QUOTA_ROOT.length);
}
