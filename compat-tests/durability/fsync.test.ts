/**
 * "A write is answered only after its group's fdatasync": kill -9 cannot show this (the page cache
 * survives a killed process), so zkts runs under strace and the order of its system calls is checked.
 * For every write of several concurrent clients: the log pwrite holding the txn, then an fdatasync (or
 * fsync) of the log that starts after that pwrite returned and returns before the reply is written to
 * the client's socket; or, where the log file was opened with O_DSYNC (zkts's O_DIRECT writes), that
 * pwrite itself returning before the reply. Skipped when strace is not installed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ServerProc, TempRoot, Zk } from './harness';

function haveStrace(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Call {
  tid: string;
  name: string;
  /** the fd's number (-1 for openat, whose result is in `opened`) */
  fdNum: number;
  /** openat: the fd it returned and whether its flags make each write durable (O_DSYNC or O_SYNC) */
  opened?: { fd: number; sync: boolean };
  /** the fd's path as strace -yy shows it */
  fd: string;
  text: string;
  start: number;
  end: number;
}

/** Parses `strace -f -yy` output into calls with start/end positions (lines), joining unfinished/resumed pairs. */
function parseTrace(file: string): Call[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const calls: Call[] = [];
  const open = new Map<string, Call>();
  lines.forEach((line, i) => {
    const m = /^(\d+)\s+\S+\s+(.*)$/.exec(line);
    if (!m) return;
    const [, tid, rest] = m;
    const resumed = /^<\.\.\. (\w+) resumed>(.*)$/.exec(rest);
    if (resumed) {
      const c = open.get(tid);
      if (c && c.name === resumed[1]) {
        c.end = i;
        c.text += resumed[2];
        open.delete(tid);
        calls.push(c);
      }
      return;
    }
    const opening = /^openat\(AT_FDCWD(?:<[^>]*>)?, "([^"]+)", ([A-Z_|]+).*\) = (\d+)/.exec(rest);
    if (opening) {
      const sync = /\bO_(D)?SYNC\b/.test(opening[2]);
      calls.push({ tid, name: 'openat', fdNum: -1, fd: opening[1], text: rest, start: i, end: i, opened: { fd: Number(opening[3]), sync } });
      return;
    }
    // The fd annotation may hold '>' itself (TCP:[a->b]); it ends where the next argument starts.
    const call = /^(\w+)\((\d+)<(.*?)>((?:,|\)| <unfinished).*)$/.exec(rest);
    if (!call) return;
    const c: Call = { tid, name: call[1], fdNum: Number(call[2]), fd: call[3], text: call[4], start: i, end: i };
    if (rest.endsWith('<unfinished ...>')) open.set(tid, c);
    else calls.push(c);
  });
  return calls.sort((a, b) => a.start - b.start);
}

const CLIENTS = 4;
const WRITES = 12;

(haveStrace() ? test.each([
  ['O_DIRECT | O_DSYNC writes (the default)', true],
  ['page cache and fdatasync (-Dzkts.txnLogDirectIo=false)', false],
]) : test.skip.each([['', true]]))(
  'every write is answered only after the log write holding it is durable: an fdatasync after it, or O_DSYNC (strace); %s',
  async (_name: string, direct: boolean) => {
    const root = new TempRoot('zkts-fsync-');
    const trace = path.join(root.dir, 'trace');
    let server: ServerProc | null = null;
    try {
      server = await ServerProc.start({
        kind: 'zkts',
        dataDir: root.sub('data'),
        logFile: path.join(root.dir, 'zkts.log'),
        props: direct ? {} : { 'zkts.txnLogDirectIo': 'false' },
        wrapper: ['strace', '-f', '-tt', '-yy', '-s', '8192', '-e', 'trace=openat,write,pwrite64,writev,pwritev,fdatasync,fsync', '-o', trace],
      });
      const ports: number[] = [];
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, c) => {
          const zk = await Zk.connect(server!.port);
          ports[c] = (zk.raw as unknown as { socket: { localPort: number } }).socket.localPort;
          expect((await zk.create(`/c${c}`, `MARK-${c}-0-END`)).err).toBe(0);
          for (let i = 1; i < WRITES; i++) expect((await zk.setData(`/c${c}`, `MARK-${c}-${i}-END`, i - 1)).err).toBe(0);
          zk.drop();
        }),
      );
      await server.stop();
      const calls = parseTrace(trace);
      const logWrites = calls.filter((c) => /^(pwrite64|write|pwritev)$/.test(c.name) && /\/version-2\/log\.[0-9a-f]+$/.test(c.fd));
      const syncs = calls.filter((c) => /^(fdatasync|fsync)$/.test(c.name) && /\/version-2\/log\.[0-9a-f]+$/.test(c.fd) && /= 0\s*$/.test(c.text));
      expect(logWrites.length).toBeGreaterThan(0);
      const problems: string[] = [];
      let checked = 0;
      let dsyncWrites = 0;
      for (let c = 0; c < CLIENTS; c++) {
        const replies = calls.filter((x) => /^(write|writev)$/.test(x.name) && x.fd.includes(`->127.0.0.1:${ports[c]}]`));
        for (let i = 0; i < WRITES; i++) {
          const mark = `MARK-${c}-${i}-END`;
          const pw = logWrites.find((x) => x.text.includes(mark));
          if (!pw) {
            problems.push(`${mark}: no log write found`);
            continue;
          }
          const reply = replies.find((x) => x.start > pw.end);
          if (!reply) {
            problems.push(`${mark}: no reply after the log write`);
            continue;
          }
          // The file as the write's fd was last opened before the write.
          const opened = calls.filter((x) => x.opened !== undefined && x.opened.fd === pw.fdNum && x.end < pw.start).at(-1);
          const selfSynced = opened !== undefined && opened.opened!.sync && /= \d+\s*$/.test(pw.text);
          if (selfSynced) dsyncWrites++;
          const sync = selfSynced || syncs.find((x) => x.start > pw.end && x.end < reply.start && x.fd === pw.fd);
          if (!sync) problems.push(`${mark}: log write at trace line ${pw.start + 1}, reply at line ${reply.start + 1}, no completed fdatasync of ${pw.fd} in between`);
          checked++;
        }
      }
      expect(problems).toEqual([]);
      expect(checked).toBe(CLIENTS * WRITES);
      // Each mode is the one asked for, where the file system takes O_DIRECT (else zkts falls back).
      const directOpened = calls.some((x) => x.opened !== undefined && /\bO_DIRECT\b/.test(x.text) && /\/version-2\/log\.[0-9a-f]+$/.test(x.fd));
      if (direct && directOpened) expect(dsyncWrites).toBe(CLIENTS * WRITES);
      else expect([dsyncWrites, syncs.length > 0]).toEqual([0, true]);
      // eslint-disable-next-line no-console
      console.log(`${checked} writes: ${logWrites.length} log writes, ${syncs.length} fdatasyncs, ${dsyncWrites} answered after an O_DSYNC write (group commit)`);
    } finally {
      await server?.kill9();
      root.remove();
    }
  },
  60_000,
);
