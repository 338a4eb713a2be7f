import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { DataNode, DataTree, NO_OWNER } from '../tree/dataTree';
import { Adler32 } from './adler32';
import { CorruptDataError, VERSION, fsyncDir, zxidFromName } from './txnLog';

/** "ZKSN": the snapshot file magic. */
export const SNAP_MAGIC = 0x5a4b534e;
/** The digest version Apache 3.8 writes; zkts writes an empty digest (zxid 0) with it. */
const DIGEST_VERSION = 2;

export function snapshotName(zxid: number): string {
  return `snapshot.${zxid.toString(16)}`;
}

export function listSnapshots(dir: string): { file: string; zxid: number }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((n) => ({ file: path.join(dir, n), zxid: zxidFromName(n, 'snapshot') }))
    .filter((f): f is { file: string; zxid: number } => f.zxid !== null)
    .sort((a, b) => b.zxid - a.zxid);
}

/** Streams bytes to a file in large writes while keeping the Adler32 of everything written. */
class CheckedFileWriter {
  readonly w = new JuteWriter(1 << 20);
  readonly crc = new Adler32();
  private pos = 0;

  constructor(private readonly fd: number) {}

  /** Writes out what is buffered when it is large, or always when `force`. */
  async drain(force = false): Promise<void> {
    if (this.w.offset === 0 || (!force && this.w.offset < 1 << 20)) return;
    const data = this.w.buf.subarray(0, this.w.offset);
    this.crc.update(data);
    let off = 0;
    while (off < data.length) {
      off += await new Promise<number>((resolve, reject) =>
        fs.write(this.fd, data, off, data.length - off, this.pos + off, (e, n) => (e ? reject(e) : resolve(n))),
      );
    }
    this.pos += data.length;
    this.w.reset();
  }

  /** SnapStream.sealStream: the checksum so far, then "/". */
  async seal(): Promise<void> {
    await this.drain(true);
    this.w.writeLong53(this.crc.value);
    this.w.writeString('/');
    await this.drain(true);
  }
}

export interface SnapshotSource {
  tree: DataTree;
  /** Session id -> timeout, as of the snapshot's zxid. */
  sessions: Map<bigint, number>;
  zxid: number;
}

/**
 * Writes a snapshot in Apache's format (FileSnap): header, sessions, ACL cache, the nodes depth-first
 * with "/" as terminator, the Adler32 seal, an empty zxid digest and a second seal. The walk yields to
 * the event loop every few thousand nodes, so clients are served while it runs; like Apache's, the
 * snapshot is fuzzy and the log replayed over it from its zxid makes it exact.
 */
