import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { DataNode, DataTree } from '../tree/dataTree';
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
export async function writeSnapshot(dir: string, src: SnapshotSource, fsync = true): Promise<string> {
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
    // Depth-first; paths are read live, so deleted subtrees drop out.
    const stack: { prefix: string; children: string[]; i: number }[] = [];
    const emit = (p: string, n: DataNode) => {
      w.writeString(p);
      w.writeBuffer(n.data);
      w.writeLong53(n.acl);
      w.writeLong53(n.czxid);
      w.writeLong53(n.mzxid);
      w.writeLong53(n.ctime);
      w.writeLong53(n.mtime);
      w.writeInt(n.version);
      w.writeInt(n.cversion);
      w.writeInt(n.aversion);
      w.writeLong(n.ephemeralOwner);
      w.writeLong53(n.pzxid);
      // Insertion order, not Apache's hash order: a restore inserts in this order, which keeps the
      // listing order identical, and copying a million names is cheap where hashing them is not.
      stack.push({ prefix: p + '/', children: n.children === null ? [] : Array.from(n.children), i: 0 });
    };
    emit('', tree.getNode('')!);
    let visited = 0;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.i >= top.children.length) {
        stack.pop();
        continue;
      }
      const p = top.prefix + top.children[top.i++];
      const n = tree.getNode(p);
      if (n === undefined) continue;
      emit(p, n);
      if (++visited % 4096 === 0) {
        await out.drain();
        await new Promise((r) => setImmediate(r));
      }
    }
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
      const acl = r.readLong53();
      const s = R.StatPersisted.read(r);
      tree.restoreNode(p!, data === null ? null : Buffer.from(data), acl, s);
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
