import * as fs from 'fs';
import * as path from 'path';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { readTxn, TxnBody, writeTxn } from '../tree/txn';
import { TxnLogSink } from '../server/syncRequestProcessor';
import { adler32 } from './adler32';
import { CorruptDataError } from './corruptDataError';
import { FileWindow } from './fileWindow';
import { copyBytes } from '../util/bytes';

/** "ZKLG": the txn log file magic. */
export const TXNLOG_MAGIC = 0x5a4b4c47;
export const VERSION = 2;
const EOR = 0x42;

export function logName(zxid: number): string {
  return `log.${zxid.toString(16)}`;
}

export function zxidFromName(name: string, prefix: string): number | null {
  if (!name.startsWith(prefix + '.')) return null;
  const hex = name.substring(prefix.length + 1);
  if (!/^[0-9a-fA-F]+$/.test(hex)) return null;
  return parseInt(hex, 16);
}

export { CorruptDataError } from './corruptDataError';

export interface TxnLogOptions {
  /** preAllocSize: the log grows in blocks of this many bytes (FilePadding), 64 MB by default. */
  preAllocSize?: number;
  /** forceSync: fsync before acknowledging (default true). */
  forceSync?: boolean;
  dbId?: bigint;
  /** Called with each fsync's duration in ms (metrics). */
  onFsync?: (ms: number) => void;
  /**
   * Write groups with O_DIRECT | O_DSYNC (when forceSync is on and the file system takes it): straight
   * from memory to the disk, one call in place of a write and an fdatasync. Off: written into the page
   * cache and fdatasynced.
   */
  directIo?: boolean;
}

/** FilePadding.calculateFileSizeWithPadding: extend by a block when within 4 KB of the end. */
export function paddedSize(position: number, fileSize: number, preAllocSize: number): number {
  if (preAllocSize > 0 && position + 4096 >= fileSize) {
    if (position > fileSize) {
      fileSize = position + preAllocSize;
      fileSize -= fileSize % preAllocSize;
    } else {
      fileSize += preAllocSize;
    }
  }
  return fileSize;
}

/**
 * One serialized log entry: Adler32 of the txn bytes, the bytes as a jute buffer, then 'B'. The txn is
 * serialized in place, after room left for the checksum and length, so its bytes are not copied again.
 */
export function marshallEntry(out: JuteWriter, hdr: R.TxnHeader, txn: TxnBody): void {
  out.ensure(12);
  const at = out.offset;
  out.offset = at + 12;
  R.TxnHeader.write(out, hdr);
  writeTxn(out, hdr.type, txn);
  const end = out.offset;
  // `out.buf` may have been replaced while it grew: take it only now.
  const b = out.buf;
  b.writeUInt32BE(0, at);
  b.writeUInt32BE(adler32(b, at + 12, end), at + 4);
  b.writeInt32BE(end - at - 12, at + 8);
  out.ensure(1);
  out.buf[out.offset++] = EOR;
}

/**
 * The write side of FileTxnLog: txns are serialized into memory as they are appended and written and
 * fsynced together on flush (group commit). A new file starts with the first txn after a roll and is
 * named after that txn's zxid; files grow in preallocated, zero-filled blocks.
 */
