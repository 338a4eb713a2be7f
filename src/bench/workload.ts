import * as R from '../jute/records';
import { OpCode } from '../protocol/opCodes';
import { Perms } from '../protocol/enums';
import { BenchConnection } from './conn';

export const OPS = ['get', 'exists', 'getChildren', 'set', 'create', 'delete', 'mix', 'ping'] as const;
export type BenchOp = (typeof OPS)[number];

export const OPEN_ACL = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];

/**
 * Where a run's znodes live.
 * - bench: the run's own tree, set up and removed by the runner: <root>/k<i> (keys, for
 *   get/exists/set/mix), <root>/dir with 10 children (getChildren), <root>/s<session>/c<seq> (create),
 *   <root>/s<session>/d<seq> (delete; a pool created beforehand).
 * - loaded: a tree bulk-loaded beforehand (see loader.ts): <root>/b<i / fanout>/n<i % fanout>.
 */
export type KeySpace =
  | { kind: 'bench'; root: string; keys: number; deletePool: number }
  | { kind: 'loaded'; root: string; keys: number; fanout: number };

export function keyPath(ks: KeySpace, i: number): string {
  if (ks.kind === 'bench') return `${ks.root}/k${i}`;
  return `${ks.root}/b${Math.floor(i / ks.fanout)}/n${i % ks.fanout}`;
}

export function sessionDir(root: string, session: number): string {
  return `${root}/s${session}`;
}

export interface WorkloadSpec {
  op: BenchOp;
  /** For mix: the fraction of reads (getData); the rest are setData. */
  readRatio: number;
  valueSize: number;
  keySpace: KeySpace;
}

/** xorshift32: a cheap per-session random stream. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return (x >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Per-session state a workload needs to choose and encode the next request. */
export interface SessionCursor {
  session: number;
  rng: Rng;
  /** Requests issued so far (create/delete: the next sequence number). */
  seq: number;
}

/**
 * Encodes and sends one request of the workload on conn. Returns true if it was a write (for the
 * read/write split of mixed runs).
 */
export function issue(conn: BenchConnection, spec: WorkloadSpec, cur: SessionCursor, value: Buffer, now: number): boolean {
  const ks = spec.keySpace;
  const w = conn.writer;
  let xid: number;
  let write = false;
  switch (spec.op) {
    case 'get':
      xid = conn.begin(OpCode.getData);
      R.GetDataRequest.write(w, { path: keyPath(ks, cur.rng.int(ks.keys)), watch: false });
      break;
    case 'exists':
      xid = conn.begin(OpCode.exists);
      R.GetDataRequest.write(w, { path: keyPath(ks, cur.rng.int(ks.keys)), watch: false });
      break;
    case 'getChildren':
      xid = conn.begin(OpCode.getChildren);
      R.GetDataRequest.write(w, { path: `${ks.root}/dir`, watch: false });
      break;
    case 'set':
      xid = conn.begin(OpCode.setData);
      R.SetDataRequest.write(w, { path: keyPath(ks, cur.rng.int(ks.keys)), data: value, version: -1 });
      write = true;
      break;
    case 'create':
      xid = conn.begin(OpCode.create);
      R.CreateRequest.write(w, { path: `${sessionDir(ks.root, cur.session)}/c${cur.seq}`, data: value, acl: OPEN_ACL, flags: 0 });
      write = true;
      break;
    case 'delete':
      xid = conn.begin(OpCode.delete);
      R.DeleteRequest.write(w, { path: `${sessionDir(ks.root, cur.session)}/d${cur.seq}`, version: -1 });
      write = true;
      break;
    case 'mix':
      if (cur.rng.next() < spec.readRatio) {
        xid = conn.begin(OpCode.getData);
        R.GetDataRequest.write(w, { path: keyPath(ks, cur.rng.int(ks.keys)), watch: false });
      } else {
        xid = conn.begin(OpCode.setData);
        R.SetDataRequest.write(w, { path: keyPath(ks, cur.rng.int(ks.keys)), data: value, version: -1 });
        write = true;
      }
      break;
    case 'ping':
      xid = conn.begin(OpCode.ping);
      break;
  }
  cur.seq++;
  conn.send(xid, now);
  return write;
}

/** A value of n bytes (printable, deterministic). */
export function makeValue(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 97 + (i % 26);
  return b;
}
