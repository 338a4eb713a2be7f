import { JuteReader } from '../jute/reader';
import { Id, TxnHeader } from '../jute/records';
import { KeeperException } from '../protocol/errors';
import { TxnBody } from '../tree/txn';
import type { ServerCnxn } from './serverCnxn';

/**
 * A client request on its way through the processor chain. Prep fills in `hdr`/`txn` for writes;
 * the chain's last stage applies the txn and answers on `cnxn`.
 */
export class Request {
  readonly cnxn: ServerCnxn | null;
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  /** The request body after the RequestHeader: `buf[bodyStart..bodyEnd)`, in the bytes it was read into. */
  readonly buf: Buffer;
  readonly bodyStart: number;
  readonly bodyEnd: number;
  readonly authInfo: Id[];
  hdr: TxnHeader | null = null;
  txn: TxnBody = null;
  exception: KeeperException | null = null;
  /** The zxid the server had when the request was prepped (used by replies that carry no txn). */
  zxid = 0;
  /** Set when the request came from a peer (learner), which owns the session there. */
  owner: unknown;
  readonly startTime: number;
  /** The request could not be decoded: the reply is MarshallingError. */
  marshallingError = false;

  constructor(
    cnxn: ServerCnxn | null,
    sessionId: bigint,
    cxid: number,
    type: number,
    buf: Buffer,
    authInfo: Id[],
    owner: unknown,
    now: number,
    bodyStart = 0,
    bodyEnd = buf.length,
  ) {
    this.cnxn = cnxn;
    this.sessionId = sessionId;
    this.cxid = cxid;
    this.type = type;
    this.buf = buf;
    this.bodyStart = bodyStart;
    this.bodyEnd = bodyEnd;
    this.authInfo = authInfo;
    this.owner = owner;
    this.startTime = now;
  }

  /** A reader over the body, in place. */
  reader(maxBuffer: number): JuteReader {
    return new JuteReader(this.buf, this.bodyStart, this.bodyEnd, maxBuffer);
  }

  /** The body as a Buffer of its own (a view): the hot paths read `buf` in place instead. */
  get body(): Buffer {
    return this.bodyStart === 0 && this.bodyEnd === this.buf.length ? this.buf : this.buf.subarray(this.bodyStart, this.bodyEnd);
  }
}