export class FileTxnLog implements TxnLogSink {
  readonly synchronous = false;
  private readonly dir: string;
  private readonly preAllocSize: number;
  private readonly forceSync: boolean;
  private readonly dbId: bigint;
  private readonly onFsync?: (ms: number) => void;
  private fd: number | null = null;
  private position = 0;
  private fileSize = 0;
  /** Bytes of the current file that hold written data or written zeros (not a hole). */
  private zeroedTo = 0;
  /** Entries appended and not yet written. */
  private pending = new JuteWriter(64 * 1024);
  /** The other buffer: the group being written while `pending` collects the next one (no copy). */
  private spare = new JuteWriter(64 * 1024);
  /** The zxid the next file is named after, once the txn that starts it has been appended. */
  private nextFileZxid: number | null = null;
  /** A roll was asked for (or nothing was written yet): the next txn appended starts a file. */
  private needNewFile = true;
  /** Where in the unwritten group the new file's bytes begin. */
  private splitAt = 0;
  private flushing = false;
  /** Recent fsync time, ms (moving average): a blocking fsync is only taken while the disk is fast. */
  private fsyncMs = 0;
  /** Groups still to be written with O_DIRECT (cleared for good when the file system refuses it). */
  private direct: boolean;
  /** The current file opened for O_DIRECT | O_DSYNC writes, next to `fd`. */
  private directFd: number | null = null;
  /** The bytes of the file's last, partly written block: a direct write starts at that block's start. */
  private readonly tail = Buffer.alloc(DIRECT_BLOCK);
  /** Block-aligned memory a direct write goes out from (the tail block, the group, zeros after it). */
  private stage: Buffer | null = null;
  lastZxidSeen = 0;
  /** Txns appended since the last roll (SyncRequestProcessor's snapshot trigger). */
  txnsSinceRoll = 0;
  currentFile: string | null = null;

  constructor(dir: string, opts: TxnLogOptions = {}) {
    this.dir = dir;
    this.preAllocSize = opts.preAllocSize ?? 64 * 1024 * 1024;
    this.forceSync = opts.forceSync ?? true;
    this.dbId = opts.dbId ?? 0n;
    this.onFsync = opts.onFsync;
    this.direct = (opts.directIo ?? false) && this.forceSync && fs.constants.O_DIRECT !== undefined && typeof WebAssembly !== 'undefined';
    fs.mkdirSync(dir, { recursive: true });
  }

  append(hdr: R.TxnHeader, txn: TxnBody): void {
    if (hdr.zxid > this.lastZxidSeen) this.lastZxidSeen = hdr.zxid;
    // The first txn after a roll (or the first ever) names the next file, and the bytes before it in
    // the unwritten group still belong to the current file: a log file's name is its first zxid.
    if (this.needNewFile) {
      this.needNewFile = false;
      this.nextFileZxid = hdr.zxid;
      this.splitAt = this.pending.offset;
    }
    marshallEntry(this.pending, hdr, txn);
    this.txnsSinceRoll++;
  }

  /** Starts a new log file with the next txn appended (after a snapshot). */
  rollLog(): void {
    this.txnsSinceRoll = 0;
    // One file change per group at most: a roll already waiting to be written stands for this one.
    if (this.nextFileZxid !== null) return;
    this.needNewFile = true;
  }

  flush(done: (err: Error | null) => void, lone = false): void {
    if (this.pending.offset === 0) {
      done(null);
      return;
    }
    if (this.flushing) throw new Error('txn log flushes must not overlap');
    this.flushing = true;
    const data = this.pending.buf.subarray(0, this.pending.offset);
    const written = this.pending;
    this.pending = this.spare;
    this.pending.reset();
    this.spare = written;
    const newFileZxid = this.nextFileZxid;
    const splitAt = this.splitAt;
    this.nextFileZxid = null;
    this.splitAt = 0;
    const block = lone && this.fsyncMs < BLOCKING_FSYNC_MAX_MS;
    if (block && newFileZxid === null) {
      // A lone group, written and synced on this thread and answered in the same call: no promise chain
      // and no event-loop turn between the disk and the reply.
      let err: Error | null = null;
      try {
        this.writeToCurrentSync(data);
      } catch (e) {
        err = e as Error;
      }
      this.flushing = false;
      done(err);
      return;
    }
    this.writeOut(data, newFileZxid, splitAt, block).then(
      () => {
        this.flushing = false;
        done(null);
      },
      (err: Error) => {
        this.flushing = false;
        done(err);
      },
    );
  }

