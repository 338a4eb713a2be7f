import { JuteError } from '../jute/errors';
import { JuteReader } from '../jute/reader';
import * as R from '../jute/records';
import { Perms, createModeFromFlag } from '../protocol/enums';
import { Code, KeeperException } from '../protocol/errors';
import { OpCode } from '../protocol/opCodes';
import type { StatFields } from '../tree/dataTree';
import { Ephemeral, isValidTtl } from '../tree/ephemeralType';
import { NONE } from '../tree/nodeStore';
import { invalidPathReason } from '../tree/pathUtils';
import { QuotaStatsError } from '../tree/quotas';
import { SubTxn, TxnBody } from '../tree/txn';
import { Request } from './request';
import { readMultiOps } from './requestRecords';
import type { ZooKeeperServer } from './zooKeeperServer';

/**
 * What a znode will look like once every txn already prepped is applied (ZooKeeperServer.ChangeRecord).
 * Prep validates against these, not the DataTree, because the tree lags behind by the txns still
 * being logged. `stat === null` records a pending delete.
 */
export class ChangeRecord {
  constructor(
    public zxid: number,
    public path: string,
    public stat: StatFields | null,
    public childCount: number,
    public acl: R.ACL[] | null,
  ) {}

  duplicate(zxid: number): ChangeRecord {
    const s = this.stat;
    const stat: StatFields | null =
      s === null
        ? null
        : {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion,
            aversion: s.aversion,
            ephemeralOwner: s.ephemeralOwner,
            pzxid: s.pzxid,
          };
    return new ChangeRecord(zxid, this.path, stat, this.childCount, this.acl);
  }

  /**
   * The record a change at `zxid` writes: this one when it was made from the tree for the caller alone
   * (FRESH: no other request can see it), else a copy, as a record others may hold must not change.
   */
  forChange(zxid: number): ChangeRecord {
    if (this.zxid !== FRESH) return this.duplicate(zxid);
    this.zxid = zxid;
    return this;
  }
}

/** The zxid of a change record made from the tree by getRecordForPath, not yet a pending change. */
const FRESH = -1;

/**
 * The first stage (PrepRequestProcessor): checks a write against the tree-to-be, assigns it the next
 * zxid and turns it into a txn. A write that fails its checks still takes a zxid and becomes an error
 * txn, as in Apache, so that zxids and replies match. Reads pass through after a session check.
 */
export class PrepRequestProcessor {
  constructor(
    private readonly zks: ZooKeeperServer,
    private readonly next: { processRequest(r: Request): void },
  ) {}

  processRequest(request: Request): void {
    request.hdr = null;
    request.txn = null;
    this.pRequest(request);
    request.zxid = this.zks.zxid;
    this.next.processRequest(request);
  }

