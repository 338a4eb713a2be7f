import { JuteError } from '../jute/errors';
import { JuteReader } from '../jute/reader';
import * as R from '../jute/records';
import { createModeFromFlag } from '../protocol/enums';
import { OpCode } from '../protocol/opCodes';

/** One operation of a multi or multiRead (MultiOperationRecord's Op), typed as Apache types it. */
export interface Op {
  type: number;
  path: string | null;
  record: any;
}

/**
 * MultiOperationRecord.deserialize: MultiHeader-prefixed ops until a header with done=true. A create's
 * type comes from its flags (create, createContainer, createTTL), whatever the header said; reads and
 * writes may not be mixed. A TTL mode under a create/create2/createContainer header gives an op of type
 * createTTL that carries a CreateRequest (no ttl field): PrepRequestProcessor then fails casting it.
 */
export function readMultiOps(r: JuteReader): Op[] {
  const ops: Op[] = [];
  let kind: 'read' | 'write' | null = null;
  const add = (op: Op, k: 'read' | 'write') => {
    if (kind !== null && kind !== k) throw new JuteError('Mixing different kind of ops');
    kind = k;
    ops.push(op);
  };
  let h = R.MultiHeader.read(r);
  while (!h.done) {
    switch (h.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer: {
        const rec = R.CreateRequest.read(r);
        const mode = createModeFromFlag(rec.flags);
        const type = mode?.ttl ? OpCode.createTTL : mode?.container ? OpCode.createContainer : OpCode.create;
        add({ type, path: rec.path, record: rec }, 'write');
        break;
      }
      case OpCode.createTTL: {
        // Op.create(path, data, acl, flags, ttl): only a TTL mode makes a CreateTTL; any other flags make a
        // plain Create (create, or createContainer for flag 4) and the ttl is dropped.
        const rec = R.CreateTTLRequest.read(r);
        const mode = createModeFromFlag(rec.flags);
        if (mode?.ttl) add({ type: OpCode.createTTL, path: rec.path, record: rec }, 'write');
        else {
          const plain = { path: rec.path, data: rec.data, acl: rec.acl, flags: rec.flags };
          add({ type: mode?.container ? OpCode.createContainer : OpCode.create, path: rec.path, record: plain }, 'write');
        }
        break;
      }
      case OpCode.delete: {
        const rec = R.DeleteRequest.read(r);
        add({ type: OpCode.delete, path: rec.path, record: rec }, 'write');
        break;
      }
      case OpCode.setData: {
        const rec = R.SetDataRequest.read(r);
        add({ type: OpCode.setData, path: rec.path, record: rec }, 'write');
        break;
      }
      case OpCode.check: {
        const rec = R.CheckVersionRequest.read(r);
        add({ type: OpCode.check, path: rec.path, record: rec }, 'write');
        break;
      }
      case OpCode.getChildren: {
        const rec = R.PathWatchRequest.read(r);
        add({ type: OpCode.getChildren, path: rec.path, record: { path: rec.path, watch: false } }, 'read');
        break;
      }
      case OpCode.getData: {
        const rec = R.PathWatchRequest.read(r);
        add({ type: OpCode.getData, path: rec.path, record: { path: rec.path, watch: false } }, 'read');
        break;
      }
      default:
        throw new JuteError('Invalid type of op');
    }
    h = R.MultiHeader.read(r);
  }
  return ops;
}