  private async writeOut(data: Buffer, newFileZxid: number | null, splitAt: number, block: boolean): Promise<void> {
    if (newFileZxid === null) {
      await this.writeToCurrent(data, block);
      return;
    }
    // The old file's share is durable before the new file exists, so that a new, empty file after
    // a crash always means "nothing after the old file's end".
    if (splitAt > 0 && this.fd !== null) await this.writeToCurrent(data.subarray(0, splitAt));
    await this.closeFile();
    const file = path.join(this.dir, logName(newFileZxid));
    // The file is made inline, not on the thread pool: creating it, its header (into the page cache) and
    // opening it again for direct writes are quick calls, and three hand-offs there were ~1.5 ms of a new
    // server's first session. The directory's fsync blocks only when the group may (`block`).
    // 'w', not exclusive: a file of this name can only be the empty remains of a roll that a crash
    // cut short (recovery read every txn before this zxid), as Apache's FileOutputStream also assumes.
    this.fd = fs.openSync(file, 'w', 0o644);
    this.currentFile = file;
    const w = new JuteWriter(16);
    R.FileHeader.write(w, { magic: TXNLOG_MAGIC, version: VERSION, dbid: this.dbId });
    const header = w.toBuffer();
    writeFully(this.fd, header, 0);
    this.position = 16;
    this.fileSize = 16;
    this.zeroedTo = 16;
    if (this.direct) {
      header.copy(this.tail, 0);
      try {
        this.directFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_DIRECT | fs.constants.O_DSYNC);
      } catch {
        // A file system without O_DIRECT (EINVAL): the page cache and fdatasync, as before.
        this.direct = false;
      }
    }
    // The new file's directory entry must be durable too.
    if (this.forceSync) {
      if (block) fsyncDirSync(this.dir);
      else await fsyncDir(this.dir);
    }
    await this.writeToCurrent(splitAt > 0 && splitAt <= data.length ? data.subarray(splitAt) : data, block);
  }

  private async writeToCurrent(data: Buffer, block = false): Promise<void> {
    if (block) {
      this.writeToCurrentSync(data);
      return;
    }
    if (this.directFd !== null && (await this.writeDirect(data))) return;
    const fd = this.writeBuffered(data);
    if (this.forceSync) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
      this.synced(t0);
    }
  }

  /**
   * A group written and made durable on this thread: a lone group (its clients have nothing else on the
   * way), on a fast disk. Waiting here saves the hand-off to the thread pool and back (two wake-ups, a third
   * of a lone write's cost here). On a slow disk the fsync would stall the event loop too long.
   */
  private writeToCurrentSync(data: Buffer): void {
    if (this.directFd !== null && this.writeDirectSync(data)) return;
    const fd = this.writeBuffered(data);
    if (this.forceSync) {
      const t0 = performance.now();
      fs.fdatasyncSync(fd);
      this.synced(t0);
    }
  }

  /**
   * Writes the group into the page cache (only the fdatasync goes to the thread pool: one hand-off per
   * group instead of two, which is what a lone writer waits for; Apache's SyncThread also writes and
   * forces in one go). Returns the descriptor to sync.
   */
  private writeBuffered(data: Buffer): number {
    const fd = this.fd!;
    const newSize = paddedSize(this.position + data.length, this.fileSize, this.preAllocSize);
    writeFully(fd, data, this.position);
    this.position += data.length;
    this.padTo(newSize);
    this.zeroAhead(fd, data.length);
    return fd;
  }

  /** Sets the file's padded size: a zero byte at the new end makes it that long (the gap reads as zeros). */
  private padTo(newSize: number): void {
    if (newSize <= this.fileSize) return;
    writeFully(this.fd!, ZERO, newSize - 1);
    this.fileSize = newSize;
  }

  /** Books a group's sync (an fdatasync, or a direct write with O_DSYNC) that started at `t0`. */
  private synced(t0: number): void {
    const ms = performance.now() - t0;
    this.fsyncMs += (ms - this.fsyncMs) / 8;
    this.onFsync?.(ms);
  }

  /** Whether zeros should go ahead of a group of `groupBytes` ending at `end` (see zeroAhead). */
  private zeroAheadDue(groupBytes: number, end: number): boolean {
    return groupBytes <= ZERO_AHEAD && end + ZERO_AHEAD / 2 > Math.max(this.zeroedTo, end);
  }

  /**
   * Writes `data` at the log's end with O_DIRECT | O_DSYNC: from the start of the block it begins in (the
   * bytes already there come from `tail`) to the end of the block it ends in, zeros after it; durable
   * when the call returns. The page cache is not involved: at 10 KB values the copy into fresh page-cache
   * pages (whose memory the hypervisor backs on first touch) was a third of the server's CPU per create.
   * False, with nothing written, when the file system refuses the write (alignment): the caller writes
   * the group the buffered way, as every later one.
   */
  private async writeDirect(data: Buffer): Promise<boolean> {
    const len = this.stageDirect(data);
    if (len === 0) return false;
    const start = this.position - (this.position % DIRECT_BLOCK);
    const t0 = performance.now();
    try {
      await write(this.directFd!, this.stage!.subarray(0, len), start);
    } catch (e) {
      return this.directFailed(e);
    }
    this.synced(t0);
    this.directWritten(data, start, len);
    return true;
  }

  /** writeDirect on this thread. */
  private writeDirectSync(data: Buffer): boolean {
    const len = this.stageDirect(data);
    if (len === 0) return false;
    const start = this.position - (this.position % DIRECT_BLOCK);
    const t0 = performance.now();
    try {
      writeFully(this.directFd!, this.stage!.subarray(0, len), start);
    } catch (e) {
      return this.directFailed(e);
    }
    this.synced(t0);
    this.directWritten(data, start, len);
    return true;
  }

  /**
   * Lays out a direct write of `data` in `stage`, from the start of the block the log's end is in; its
   * length, or 0 (direct writes given up) when no aligned memory can be had.
   */
  private stageDirect(data: Buffer): number {
    const start = this.position - (this.position % DIRECT_BLOCK);
    const head = this.position - start;
    const end = head + data.length;
    const newSize = paddedSize(this.position + data.length, this.fileSize, this.preAllocSize);
    let len = alignUp(end);
    // Zeros ahead while groups are small, in the same write (see zeroAhead): later groups overwrite
    // allocated blocks instead of filling holes, which costs a journal commit each.
    const zeroTo = Math.min(alignUp(Math.max(this.zeroedTo, start + end)) + ZERO_AHEAD, newSize - (newSize % DIRECT_BLOCK));
    if (this.zeroAheadDue(data.length, start + end) && zeroTo > start + len) len = zeroTo - start;
    let stage = this.stage;
    if (stage === null || stage.length < len) {
      stage = alignedBuffer(Math.max(len, 2 * (stage?.length ?? 0)));
      if (stage === null) {
        this.disableDirect();
        return 0;
      }
      this.stage = stage;
    }
    copyBytes(this.tail, 0, head, stage, 0);
    copyBytes(data, 0, data.length, stage, head);
    stage.fill(0, end, len);
    return len;
  }

  /** A direct write the file system refused (alignment: EINVAL) gives direct writes up; false. Other errors throw. */
  private directFailed(e: unknown): false {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    this.disableDirect();
    return false;
  }

  /** Books a direct write of `len` bytes at `start` that carried `data`. */
  private directWritten(data: Buffer, start: number, len: number): void {
    const end = this.position - start + data.length;
    const newSize = paddedSize(this.position + data.length, this.fileSize, this.preAllocSize);
    const tailStart = end - (end % DIRECT_BLOCK);
    copyBytes(this.stage!, tailStart, end, this.tail, 0);
    this.position += data.length;
    if (this.zeroedTo < start + len) this.zeroedTo = start + len;
    // Through the buffered descriptor, made durable with the next group's write (O_DSYNC carries the
    // size change, as fdatasync does).
    this.padTo(newSize);
  }

  private disableDirect(): void {
    this.direct = false;
    const fd = this.directFd;
    this.directFd = null;
    if (fd !== null) fs.close(fd, () => undefined);
  }

  /**
   * Writes zeros over the hole just past the log's end, a block at a time, while groups are small. A
   * group written into a hole makes ext4 allocate blocks, and its fdatasync then commits the journal
   * too; written into zeros that were synced with an earlier group it is an overwrite, and the
   * fdatasync flushes only the data (10 KB txns one at a time: ~40 % less wall time and system CPU per
   * fdatasync here). Large groups skip it: they allocate anyway and would write every byte twice.
   */
  private zeroAhead(fd: number, groupBytes: number): void {
    if (this.zeroedTo < this.position) this.zeroedTo = this.position;
    if (!this.zeroAheadDue(groupBytes, this.position)) return;
    const to = Math.min(this.zeroedTo + ZERO_AHEAD, this.fileSize - 1);
    if (to <= this.zeroedTo) return;
    writeFully(fd, zeros().subarray(0, to - this.zeroedTo), this.zeroedTo);
    this.zeroedTo = to;
  }

  private async closeFile(): Promise<void> {
    if (this.directFd !== null) {
      const fd = this.directFd;
      this.directFd = null;
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    }
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      await new Promise<void>((resolve) => fs.close(fd, () => resolve()));
    }
  }

  async close(): Promise<void> {
    await this.closeFile();
  }
}

