/**
 * The records of Apache ZooKeeper's zookeeper.jute that zkts speaks, declared once. Field order is wire
 * order. Modules: data (shared), proto (client protocol), txn (log), persistence, quorum.
 */
import { defineRecord, FieldType, RecordOf, T } from './schema';

// ---- org.apache.zookeeper.data
export const Id = defineRecord('Id', { scheme: T.ustring, id: T.ustring });
export type Id = RecordOf<typeof Id.fields>;

export const ACL = defineRecord('ACL', { perms: T.int, id: Id });
export type ACL = RecordOf<typeof ACL.fields>;
export const ACLVector = repeatedVector(T.vector(ACL));

/**
 * A vector type that remembers the bytes and the elements of the last small vector it decoded: ACL lists
 * repeat from create to create (and txn to txn in a log replay), and comparing a few dozen bytes costs
 * less than decoding the objects and strings again. Each read returns an array of its own; the elements
 * are shared, and nothing changes an ACL once decoded.
 */
function repeatedVector<E>(plain: FieldType<E[] | null>, maxBytes = 128): FieldType<E[] | null> {
  // Reused, so that a miss (a workload alternating between two lists) allocates no more than a decode does.
  const lastBytes = Buffer.alloc(maxBytes);
  let lastLen = -1;
  let last: E[] = [];
  return {
    name: plain.name,
    read(r) {
      const start = r.offset;
      const buf = r.buf;
      const n = lastLen;
      if (n >= 0 && r.end - start >= n) {
        let k = 0;
        while (k < n && buf[start + k] === lastBytes[k]) k++;
        if (k === n) {
          r.offset = start + n;
          return last.slice();
        }
      }
      const v = plain.read(r);
      const len = r.offset - start;
      if (v !== null && len <= maxBytes) {
        for (let k = 0; k < len; k++) lastBytes[k] = buf[start + k];
        lastLen = len;
        last = v.slice();
      }
      return v;
    },
    write: plain.write,
  };
}

export const Stat = defineRecord('Stat', {
  czxid: T.long53,
  mzxid: T.long53,
  ctime: T.long53,
  mtime: T.long53,
  version: T.int,
  cversion: T.int,
  aversion: T.int,
  ephemeralOwner: T.long,
  dataLength: T.int,
  numChildren: T.int,
  pzxid: T.long53,
});
export type Stat = RecordOf<typeof Stat.fields>;

export const StatPersisted = defineRecord('StatPersisted', {
  czxid: T.long53,
  mzxid: T.long53,
  ctime: T.long53,
  mtime: T.long53,
  version: T.int,
  cversion: T.int,
  aversion: T.int,
  ephemeralOwner: T.long,
  pzxid: T.long53,
});
export type StatPersisted = RecordOf<typeof StatPersisted.fields>;

export const ClientInfo = defineRecord('ClientInfo', { authScheme: T.ustring, user: T.ustring });
export type ClientInfo = RecordOf<typeof ClientInfo.fields>;

// ---- org.apache.zookeeper.proto
/** ConnectRequest/Response are followed by an optional readOnly byte that old clients omit; see protocol/handshake. */
export const ConnectRequest = defineRecord('ConnectRequest', {
  protocolVersion: T.int,
  lastZxidSeen: T.long,
  timeOut: T.int,
  sessionId: T.long,
  passwd: T.buffer,
});
export type ConnectRequest = RecordOf<typeof ConnectRequest.fields>;

export const ConnectResponse = defineRecord('ConnectResponse', {
  protocolVersion: T.int,
  timeOut: T.int,
  sessionId: T.long,
  passwd: T.buffer,
});
export type ConnectResponse = RecordOf<typeof ConnectResponse.fields>;

const StringVector = T.vector(T.ustring);
export { StringVector };

export const SetWatches = defineRecord('SetWatches', {
  relativeZxid: T.long53,
  dataWatches: StringVector,
  existWatches: StringVector,
  childWatches: StringVector,
});
export type SetWatches = RecordOf<typeof SetWatches.fields>;

export const SetWatches2 = defineRecord('SetWatches2', {
  relativeZxid: T.long53,
  dataWatches: StringVector,
  existWatches: StringVector,
  childWatches: StringVector,
  persistentWatches: StringVector,
  persistentRecursiveWatches: StringVector,
});
export type SetWatches2 = RecordOf<typeof SetWatches2.fields>;

export const RequestHeader = defineRecord('RequestHeader', { xid: T.int, type: T.int });
export type RequestHeader = RecordOf<typeof RequestHeader.fields>;

