import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { FieldType } from '../jute/schema';
import { EventType, Perms, WatcherType } from '../protocol/enums';
import { Code, KeeperException } from '../protocol/errors';
import { OpCode, Xid } from '../protocol/opCodes';
import { DataNode, DataTree, ProcessTxnResult } from '../tree/dataTree';
import { NONE } from '../tree/nodeStore';
import { Request } from './request';
import { Op, readMultiOps } from './requestRecords';
import type { ServerCnxn } from './serverCnxn';
import type { ZooKeeperServer } from './zooKeeperServer';

/** A reply body: a record type and its value, written straight into the connection's buffer. */
export interface ReplyBody {
  type: FieldType<any>;
  value: any;
}

/**
 * GetDataResponse and ExistsResponse (a Stat) of a live znode, written from the tree's columns when the
 * reply is: reads answer at this rate, and need no Stat object. The value is the znode and whether the
 * server has extended types (which hides a TTL node's owner).
 */
interface NodeReply {
  node: DataNode;
  extendedTypes: boolean;
}

/** A reply body the server only writes (`label` names it in the error a read would throw). */
function writtenOnly<T>(label: string, name: string, write: (w: JuteWriter, v: T) => void): FieldType<T> {
  return {
    name,
    read() {
      throw new Error(`${label} is only written`);
    },
    write,
  };
}

const GetDataReply = writtenOnly<NodeReply>('GetDataReply', 'GetDataResponse', (w, v) => {
  v.node.writeData(w);
  v.node.writeStat(w, v.extendedTypes);
});

const StatReply = writtenOnly<NodeReply>('StatReply', 'ExistsResponse', (w, v) => v.node.writeStat(w, v.extendedTypes));

/** SetDataResponse of a lone setData: the Stat of the znode it wrote (ProcessTxnResult.node), from the tree. */
interface WrittenNode {
  tree: DataTree;
  id: number;
}

const SetDataReply = writtenOnly<WrittenNode>('SetDataReply', 'SetDataResponse', (w, v) => v.tree.writeStatOf(w, v.id));

/** MultiResponse: each result as MultiHeader{type, false, err} + body, then MultiHeader{-1, true, -1}. */
const MultiResponse = writtenOnly<ProcessTxnResultLike[]>('MultiResponse', 'MultiResponse', (w, results) => {
  for (const r of results) {
    w.writeInt(r.type);
    w.writeBool(false);
    w.writeInt(r.type === OpCode.error ? r.err : 0);
    switch (r.type) {
      case OpCode.create:
        w.writeString(r.path ?? null);
        break;
      case OpCode.create2:
        w.writeString(r.path ?? null);
        R.Stat.write(w, r.stat!);
        break;
      case OpCode.setData:
        R.Stat.write(w, r.stat!);
        break;
      case OpCode.getData:
        w.writeBuffer(r.data ?? null);
        R.Stat.write(w, r.stat!);
        break;
      case OpCode.getChildren:
        R.StringVector.write(w, r.children ?? []);
        break;
      case OpCode.error:
        w.writeInt(r.err);
        break;
      default:
        break;
    }
  }
  w.writeInt(-1);
  w.writeBool(true);
  w.writeInt(-1);
});

interface ProcessTxnResultLike {
  type: number;
  err: number;
  path?: string | null;
  stat?: R.Stat | null;
  data?: Buffer | null;
  children?: string[];
}

/** WatcherType.fromInt: an unknown value is a runtime error, which the client sees as MarshallingError. */
function checkWatcherType(t: number): number {
  if (t < WatcherType.Children || t > WatcherType.Any) throw new RangeError(`Invalid integer value for conversion to WatcherType: ${t}`);
  return t;
}

/**
 * The last stage (FinalRequestProcessor): applies the txn to the DataTree (firing watches, so events
 * leave before the reply) and answers the client. Reads are served here, in order with the writes.
 */
export class FinalRequestProcessor {
  /** The reply body of every lone setData, refilled per reply: sendResponse writes it before returning. */
  private readonly setDataReply: { type: FieldType<WrittenNode>; value: WrittenNode };

  constructor(private readonly zks: ZooKeeperServer) {
    this.setDataReply = { type: SetDataReply, value: { tree: zks.dataTree, id: NONE } };
  }