const ZERO = Buffer.alloc(1);

/** How far past the log's end zeros are written ahead of the next groups. */
export const ZERO_AHEAD = 64 * 1024;
let zeroBlock: Buffer | null = null;
const zeros = (): Buffer => (zeroBlock ??= Buffer.alloc(ZERO_AHEAD));

/** Direct writes cover whole blocks of this size, from memory aligned to it (the largest common logical block). */
const DIRECT_BLOCK = 4096;
const alignUp = (n: number): number => Math.ceil(n / DIRECT_BLOCK) * DIRECT_BLOCK;

/** The part of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
declare const WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } | undefined;

/**
 * `size` bytes (rounded up to 64 KiB) that start on a page boundary, as O_DIRECT needs: Node's Buffers
 * promise no alignment, a WebAssembly memory is mapped pages of its own. Null where there is none.
 */
function alignedBuffer(size: number): Buffer | null {
  try {
    return Buffer.from(new WebAssembly!.Memory({ initial: Math.ceil(size / 65536) }).buffer);
  } catch {
    return null;
  }
}

/** Above this average fsync time a lone group's fsync goes to the thread pool: the event loop must not stall. */
const BLOCKING_FSYNC_MAX_MS = 2;

const fsp = {
  open: (file: string, flags: string | number) =>
    new Promise<number>((resolve, reject) => fs.open(file, flags, 0o644, (e, fd) => (e ? reject(e) : resolve(fd)))),
};

