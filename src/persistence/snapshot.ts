import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { DataTree, RestoredFields } from '../tree/dataTree';
import { DuplicateNameError, NONE, NodeStore, ROOT } from '../tree/nodeStore';
import { copyBytes } from '../util/bytes';
import { Adler32 } from './adler32';
import { FileWindow } from './fileWindow';
import { CorruptDataError, VERSION, fsyncDir, fsyncDirSync, zxidFromName } from './txnLog';

/** "ZKSN": the snapshot file magic. */
export const SNAP_MAGIC = 0x5a4b534e;
/** The digest version Apache 3.8 writes; zkts writes an empty digest (zxid 0) with it. */
const DIGEST_VERSION = 2;

export function snapshotName(zxid: number): string {
  return `snapshot.${zxid.toString(16)}`;
}

/**
 * Deletes snapshots a stopped server was still writing (snapshot.<zxid>.tmp: never renamed, so never
 * read); each can be as large as a whole snapshot. Returns their names.
 */
export function removeUnfinishedSnapshots(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const gone = fs.readdirSync(dir).filter((n) => /^snapshot\.[0-9a-fA-F]+\.tmp$/.test(n));
  for (const n of gone) fs.rmSync(path.join(dir, n), { force: true });
  return gone;
}

export function listSnapshots(dir: string): { file: string; zxid: number }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((n) => ({ file: path.join(dir, n), zxid: zxidFromName(n, 'snapshot') }))
    .filter((f): f is { file: string; zxid: number } => f.zxid !== null)
    .sort((a, b) => b.zxid - a.zxid);
}

/**
 * A snapshot being written is pushed to disk every this many bytes (RocksDB's bytes_per_sync; Node has no
 * sync_file_range, so fdatasync). Left to the kernel's writeback, hundreds of MB of a snapshot went out in
 * bursts that the txn log's fdatasync queued behind: mix 90/10 on 1,000,000 znodes with snapshots written
 * back to back, log fsyncs of up to 240 ms and p999 110-124 ms; with 8 MB, 0-3 log fsyncs over 20 ms a run,
 * p999 14-15 ms, p99 8 % higher, throughput ~20 % higher. Not a durability step: the snapshot is still not
 * fsynced at the end.
 */
const WRITEBACK_BYTES = 8 << 20;

/** The file operations a snapshot write needs: on the thread pool while serving, inline before it. */
interface SnapshotIo {
  open(file: string): Promise<number>;
  write(fd: number, data: Buffer, off: number, len: number, pos: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
}

const threadPoolIo: SnapshotIo = {
  open: (file) => new Promise((resolve, reject) => fs.open(file, 'w', 0o644, (e, d) => (e ? reject(e) : resolve(d)))),
  write: (fd, data, off, len, pos) => new Promise((resolve, reject) => fs.write(fd, data, off, len, pos, (e, n) => (e ? reject(e) : resolve(n)))),
  fdatasync: (fd) => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve()))),
  fsync: (fd) => new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve()))),
  close: (fd) => new Promise((resolve) => fs.close(fd, () => resolve())),
  fsyncDir,
};

// Each call on the thread pool costs an event-loop turn; a new server's empty snapshot took ~6 ms that
// way and ~1 ms inline. (A throw inside these async functions becomes the promise's rejection.)
const inlineIo: SnapshotIo = {
  open: async (file) => fs.openSync(file, 'w', 0o644),
  write: async (fd, data, off, len, pos) => fs.writeSync(fd, data, off, len, pos),
  fdatasync: async (fd) => fs.fdatasyncSync(fd),
  fsync: async (fd) => fs.fsyncSync(fd),
  close: async (fd) => {
    try {
      fs.closeSync(fd);
    } catch {
      // as fs.close's callback: nothing to do about a failed close
    }
  },
  fsyncDir: async (dir) => fsyncDirSync(dir),
};

/** Streams bytes to a file in large writes while keeping the Adler32 of everything written. */
class CheckedFileWriter {
  readonly w = new JuteWriter(1 << 20);
  readonly crc = new Adler32();
  private pos = 0;
  /** `pos` when the file was last pushed to disk. */
  private writtenBack = 0;

  constructor(
    private readonly fd: number,
    private readonly io: SnapshotIo,
  ) {}