/** `sliceMs`: how long the walk may run before it yields (tests use 0: a yield every 256 znodes). */
export async function writeSnapshot(dir: string, src: SnapshotSource, fsync = true, sliceMs = SLICE_MS): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, snapshotName(src.zxid));
  const tmp = `${file}.tmp`;
  const fd = await new Promise<number>((resolve, reject) => fs.open(tmp, 'w', 0o644, (e, d) => (e ? reject(e) : resolve(d))));
  try {
    const out = new CheckedFileWriter(fd);
    const w = out.w;
    R.FileHeader.write(w, { magic: SNAP_MAGIC, version: VERSION, dbid: -1n });
    w.writeInt(src.sessions.size);
    for (const [id, timeout] of src.sessions) {
      w.writeLong(id);
      w.writeInt(timeout);
    }
    const tree = src.tree;
    const acls = [...tree.aclCache.entries()];
    w.writeInt(acls.length);
    for (const [id, list] of acls) {
      w.writeLong53(id);
      R.ACLVector.write(w, list);
    }
    await writeNodes(out, tree.getNode('')!, sliceMs);
    w.writeString('/');
    await out.seal();
    // ZxidDigest{zxid, digestVersion, digest}, empty, then a second seal.
    w.writeLong53(0);
    w.writeInt(DIGEST_VERSION);
    w.writeLong(0n);
    await out.seal();
    if (fsync) await new Promise<void>((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
  } finally {
    await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
  }
  fs.renameSync(tmp, file);
  if (fsync) await fsyncDir(dir);
  return file;
}

export interface LoadedSnapshot {
  zxid: number;
  sessions: Map<bigint, number>;
  file: string;
}

/** Reads a snapshot into `tree` (which it resets) and checks both seals. */
export function readSnapshot(file: string, tree: DataTree, maxBuffer = 0x7fffffff): LoadedSnapshot {
  const buf = fs.readFileSync(file);
  const zxid = zxidFromName(path.basename(file), 'snapshot');
  if (zxid === null) throw new CorruptDataError(`${file}: not a snapshot name`);
  const r = new JuteReader(buf, 0, buf.length, maxBuffer);
  const fail = (what: string): never => {
    throw new CorruptDataError(`${file}: ${what} at offset ${r.offset}`);
  };
  try {
    if (buf.length >= 4 && buf[0] === 0x1f && buf[1] === 0x8b) fail('gzip-compressed snapshots are not supported yet');
    const head = R.FileHeader.read(r);
    if (head.magic !== SNAP_MAGIC) fail(`bad magic 0x${(head.magic >>> 0).toString(16)}`);
    const sessions = new Map<bigint, number>();
    for (let n = r.readInt(); n > 0; n--) {
      const id = r.readLong();
      sessions.set(id, r.readInt());
    }
    tree.reset();
    for (let n = r.readInt(); n > 0; n--) {
      const id = r.readLong53();
      const acl = R.ACLVector.read(r) ?? [];
      tree.aclCache.put(id, acl);
    }
    for (let p = r.readString(); p !== '/'; p = r.readString()) {
      if (p === null) fail('null path');
      const data = r.readBuffer();
      // acl (8), then StatPersisted: czxid, mzxid, ctime, mtime (8 each), version, cversion, aversion (4
      // each), ephemeralOwner, pzxid (8 each).
      if (r.remaining < 8 + 60) fail('truncated znode');
      let o = r.offset;
      const acl = long53At(buf, o);
      const n = new DataNode(data === null ? null : Buffer.from(data), acl, long53At(buf, o + 8), long53At(buf, o + 24), NO_OWNER);
      n.mzxid = long53At(buf, o + 16);
      n.mtime = long53At(buf, o + 32);
      n.version = buf.readInt32BE(o + 40);
      n.cversion = buf.readInt32BE(o + 44);
      n.aversion = buf.readInt32BE(o + 48);
      if (buf.readInt32BE(o + 52) !== 0 || buf.readInt32BE(o + 56) !== 0) n.ephemeralOwner = buf.readBigInt64BE(o + 52);
      n.pzxid = long53At(buf, o + 60);
      o += 68;
      r.offset = o;
      tree.restoreNode(p!, n);
    }
    const sealAt = r.offset;
    const val = r.readLong53();
    if (r.readString() !== '/') fail('missing seal');
    const crc = new Adler32().update(buf, 0, sealAt).value;
    if (crc !== val) fail(`checksum mismatch (stored ${val}, computed ${crc})`);
    if (r.remaining >= 20) {
      r.readLong53();
      const version = r.readInt();
      if (version < 2) r.readString();
      else r.readLong();
      const sealAt2 = r.offset;
      const val2 = r.readLong53();
      r.readString();
      const crc2 = new Adler32().update(buf, 0, sealAt2).value;
      if (crc2 !== val2) fail('checksum mismatch after the digest');
    }
    tree.finishRestore(zxid);
    return { zxid, sessions, file };
  } catch (e) {
    if (e instanceof CorruptDataError) throw e;
    throw new CorruptDataError(`${file}: ${(e as Error).message}`);
  }
}

const TWO_32 = 4294967296;

/** A jute long that holds a zxid, time or ACL id: exact below 2^53, which those never leave. */
function long53At(buf: Buffer, o: number): number {
  const hi = buf.readInt32BE(o);
  if (hi >= 0x200000 || hi < -0x200000) throw new CorruptDataError(`64-bit value at offset ${o} is out of range for a zxid/time field`);
  return hi * TWO_32 + buf.readUInt32BE(o + 4);
}

/** Writes `v` (an integer of magnitude below 2^53) as a big-endian 64-bit long at `o`. */
function putLong53(b: Buffer, o: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  const lo = v - hi * TWO_32;
  b[o] = hi >>> 24;
  b[o + 1] = hi >>> 16;
  b[o + 2] = hi >>> 8;
  b[o + 3] = hi;
  b[o + 4] = lo >>> 24;
  b[o + 5] = lo >>> 16;
  b[o + 6] = lo >>> 8;
  b[o + 7] = lo;
}

function putInt(b: Buffer, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** One record of the znode list: path, data, ACL id and StatPersisted; the path's bytes are given. */
function writeNode(w: JuteWriter, path: Buffer, pathLen: number, n: DataNode): void {
  const dataLen = n.data === null ? -1 : n.data.length;
  w.ensure(4 + pathLen + 4 + Math.max(dataLen, 0) + 76);
  const b = w.buf;
  let o = w.offset;
  putInt(b, o, pathLen);
  path.copy(b, o + 4, 0, pathLen);
  o += 4 + pathLen;
  putInt(b, o, dataLen);
  o += 4;
  if (dataLen > 0) {
    b.set(n.data!, o);
    o += dataLen;
  }
  putLong53(b, o, n.acl);
  putLong53(b, o + 8, n.czxid);
  putLong53(b, o + 16, n.mzxid);
  putLong53(b, o + 24, n.ctime);
  putLong53(b, o + 32, n.mtime);
  putInt(b, o + 40, n.version);
  putInt(b, o + 44, n.cversion);
  putInt(b, o + 48, n.aversion);
  if (n.ephemeralOwner === NO_OWNER) {
    putInt(b, o + 52, 0);
    putInt(b, o + 56, 0);
  } else b.writeBigInt64BE(BigInt.asIntN(64, n.ephemeralOwner), o + 52);
  putLong53(b, o + 60, n.pzxid);
  w.offset = o + 68;
}

/** The longest the snapshot walk runs before it lets requests through. */
const SLICE_MS = 4;

const SURROGATE = /[\ud800-\udfff]/;

/**
 * The znode list, depth first from the root. The walk follows each node's children map, so no path is
 * looked up; the path of the node in hand is kept as bytes, with each child's name appended to its
 * parent's. A child is written only if its parent still holds it when its turn comes (Apache looks each
 * path up live), so a subtree deleted during the walk drops out; like Apache's, the snapshot is fuzzy and
 * the log replayed from its zxid makes it exact. Yields to the event loop every few milliseconds.
 */
async function writeNodes(out: CheckedFileWriter, root: DataNode, sliceMs: number): Promise<void> {
  const w = out.w;
  let path = Buffer.allocUnsafe(4096);
  const scratch = new JuteWriter(1024);
  writeNode(w, path, 0, root);
  // One frame per node whose children are being written: their names and nodes (copied when the frame
  // opens), the next index, and where the node's path ends in `path`.
  const parents: DataNode[] = [];
  const names: string[][] = [];
  const kids: DataNode[][] = [];
  const next: number[] = [];
  const ends: number[] = [];
  const open = (n: DataNode, end: number): void => {
    if (n.children === null || n.children.size === 0) return;
    parents.push(n);
    names.push(Array.from(n.children.keys()));
    kids.push(Array.from(n.children.values()));
    next.push(0);
    ends.push(end);
  };
  open(root, 0);
  let visited = 0;
  let sliceStart = performance.now();
  while (parents.length > 0) {
    const top = parents.length - 1;
    const i = next[top];
    if (i >= names[top].length) {
      parents.pop();
      names.pop();
      kids.pop();
      next.pop();
      ends.pop();
      continue;
    }
    next[top] = i + 1;
    const name = names[top][i];
    const child = kids[top][i];
    if (parents[top].children?.get(name) !== child) continue;
    const end = ends[top];
    // '/' + the name: UTF-16 units take at most 3 bytes each.
    if (path.length < end + 1 + name.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(path.length * 2, end + 1 + name.length * 3));
      path.copy(bigger, 0, 0, end);
      path = bigger;
    }
    path[end] = 0x2f;
    let len = path.write(name, end + 1, 'utf8');
    if (len !== name.length && SURROGATE.test(name)) {
      // Apache's string encoding differs from UTF-8 here: take the writer's bytes.
      scratch.reset();
      scratch.writeString(name);
      len = scratch.offset - 4;
      scratch.buf.copy(path, end + 1, 4, scratch.offset);
    }
    const childEnd = end + 1 + len;
    writeNode(w, path, childEnd, child);
    open(child, childEnd);
    // Yield to the event loop after a few milliseconds of work, so that requests wait at most that long.
    if (++visited % 256 === 0 && performance.now() - sliceStart >= sliceMs) {
      await out.drain();
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    }
  }
}