function write(fd: number, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const step = () =>
      fs.write(fd, data, off, data.length - off, position + off, (e, n) => {
        if (e) return reject(e);
        off += n;
        if (off < data.length) step();
        else resolve();
      });
    step();
  });
}

function writeFully(fd: number, data: Buffer, position: number): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position + off);
}

/** fsyncDir on this thread. */
export function fsyncDirSync(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; the data files are still synced.
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  try {
    const fd = await fsp.open(dir, 'r');
    await new Promise<void>((resolve) => fs.fsync(fd, () => fs.close(fd, () => resolve())));
  } catch {
    // Some file systems cannot fsync a directory; the data files are still synced.
  }
}

// ---- reading

export interface LogEntry {
  hdr: R.TxnHeader;
  txn: TxnBody;
  file: string;
  offset: number;
}

export interface LogFileScan {
  file: string;
  startZxid: number;
  entries: LogEntry[];
  /** Offset of a partial (torn) last entry, if the file ends in one. */
  partialAt: number | null;
}

/**
 * Reads one log file. A zero length marks the end (the preallocated tail). A torn last entry is
 * reported in `partialAt`; a checksum mismatch, or data after a torn entry, is corruption.
 */
export function scanLogFile(file: string, maxBuffer = 0x7fffffff): LogFileScan {
  const scan: LogFileScan = { file, startZxid: zxidFromName(path.basename(file), 'log') ?? 0, entries: [], partialAt: null };
  scan.partialAt = forEachLogEntry(file, maxBuffer, -1, (hdr, txn, offset) => {
    scan.entries.push({ hdr, txn, file, offset });
  });
  return scan;
}