  /** Writes out what is buffered when it is large, or always when `force`. */
  async drain(force = false): Promise<void> {
    if (this.w.offset === 0 || (!force && this.w.offset < 1 << 20)) return;
    const data = this.w.buf.subarray(0, this.w.offset);
    this.crc.update(data);
    let off = 0;
    while (off < data.length) off += await this.io.write(this.fd, data, off, data.length - off, this.pos + off);
    this.pos += data.length;
    this.w.reset();
    if (this.pos - this.writtenBack >= WRITEBACK_BYTES) {
      this.writtenBack = this.pos;
      await this.io.fdatasync(this.fd);
    }
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
/**
 * `sliceMs`: how long the walk may run before it yields (tests use 0: a yield every 256 znodes).
 * `blocking`: for the snapshot written before the server serves: file calls inline, no yields.
 */
export async function writeSnapshot(dir: string, src: SnapshotSource, fsync = true, sliceMs = SLICE_MS, blocking = false): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, snapshotName(src.zxid));
  const tmp = `${file}.tmp`;
  const io = blocking ? inlineIo : threadPoolIo;
  const fd = await io.open(tmp);
  try {
    const out = new CheckedFileWriter(fd, io);
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
    await writeNodes(out, tree.store, blocking ? Infinity : sliceMs);
    w.writeString('/');
    await out.seal();
    // ZxidDigest{zxid, digestVersion, digest}, empty, then a second seal.
    w.writeLong53(0);
    w.writeInt(DIGEST_VERSION);
    w.writeLong(0n);
    await out.seal();
    if (fsync) await io.fsync(fd);
  } catch (e) {
    // A snapshot that failed (a full disk, say) is not left behind to fill it further.
    await io.close(fd);
    await new Promise<void>((resolve) => fs.unlink(tmp, () => resolve()));
    throw e;
  }
  await io.close(fd);
  fs.renameSync(tmp, file);
  if (fsync) await io.fsyncDir(dir);
  return file;
}

export interface LoadedSnapshot {
  zxid: number;
  sessions: Map<bigint, number>;
  file: string;
}

/**
 * Reads a snapshot into `tree` (which it resets) and checks both seals. The file is read a window at a
 * time (the checksum kept as the window moves on): a whole-file buffer cost a page fault per 4 KB and
 * stayed in the resident set after the load.
 */
export function readSnapshot(file: string, tree: DataTree, maxBuffer = 0x7fffffff): LoadedSnapshot {
  try {
    return readSnapshotOnce(file, tree, maxBuffer, true);
  } catch (e) {
    // A path listed twice (no server writes that): Apache loads it, the later record winning, and so
    // does the load that looks each znode up as it goes.
    if (e instanceof CorruptDataError && e.cause instanceof DuplicateNameError) return readSnapshotOnce(file, tree, maxBuffer, false);
    throw e;
  }
}

