import * as R from '../jute/records';
import { OpCode } from '../protocol/opCodes';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import { FieldType } from '../jute/schema';

/** A multi's sub-transaction, kept decoded in memory; serialized as Txn{type, data} in the log. */
export interface SubTxn {
  type: number;
  txn: TxnBody;
}

export interface MultiTxnBody {
  txns: SubTxn[];
}

export type TxnBody =
  | R.CreateTxn
  | R.CreateTTLTxn
  | R.CreateContainerTxn
  | R.DeleteTxn
  | R.SetDataTxn
  | R.SetACLTxn
  | R.CheckVersionTxn
  | R.CreateSessionTxn
  | R.CloseSessionTxn
  | R.ErrorTxn
  | MultiTxnBody
  | null;

/** The record that follows a TxnHeader of the given type in the log (SerializeUtils.deserializeTxn). */
export function txnRecordType(type: number): FieldType<any> | null {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
      return R.CreateTxn;
    case OpCode.createTTL:
      return R.CreateTTLTxn;
    case OpCode.createContainer:
      return R.CreateContainerTxn;
    case OpCode.delete:
    case OpCode.deleteContainer:
      return R.DeleteTxn;
    case OpCode.setData:
    case OpCode.reconfig:
      return R.SetDataTxn;
    case OpCode.setACL:
      return R.SetACLTxn;
    case OpCode.check:
      return R.CheckVersionTxn;
    case OpCode.createSession:
      return R.CreateSessionTxn;
    case OpCode.closeSession:
      return R.CloseSessionTxn;
    case OpCode.error:
      return R.ErrorTxn;
    default:
      return null;
  }
}

export function writeTxn(w: JuteWriter, type: number, body: TxnBody): void {
  if (type === OpCode.multi) {
    const subs = (body as MultiTxnBody).txns;
    w.writeInt(subs.length);
    const inner = new JuteWriter(256);
    for (const s of subs) {
      inner.reset();
      writeTxn(inner, s.type, s.txn);
      w.writeInt(s.type);
      w.writeBuffer(inner.buf.subarray(0, inner.offset));
    }
    return;
  }
  if (body === null) return;
  const rt = txnRecordType(type);
  if (rt === null) throw new Error(`no txn record for type ${type}`);
  rt.write(w, body);
}

export function readTxn(r: JuteReader, type: number): TxnBody {
  if (type === OpCode.multi) {
    const m = R.MultiTxn.read(r);
    const txns: SubTxn[] = (m.txns ?? []).map((t) => {
      const data = t.data ?? Buffer.alloc(0);
      return { type: t.type, txn: readTxn(new JuteReader(data, 0, data.length, r.maxLength), t.type) };
    });
    return { txns };
  }
  const rt = txnRecordType(type);
  if (rt === null) return null;
  // A closeSession txn written without CloseSessionTxn (closeSessionTxn disabled) has no body.
  if (type === OpCode.closeSession && r.remaining === 0) return null;
  return rt.read(r);
}
