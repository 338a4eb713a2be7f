import { ACL, StatPersisted, CloseSessionTxn, CreateContainerTxn, CreateTTLTxn, CreateTxn, ErrorTxn, SetACLTxn, SetDataTxn, Stat, TxnHeader } from '../jute/records';
import { Code, KeeperException } from '../protocol/errors';
import { EventType } from '../protocol/enums';
import { OpCode } from '../protocol/opCodes';
import { AclCache } from './aclCache';
import { CONTAINER_EPHEMERAL_OWNER, Ephemeral, ephemeralTypeOf, ttlEphemeralOwner } from './ephemeralType';
import { MultiTxnBody, TxnBody } from './txn';
import { Watcher, WatcherMode, WatchManager } from './watchManager';
import type { DataTreeObserver } from './dataTreeObserver';
import { JavaStringSet, javaStringSetOrder } from '../util/javaHash';
import { LIMIT_NODE, QUOTA_ROOT, QuotaStatsError, STAT_NODE, StatsTrack, statPath } from './quotas';
import { JuteWriter } from '../jute/writer';
import { javaUtf8Decode } from '../jute/javaUtf8';

/** The ephemeralOwner of a plain znode, shared so that a million of them hold no BigInt of their own. */
export const NO_OWNER = 0n;
const EMPTY = Buffer.alloc(0);

/** A znode: data, an ACL cache reference, the persisted Stat fields, and child names. */
export class DataNode {
  data: Buffer | null;
  acl: number;
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  pzxid: number;
  /**
   * Children by name, in insertion order; null until the first child, since most znodes are leaves. Holding
   * the child itself lets a snapshot walk the tree without a path lookup per znode.
   */
  children: Map<string, DataNode> | null = null;
  /** The table size Apache's HashSet of these children has grown to (it starts at 8, never shrinks). */
  childCapacity = 0;

  constructor(data: Buffer | null, acl: number, zxid: number, time: number, ephemeralOwner: bigint) {
    this.data = data;
    this.acl = acl;
    this.czxid = zxid;
    this.mzxid = zxid;
    this.ctime = time;
    this.mtime = time;
    this.version = 0;
    this.cversion = 0;
    this.aversion = 0;
    this.ephemeralOwner = ephemeralOwner;
    this.pzxid = zxid;
  }

  get numChildren(): number {
    return this.children === null ? 0 : this.children.size;
  }

  addChild(name: string, child: DataNode): void {
    if (this.children === null) {
      this.children = new Map();
      this.childCapacity = 8;
    }
    this.children.set(name, child);
    if (this.children.size > this.childCapacity * 0.75) this.childCapacity *= 2;
  }

  /** Child names in the order Apache lists them (its HashSet's iteration order). */
  childList(): string[] {
    if (this.children === null) return [];
    return javaStringSetOrder(this.children.keys(), this.childCapacity);
  }

  removeChild(name: string): void {
    this.children?.delete(name);
  }