function readSnapshotOnce(file: string, tree: DataTree, maxBuffer: number, bulk: boolean): LoadedSnapshot {
  const zxid = zxidFromName(path.basename(file), 'snapshot');
  if (zxid === null) throw new CorruptDataError(`${file}: not a snapshot name`);
  const win = new FileWindow(file, true, new Adler32());
  let o = 0;
  const fail = (what: string): never => {
    throw new CorruptDataError(`${file}: ${what} at offset ${o}`);
  };
  // A reader over the next `n` bytes of the file, which must be there.
  const reader = (n: number, what: string): JuteReader => {
    if (!win.ensure(o, o + n)) fail(what);
    return new JuteReader(win.buf, o - win.base, o - win.base + n, maxBuffer);
  };
  try {
    if (win.ensure(0, 2) && win.buf[0] === 0x1f && win.buf[1] === 0x8b) fail('gzip-compressed snapshots are not supported yet');
    const head = R.FileHeader.read(reader(16, 'truncated header'));
    if (head.magic !== SNAP_MAGIC) fail(`bad magic 0x${(head.magic >>> 0).toString(16)}`);
    o = 16;
    const sessions = new Map<bigint, number>();
    let n = reader(4, 'truncated session list').readInt();
    for (o += 4; n > 0; n--, o += 12) {
      const r = reader(12, 'truncated session list');
      sessions.set(r.readLong(), r.readInt());
    }
    tree.reset(bulk);
    n = reader(4, 'truncated ACL list').readInt();
    for (o += 4; n > 0; n--) {
      const len = aclEntryLength(win, o, maxBuffer);
      if (len < 0) fail('truncated ACL list');
      const r = reader(len, 'truncated ACL list');
      const id = r.readLong53();
      tree.aclCache.put(id, R.ACLVector.read(r) ?? []);
      o += len;
    }
    const f: RestoredFields = { acl: 0, czxid: 0, mzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ownerHi: 0, ownerLo: 0, pzxid: 0 };
    for (;;) {
      // path (a jute string: length, bytes), data (length, bytes; -1 for null), acl (8), then
      // StatPersisted: czxid, mzxid, ctime, mtime (8 each), version, cversion, aversion (4 each),
      // ephemeralOwner, pzxid (8 each). The list ends with the path "/".
      if (!win.ensure(o, o + 5)) fail('truncated znode list');
      let b = win.buf;
      let at = o - win.base;
      const pathLen = intAt(b, at);
      if (pathLen < 0) fail('null path');
      if (pathLen > maxBuffer || pathLen > win.size - o - 4) fail(`path length ${pathLen} out of range`);
      if (pathLen === 1 && b[at + 4] === 0x2f) {
        o += 5;
        break;
      }
      if (!win.ensure(o, o + 8 + pathLen)) fail('truncated znode');
      b = win.buf;
      at = o - win.base;
      const pathEnd = at + 4 + pathLen;
      const dataLen = intAt(b, pathEnd);
      if (dataLen > maxBuffer) fail(`data length ${dataLen} is over the limit ${maxBuffer}`);
      const size = 8 + pathLen + (dataLen < 0 ? 0 : dataLen) + 68;
      if (!win.ensure(o, o + size)) fail('truncated znode');
      b = win.buf;
      at = o - win.base;
      const dataStart = dataLen < 0 ? -1 : at + 8 + pathLen;
      const s = at + size - 68;
      f.acl = long53At(b, s);
      f.czxid = long53At(b, s + 8);
      f.mzxid = long53At(b, s + 16);
      f.ctime = long53At(b, s + 24);
      f.mtime = long53At(b, s + 32);
      f.version = intAt(b, s + 40);
      f.cversion = intAt(b, s + 44);
      f.aversion = intAt(b, s + 48);
      f.ownerHi = intAt(b, s + 52);
      f.ownerLo = intAt(b, s + 56);
      f.pzxid = long53At(b, s + 60);
      tree.restoreNode(b, at + 4, at + 4 + pathLen, dataStart, dataLen < 0 ? -1 : dataStart + dataLen, f);
      o += size;
    }
    // The seal: the checksum of everything before it, then "/". Apache 3.6+ adds the digest and a second seal.
    const sealAt = o;
    const tail = reader(win.size - sealAt, 'missing seal');
    const tailBase = tail.offset;
    const val = tail.readLong53();
    if (tail.readString() !== '/') fail('missing seal');
    const crc = win.checksumTo(sealAt);
    if (crc !== val) fail(`checksum mismatch (stored ${val}, computed ${crc})`);
    if (tail.remaining >= 20) {
      tail.readLong53();
      const version = tail.readInt();
      if (version < 2) tail.readString();
      else tail.readLong();
      const sealAt2 = sealAt + (tail.offset - tailBase);
      const val2 = tail.readLong53();
      tail.readString();
      const crc2 = win.checksumTo(sealAt2);
      if (crc2 !== val2) fail('checksum mismatch after the digest');
    }
    tree.finishRestore(zxid);
    return { zxid, sessions, file };
  } catch (e) {
    if (e instanceof CorruptDataError) throw e;
    throw new CorruptDataError(`${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    win.close();
  }
}

const TWO_32 = 4294967296;

/** A jute long that holds a zxid, time or ACL id: exact below 2^53, which those never leave. */
function long53At(buf: Buffer, o: number): number {
  const hi = (buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3];
  if (hi >= 0x200000 || hi < -0x200000) throw new CorruptDataError(`64-bit value at offset ${o} is out of range for a zxid/time field`);
  return hi * TWO_32 + ((buf[o + 4] << 24) | (buf[o + 5] << 16) | (buf[o + 6] << 8) | buf[o + 7]) + (buf[o + 4] >= 0x80 ? TWO_32 : 0);
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
  copyBytes(path, 0, pathLen, b, o + 4);
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

/**
 * How long the snapshot walk runs before it lets requests through. A write waits for several event-loop
 * turns (prep, log, apply), each behind one slice: with 4 ms slices, p99 under a running snapshot of a
 * million znodes was 27-30 ms; with 0.5 ms, 12 ms, at the same throughput and snapshot rate.
 */
const SLICE_MS = 0.5;

/**
 * The znode list, depth first from the root, following each znode's sibling list, so no path is looked
 * up; the path of the znode in hand is kept as bytes, with each child's name appended to its parent's.
 * A frame copies its children's ids (and their generations) when it opens; a child deleted before its
 * turn (its generation moved on) is skipped, so a subtree deleted during the walk drops out. Like
 * Apache's, the snapshot is fuzzy and the log replayed from its zxid makes it exact. Yields to the event
 * loop every half millisecond.
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
    // Out at each megabyte: between two yields, znodes of large data would pile up in the buffer.
    if (w.offset >= 1 << 20) await out.drain();
    // Yield to the event loop after a few milliseconds of work, so that requests wait at most that long.
    if (++visited % 256 === 0 && performance.now() - sliceStart >= sliceMs) {
      await out.drain();
      await new Promise((r) => setImmediate(r));
      sliceStart = performance.now();
    }
  }
}

/**
 * The length of the ACL-map entry at `o` (id, then a vector of perms, scheme, id), or -1 if the file
 * ends inside it. Lengths out of range are left to the reader, which names them.
 */
function aclEntryLength(win: FileWindow, o: number, maxBuffer: number): number {
  let at = o + 8;
  if (!win.ensure(o, at + 4)) return -1;
  let n = intAt(win.buf, at - win.base);
  at += 4;
  for (; n > 0; n--) {
    at += 4;
    for (let k = 0; k < 2; k++) {
      if (!win.ensure(o, at + 4)) return -1;
      const len = intAt(win.buf, at - win.base);
      at += 4 + (len > 0 && len <= maxBuffer ? len : 0);
    }
  }
  return win.ensure(o, at) ? at - o : -1;
}
