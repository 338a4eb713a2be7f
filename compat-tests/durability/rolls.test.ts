/**
 * Txn log rolls under concurrent pipelined writes (snapCount=20), against what Apache's FileTxnLog and
 * SyncRequestProcessor guarantee:
 *   1. a log is rolled only together with a snapshot: a data dir never holds more log files than
 *      snapshots (snapshot.0 comes with log.1, each later snapshot with one roll);
 *   2. every log file is named after the zxid of its first txn (Apache's rollLog() flushes the current
 *      stream and the next append opens log.<that txn's zxid>). Recovery chooses log files by name.
 * Both are races, so each test writes in waves until the invariant breaks (or WAVES waves pass).
 *
 * History: 1. failed before 36b7c53 (a txn appended while a file was being opened started yet another
 * file; 6 clients x 60 creates left 24 logs and only snapshot.0).
 *
 * BUG (zkts), 2.: a new file is named after the first txn appended after rollLog(), but the group then
 * written to it (FileTxnLog.writeOut) also holds the txns appended before the roll and not flushed
 * yet: e.g. log.101 whose first txn is 0xfe (15 of 48 logs in one crash.test.ts run). Files like that
 * still read back in order, but a crash while such a group goes out leaves an empty log named above
 * the last durable txn, which later breaks recovery (damaged.test.ts (h)).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServerProc, TempRoot, Zk, listFiles, readLogEntries, sleep } from './harness';

/** Snapshots being written (snapshot.<zxid>.tmp, renamed into place when complete). */
function snapshotsInProgress(dataDir: string): number {
  const v2 = path.join(dataDir, 'version-2');
  return fs.existsSync(v2) ? fs.readdirSync(v2).filter((n) => /^snapshot\.[0-9a-f]+\.tmp$/.test(n)).length : 0;
}

const CLIENTS = 8;
const WRITES_PER_WAVE = 20;
const WAVES = 12;

/** Runs waves of pipelined creates until `broken(dataDir)` returns a description, or WAVES pass. */
async function writeUntil(broken: (dataDir: string) => string | null): Promise<string | null> {
  const root = new TempRoot('zkts-rolls-');
  let server: ServerProc | null = null;
  const clients: Zk[] = [];
  try {
    const dataDir = root.sub('data');
    server = await ServerProc.start({ kind: 'zkts', dataDir, cfg: { snapCount: '20' }, logFile: path.join(root.dir, 'zkts.log') });
    const port = server.port;
    clients.push(...(await Promise.all(Array.from({ length: CLIENTS }, () => Zk.connect(port)))));
    let found: string | null = null;
    for (let wave = 0; wave < WAVES && found === null; wave++) {
      await Promise.all(
        clients.map(async (zk, c) => {
          // pipelined: all requests of a wave go out at once
          const res = await Promise.all(Array.from({ length: WRITES_PER_WAVE }, (_, i) => zk.create(`/w${wave}-c${c}-${i}`, `data ${i}`)));
          expect(res.every((r) => r.err === 0)).toBe(true);
        }),
      );
      // A snapshot started at a roll appears (is renamed into place) a moment after the new log: let
      // the snapshots in progress finish before looking. Its fsync can take a while when the disk has
      // other data to write out (once over 400 ms in CI), so wait for its .tmp file to be gone.
      await sleep(400);
      for (let t = 0; t < 100 && snapshotsInProgress(dataDir) > 0; t++) await sleep(100);
      found = broken(dataDir);
    }
    return found;
  } finally {
    for (const c of clients) c.drop();
    await server?.kill9();
    root.remove();
  }
}

test('no more log files than snapshots under concurrent pipelined writes (snapCount=20)', async () => {
  const found = await writeUntil((dataDir) => {
    const logs = listFiles(dataDir, 'log').map((f) => path.basename(f.file));
    const snaps = listFiles(dataDir, 'snapshot').length;
    return logs.length > snaps ? `${snaps} snapshots, ${logs.length} logs: ${logs.join(' ')}` : null;
  });
  expect(found).toBeNull();
}, 60_000);

test('every log file is named after its first txn under concurrent pipelined writes (snapCount=20)', async () => {
  const found = await writeUntil((dataDir) => {
    const bad = listFiles(dataDir, 'log')
      .map((f) => ({ name: path.basename(f.file), zxid: f.zxid, first: readLogEntries(f.file)[0]?.zxid }))
      .filter((f) => f.first !== undefined && f.first !== f.zxid)
      .map((f) => `${f.name} starts with txn 0x${f.first!.toString(16)}`);
    return bad.length > 0 ? bad.join(', ') : null;
  });
  // eslint-disable-next-line no-console
  if (found !== null) console.log(found);
  expect(found).toBeNull();
}, 60_000);