  /**
   * The Stat a client sees (DataNode.copyStat): the stored cversion counts creates only, so the client
   * value is creates + deletes = 2 * cversion - numChildren; only plain ephemerals show their owner.
   */
  stat(extendedTypes = false): Stat {
    const numChildren = this.numChildren;
    const owner = this.ephemeralOwner;
    const hidden = owner === 0n || owner === CONTAINER_EPHEMERAL_OWNER || (extendedTypes && owner >> 56n === -1n);
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion * 2 - numChildren,
      aversion: this.aversion,
      ephemeralOwner: hidden ? 0n : owner,
      dataLength: this.data === null ? 0 : this.data.length,
      numChildren,
      pzxid: this.pzxid,
    };
  }
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
  readonly nodes = new Map<string, DataNode>();
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
    const root = new DataNode(EMPTY, -1, 0, 0, NO_OWNER);
    // Apache keys the root as both "" and "/"; the node count it reports includes the alias.
    this.nodes.set('', root);
    this.nodes.set('/', root);
    const proc = new DataNode(EMPTY, -1, 0, 0, NO_OWNER);
    root.addChild('zookeeper', proc);
    this.nodes.set('/zookeeper', proc);
    const quota = new DataNode(EMPTY, -1, 0, 0, NO_OWNER);
    proc.addChild('quota', quota);
    this.nodes.set('/zookeeper/quota', quota);
    const config = new DataNode(EMPTY, -1, 0, 0, NO_OWNER);
    proc.addChild('config', config);
    this.nodes.set('/zookeeper/config', config);
    // addConfigNode sets READ_ACL_UNSAFE with version -1, which leaves aversion at -1.
    config.acl = this.aclCache.convertAcls([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
    config.aversion = -1;
    for (const [path, n] of this.nodes) this.approximateDataSize += path.length + (n.data?.length ?? 0);
  }

  /** Installs (or, with null, removes) the metrics observer of this tree and of its two watch tables. */
  setObserver(o: DataTreeObserver | null): void {
    this.observer = o;
    this.dataWatches.observer = o;
    this.childWatches.observer = o;
  }

  /** Nodes read from a snapshot whose ACL id the snapshot did not list (it was created during the snapshot). */
  private readonly pendingAcl = new Set<string>();

  /** Empties the tree before a snapshot is loaded into it. */
  reset(): void {
    this.nodes.clear();
    this.ephemerals.clear();
    this.containers.clear();
    this.ttls.clear();
    this.pendingAcl.clear();
    this.aclCache.clear();
    this.approximateDataSize = 0;
    this.lastProcessedZxid = 0;
  }

  /**
   * The ancestors of the node restored last (paths and nodes, root first): snapshots list the tree depth
   * first, so a node's parent is on this chain and is found by comparing prefixes rather than hashing a
   * new parent path for each of a million znodes.
   */
  private restorePaths: string[] = [];
  private restoreNodes: DataNode[] = [];

  /**
   * Adds a node read from a snapshot (its Stat fields already set); parents come before children, as
   * snapshots list them.
   */
  restoreNode(path: string, n: DataNode): void {
    const acl = n.acl;
    const dataLength = n.data === null ? 0 : n.data.length;
    if (!this.aclCache.has(acl)) this.pendingAcl.add(path);
    else this.aclCache.addUsage(acl);
    this.nodes.set(path, n);
    this.approximateDataSize += path.length + dataLength;
    const slash = path.lastIndexOf('/');
    const paths = this.restorePaths;
    const nodes = this.restoreNodes;
    if (slash === -1) {
      if (path !== '') throw new Error(`snapshot node ${path} is not a path`);
      // The "/" alias counts in the data size too, as it does in Apache's node map.
      this.nodes.set('/', n);
      this.approximateDataSize += 1 + dataLength;
      paths.length = 0;
      nodes.length = 0;
      paths.push(path);
      nodes.push(n);
      return;
    }
    while (paths.length > 0 && paths[paths.length - 1].length > slash) {
      paths.pop();
      nodes.pop();
    }
    let parent: DataNode | undefined;
    const top = paths.length - 1;
    if (top >= 0 && paths[top].length === slash && path.startsWith(paths[top])) parent = nodes[top];
    else parent = this.nodes.get(path.substring(0, slash));
    if (parent === undefined) throw new Error(`Invalid Datatree, unable to find parent ${path.substring(0, slash)} of path ${path}`);
    parent.addChild(path.substring(slash + 1), n);
    paths.push(path);
    nodes.push(n);
    if (n.ephemeralOwner !== NO_OWNER) this.track(path, n.ephemeralOwner);
  }

  /** Completes a snapshot load: the tree now stands at `zxid`. */
  finishRestore(zxid: number): void {
    if (!this.nodes.has('')) throw new Error('snapshot has no root');
    this.restorePaths = [];
    this.restoreNodes = [];
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
    const n = this.nodes.get(statPath(prefix));
    if (n === undefined) return;
    // Stats a client wrote by hand may not parse. Apache throws here, while the txn is applied, and its
    // server stops (and fails again replaying the txn at the next start). zkts applies the write and
    // leaves such stats as they are: a client must not be able to stop the server.
    let st: StatsTrack;
    try {
      st = StatsTrack.parseStrict(n.data);
    } catch (e) {
      if (e instanceof QuotaStatsError) return;
      throw e;
    }
    st.set('count', st.count + countDiff);
    st.set('bytes', st.bytes + bytesDiff);
    n.data = Buffer.from(st.toString());
  }

  /** Recounts a subtree into its stats node (when the stats node appears, or after a restore). */
  private updateQuotaForPath(path: string): void {
    let count = 0;
    let bytes = 0;
    const stack = [path];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      if (n === undefined) continue;
      count++;
      bytes += n.data === null ? 0 : n.data.length;
      if (n.children !== null) for (const c of n.children.keys()) stack.push(`${p}/${c}`);
    }
    const st = new StatsTrack();
    st.set('count', count);
    st.set('bytes', bytes);
    const sn = this.nodes.get(statPath(path));
    if (sn !== undefined) sn.data = Buffer.from(st.toString());
  }

  private setupQuota(): void {
    this.quotaPaths.clear();
    const stack = [QUOTA_ROOT];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const n = this.nodes.get(p);
      if (n === undefined) continue;
      if (n.numChildren === 0) {
        if (p.endsWith(`/${LIMIT_NODE}`)) {
          const real = p.substring(QUOTA_ROOT.length, p.length - LIMIT_NODE.length - 1);
          this.quotaPaths.add(real);
          this.updateQuotaForPath(real);
        }
        continue;
      }
      for (const c of n.children!.keys()) stack.push(`${p}/${c}`);
    }
  }

  /** After log replay: ACLs still unknown are refused to everyone but the super user, and said so. */
  settlePendingAcls(log: (msg: string) => void): void {
    for (const p of this.pendingAcl) {
      const n = this.nodes.get(p);
      if (n === undefined) continue;
      log(`ACL of ${p} was not recoverable from the snapshot and log; it is now readable by nobody but the super user`);
      n.acl = this.aclCache.convertAcls([]);
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

  getNode(path: string): DataNode | undefined {
    return this.nodes.get(path);
  }

  get nodeCount(): number {
    return this.nodes.size;
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
    const n = this.nodes.get(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    if (this.observer !== null) this.observer.updateReadStat(path, n.data === null ? 0 : n.data.length);
    return n;
  }

  /** exists: a watch is set even when the node does not exist (it then waits for NodeCreated). */
  statNode(path: string, watcher: Watcher | null): DataNode {
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    const n = this.nodes.get(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    if (this.observer !== null) this.observer.updateReadStat(path, 0);
    return n;
  }

  getChildren(path: string, watcher: Watcher | null): DataNode {
    const n = this.nodes.get(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    if (watcher !== null) this.childWatches.addWatch(path, watcher);
    if (this.observer !== null) {
      let bytes = 0;
      if (n.children !== null) for (const c of n.children.keys()) bytes += c.length;
      this.observer.updateReadStat(path, bytes);
    }
    return n;
  }

  /** Number of descendants of a path, not counting the path (getAllChildrenNumber). */
  getAllChildrenNumber(path: string): number {
    if (path === '/') return this.nodes.size - 2;
    const prefix = path + '/';
    let n = 0;
    for (const p of this.nodes.keys()) if (p.startsWith(prefix)) n++;
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
      multiResult: null,
    };
    try {
      switch (hdr.type) {
        case OpCode.create:
        case OpCode.create2: {
          const t = txn as CreateTxn;
          rc.path = t.path;
          const n = this.createNode(t.path!, t.data, t.acl, t.ephemeral ? hdr.clientId : NO_OWNER, t.parentCVersion, hdr.zxid, hdr.time);
          if (hdr.type === OpCode.create2) rc.stat = this.createdStat(n, t.data);
          break;
        }
        case OpCode.createTTL: {
          const t = txn as CreateTTLTxn;
          rc.path = t.path;
          rc.stat = this.createdStat(this.createNode(t.path!, t.data, t.acl, ttlEphemeralOwner(t.ttl), t.parentCVersion, hdr.zxid, hdr.time), t.data);
          break;
        }
        case OpCode.createContainer: {
          const t = txn as CreateContainerTxn;
          rc.path = t.path;
          rc.stat = this.createdStat(this.createNode(t.path!, t.data, t.acl, CONTAINER_EPHEMERAL_OWNER, t.parentCVersion, hdr.zxid, hdr.time), t.data);
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
          rc.stat = this.setData(t.path!, t.data, t.version, hdr.zxid, hdr.time);
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
      // Replaying a log over a fuzzy snapshot meets creates/deletes that are already applied.
      rc.err = e.code;
      if (e.code === Code.NODEEXISTS && rc.path !== null && (hdr.type === OpCode.create || hdr.type === OpCode.create2 || hdr.type === OpCode.createTTL || hdr.type === OpCode.createContainer)) {
        this.replayedExistingCreate(rc.path, hdr, txn as CreateTxn);
      }
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
  private replayedExistingCreate(path: string, hdr: TxnHeader, txn: CreateTxn): void {
    if (hdr.type === OpCode.create) {
      const parent = this.nodes.get(path.substring(0, path.lastIndexOf('/')));
      if (parent !== undefined) {
        const cv = txn.parentCVersion === -1 ? parent.cversion + 1 : txn.parentCVersion;
        if (cv > parent.cversion) {
          parent.cversion = cv;
          parent.pzxid = hdr.zxid;
        }
      }
    }
    if (this.pendingAcl.has(path)) {
      const n = this.nodes.get(path)!;
      n.acl = this.aclCache.convertAcls(txn.acl);
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

  createNode(
    path: string,
    data: Buffer | null,
    acl: ACL[] | null,
    ephemeralOwner: bigint,
    parentCVersion: number,
    zxid: number,
    time: number,
  ): DataNode {
    const slash = path.lastIndexOf('/');
    const parentName = path.substring(0, slash);
    const name = path.substring(slash + 1);
    const parent = this.nodes.get(parentName);
    if (parent === undefined) throw new KeeperException(Code.NONODE, path);
    if (parent.children !== null && parent.children.has(name)) throw new KeeperException(Code.NODEEXISTS, path);
    if (parentCVersion === -1) parentCVersion = parent.cversion + 1;
    if (parentCVersion > parent.cversion) {
      parent.cversion = parentCVersion;
      parent.pzxid = zxid;
    }
    // The node keeps its own copy: `data` may be a view into a connection's receive buffer.
    const own = data === null ? null : Buffer.from(data);
    const child = new DataNode(own, this.aclCache.convertAcls(acl), zxid, time, ephemeralOwner);
    parent.addChild(name, child);
    this.nodes.set(path, child);
    this.approximateDataSize += path.length + (own === null ? 0 : own.length);
    this.track(path, ephemeralOwner);
    if (parentName.startsWith(QUOTA_ROOT)) {
      if (name === LIMIT_NODE) {
        const quoted = trimQuotaPath(parentName);
        if (quoted !== null) this.quotaPaths.add(quoted);
      }
      if (name === STAT_NODE) this.updateQuotaForPath(parentName.substring(QUOTA_ROOT.length));
    }
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, own === null ? 0 : own.length, 1);
    }
    // Each event carries the ACL of the znode it is about: watchers that may not READ it get nothing.
    this.dataWatches.triggerWatch(path, EventType.NodeCreated, null, acl);
    this.childWatches.triggerWatch(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, null, this.aclOf(parent));
    if (this.observer !== null) this.observer.updateWriteStat(path, data === null ? 0 : data.length);
    return child;
  }

  /**
   * The Stat a create answers with. Apache copies it from the new node before the quota bookkeeping, which
   * rewrites the data of a zookeeper_stats node just created: the Stat keeps the length the client sent.
   */
  private createdStat(n: DataNode, data: Buffer | null): Stat {
    const stat = n.stat(this.extendedTypesEnabled);
    stat.dataLength = data === null ? 0 : data.length;
    return stat;
  }

  deleteNode(path: string, zxid: number): void {
    const slash = path.lastIndexOf('/');
    const parentName = path.substring(0, slash);
    const name = path.substring(slash + 1);
    const parent = this.nodes.get(parentName);
    if (parent === undefined) throw new KeeperException(Code.NONODE, path);
    parent.removeChild(name);
    // Only move pzxid forward: a replayed delete must not undo a later create's pzxid.
    if (zxid > parent.pzxid) parent.pzxid = zxid;
    const node = this.nodes.get(path);
    if (node === undefined) throw new KeeperException(Code.NONODE, path);
    this.nodes.delete(path);
    const acl = this.aclOf(node);
    this.aclCache.removeUsage(node.acl);
    this.approximateDataSize -= path.length + (node.data === null ? 0 : node.data.length);
    if (parentName.startsWith('/zookeeper') && name === LIMIT_NODE) {
      const quoted = trimQuotaPath(parentName);
      if (quoted !== null) this.quotaPaths.delete(quoted);
    }
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, node.data === null ? 0 : -node.data.length, -1);
    }
    const owner = node.ephemeralOwner;
    switch (this.ephemeralType(owner)) {
      case Ephemeral.CONTAINER:
        this.containers.delete(path);
        break;
      case Ephemeral.TTL:
        this.ttls.delete(path);
        break;
      case Ephemeral.NORMAL: {
        const set = this.ephemerals.get(owner);
        if (set !== undefined) {
          set.delete(path);
          // Apache keeps the (empty) entry until the session closes; getEphemerals is unaffected.
        }
        break;
      }
      default:
        break;
    }
    const processed = this.dataWatches.triggerWatch(path, EventType.NodeDeleted, null, acl);
    this.childWatches.triggerWatch(path, EventType.NodeDeleted, processed, acl);
    this.childWatches.triggerWatch(parentName === '' ? '/' : parentName, EventType.NodeChildrenChanged, null, this.aclOf(parent));
    if (this.observer !== null) this.observer.updateWriteStat(path, 0);
  }

  setData(path: string, data: Buffer | null, version: number, zxid: number, time: number): Stat {
    const n = this.nodes.get(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    const own = data === null ? null : Buffer.from(data);
    const bytesDiff = (own === null ? 0 : own.length) - (n.data === null ? 0 : n.data.length);
    this.approximateDataSize += bytesDiff;
    if (this.quotaPaths.size > 0) {
      const prefix = this.maxPrefixWithQuota(path);
      if (prefix !== null) this.updateQuotaStat(prefix, bytesDiff, 0);
    }
    n.data = own;
    n.mtime = time;
    n.mzxid = zxid;
    n.version = version;
    const stat = n.stat(this.extendedTypesEnabled);
    this.dataWatches.triggerWatch(path, EventType.NodeDataChanged, null, this.aclOf(n));
    if (this.observer !== null) this.observer.updateWriteStat(path, data === null ? 0 : data.length);
    return stat;
  }

  setACL(path: string, acl: ACL[], version: number): Stat {
    const n = this.nodes.get(path);
    if (n === undefined) throw new KeeperException(Code.NONODE, path);
    this.aclCache.removeUsage(n.acl);
    n.aversion = version;
    n.acl = this.aclCache.convertAcls(acl);
    return n.stat(this.extendedTypesEnabled);
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