export const MultiHeader = defineRecord('MultiHeader', { type: T.int, done: T.bool, err: T.int });
export type MultiHeader = RecordOf<typeof MultiHeader.fields>;

export const AuthPacket = defineRecord('AuthPacket', { type: T.int, scheme: T.ustring, auth: T.buffer });
export type AuthPacket = RecordOf<typeof AuthPacket.fields>;

export const ReplyHeader = defineRecord('ReplyHeader', { xid: T.int, zxid: T.long53, err: T.int });
export type ReplyHeader = RecordOf<typeof ReplyHeader.fields>;

export const GetDataRequest = defineRecord('GetDataRequest', { path: T.ustring, watch: T.bool });
export type GetDataRequest = RecordOf<typeof GetDataRequest.fields>;

export const SetDataRequest = defineRecord('SetDataRequest', { path: T.ustring, data: T.buffer, version: T.int });
export type SetDataRequest = RecordOf<typeof SetDataRequest.fields>;

export const ReconfigRequest = defineRecord('ReconfigRequest', {
  joiningServers: T.ustring,
  leavingServers: T.ustring,
  newMembers: T.ustring,
  curConfigId: T.long,
});
export type ReconfigRequest = RecordOf<typeof ReconfigRequest.fields>;

export const SetDataResponse = defineRecord('SetDataResponse', { stat: Stat });
export type SetDataResponse = RecordOf<typeof SetDataResponse.fields>;

export const GetSASLRequest = defineRecord('GetSASLRequest', { token: T.buffer });
export type GetSASLRequest = RecordOf<typeof GetSASLRequest.fields>;

export const SetSASLResponse = defineRecord('SetSASLResponse', { token: T.buffer });
export type SetSASLResponse = RecordOf<typeof SetSASLResponse.fields>;

export const CreateRequest = defineRecord('CreateRequest', {
  path: T.ustring,
  data: T.buffer,
  acl: ACLVector,
  flags: T.int,
});
export type CreateRequest = RecordOf<typeof CreateRequest.fields>;

export const CreateTTLRequest = defineRecord('CreateTTLRequest', {
  path: T.ustring,
  data: T.buffer,
  acl: ACLVector,
  flags: T.int,
  ttl: T.long53,
});
export type CreateTTLRequest = RecordOf<typeof CreateTTLRequest.fields>;

export const DeleteRequest = defineRecord('DeleteRequest', { path: T.ustring, version: T.int });
export type DeleteRequest = RecordOf<typeof DeleteRequest.fields>;

/** GetChildrenRequest, GetChildren2Request and ExistsRequest share GetDataRequest's layout. */
export const PathWatchRequest = GetDataRequest;
export type PathWatchRequest = GetDataRequest;

export const PathRequest = defineRecord('PathRequest', { path: T.ustring });
export type PathRequest = RecordOf<typeof PathRequest.fields>;

export const CheckVersionRequest = defineRecord('CheckVersionRequest', { path: T.ustring, version: T.int });
export type CheckVersionRequest = RecordOf<typeof CheckVersionRequest.fields>;

export const SetACLRequest = defineRecord('SetACLRequest', { path: T.ustring, acl: ACLVector, version: T.int });
export type SetACLRequest = RecordOf<typeof SetACLRequest.fields>;

export const AddWatchRequest = defineRecord('AddWatchRequest', { path: T.ustring, mode: T.int });
export type AddWatchRequest = RecordOf<typeof AddWatchRequest.fields>;

export const WatcherEvent = defineRecord('WatcherEvent', { type: T.int, state: T.int, path: T.ustring });
export type WatcherEvent = RecordOf<typeof WatcherEvent.fields>;

export const ErrorResponse = defineRecord('ErrorResponse', { err: T.int });
export type ErrorResponse = RecordOf<typeof ErrorResponse.fields>;

export const CreateResponse = defineRecord('CreateResponse', { path: T.ustring });
export type CreateResponse = RecordOf<typeof CreateResponse.fields>;

export const Create2Response = defineRecord('Create2Response', { path: T.ustring, stat: Stat });
export type Create2Response = RecordOf<typeof Create2Response.fields>;

export const ExistsResponse = SetDataResponse;

export const GetDataResponse = defineRecord('GetDataResponse', { data: T.buffer, stat: Stat });
export type GetDataResponse = RecordOf<typeof GetDataResponse.fields>;

