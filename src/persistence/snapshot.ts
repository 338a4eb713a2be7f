import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { DataTree, RestoredFields } from '../tree/dataTree';
import { NONE, NodeStore, ROOT } from '../tree/nodeStore';
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
    await writeNodes(out, tree.store, sliceMs);
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
    tree.store.reserve(countZnodes(buf, r.offset) + 1);
    const f: RestoredFields = { acl: 0, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ownerHi: 0, ownerLo: 0, pzxid: 0 };
    let o = r.offset;
    for (;;) {
      // path (a jute string: length, bytes), data (length, bytes; -1 for null), acl (8), then
      // StatPersisted: czxid, mzxid, ctime, mtime (8 each), version, cversion, aversion (4 each),
      // ephemeralOwner, pzxid (8 each).
      if (buf.length - o < 4) fail('truncated znode list');
      const pathLen = intAt(buf, o);
      if (pathLen < 0) fail('null path');
      if (pathLen > maxBuffer || pathLen > buf.length - o - 4) fail(`path length ${pathLen} out of range`);
      const pathStart = o + 4;
      const pathEnd = pathStart + pathLen;
      if (pathLen === 1 && buf[pathStart] === 0x2f) {
        r.offset = pathEnd;
        break;
      }
      if (buf.length - pathEnd < 4) fail('truncated znode');
      const dataLen = intAt(buf, pathEnd);
      if (dataLen > maxBuffer) fail(`data length ${dataLen} is over the limit ${maxBuffer}`);
      const dataStart = dataLen < 0 ? -1 : pathEnd + 4;
      const dataEnd = dataLen < 0 ? -1 : pathEnd + 4 + dataLen;
      o = pathEnd + 4 + (dataLen < 0 ? 0 : dataLen);
      if (buf.length - o < 8 + 60) fail('truncated znode');
      f.acl = long53At(buf, o);
      f.czxid = long53At(buf, o + 8);
      f.mzxid = long53At(buf, o + 16);
      f.ctime = long53At(buf, o + 24);
      f.mtime = long53At(buf, o + 32);
      f.version = intAt(buf, o + 40);
      f.cversion = intAt(buf, o + 44);
      f.aversion = intAt(buf, o + 48);
      f.ownerHi = intAt(buf, o + 52);
      f.ownerLo = intAt(buf, o + 56);
      f.pzxid = long53At(buf, o + 60);
      o += 68;
      r.offset = o;
      tree.restoreNode(buf, pathStart, pathEnd, dataStart, dataEnd, f);
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
  const hi = (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
  if (hi >= 0x200000 || hi < -0x200000) throw new CorruptDataError(`64-bit value at offset ${o} is out of range for a zxid/time field`);
  return hi * TWO_32 + ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) + (buf[o + 4] >= 0x80 ? TWO_32 : 0);
}

/**
 * How many znodes the list starting at `o` holds, skipping from record to record (two lengths each): the
 * store is sized once instead of growing and copying its columns while the snapshot loads. Stops early on
 * anything malformed; the real parse reports it.
 */
function countZnodes(buf: Buffer, o: number): number {
  let n = 0;
  while (buf.length - o >= 4) {
    const pathLen = intAt(buf, o);
    if (pathLen < 0 || pathLen > buf.length - o - 8) break;
    if (pathLen === 1 && buf[o + 4] === 0x2f) break;
    const dataLen = intAt(buf, o + 4 + pathLen);
    o += 4 + pathLen + 4 + (dataLen > 0 ? dataLen : 0) + 68;
    n++;
  }
  return n;
}