  private pRequest(request: Request): void {
    const zks = this.zks;
    try {
      switch (request.type) {
        case OpCode.create:
        case OpCode.create2:
        case OpCode.createContainer: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          const rec = R.CreateRequest.read(this.readerOf(request));
          this.pRequest2TxnCreate(request.type, request, rec.path, rec.data, rec.acl, rec.flags, -1);
          break;
        }
        case OpCode.createTTL: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          const rec = R.CreateTTLRequest.read(request.reader(zks.config.juteMaxBuffer));
          this.pRequest2TxnCreate(request.type, request, rec.path, rec.data, rec.acl, rec.flags, rec.ttl);
          break;
        }
        case OpCode.delete:
        case OpCode.setData:
        case OpCode.setACL:
        case OpCode.check: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          const r = this.readerOf(request);
          const rec =
            request.type === OpCode.delete
              ? R.DeleteRequest.read(r)
              : request.type === OpCode.setData
                ? R.SetDataRequest.read(r)
                : request.type === OpCode.setACL
                  ? R.SetACLRequest.read(r)
                  : R.CheckVersionRequest.read(r);
          request.txn = this.pRequest2Txn(request.type, zxid, request, rec);
          break;
        }
        case OpCode.deleteContainer: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          request.txn = this.prepDeleteContainer(request.body.toString('utf8'), zxid);
          break;
        }
        case OpCode.reconfig: {
          // Decoded before a zxid is taken: an undecodable reconfig is no txn at all.
          R.ReconfigRequest.read(request.reader(zks.config.juteMaxBuffer));
          this.setHeader(request, zks.nextZxid(), request.type);
          throw new KeeperException(Code.RECONFIGDISABLED);
        }
        case OpCode.multi:
          this.prepMulti(request);
          break;
        case OpCode.createSession: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          const timeOut = request.body.readInt32BE(0);
          request.txn = { timeOut };
          break;
        }
        case OpCode.closeSession: {
          const zxid = zks.nextZxid();
          this.setHeader(request, zxid, request.type);
          request.txn = this.prepCloseSession(request, zxid);
          break;
        }
        case OpCode.sync:
        case OpCode.exists:
        case OpCode.getData:
        case OpCode.getACL:
        case OpCode.getChildren:
        case OpCode.getAllChildrenNumber:
        case OpCode.getChildren2:
        case OpCode.ping:
        case OpCode.setWatches:
        case OpCode.setWatches2:
        case OpCode.checkWatches:
        case OpCode.removeWatches:
        case OpCode.getEphemerals:
        case OpCode.multiRead:
        case OpCode.addWatch:
        case OpCode.whoAmI:
          zks.sessionTracker.checkSession(request.sessionId, request.owner);
          break;
        default:
          break;
      }
    } catch (e) {
      if (e instanceof KeeperException) {
        if (request.hdr !== null) {
          request.hdr.type = OpCode.error;
          request.txn = { err: e.code };
        }
        request.exception = e;
      } else if (e instanceof JuteError || e instanceof RangeError || e instanceof QuotaStatsError) {
        // A request that cannot be decoded (or quota nodes StatsTrack cannot parse, with enforceQuota):
        // Apache answers MarshallingError (and logs the txn as an error).
        zks.log.warn(`Failed to process request type ${request.type} of session 0x${request.sessionId.toString(16)}: ${(e as Error).message}`);
        if (request.hdr !== null) {
          request.hdr.type = OpCode.error;
          request.txn = { err: Code.MARSHALLINGERROR };
        }
        request.marshallingError = true;
      } else {
        throw e;
      }
    }
  }

  /** One reader over each write's body in turn: the records it reads hold views and strings, never the reader. */
  private readonly scratch = new JuteReader(Buffer.alloc(0));

  private readerOf(request: Request): JuteReader {
    const r = this.scratch;
    r.reset(request.buf, request.bodyStart, request.bodyEnd);
    r.maxLength = this.zks.config.juteMaxBuffer;
    return r;
  }

  private setHeader(request: Request, zxid: number, type: number): void {
    if (request.hdr === null) {
      request.hdr = { clientId: request.sessionId, cxid: request.cxid, zxid, time: this.zks.now(), type };
    }
  }

  // ---- change records

  private getRecordForPath(path: string): ChangeRecord {
    const zks = this.zks;
    let last = zks.pendingChange(path);
    if (last === undefined) {
      const t = zks.dataTree;
      const id = t.nodeId(path);
      if (id !== NONE) last = new ChangeRecord(FRESH, path, t.statFieldsOf(id), t.numChildrenOf(id), t.aclOfId(id));
    }
    if (last === undefined || last.stat === null) throw new KeeperException(Code.NONODE, path);
    return last;
  }

  private getOutstandingChange(path: string): ChangeRecord | undefined {
    return this.zks.pendingChange(path);
  }

  private addChangeRecord(c: ChangeRecord): void {
    this.zks.outstandingChanges.push(c);
    this.zks.outstandingChangesForPath.set(c.path, c);
  }

  private validatePath(path: string | null): asserts path is string {
    if (invalidPathReason(path) !== null) throw new KeeperException(Code.BADARGUMENTS, path);
  }

  private getParentPathAndValidate(path: string | null): string {
    if (path === null) throw new KeeperException(Code.BADARGUMENTS, path);
    const slash = path.lastIndexOf('/');
    if (slash === -1 || path.indexOf('\0') !== -1 || this.zks.isSpecialPath(path)) {
      throw new KeeperException(Code.BADARGUMENTS, path);
    }
    return path.substring(0, slash);
  }

  private static checkAndIncVersion(current: number, expected: number, path: string): number {
    if (expected !== -1 && expected !== current) throw new KeeperException(Code.BADVERSION, path);
    return current + 1;
  }

  private checkSession(request: Request): void {
    this.zks.sessionTracker.checkSession(request.sessionId, request.owner);
  }

  // ---- per-op preparation (pRequest2Txn)

  private pRequest2Txn(type: number, zxid: number, request: Request, rec: any): TxnBody {
    const zks = this.zks;
    switch (type) {
      case OpCode.delete: {
        this.checkSession(request);
        const path: string = rec.path;
        const parentPath = this.getParentPathAndValidate(path);
        const parent = this.getRecordForPath(parentPath);
        zks.auth.checkACL(parent.acl, Perms.DELETE, request.authInfo, path);
        const node = this.getRecordForPath(path);
        PrepRequestProcessor.checkAndIncVersion(node.stat!.version, rec.version, path);
        if (node.childCount > 0) throw new KeeperException(Code.NOTEMPTY, path);
        return this.recordDelete(parent, path, zxid);
      }
      case OpCode.setData: {
        this.checkSession(request);
        const path: string = rec.path;
        this.validatePath(path);
        let node = this.getRecordForPath(path);
        zks.auth.checkACL(node.acl, Perms.WRITE, request.authInfo, path);
        if (zks.enforceQuota) zks.checkQuota(path, zks.dataTree.getNode(path)?.data ?? null, rec.data, OpCode.setData);
        const newVersion = PrepRequestProcessor.checkAndIncVersion(node.stat!.version, rec.version, path);
        node = node.forChange(zxid);
        node.stat!.version = newVersion;
        node.stat!.mtime = request.hdr!.time;
        node.stat!.mzxid = zxid;
        this.addChangeRecord(node);
        // The request's record becomes the txn (SetDataTxn has its fields, in its order): one object less.
        rec.version = newVersion;
        return rec;
      }
      case OpCode.setACL: {
        this.checkSession(request);
        const path: string = rec.path;
        this.validatePath(path);
        const acl = zks.auth.fixupACL(path, request.authInfo, rec.acl);
        let node = this.getRecordForPath(path);
        zks.auth.checkACL(node.acl, Perms.ADMIN, request.authInfo, path);
        const newVersion = PrepRequestProcessor.checkAndIncVersion(node.stat!.aversion, rec.version, path);
        node = node.forChange(zxid);
        node.stat!.aversion = newVersion;
        node.acl = acl;
        this.addChangeRecord(node);
        return { path, acl, version: newVersion };
      }
      case OpCode.check: {
        this.checkSession(request);
        const path: string = rec.path;
        this.validatePath(path);
        const node = this.getRecordForPath(path);
        zks.auth.checkACL(node.acl, Perms.READ, request.authInfo, path);
        return { path, version: PrepRequestProcessor.checkAndIncVersion(node.stat!.version, rec.version, path) };
      }
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        return this.pRequest2TxnCreate(type, request, rec.path, rec.data, rec.acl, rec.flags, -1);
      case OpCode.createTTL:
        // Inside a multi, a TTL mode under a plain create header comes as a CreateRequest: Apache's cast to
        // CreateTTLRequest throws ClassCastException, before any check (MarshallingError for the whole multi).
        if (typeof rec.ttl !== 'number') throw new RangeError('CreateRequest cannot be cast to CreateTTLRequest');
        return this.pRequest2TxnCreate(type, request, rec.path, rec.data, rec.acl, rec.flags, rec.ttl);
      default:
        return null;
    }
  }

  private pRequest2TxnCreate(
    type: number,
    request: Request,
    reqPath: string | null,
    data: Buffer | null,
    reqAcl: R.ACL[] | null,
    flags: number,
    ttl: number,
  ): TxnBody {
    const zks = this.zks;
    const zxid = request.hdr!.zxid;
    const mode = createModeFromFlag(flags);
    if (mode === null) throw new KeeperException(Code.BADARGUMENTS, reqPath);
    // validateCreateRequest
    if (mode.ttl && !zks.config.extendedTypesEnabled) throw new KeeperException(Code.UNIMPLEMENTED);
    if (mode.ttl ? !isValidTtl(ttl) : ttl >= 0) throw new KeeperException(Code.BADARGUMENTS, reqPath);
    this.checkSession(request);
    // validatePathForCreate
    if (reqPath === null || reqPath.lastIndexOf('/') === -1 || reqPath.indexOf('\0') !== -1) {
      throw new KeeperException(Code.BADARGUMENTS, reqPath);
    }
    const parentPath = reqPath.substring(0, reqPath.lastIndexOf('/'));
    const acl = zks.auth.fixupACL(reqPath, request.authInfo, reqAcl);
    let parent = this.getRecordForPath(parentPath);
    zks.auth.checkACL(parent.acl, Perms.CREATE, request.authInfo, reqPath);
    const parentCVersion = parent.stat!.cversion;
    let path = reqPath;
    if (mode.sequential) path = path + sequenceSuffix(parentCVersion);
    this.validatePath(path);
    const existing = zks.pendingChange(path);
    if (existing !== undefined ? existing.stat !== null : zks.dataTree.nodeId(path) !== NONE) {
      throw new KeeperException(Code.NODEEXISTS, path);
    }
    if (zks.dataTree.ephemeralType(parent.stat!.ephemeralOwner) === Ephemeral.NORMAL) {
      throw new KeeperException(Code.NOCHILDRENFOREPHEMERALS, path);
    }
    const newCversion = parent.stat!.cversion + 1;
    zks.checkQuota(path, null, data, OpCode.create);
    let txn: TxnBody;
    let ephemeralOwner = 0n;
    if (type === OpCode.createContainer) {
      txn = { path, data, acl, parentCVersion: newCversion };
      ephemeralOwner = -0x8000000000000000n;
    } else if (type === OpCode.createTTL) {
      // validateTTL lets a negative ttl through for a mode that is not TTL; Apache then throws applying the
      // CreateTTLTxn and its server stops. zkts refuses it where Apache would have made the txn.
      if (request.type === OpCode.createTTL && !isValidTtl(ttl)) throw new KeeperException(Code.BADARGUMENTS, path);
      txn = { path, data, acl, parentCVersion: newCversion, ttl };
      ephemeralOwner = BigInt.asIntN(64, -0x100000000000000n | BigInt(ttl));
    } else {
      txn = { path, data, acl, ephemeral: mode.ephemeral, parentCVersion: newCversion };
      if (mode.container) ephemeralOwner = -0x8000000000000000n;
      else if (mode.ephemeral) ephemeralOwner = request.sessionId;
    }
    const time = request.hdr!.time;
    parent = parent.forChange(zxid);
    parent.childCount++;
    parent.stat!.cversion = newCversion;
    parent.stat!.pzxid = zxid;
    this.addChangeRecord(parent);
    const stat: StatFields = {
      czxid: zxid,
      mzxid: zxid,
      ctime: time,
      mtime: time,
      version: 0,
      cversion: 0,
      aversion: 0,
      ephemeralOwner,
      pzxid: zxid,
    };
    this.addChangeRecord(new ChangeRecord(zxid, path, stat, 0, acl));
    request.txn = txn;
    return txn;
  }

  /** ContainerManager's delete: refused if the node gained children or is a plain ephemeral. */
  private prepDeleteContainer(path: string, zxid: number): TxnBody {
    const parentPath = this.getParentPathAndValidate(path);
    const node = this.getRecordForPath(path);
    if (node.childCount > 0) throw new KeeperException(Code.NOTEMPTY, path);
    if (this.zks.dataTree.ephemeralType(node.stat!.ephemeralOwner) === Ephemeral.NORMAL) throw new KeeperException(Code.BADVERSION, path);
    return this.recordDelete(this.getRecordForPath(parentPath), path, zxid);
  }

  /** The change records of a delete: the parent loses a child (pzxid moves), the node is gone. */
  private recordDelete(parentRecord: ChangeRecord, path: string, zxid: number): TxnBody {
    const parent = parentRecord.forChange(zxid);
    parent.childCount--;
    parent.stat!.pzxid = zxid;
    this.addChangeRecord(parent);
    this.addChangeRecord(new ChangeRecord(zxid, path, null, -1, null));
    return { path };
  }

  private prepCloseSession(request: Request, zxid: number): TxnBody {
    const zks = this.zks;
    // A clone of the tree's HashSet (its own table size), then the changes in flight: its order is the txn's.
    const es = zks.dataTree.getEphemerals(request.sessionId);
    for (const c of zks.outstandingChanges) {
      if (c.stat === null) es.delete(c.path);
      else if (c.stat.ephemeralOwner === request.sessionId) es.add(c.path);
    }
    const paths2Delete = es.toArray();
    for (const p of paths2Delete) {
      const parentPath = p.substring(0, p.lastIndexOf('/'));
      const parentRec = zks.pendingChange(parentPath);
      if (parentRec !== undefined || zks.dataTree.nodeId(parentPath) !== NONE) {
        const parent = this.getRecordForPath(parentPath).forChange(zxid);
        parent.childCount--;
        parent.stat!.pzxid = zxid;
        this.addChangeRecord(parent);
      }
      this.addChangeRecord(new ChangeRecord(zxid, p, null, 0, null));
    }
    zks.sessionTracker.setSessionClosing(request.sessionId);
    // Apache lists the paths from that HashSet, and deletes (and fires watches) in that order.
    return { paths2Delete };
  }

  // ---- multi

  private prepMulti(request: Request): void {
    const zks = this.zks;
    let ops;
    try {
      ops = readMultiOps(request.reader(zks.config.juteMaxBuffer));
    } catch (e) {
      this.setHeader(request, zks.nextZxid(), OpCode.multi);
      throw e;
    }
    const zxid = zks.nextZxid();
    // Remember the records this multi may overwrite, to put them back if it fails.
    const pending = new Map<string, ChangeRecord>();
    for (const op of ops) {
      const path = op.path ?? '';
      const cr = this.getOutstandingChange(path);
      if (cr !== undefined) pending.set(path, cr);
      const slash = path.lastIndexOf('/');
      if (slash === -1 || path.indexOf('\0') !== -1) continue;
      const parentPath = path.substring(0, slash);
      const pcr = this.getOutstandingChange(parentPath);
      if (pcr !== undefined) pending.set(parentPath, pcr);
    }
    this.setHeader(request, zxid, OpCode.multi);
    const txns: SubTxn[] = [];
    let failed: KeeperException | null = null;
    for (const op of ops) {
      if (failed !== null) {
        txns.push({ type: OpCode.error, txn: { err: Code.RUNTIMEINCONSISTENCY } });
        continue;
      }
      try {
        request.txn = null;
        const txn = this.pRequest2Txn(op.type, zxid, request, op.record);
        // A read has no txn: Apache serializes the null txn and fails with NullPointerException, so a multi
        // of reads is a MarshallingError (a read cannot follow a write: mixing kinds fails decoding).
        if (txn === null) throw new RangeError(`no txn for op type ${op.type} in a multi`);
        txns.push({ type: op.type, txn });
      } catch (e) {
        // Anything but a KeeperException (the casts above, the null txn) escapes the multi: the request
        // becomes an error txn with MarshallingError, and the change records of the ops before it stay
        // until the txn is applied, as in Apache.
        if (!(e instanceof KeeperException)) throw e;
        failed = e;
        txns.push({ type: OpCode.error, txn: { err: e.code } });
        request.exception = e;
        this.rollbackPendingChanges(zxid, pending);
      }
    }
    request.txn = { txns };
  }

  private rollbackPendingChanges(zxid: number, pending: Map<string, ChangeRecord>): void {
    const zks = this.zks;
    const oc = zks.outstandingChanges;
    while (oc.length > 0 && oc.last().zxid === zxid) {
      const c = oc.pop()!;
      zks.outstandingChangesForPath.delete(c.path);
    }
    if (oc.length === 0) return;
    const firstZxid = oc.first().zxid;
    for (const c of pending.values()) {
      if (c.zxid < firstZxid) continue;
      zks.outstandingChangesForPath.set(c.path, c);
    }
  }
}

/** The 10-digit, zero-padded sequence suffix (String.format("%010d", cversion); negative keeps its sign). */
export function sequenceSuffix(n: number): string {
  if (n < 0) return '-' + String(-n).padStart(9, '0');
  return String(n).padStart(10, '0');
}