/**
 * Hands each entry of one log file after zxid `after` to `visit`, in order, and returns the offset of a
 * torn last entry (null if none), with scanLogFile's checks. Entries up to `after` have their checksum
 * checked but are not decoded: a restore starts from a snapshot in the middle of a log, and decoding the
 * txns before it cost more than replaying the rest. Buffers in a txn are views of the read window; a
 * window is never reused, so they stay valid.
 */
export function forEachLogEntry(file: string, maxBuffer: number, after: number, visit: (hdr: R.TxnHeader, txn: TxnBody, offset: number) => void): number | null {
  const src = new FileWindow(file, false);
  try {
    if (!src.ensure(0, 16)) return 0;
    const head = R.FileHeader.read(new JuteReader(src.buf, 0, 16));
    if (head.magic !== TXNLOG_MAGIC) throw new CorruptDataError(`${file}: not a txn log (bad magic 0x${(head.magic >>> 0).toString(16)})`);
    let pos = 16;
    for (;;) {
      if (!src.ensure(pos, pos + 12)) return src.zeroFrom(pos) ? null : pos;
      let at = pos - src.base;
      const crcHi = src.buf.readInt32BE(at);
      const crcLo = src.buf.readUInt32BE(at + 4);
      const len = src.buf.readInt32BE(at + 8);
      // Preallocated space reads as zeros: the end of the log.
      if (len === 0 && crcHi === 0 && crcLo === 0) return null;
      const end = pos + 12 + len;
      const whole = len > 0 && len <= maxBuffer && src.ensure(pos, end + 1);
      at = pos - src.base;
      if (!whole || src.buf[end - src.base] !== EOR) {
        // Cut short by the end of the file, or followed by zeros: a write that did not finish.
        if (len > 0 && (!whole || src.zeroFrom(end))) return pos;
        throw new CorruptDataError(`${file}: malformed txn entry at offset ${pos}`);
      }
      // Adler-32 fits in 32 bits: a stored value with high bits set cannot match.
      if (crcHi !== 0 || adler32(src.buf, at + 12, at + 12 + len) !== crcLo) {
        throw new CorruptDataError(`${file}: checksum mismatch in txn entry at offset ${pos}`);
      }
      // TxnHeader: clientId (8), cxid (4), then the zxid.
      if (len < 20 || src.buf.readInt32BE(at + 24) * 4294967296 + src.buf.readUInt32BE(at + 28) > after) {
        const r = new JuteReader(src.buf, at + 12, at + 12 + len, maxBuffer);
        const hdr = R.TxnHeader.read(r);
        // A TxnDigest may follow the record; zkts does not check digests, so it is skipped.
        visit(hdr, readTxn(r, hdr.type), pos);
      }
      pos = end + 1;
    }
  } finally {
    src.close();
  }
}

/** Log files in a directory, oldest first. */
export function listLogFiles(dir: string): { file: string; zxid: number }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((n) => ({ file: path.join(dir, n), zxid: zxidFromName(n, 'log') }))
    .filter((f): f is { file: string; zxid: number } => f.zxid !== null)
    .sort((a, b) => a.zxid - b.zxid);
}

/**
 * The log files that can hold txns after `zxid` (Apache's getLogFiles): the last file starting at or
 * before it, and every later one.
 */
export function logFilesFrom(dir: string, zxid: number, skipEmpty = true): { file: string; zxid: number }[] {
  const all = listLogFiles(dir);
  let start = 0;
  // An empty file (a roll a crash cut short) names no txn, so it cannot be where the txns after
  // `zxid` begin: skipping it keeps a stale name from hiding the log that holds them.
  for (let i = 0; i < all.length; i++) if (all[i].zxid <= zxid && (!skipEmpty || hasEntries(all[i].file))) start = i;
  return all.slice(start);
}

/** Whether a log file holds at least the start of one entry after its header. */
function hasEntries(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(28);
    const n = fs.readSync(fd, b, 0, 28, 0);
    return n === 28 && (b.readInt32BE(24) !== 0 || b.readBigInt64BE(16) !== 0n);
  } finally {
    fs.closeSync(fd);
  }
}