function intAt(buf: Buffer, o: number): number {
  return (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
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
function writeNode(w: JuteWriter, path: Buffer, pathLen: number, s: NodeStore, id: number): void {
  const dataLen = s.rawDataLength(id);
  w.ensure(4 + pathLen + 4 + Math.max(dataLen, 0) + 76);
  const b = w.buf;
  let o = w.offset;
  putInt(b, o, pathLen);
  path.copy(b, o + 4, 0, pathLen);
  o += 4 + pathLen;
  putInt(b, o, dataLen);
  o += 4;
  if (dataLen > 0) {
    s.copyData(id, b, o);
    o += dataLen;
  }
  putLong53(b, o, s.acl[id]);
  putLong53(b, o + 8, s.czxid[id]);
  putLong53(b, o + 16, s.mzxid[id]);
  putLong53(b, o + 24, s.ctime[id]);
  putLong53(b, o + 32, s.mtime[id]);
  putInt(b, o + 40, s.version[id]);
  putInt(b, o + 44, s.cversion[id]);
  putInt(b, o + 48, s.aversion[id]);
  putInt(b, o + 52, s.ownerHi[id]);
  putInt(b, o + 56, s.ownerLo[id]);
  putLong53(b, o + 60, s.pzxid[id]);
  w.offset = o + 68;
}

/** The longest the snapshot walk runs before it lets requests through. */
const SLICE_MS = 4;


/**
 * The znode list, depth first from the root, following each znode's sibling list, so no path is looked
 * up; the path of the znode in hand is kept as bytes, with each child's name appended to its parent's.
 * A frame copies its children's ids (and their generations) when it opens; a child deleted before its
 * turn (its generation moved on) is skipped, so a subtree deleted during the walk drops out. Like
 * Apache's, the snapshot is fuzzy and the log replayed from its zxid makes it exact. Yields to the event
 * loop every few milliseconds.
 */
async function writeNodes(out: CheckedFileWriter, s: NodeStore, sliceMs: number): Promise<void> {
  const w = out.w;
  let path = Buffer.allocUnsafe(4096);
  const scratch = new JuteWriter(1024);
  writeNode(w, path, 0, s, ROOT);
  // One frame per znode whose children are being written: their ids and generations, the next index,
  // and where the znode's path ends in `path`.
  const kids: Int32Array[] = [];
  const gens: Int32Array[] = [];
  const next: number[] = [];
  const ends: number[] = [];
  const open = (id: number, end: number): void => {
    const n = s.numChildren[id];
    if (n === 0) return;
    const ids = new Int32Array(n);
    const g = new Int32Array(n);
    let i = 0;
    for (let c = s.firstChild[id]; c !== NONE && i < n; c = s.nextSibling[c], i++) {
      ids[i] = c;
      g[i] = s.generation[c];
    }
    kids.push(ids);
    gens.push(g);
    next.push(0);
    ends.push(end);
  };
  open(ROOT, 0);
  let visited = 0;
  let sliceStart = performance.now();
  while (kids.length > 0) {
    const top = kids.length - 1;
    const i = next[top];
    if (i >= kids[top].length) {
      kids.pop();
      gens.pop();
      next.pop();
      ends.pop();
      continue;
    }
    next[top] = i + 1;
    const child = kids[top][i];
    if (s.generation[child] !== gens[top][i]) continue;
    const end = ends[top];
    // '/' + the name, copied from its record; a name stores at most 3 bytes per UTF-16 unit, and the
    // record's byte length bounds it.
    const room = end + 1 + s.nameByteLength(child) * 2;
    if (path.length < room) {
      const bigger = Buffer.allocUnsafe(Math.max(path.length * 2, room));
      path.copy(bigger, 0, 0, end);
      path = bigger;
    }
    path[end] = 0x2f;
    let childEnd = s.copyName(child, path, end + 1);
    if (childEnd < 0) {
      // A supplementary character: Apache writes each surrogate in 3 bytes where UTF-8 takes 4 for both.
      scratch.reset();
      scratch.writeString(s.nameOf(child));
      const len = scratch.offset - 4;
      if (path.length < end + 1 + len) {
        const bigger = Buffer.allocUnsafe(end + 1 + len);
        path.copy(bigger, 0, 0, end + 1);
        path = bigger;
      }
      scratch.buf.copy(path, end + 1, 4, scratch.offset);
      childEnd = end + 1 + len;
    }
    writeNode(w, path, childEnd, s, child);
    open(child, childEnd);
    // Yield to the event loop after a few milliseconds of work, so that requests wait at most that long.
    if (++visited % 256 === 0 && performance.now() - sliceStart >= sliceMs) {
      await out.drain();
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    }
  }
}
