import * as fs from 'fs';
import * as path from 'path';
import { OpCode } from '../protocol/opCodes';
import { DataTree } from '../tree/dataTree';
import { CreateSessionTxn } from '../jute/records';
import { Logger } from '../util/logger';
import { listSnapshots, LoadedSnapshot, readSnapshot, removeUnfinishedSnapshots, SnapshotSource, writeSnapshot } from './snapshot';
import { CorruptDataError, FileTxnLog, listLogFiles, forEachLogEntry, logFilesFrom, TxnLogOptions } from './txnLog';

const TWO_32 = 4294967296;
const epochOf = (zxid: number) => Math.floor(zxid / TWO_32);

export interface RestoreResult {
  zxid: number;
  /** Session id -> timeout of the sessions alive at `zxid`. */
  sessions: Map<bigint, number>;
  snapshot: string | null;
  txnsReplayed: number;
}

/**
 * FileTxnSnapLog: the data directory layout Apache uses (`version-2/` under dataDir for snapshots and
 * under dataLogDir for logs), recovery (newest valid snapshot + the logs after it), and purging.
 */
export class FileTxnSnapLog {
  readonly snapDir: string;
  readonly logDir: string;

  constructor(dataDir: string, dataLogDir: string, private readonly log: Logger) {
    this.snapDir = path.join(dataDir, 'version-2');
    this.logDir = path.join(dataLogDir || dataDir, 'version-2');
    fs.mkdirSync(this.snapDir, { recursive: true });
    fs.mkdirSync(this.logDir, { recursive: true });
  }

  openLog(opts: TxnLogOptions): FileTxnLog {
    return new FileTxnLog(this.logDir, opts);
  }

  /**
   * Rebuilds the tree: the newest snapshot that reads back whole (falling back to older ones), then
   * every txn logged after it. Refuses to start, naming file and offset, rather than lose a txn silently.
   */
  restore(tree: DataTree, maxBuffer: number): RestoreResult {
    for (const n of removeUnfinishedSnapshots(this.snapDir)) this.log.info(`Removed ${n}: a snapshot the server stopped before finishing`);
    const snaps = listSnapshots(this.snapDir);
    const logs = listLogFiles(this.logDir);
    if (snaps.length === 0) {
      if (logs.length > 0) {
        throw new CorruptDataError(`No snapshot found in ${this.snapDir}, but there are txn logs in ${this.logDir}: refusing to start from an empty tree`);
      }
      return { zxid: 0, sessions: new Map(), snapshot: null, txnsReplayed: 0 };
    }
    let loaded: LoadedSnapshot | null = null;
    for (const s of snaps.slice(0, 100)) {
      try {
        loaded = readSnapshot(s.file, tree, maxBuffer);
        break;
      } catch (e) {
        if (!(e instanceof CorruptDataError)) throw e;
        this.log.warn(`Problem reading snapshot, trying an older one: ${e.message}`);
      }
    }
    if (loaded === null) throw new CorruptDataError(`Not able to find a valid snapshot in ${this.snapDir}`);
    this.log.info(`Read snapshot ${loaded.file} (zxid 0x${loaded.zxid.toString(16)}, ${tree.nodeCount} nodes)`);
    const sessions = loaded.sessions;
    let last = loaded.zxid;
    let replayed = 0;
    const files = logFilesFrom(this.logDir, loaded.zxid);
    for (let i = 0; i < files.length; i++) {
      const file = files[i].file;
      const partialAt = forEachLogEntry(file, maxBuffer, last, (hdr, txn, offset) => {
        const z = hdr.zxid;
        if (z <= last) return;
        if (z !== last + 1 && epochOf(z) <= epochOf(last)) {
          throw new CorruptDataError(`${file}: txn 0x${z.toString(16)} at offset ${offset} follows 0x${last.toString(16)}: the txns between are missing`);
        }
        if (hdr.type === OpCode.createSession) sessions.set(hdr.clientId, (txn as CreateSessionTxn).timeOut);
        else if (hdr.type === OpCode.closeSession) sessions.delete(hdr.clientId);
        tree.processTxn(hdr, txn);
        last = z;
        replayed++;
      });
      if (partialAt !== null) {
        if (i < files.length - 1) {
          throw new CorruptDataError(`${file} is cut short at offset ${partialAt} but ${files[i + 1].file} follows it: txns after 0x${last.toString(16)} would be lost`);
        }
        // A torn tail of the newest log: a group whose fsync never finished, so no client saw it.
        this.log.warn(`${file}: dropping a partial txn at offset ${partialAt} (the write was cut short by a crash)`);
        zeroFrom(file, partialAt);
      }
    }
    tree.settlePendingAcls((m) => this.log.error(m));
    if (replayed > 0) this.log.info(`Replayed ${replayed} txns from the log, last zxid 0x${last.toString(16)}`);
    return { zxid: tree.lastProcessedZxid, sessions, snapshot: loaded.file, txnsReplayed: replayed };
  }

  /** `blocking`: before serving, the file calls are made inline (see writeSnapshot). */
  snapshot(src: SnapshotSource, fsync = true, blocking = false): Promise<string> {
    return writeSnapshot(this.snapDir, src, fsync, undefined, blocking);
  }

  /** PurgeTxnLog: keeps the newest `retain` snapshots and the logs they need; removes older files. */
  purge(retain: number): string[] {
    const snaps = listSnapshots(this.snapDir);
    if (snaps.length <= retain) return [];
    const keep = snaps.slice(0, retain);
    const oldestKept = keep[keep.length - 1].zxid;
    const removed: string[] = [];
    for (const s of snaps.slice(retain)) {
      fs.rmSync(s.file, { force: true });
      removed.push(s.file);
    }
    // By name, as Apache purges: keeping one log too many is harmless, deleting one is not.
    const needed = new Set(logFilesFrom(this.logDir, oldestKept, false).map((f) => f.file));
    for (const l of listLogFiles(this.logDir)) {
      if (!needed.has(l.file)) {
        fs.rmSync(l.file, { force: true });
        removed.push(l.file);
      }
    }
    return removed;
  }
}

function zeroFrom(file: string, offset: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const size = fs.fstatSync(fd).size;
    const zeros = Buffer.alloc(Math.min(1 << 20, size - offset));
    for (let pos = offset; pos < size; pos += zeros.length) fs.writeSync(fd, zeros, 0, Math.min(zeros.length, size - pos), pos);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