  processRequest(request: Request): void {
    const zks = this.zks;
    const rc = zks.processTxn(request);
    const cnxn = request.cnxn;
    if (cnxn === null) {
      zks.requestDropped();
      // An expired session's close: drop the connection that still carries it.
      if (request.type === OpCode.closeSession) zks.closeSessionConnections(request.sessionId);
      return;
    }
    if (cnxn.closed) {
      zks.requestDropped();
      return;
    }
    const lastZxid = zks.dataTree.lastProcessedZxid;
    let err: number = Code.OK;
    let rsp: ReplyBody | null = null;
    try {
      if (request.hdr !== null && request.hdr.type === OpCode.error) {
        throw request.exception ?? new KeeperException((request.txn as R.ErrorTxn).err);
      }
      const ke = request.exception;
      if (ke !== null && ke.code === Code.SESSIONMOVED) throw ke;
      if (ke !== null && request.type !== OpCode.multi) throw ke;
      if (request.marshallingError) throw new KeeperException(Code.MARSHALLINGERROR);
      switch (request.type) {
        case OpCode.ping:
          cnxn.sendResponse(Xid.ping, lastZxid, 0, null);
          cnxn.requestFinished(request, lastZxid);
          return;
        case OpCode.createSession:
          zks.finishSessionInit(cnxn, true);
          cnxn.requestFinished(request, lastZxid);
          return;
        case OpCode.multi:
          for (const sub of rc!.multiResult!) if (sub.type === OpCode.error && sub.err === Code.SESSIONMOVED) throw new KeeperException(Code.SESSIONMOVED);
          rsp = { type: MultiResponse, value: rc!.multiResult!.map(multiResultOf) };
          break;
        case OpCode.multiRead: {
          const ops = readMultiOps(request.reader(zks.config.juteMaxBuffer));
          const results: ProcessTxnResultLike[] = [];
          // Set before the reads: if one fails the whole request, the results so far still go out.
          rsp = { type: MultiResponse, value: results };
          this.multiRead(ops, request, results);
          break;
        }
        case OpCode.create:
          rsp = { type: R.CreateResponse, value: { path: rc!.path } };
          err = rc!.err;
          break;
        case OpCode.create2:
        case OpCode.createTTL:
        case OpCode.createContainer:
          rsp = { type: R.Create2Response, value: { path: rc!.path, stat: rc!.stat } };
          err = rc!.err;
          break;
        case OpCode.delete:
        case OpCode.deleteContainer:
          err = rc!.err;
          break;
        case OpCode.setData:
          if (rc!.node !== NONE) {
            this.setDataReply.value.id = rc!.node;
            rsp = this.setDataReply;
          } else rsp = { type: R.SetDataResponse, value: { stat: rc!.stat } };
          err = rc!.err;
          break;
        case OpCode.setACL:
          rsp = { type: R.SetDataResponse, value: { stat: rc!.stat } };
          err = rc!.err;
          break;
        case OpCode.closeSession:
          err = rc!.err;
          break;
        case OpCode.check:
          // 3.8.0 has no Stat for a lone check and fails serializing it; the client sees the error
          // code of the txn, so only answer when the check failed.
          err = rc!.err;
          break;
        case OpCode.sync: {
          const rec = R.PathRequest.read(request.reader(zks.config.juteMaxBuffer));
          rsp = { type: R.PathRequest, value: rec };
          break;
        }
        case OpCode.exists: {
          const rec = R.PathWatchRequest.read(request.reader(zks.config.juteMaxBuffer));
          const path = rec.path!;
          if (path.indexOf('\0') !== -1) throw new KeeperException(Code.BADARGUMENTS);
          const n = zks.dataTree.statNode(path, rec.watch ? cnxn : null);
          rsp = { type: StatReply, value: { node: n, extendedTypes: zks.dataTree.extendedTypesEnabled } };
          break;
        }
        case OpCode.getData: {
          const rec = R.PathWatchRequest.read(request.reader(zks.config.juteMaxBuffer));
          const n = this.readableNode(rec.path, request);
          zks.dataTree.getDataOf(n, rec.path!, rec.watch ? cnxn : null);
          rsp = { type: GetDataReply, value: { node: n, extendedTypes: zks.dataTree.extendedTypesEnabled } };
          break;
        }
        case OpCode.getChildren: {
          const rec = R.PathWatchRequest.read(request.reader(zks.config.juteMaxBuffer));
          const n = this.readableNode(rec.path, request);
          zks.dataTree.getChildrenOf(n, rec.path!, rec.watch ? cnxn : null);
          rsp = { type: R.GetChildrenResponse, value: { children: childList(n) } };
          break;
        }
        case OpCode.getChildren2: {
          const rec = R.PathWatchRequest.read(request.reader(zks.config.juteMaxBuffer));
          const n = this.readableNode(rec.path, request);
          zks.dataTree.getChildrenOf(n, rec.path!, rec.watch ? cnxn : null);
          rsp = { type: R.GetChildren2Response, value: { children: childList(n), stat: n.stat(zks.dataTree.extendedTypesEnabled) } };
          break;
        }
        case OpCode.getACL: {
          const rec = R.PathRequest.read(request.reader(zks.config.juteMaxBuffer));
          const path = rec.path!;
          const n = zks.dataTree.getNode(path);
          if (n === undefined) throw new KeeperException(Code.NONODE, path);
          const acl = zks.dataTree.aclOf(n);
          zks.auth.checkACL(acl, Perms.READ | Perms.ADMIN, request.authInfo, path);
          let shown = acl;
          try {
            zks.auth.checkACL(acl, Perms.ADMIN, request.authInfo, path);
          } catch (e) {
            if (!(e instanceof KeeperException)) throw e;
            // Without ADMIN, digest ids are shown without their password hash.
            shown = acl.map((a) =>
              a.id.scheme === 'digest' ? { perms: a.perms, id: { scheme: a.id.scheme, id: (a.id.id ?? '').replace(/:.*/s, ':x') } } : a,
            );
          }
          rsp = { type: R.GetACLResponse, value: { acl: shown, stat: n.stat(zks.dataTree.extendedTypesEnabled) } };
          break;
        }
        case OpCode.getAllChildrenNumber: {
          const rec = R.PathRequest.read(request.reader(zks.config.juteMaxBuffer));
          this.readableNode(rec.path, request);
          rsp = { type: R.GetAllChildrenNumberResponse, value: { totalNumber: zks.dataTree.getAllChildrenNumber(rec.path!) } };
          break;
        }
        case OpCode.getEphemerals: {
          const rec = R.PathRequest.read(request.reader(zks.config.juteMaxBuffer));
          const prefix = rec.path;
          const all = zks.dataTree.getEphemerals(request.sessionId).toArray();
          const out: string[] = [];
          const wantAll = prefix === null || prefix.trim() === '' || prefix.trim() === '/';
          for (const p of all) if (wantAll || p.startsWith(prefix!)) out.push(p);
          rsp = { type: R.GetEphemeralsResponse, value: { ephemerals: out } };
          break;
        }
        case OpCode.whoAmI:
          rsp = {
            type: R.WhoAmIResponse,
            value: {
              clientInfo: request.authInfo.map((id) => ({
                authScheme: id.scheme,
                user: id.scheme === 'digest' ? (id.id ?? '').split(':')[0] : id.id,
              })),
            },
          };
          break;
        case OpCode.setWatches: {
          const rec = R.SetWatches.read(request.reader(zks.config.juteMaxBuffer));
          this.setWatches(cnxn, rec.relativeZxid, rec.dataWatches, rec.existWatches, rec.childWatches, null, null);
          break;
        }
        case OpCode.setWatches2: {
          const rec = R.SetWatches2.read(request.reader(zks.config.juteMaxBuffer));
          this.setWatches(cnxn, rec.relativeZxid, rec.dataWatches, rec.existWatches, rec.childWatches, rec.persistentWatches, rec.persistentRecursiveWatches);
          break;
        }
        case OpCode.addWatch: {
          const rec = R.AddWatchRequest.read(request.reader(zks.config.juteMaxBuffer));
          zks.dataTree.addWatch(rec.path!, cnxn, rec.mode);
          rsp = { type: R.ErrorResponse, value: { err: 0 } };
          break;
        }
        case OpCode.checkWatches: {
          const rec = R.WatchesRequest.read(request.reader(zks.config.juteMaxBuffer));
          const type = checkWatcherType(rec.type);
          const path = rec.path!;
          const t = zks.dataTree;
          let has: boolean;
          if (type === WatcherType.Children) has = t.childWatches.containsWatcher(path, cnxn);
          else if (type === WatcherType.Data) has = t.dataWatches.containsWatcher(path, cnxn);
          else {
            // Any asks both tables, without short-circuit (either may throw: see containsWatcher).
            const child = t.childWatches.containsWatcher(path, cnxn);
            const data = t.dataWatches.containsWatcher(path, cnxn);
            has = child || data;
          }
          if (!has) throw new KeeperException(Code.NOWATCHER, path);
          break;
        }
        case OpCode.removeWatches: {
          const rec = R.WatchesRequest.read(request.reader(zks.config.juteMaxBuffer));
          const type = checkWatcherType(rec.type);
          const path = rec.path!;
          const t = zks.dataTree;
          let removed = false;
          if (type === WatcherType.Children || type === WatcherType.Any) removed = t.childWatches.removeWatch(path, cnxn) || removed;
          if (type === WatcherType.Data || type === WatcherType.Any) removed = t.dataWatches.removeWatch(path, cnxn) || removed;
          if (!removed) throw new KeeperException(Code.NOWATCHER, path);
          break;
        }
        default:
          break;
      }
    } catch (e) {
      if (e instanceof KeeperException) {
        if (e.code === Code.SESSIONMOVED) {
          zks.requestDropped();
          cnxn.close('session moved');
          return;
        }
        // Whatever reply body was set before the throw still goes out with the error, as in Apache (only
        // a multiRead sets its body that early).
        err = e.code;
      } else if (e instanceof Error && (e.name === 'JuteError' || e instanceof RangeError)) {
        zks.log.warn(`Failed to process request type ${request.type} from session 0x${request.sessionId.toString(16)}: ${e.message}`);
        err = Code.MARSHALLINGERROR;
      } else {
        throw e;
      }
    }
    cnxn.sendResponse(request.cxid, lastZxid, err, rsp);
    cnxn.requestFinished(request, lastZxid);
    if (request.type === OpCode.closeSession) cnxn.closeAfterFlush('client closed session');
  }