export const GetChildrenResponse = defineRecord('GetChildrenResponse', { children: StringVector });
export type GetChildrenResponse = RecordOf<typeof GetChildrenResponse.fields>;

export const GetAllChildrenNumberResponse = defineRecord('GetAllChildrenNumberResponse', { totalNumber: T.int });

export const GetChildren2Response = defineRecord('GetChildren2Response', { children: StringVector, stat: Stat });
export type GetChildren2Response = RecordOf<typeof GetChildren2Response.fields>;

export const GetACLResponse = defineRecord('GetACLResponse', { acl: ACLVector, stat: Stat });
export type GetACLResponse = RecordOf<typeof GetACLResponse.fields>;

/** CheckWatchesRequest and RemoveWatchesRequest share this layout. */
export const WatchesRequest = defineRecord('WatchesRequest', { path: T.ustring, type: T.int });
export type WatchesRequest = RecordOf<typeof WatchesRequest.fields>;

export const GetEphemeralsResponse = defineRecord('GetEphemeralsResponse', { ephemerals: StringVector });

export const WhoAmIResponse = defineRecord('WhoAmIResponse', { clientInfo: T.vector(ClientInfo) });
export type WhoAmIResponse = RecordOf<typeof WhoAmIResponse.fields>;

// ---- org.apache.zookeeper.server.quorum
export const LearnerInfo = defineRecord('LearnerInfo', { serverid: T.long, protocolVersion: T.int, configVersion: T.long });
export const QuorumPacket = defineRecord('QuorumPacket', {
  type: T.int,
  zxid: T.long53,
  data: T.buffer,
  authinfo: T.vector(Id),
});
export type QuorumPacket = RecordOf<typeof QuorumPacket.fields>;

// ---- org.apache.zookeeper.server.persistence
export const FileHeader = defineRecord('FileHeader', { magic: T.int, version: T.int, dbid: T.long });
export type FileHeader = RecordOf<typeof FileHeader.fields>;

// ---- org.apache.zookeeper.txn
export const TxnDigest = defineRecord('TxnDigest', { version: T.int, treeDigest: T.long });

export const TxnHeader = defineRecord('TxnHeader', {
  clientId: T.long,
  cxid: T.int,
  zxid: T.long53,
  time: T.long53,
  type: T.int,
});
export type TxnHeader = RecordOf<typeof TxnHeader.fields>;

export const CreateTxn = defineRecord('CreateTxn', {
  path: T.ustring,
  data: T.buffer,
  acl: ACLVector,
  ephemeral: T.bool,
  parentCVersion: T.int,
});
export type CreateTxn = RecordOf<typeof CreateTxn.fields>;

export const CreateTTLTxn = defineRecord('CreateTTLTxn', {
  path: T.ustring,
  data: T.buffer,
  acl: ACLVector,
  parentCVersion: T.int,
  ttl: T.long53,
});
export type CreateTTLTxn = RecordOf<typeof CreateTTLTxn.fields>;

export const CreateContainerTxn = defineRecord('CreateContainerTxn', {
  path: T.ustring,
  data: T.buffer,
  acl: ACLVector,
  parentCVersion: T.int,
});
export type CreateContainerTxn = RecordOf<typeof CreateContainerTxn.fields>;

export const DeleteTxn = PathRequest;
export type DeleteTxn = PathRequest;

export const SetDataTxn = defineRecord('SetDataTxn', { path: T.ustring, data: T.buffer, version: T.int });
export type SetDataTxn = RecordOf<typeof SetDataTxn.fields>;

export const CheckVersionTxn = CheckVersionRequest;
export type CheckVersionTxn = CheckVersionRequest;

export const SetACLTxn = SetACLRequest;
export type SetACLTxn = SetACLRequest;

export const CreateSessionTxn = defineRecord('CreateSessionTxn', { timeOut: T.int });
export type CreateSessionTxn = RecordOf<typeof CreateSessionTxn.fields>;

export const CloseSessionTxn = defineRecord('CloseSessionTxn', { paths2Delete: StringVector });
export type CloseSessionTxn = RecordOf<typeof CloseSessionTxn.fields>;

export const ErrorTxn = ErrorResponse;
export type ErrorTxn = ErrorResponse;

export const Txn = defineRecord('Txn', { type: T.int, data: T.buffer });
export type Txn = RecordOf<typeof Txn.fields>;

export const MultiTxn = defineRecord('MultiTxn', { txns: T.vector(Txn) });
export type MultiTxn = RecordOf<typeof MultiTxn.fields>;