  private readableNode(path: string | null, request: Request): DataNode {
    const n = this.zks.dataTree.getNode(path ?? '');
    if (n === undefined || path === null) throw new KeeperException(Code.NONODE, path);
    this.zks.auth.checkACL(this.zks.dataTree.aclOf(n), Perms.READ, request.authInfo, path);
    return n;
  }

  private multiRead(ops: Op[], request: Request, out: ProcessTxnResultLike[]): void {
    for (const op of ops) {
      // A write in a multiRead fails the whole request (IOException: MarshallingError) as soon as it is
      // reached, before its path is looked at; the reads before it have no side effect.
      if (op.type !== OpCode.getChildren && op.type !== OpCode.getData) throw new RangeError('Invalid type of readOp');
      try {
        const n = this.readableNode(op.path, request);
        if (op.type === OpCode.getChildren) out.push({ type: OpCode.getChildren, err: 0, children: childList(n) });
        else out.push({ type: OpCode.getData, err: 0, data: n.data, stat: n.stat(this.zks.dataTree.extendedTypesEnabled) });
      } catch (e) {
        if (!(e instanceof KeeperException)) throw e;
        out.push({ type: OpCode.error, err: e.code });
      }
    }
  }

  private setWatches(
    cnxn: ServerCnxn,
    relativeZxid: number,
    data: (string | null)[] | null,
    exist: (string | null)[] | null,
    child: (string | null)[] | null,
    persistent: (string | null)[] | null,
    recursive: (string | null)[] | null,
  ): void {
    const t = this.zks.dataTree;
    for (const p of data ?? []) {
      if (p === null) continue;
      const n = t.getNode(p);
      if (n === undefined) cnxn.process(EventType.NodeDeleted, p);
      else if (n.mzxid > relativeZxid) cnxn.process(EventType.NodeDataChanged, p);
      else t.dataWatches.addWatch(p, cnxn);
    }
    for (const p of exist ?? []) {
      if (p === null) continue;
      if (t.getNode(p) !== undefined) cnxn.process(EventType.NodeCreated, p);
      else t.dataWatches.addWatch(p, cnxn);
    }
    for (const p of child ?? []) {
      if (p === null) continue;
      const n = t.getNode(p);
      if (n === undefined) cnxn.process(EventType.NodeDeleted, p);
      else if (n.pzxid > relativeZxid) cnxn.process(EventType.NodeChildrenChanged, p);
      else t.childWatches.addWatch(p, cnxn);
    }
    for (const p of persistent ?? []) if (p !== null) t.addWatch(p, cnxn, 0);
    for (const p of recursive ?? []) if (p !== null) t.addWatch(p, cnxn, 1);
  }
}

function childList(n: DataNode): string[] {
  return n.childList();
}

/** How FinalRequestProcessor reports one sub-result of a multi. */
function multiResultOf(sub: ProcessTxnResult): ProcessTxnResultLike {
  switch (sub.type) {
    case OpCode.check:
      return { type: OpCode.check, err: 0 };
    case OpCode.create:
      return { type: OpCode.create, err: 0, path: sub.path };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { type: OpCode.create2, err: 0, path: sub.path, stat: sub.stat };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: OpCode.delete, err: 0 };
    case OpCode.setData:
      return { type: OpCode.setData, err: 0, stat: sub.stat };
    default:
      return { type: OpCode.error, err: sub.err };
  }
}
