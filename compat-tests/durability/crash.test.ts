/**
 * Crash safety: concurrent writers against zkts, kill -9 at a seeded random moment, restart on the same
 * data dir (and a separate dataLogDir), and check that
 *   - every acknowledged write is there, with its data, version, czxid and mzxid;
 *   - the one write per writer that was in flight at the kill is either wholly there or wholly absent
 *     (a multi all or nothing): each writer's subtree equals exactly "acked" or "acked + in-flight";
 *   - every znode is whole: readable, the same Stat from getData/getChildren2/getACL, dataLength and
 *     numChildren matching, zxids and times sane, pzxid not older than a child;
 *   - sequential numbering (the parent's cversion) continues right after recovery;
 *   - ephemerals survive with their (restored) sessions: a reconnected session keeps them, a session left
 *     alone expires after its timeout and takes them along.
 * Rounds accumulate on one dir; snapCount and preAllocSize are small and vary, so snapshots (fuzzy,
 * written while writes go on) and log rolls happen during the run. Two rounds also kill the restarted
 * server again while it recovers. Twice, Apache 3.8 is started on a copy of the crashed dir and must
 * recover the same tree as zkts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateFlag } from '../../src/protocol/enums';
import { Code } from '../../src/protocol/errors';
import { ServerProc, ServerSpec, SUPER_PROPS, TempRoot, TreeDump, Zk, copyDir, dumpTree, hex, integrityProblems, listFiles, prng, readLogEntries, sleep, sub, tailLines } from './harness';

const ROUNDS = 8;
const SEED = Number(process.env.ZKTS_CRASH_SEED ?? 20240611);
const PERSISTENT_WRITERS = 5;
const E2_TIMEOUT = 6000;
/** snapCount and preAllocSize (KB) per round. */
const SNAP_COUNTS = [50, 20, 50, 100, 30, 50, 20, 64];
const PREALLOC_KB = [64, 16, 64, 65536, 8, 64, 32, 64];
/** Rounds in which the restarted server is killed again while it recovers. */
const DOUBLE_CRASH = new Set([2, 5]);
/** Rounds after which Apache 3.8 also recovers a copy of the crashed dir. */
const APACHE_CROSSCHECK = new Set([ROUNDS - 1]);

interface NodeModel {
  data: string; // hex
  version: number;
  czxid?: number;
  mzxid?: number;
  ephemeral?: boolean;
  /** ephemeralOwner, when known per node (session churn writer) */
  owner?: string;
}
type Model = Map<string, NodeModel>;

const hexOf = (b: Buffer | null): string => (b === null ? '' : b.toString('hex'));

function randomData(rng: () => number, tag: string): Buffer {
  const r = rng();
  const size = r < 0.1 ? 0 : r < 0.85 ? Math.floor(rng() * 300) : r < 0.98 ? Math.floor(rng() * 8000) : 60_000 + Math.floor(rng() * 40_000);
  const b = Buffer.alloc(size + tag.length);
  b.write(tag, 0);
  for (let i = tag.length; i < b.length; i++) b[i] = Math.floor(rng() * 256);
  return b;
}

/**
 * A writer owns a subtree and issues one write at a time, so at most one write is unacknowledged
 * when the server dies. `model` is the acknowledged state; `pending` applies the in-flight write.
 */
class Writer {
  readonly model: Model = new Map();
  pending: { desc: string; apply: (m: Model) => Model } | null = null;
  acked = 0;
  failedOk = 0;
  /** Rounds in which the write in flight at the kill turned out applied. */
  inFlightApplied = 0;
  private next = 0;
  private seqCount = 0;
  stopped = false;

  constructor(
    readonly base: string,
    readonly kind: 'persistent' | 'ephemeral' | 'churn',
    readonly rng: () => number,
    public zk: Zk | null,
  ) {}

  /** Children of base/seq created so far (acked). */
  get seqCreated(): number {
    return this.seqCount;
  }

  private pick(pred: (p: string, n: NodeModel) => boolean): string | null {
    const c = [...this.model.entries()].filter(([p, n]) => pred(p, n)).map(([p]) => p);
    return c.length === 0 ? null : c[Math.floor(this.rng() * c.length)];
  }

  private isLeaf(p: string): boolean {
    for (const q of this.model.keys()) if (q.startsWith(p + '/')) return false;
    return true;
  }

  /** An unexpected reply while the server was up (not a lost connection). */
  error: string | null = null;

  async run(): Promise<void> {
    while (!this.stopped) {
      const zk = this.zk;
      try {
        if (this.kind === 'churn') await this.stepChurn();
        else await (this.kind === 'persistent' ? this.stepPersistent(zk!) : this.stepEphemeral(zk!));
      } catch (e) {
        // A lost connection means the server died: `pending` stays as it was.
        if (!this.stopped && !(zk === null || zk.raw.closed)) this.error = `${this.base}: ${(e as Error).message}`;
        return;
      }
    }
  }

  // ---- session churn: open a session, create 1-3 ephemerals, close it (closeSession deletes them in
  // one txn: all or nothing); the sessions left open at the kill are closed after the verification.
  port = 0;
  /** Sessions of this writer that were not closed (acked), with their credentials. */
  readonly openSessions: { id: bigint; passwd: Buffer }[] = [];
  private opsLeft = 0;
  /** The session whose closeSession was sent and not answered. */
  private closeInFlight: bigint | null = null;

  private ownerOf(zk: Zk): string {
    return '0x' + BigInt.asUintN(64, zk.sessionId).toString(16);
  }

  private async stepChurn(): Promise<void> {
    const rng = this.rng;
    if (this.zk === null) {
      this.pending = { desc: 'createSession', apply: (m) => m };
      const zk = await Zk.connect(this.port, { timeout: E2_TIMEOUT });
      this.zk = zk;
      this.openSessions.push({ id: zk.sessionId, passwd: zk.passwd });
      this.opsLeft = 1 + Math.floor(rng() * 3);
    } else if (this.opsLeft > 0) {
      this.opsLeft--;
      const zk = this.zk;
      const p = `${this.base}/s${this.next++}`;
      const data = randomData(rng, p);
      const owner = this.ownerOf(zk);
      this.pending = { desc: `create ${p}`, apply: (m) => new Map(m).set(p, { data: hexOf(data), version: 0, ephemeral: true, owner }) };
      const res = await zk.create(p, data, CreateFlag.EPHEMERAL);
      if (res.err !== 0) throw new Error(`${p}: create ${res.err}`);
      this.model.set(p, { data: hexOf(data), version: 0, czxid: res.stat!.czxid, mzxid: res.stat!.mzxid, ephemeral: true, owner });
    } else {
      const zk = this.zk;
      const owner = this.ownerOf(zk);
      const mine = (m: Model) => [...m.entries()].filter(([, n]) => n.owner === owner).map(([p]) => p);
      this.pending = { desc: `closeSession ${owner}`, apply: (m) => mine(m).reduce(del, m) };
      this.closeInFlight = zk.sessionId;
      const err = await zk.raw.closeSession();
      this.closeInFlight = null;
      if (err !== 0) throw new Error(`closeSession ${err}`);
      for (const p of mine(this.model)) this.model.delete(p);
      this.openSessions.splice(this.openSessions.findIndex((x) => x.id === zk.sessionId), 1);
      this.zk = null;
    }
    this.pending = null;
    this.acked++;
  }

  /** After a restart: reconnects the sessions left open and closes them; their ephemerals go. */
  async closeLeftovers(port: number): Promise<string[]> {
    const problems: string[] = [];
    for (const s of this.openSessions.splice(0)) {
      const owner = '0x' + BigInt.asUintN(64, s.id).toString(16);
      const zk = await Zk.connect(port, { sessionId: s.id, passwd: s.passwd, timeout: E2_TIMEOUT });
      const hasNodes = [...this.model.values()].some((n) => n.owner === owner);
      // A session whose close was in flight may be gone: fine unless its ephemerals were recovered.
      if (zk.timeOut === 0) {
        if (s.id !== this.closeInFlight || hasNodes) problems.push(`${this.base}: session ${owner} did not survive the restart`);
      } else if ((await zk.raw.closeSession()) !== 0) problems.push(`${this.base}: closing ${owner} failed`);
      zk.drop();
      for (const [p, n] of [...this.model.entries()]) if (n.owner === owner) this.model.delete(p);
    }
    this.closeInFlight = null;
    this.zk = null;
    return problems;
  }

  /** A sequential child created outside the writer (the post-recovery probe). */
  adoptSeqProbe(p: string, data: string, czxid: number): void {
    this.model.set(p, { data, version: 0, czxid, mzxid: czxid });
    this.seqCount++;
  }

  private async stepEphemeral(zk: Zk): Promise<void> {
    const rng = this.rng;
    const r = rng();
    const existing = this.pick(() => true);
    if (r < 0.5 || existing === null) {
      const p = `${this.base}/e${this.next++}`;
      const data = randomData(rng, p);
      this.pending = { desc: `create ${p}`, apply: (m) => new Map(m).set(p, { data: hexOf(data), version: 0, ephemeral: true }) };
      const res = await zk.create(p, data, CreateFlag.EPHEMERAL);
      if (res.err !== 0) throw new Error(`${p}: create ${res.err}`);
      this.model.set(p, { data: hexOf(data), version: 0, czxid: res.stat!.czxid, mzxid: res.stat!.mzxid, ephemeral: true });
    } else if (r < 0.8) {
      const n = this.model.get(existing)!;
      const data = randomData(rng, existing);
      this.pending = { desc: `setData ${existing}`, apply: (m) => new Map(m).set(existing, { ...n, data: hexOf(data), version: n.version + 1, mzxid: undefined }) };
      const res = await zk.setData(existing, data, n.version);
      if (res.err !== 0) throw new Error(`${existing}: setData ${res.err}`);
      this.model.set(existing, { ...n, data: hexOf(data), version: res.stat!.version, mzxid: res.stat!.mzxid });
    } else {
      const n = this.model.get(existing)!;
      this.pending = { desc: `delete ${existing}`, apply: (m) => del(m, existing) };
      const err = await zk.delete(existing, n.version);
      if (err !== 0) throw new Error(`${existing}: delete ${err}`);
      this.model.delete(existing);
    }
    this.pending = null;
    this.acked++;
  }

  private async stepPersistent(zk: Zk): Promise<void> {
    const rng = this.rng;
    const r = rng();
    const top = (p: string) => p.split('/').length === this.base.split('/').length + 1 && !p.endsWith('/seq');
    const isSeqChild = (p: string) => p.startsWith(`${this.base}/seq/`);
    const anyNode = this.pick((p) => !isSeqChild(p) && !p.endsWith('/seq'));
    if (r < 0.35 || anyNode === null) {
      const p = `${this.base}/n${this.next++}`;
      const data = randomData(rng, p);
      this.pending = { desc: `create ${p}`, apply: (m) => new Map(m).set(p, { data: hexOf(data), version: 0 }) };
      const res = await zk.create(p, data);
      if (res.err !== 0) throw new Error(`${p}: create ${res.err}`);
      this.model.set(p, { data: hexOf(data), version: 0, czxid: res.stat!.czxid, mzxid: res.stat!.mzxid });
    } else if (r < 0.6) {
      const n = this.model.get(anyNode)!;
      const data = randomData(rng, anyNode);
      this.pending = { desc: `setData ${anyNode}`, apply: (m) => new Map(m).set(anyNode, { ...n, data: hexOf(data), version: n.version + 1, mzxid: undefined }) };
      const res = await zk.setData(anyNode, data, n.version);
      if (res.err !== 0) throw new Error(`${anyNode}: setData ${res.err}`);
      this.model.set(anyNode, { ...n, data: hexOf(data), version: res.stat!.version, mzxid: res.stat!.mzxid });
    } else if (r < 0.7) {
      const leaf = this.pick((p) => !isSeqChild(p) && !p.endsWith('/seq') && this.isLeaf(p));
      if (leaf === null) return;
      const n = this.model.get(leaf)!;
      this.pending = { desc: `delete ${leaf}`, apply: (m) => del(m, leaf) };
      const err = await zk.delete(leaf, n.version);
      if (err !== 0) throw new Error(`${leaf}: delete ${err}`);
      this.model.delete(leaf);
    } else if (r < 0.8) {
      const parent = this.pick((p) => top(p));
      if (parent === null) return;
      const p = `${parent}/c${this.next++}`;
      const data = randomData(rng, p);
      this.pending = { desc: `create ${p}`, apply: (m) => new Map(m).set(p, { data: hexOf(data), version: 0 }) };
      const res = await zk.create(p, data);
      if (res.err !== 0) throw new Error(`${p}: create ${res.err}`);
      this.model.set(p, { data: hexOf(data), version: 0, czxid: res.stat!.czxid, mzxid: res.stat!.mzxid });
    } else if (r < 0.9) {
      // multi: create + setData + delete + check, all valid: all or nothing.
      const setTarget = anyNode;
      const delTarget = this.pick((p) => p !== setTarget && !isSeqChild(p) && !p.endsWith('/seq') && this.isLeaf(p) && !setTarget.startsWith(p + '/'));
      const newPath = `${this.base}/n${this.next++}`;
      const newData = randomData(rng, newPath);
      const setData = randomData(rng, setTarget);
      const sn = this.model.get(setTarget)!;
      const ops = [sub.create(newPath, newData), sub.setData(setTarget, setData, sn.version)];
      if (delTarget !== null) ops.push(sub.delete(delTarget, this.model.get(delTarget)!.version));
      ops.push(sub.check(`${this.base}/seq`, 0));
      const apply = (m: Model, zxid?: number, ver?: number): Model => {
        const out = new Map(m);
        out.set(newPath, { data: hexOf(newData), version: 0, czxid: zxid, mzxid: zxid });
        out.set(setTarget, { ...sn, data: hexOf(setData), version: ver ?? sn.version + 1, mzxid: zxid });
        return delTarget !== null ? del(out, delTarget) : out;
      };
      this.pending = { desc: `multi(create ${newPath}, setData ${setTarget}, delete ${delTarget})`, apply: (m) => apply(m) };
      const res = await zk.multi(ops);
      if (!res.ok) throw new Error(`multi failed: ${JSON.stringify(res.results)}`);
      const applied = apply(this.model, res.zxid, res.results[1].stat!.version);
      this.model.clear();
      for (const [k, v] of applied) this.model.set(k, v);
    } else if (r < 0.93) {
      // A multi that fails on its last op: nothing of it may ever appear.
      const p = `${this.base}/never${this.next++}`;
      this.pending = { desc: `failing multi ${p}`, apply: (m) => m };
      const res = await zk.multi([sub.create(p, Buffer.from('never')), sub.setData(anyNode, Buffer.from('never'), -1), sub.check(`${this.base}/seq`, 12345)]);
      if (res.ok) throw new Error('multi with a bad check succeeded');
      this.failedOk++;
    } else {
      const name = `${this.base}/seq/s-${String(this.seqCount).padStart(10, '0')}`;
      const data = randomData(rng, name);
      this.pending = { desc: `create sequential ${name}`, apply: (m) => new Map(m).set(name, { data: hexOf(data), version: 0 }) };
      const res = await zk.create(`${this.base}/seq/s-`, data, CreateFlag.PERSISTENT_SEQUENTIAL);
      if (res.err !== 0) throw new Error(`seq create ${res.err}`);
      if (res.path !== name) throw new Error(`sequential create returned ${res.path}, expected ${name}`);
      this.seqCount++;
      this.model.set(name, { data: hexOf(data), version: 0, czxid: res.stat!.czxid, mzxid: res.stat!.mzxid });
    }
    this.pending = null;
    this.acked++;
  }

  /**
   * Compares the recovered subtree with "acked" and "acked + in-flight"; returns null when it equals one
   * of them (and adopts it as the new model), otherwise a description of the mismatch.
   */
  resolve(dump: TreeDump, owner: string | null): string | null {
    const actual = new Map<string, { data: string; version: number; czxid: number; mzxid: number; owner: string }>();
    for (const [p, n] of Object.entries(dump)) {
      if (p.startsWith(this.base + '/')) actual.set(p, { data: n.data ?? '', version: n.stat.version, czxid: n.stat.czxid, mzxid: n.stat.mzxid, owner: n.stat.ephemeralOwner });
    }
    const diff = (m: Model): string[] => {
      const d: string[] = [];
      for (const [p, e] of m) {
        const a = actual.get(p);
        if (!a) {
          d.push(`${p}: missing`);
          continue;
        }
        if (a.data !== e.data) d.push(`${p}: data differs (${a.data.length / 2} bytes, expected ${e.data.length / 2})`);
        if (a.version !== e.version) d.push(`${p}: version ${a.version}, expected ${e.version}`);
        if (e.czxid !== undefined && a.czxid !== e.czxid) d.push(`${p}: czxid ${hex(a.czxid)}, expected ${hex(e.czxid)}`);
        if (e.mzxid !== undefined && a.mzxid !== e.mzxid) d.push(`${p}: mzxid ${hex(a.mzxid)}, expected ${hex(e.mzxid)}`);
        const wantOwner = e.owner ?? (e.ephemeral ? owner : '0x0');
        if (wantOwner !== null && a.owner !== wantOwner) d.push(`${p}: ephemeralOwner ${a.owner}, expected ${wantOwner}`);
      }
      for (const p of actual.keys()) if (!m.has(p) && p !== `${this.base}/seq`) d.push(`${p}: unexpected`);
      return d;
    };
    const withSeqDir = (m: Model): Model => {
      // base/seq is created (acked) at setup; keep it out of the comparison of versions.
      const out = new Map(m);
      out.delete(`${this.base}/seq`);
      return out;
    };
    const dAcked = diff(withSeqDir(this.model));
    if (dAcked.length === 0) {
      this.pending = null;
      return null;
    }
    if (this.pending !== null) {
      const after = this.pending.apply(this.model);
      const dAfter = diff(withSeqDir(after));
      if (dAfter.length === 0) {
        // The in-flight write made it: adopt it, filling in the Stat fields from what was recovered.
        this.model.clear();
        for (const [p, n] of after) {
          const a = actual.get(p);
          this.model.set(p, a ? { ...n, czxid: a.czxid, mzxid: a.mzxid } : n);
          if (p.startsWith(`${this.base}/seq/`) && !n.czxid) this.seqCount++;
        }
        this.pending = null;
        this.inFlightApplied++;
        return null;
      }
      return `${this.base} matches neither the acked state (${dAcked.slice(0, 5).join('; ')}) nor acked + in-flight ${this.pending.desc} (${dAfter.slice(0, 5).join('; ')})`;
    }
    return `${this.base} differs from the acked state (nothing in flight): ${dAcked.slice(0, 8).join('; ')}`;
  }
}

function del(m: Model, p: string): Model {
  const out = new Map(m);
  out.delete(p);
  return out;
}

interface EphemeralSession {
  writer: Writer;
  sessionId: bigint;
  passwd: Buffer;
  expiring: boolean;
  /** The connection that currently holds the session, if any. */
  conn: Zk | null;
}

test(
  `acknowledged writes survive kill -9 (${ROUNDS} seeded kill points, seed ${SEED})`,
  async () => {
    const root = new TempRoot('zkts-crash-');
    const procs: ServerProc[] = [];
    const clients: Zk[] = [];
    const spec = (round: number): ServerSpec => ({
      kind: 'zkts',
      dataDir: path.join(root.dir, 'data'),
      dataLogDir: path.join(root.dir, 'datalog'),
      cfg: { snapCount: String(SNAP_COUNTS[round % SNAP_COUNTS.length]), preAllocSize: String(PREALLOC_KB[round % PREALLOC_KB.length]) },
      props: SUPER_PROPS,
      logFile: path.join(root.dir, 'zkts.log'),
    });
    const start = async (round: number): Promise<ServerProc> => {
      const s = await ServerProc.start(spec(round));
      procs.push(s);
      return s;
    };
    const writers: Writer[] = [];
    const ephemerals: EphemeralSession[] = [];
    const notes: string[] = [];
    try {
      root.sub('data');
      root.sub('datalog');
      let server = await start(0);
      for (let round = 0; round < ROUNDS; round++) {
        const rng = prng(SEED + round * 7919);
        // ---- setup (acked before the timed phase)
        const admin = await Zk.connect(server.port);
        clients.push(admin);
        const rbase = `/r${round}`;
        expect((await admin.create(rbase, `round ${round}`)).err).toBe(0);
        const roundWriters: Writer[] = [];
        for (let w = 0; w < PERSISTENT_WRITERS; w++) {
          const base = `${rbase}/w${w}`;
          expect((await admin.create(base, '')).err).toBe(0);
          expect((await admin.create(`${base}/seq`, '')).err).toBe(0);
          const zk = await Zk.connect(server.port);
          clients.push(zk);
          const wr = new Writer(base, 'persistent', prng(SEED + round * 7919 + w + 1), zk);
          roundWriters.push(wr);
        }
        for (const expiring of [false, true]) {
          const base = `${rbase}/${expiring ? 'e2' : 'e1'}`;
          expect((await admin.create(base, '')).err).toBe(0);
          const zk = await Zk.connect(server.port, { timeout: expiring ? E2_TIMEOUT : 30_000 });
          clients.push(zk);
          const wr = new Writer(base, 'ephemeral', prng(SEED + round * 7919 + (expiring ? 101 : 100)), zk);
          roundWriters.push(wr);
          ephemerals.push({ writer: wr, sessionId: zk.sessionId, passwd: zk.passwd, expiring, conn: zk });
        }
        {
          const base = `${rbase}/s`;
          expect((await admin.create(base, '')).err).toBe(0);
          const wr = new Writer(base, 'churn', prng(SEED + round * 7919 + 102), null);
          wr.port = server.port;
          roundWriters.push(wr);
        }
        admin.drop();
        writers.push(...roundWriters);

        // ---- write, and kill -9 at a seeded moment
        const killAfter = 100 + Math.floor(rng() * 1000);
        const running = roundWriters.map((w) => w.run());
        await sleep(killAfter);
        for (const w of roundWriters) w.stopped = true;
        await server.kill9();
        await Promise.all(running);
        for (const w of roundWriters) w.zk?.drop();
        for (const e of ephemerals) e.conn?.drop();
        expect(roundWriters.map((w) => w.error).filter((e) => e !== null)).toEqual([]);
        const acked = roundWriters.reduce((n, w) => n + w.acked, 0);
        const inFlight = roundWriters.filter((w) => w.pending !== null).length;
        const crashed = path.join(root.dir, `crashed-${round}`);
        if (APACHE_CROSSCHECK.has(round)) {
          copyDir(path.join(root.dir, 'data'), path.join(crashed, 'data'));
          copyDir(path.join(root.dir, 'datalog'), path.join(crashed, 'datalog'));
          // Apache 3.8 cannot start on a log cut inside its 16-byte header (EOFException in
          // FileTxnIterator, cf. ZOOKEEPER-1621): damaged.test.ts (g) documents it. Such a file holds no
          // txn; take it out of Apache's copy so that the recovered trees can still be compared.
          const clogs = listFiles(path.join(crashed, 'datalog'), 'log');
          const cnewest = clogs[clogs.length - 1];
          if (cnewest && fs.statSync(cnewest.file).size < 16) {
            notes.push(`round ${round}: ${path.basename(cnewest.file)} (${fs.statSync(cnewest.file).size} bytes) left out of Apache's copy`);
            fs.rmSync(cnewest.file);
          }
        }

        // A crash right after a log roll can leave a newest log without one whole txn (just its header,
        // or a torn first entry). zkts must recover from that as it is: the file stays in place.
        const logsNow = listFiles(path.join(root.dir, 'datalog'), 'log');
        const newest = logsNow[logsNow.length - 1];
        if (newest && readLogEntries(newest.file).length === 0) {
          const lastWhole = Math.max(0, ...logsNow.flatMap((f) => readLogEntries(f.file).map((e) => e.zxid)));
          notes.push(`round ${round}: newest log ${path.basename(newest.file)} holds no whole txn after the kill (${fs.statSync(newest.file).size} bytes; last whole txn ${hex(lastWhole)})`);
          // A log file is named after its first txn, so such a file is always named last whole txn + 1,
          // and the restart's first write reuses the name.
          expect([round, newest.zxid]).toEqual([round, lastWhole + 1]);
        }

        if (DOUBLE_CRASH.has(round)) {
          // Kill the restarted server again while it is recovering / writing its start snapshot.
          const s = await ServerProc.spawn(spec(round + 1));
          procs.push(s);
          const t0 = Date.now();
          while (!/Read snapshot/.test(s.log()) && !s.exited && Date.now() - t0 < 10_000) await sleep(5);
          await sleep(Math.floor(rng() * 30));
          await s.kill9();
          notes.push(`round ${round}: restarted server killed ${Date.now() - t0} ms after spawn, log: ${JSON.stringify(tailLines(s.log().trim(), 3).slice(0, 300))}`);
        }

        // ---- restart on the same dirs and verify
        notes.push(`round ${round}: killed after ${killAfter} ms; restarting`);
        server = await start(round + 1);
        const lastZxid = await server.zxid();
        const reader = await Zk.connect(server.port).catch((e: Error) => {
          throw new Error(`round ${round}: cannot open a session after the restart (${e.message}); zkts log:\n${tailLines(server.log(), 8)}`);
        });
        clients.push(reader);
        expect(await reader.addAuth('digest', 'super:super')).toBe(0);
        const problems: string[] = [];
        // Ephemeral subtrees first: the expiring sessions' clocks started at the restart.
        const ephDump: TreeDump = {};
        for (const e of ephemerals) Object.assign(ephDump, await dumpTree(reader, e.writer.base, problems));
        const dump = await dumpTree(reader, '/', problems);
        Object.assign(dump, ephDump);
        problems.push(...integrityProblems(dump, lastZxid));
        const maxAcked = Math.max(0, ...[...writers.flatMap((w) => [...w.model.values()].map((n) => n.mzxid ?? 0))]);
        if (lastZxid < maxAcked) problems.push(`recovered zxid ${hex(lastZxid)} is older than an acknowledged write ${hex(maxAcked)}`);
        const appliedBefore = writers.reduce((n, w) => n + w.inFlightApplied, 0);
        for (const w of writers) {
          const e = ephemerals.find((x) => x.writer === w);
          const owner = e ? '0x' + BigInt.asUintN(64, e.sessionId).toString(16) : null;
          const bad = w.resolve(dump, owner);
          if (bad !== null) problems.push(bad);
        }
        // Nothing of a failed multi, ever.
        for (const p of Object.keys(dump)) if (/\/never\d+$/.test(p)) problems.push(`${p}: from a failed multi`);
        const total = await reader.getAllChildrenNumber('/');
        if (total.n !== Object.keys(dump).length - 1) problems.push(`getAllChildrenNumber(/) ${total.n}, walk found ${Object.keys(dump).length - 1}`);
        expect({ round, problems }).toEqual({ round, problems: [] });

        // Sessions the churn writers left open survived with their ephemerals; close them now (the next
        // round checks that their ephemerals are gone).
        const churnProblems: string[] = [];
        for (const w of writers) if (w.kind === 'churn') churnProblems.push(...(await w.closeLeftovers(server.port)));
        expect({ round, churnProblems }).toEqual({ round, churnProblems: [] });

        // Every ephemeral session (restored from the dir) takes its client back.
        for (const e of ephemerals) {
          const zk = await Zk.connect(server.port, { sessionId: e.sessionId, passwd: e.passwd, timeout: e.expiring ? E2_TIMEOUT : 30_000 });
          clients.push(zk);
          expect({ round, session: e.writer.base, alive: zk.timeOut > 0 }).toEqual({ round, session: e.writer.base, alive: true });
          zk.keepAlive(1000);
          e.conn = zk;
        }

        if (APACHE_CROSSCHECK.has(round)) {
          // Apache 3.8 recovers the same crashed dir (copied before zkts touched it) to the same tree.
          const apache = await ServerProc.start({
            kind: 'apache',
            dataDir: path.join(crashed, 'data'),
            dataLogDir: path.join(crashed, 'datalog'),
            props: SUPER_PROPS,
            logFile: path.join(root.dir, 'apache.log'),
          });
          procs.push(apache);
          const apacheZxid = await apache.zxid();
          const ar = await Zk.connect(apache.port);
          clients.push(ar);
          expect(await ar.addAuth('digest', 'super:super')).toBe(0);
          const adump: TreeDump = {};
          for (const e of ephemerals) Object.assign(adump, await dumpTree(ar, e.writer.base));
          Object.assign(adump, await dumpTree(ar, '/'), adump);
          ar.drop();
          await apache.kill9();
          expect({ round, zxid: hex(apacheZxid) }).toEqual({ round, zxid: hex(lastZxid) });
          const mismatches = Object.keys({ ...dump, ...adump })
            .filter((p) => JSON.stringify(dump[p]) !== JSON.stringify(adump[p]))
            .map((p) => `${p}: zkts ${JSON.stringify(dump[p]?.stat ?? null)} apache ${JSON.stringify(adump[p]?.stat ?? null)}`);
          expect({ round, mismatches: mismatches.slice(0, 10) }).toEqual({ round, mismatches: [] });
        }

        // Sequential numbering continues where the recovered parent's cversion says.
        for (const w of writers.filter((x) => x.kind === 'persistent')) {
          const res = await reader.create(`${w.base}/seq/s-`, 'probe', CreateFlag.PERSISTENT_SEQUENTIAL);
          expect(res.path).toBe(`${w.base}/seq/s-${String(w.seqCreated).padStart(10, '0')}`);
          w.adoptSeqProbe(res.path!, Buffer.from('probe').toString('hex'), res.stat!.czxid);
        }
        reader.drop();
        const logs = listFiles(path.join(root.dir, 'datalog'), 'log').length;
        const snaps = listFiles(path.join(root.dir, 'data'), 'snapshot').length;
        const applied = writers.reduce((n, w) => n + w.inFlightApplied, 0) - appliedBefore;
        notes.push(`round ${round}: killed after ${killAfter} ms, ${acked} acked writes, ${inFlight} in flight (${applied} of them recovered as applied), recovered zxid ${hex(lastZxid)}, ${Object.keys(dump).length} nodes, ${logs} logs, ${snaps} snapshots`);
      }

      // ---- sessions: one restored session reconnects (after a last crash and restart below) and keeps its
      // ephemerals until it closes; the ones nobody reconnects expire after their timeout.
      for (const e of ephemerals) e.conn?.drop();
      await server.kill9();
      server = await start(ROUNDS);
      const expireStart = server.spawnedAt;
      const watcher = await Zk.connect(server.port);
      clients.push(watcher);
      const holders: Zk[] = [];
      for (const e of ephemerals.filter((x) => !x.expiring)) {
        const zk = await Zk.connect(server.port, { sessionId: e.sessionId, passwd: e.passwd, timeout: 30_000 });
        clients.push(zk);
        expect({ base: e.writer.base, alive: zk.timeOut > 0 }).toEqual({ base: e.writer.base, alive: true });
        zk.keepAlive(1000);
        holders.push(zk);
      }
      const expiringPaths = ephemerals.filter((x) => x.expiring).flatMap((e) => [...e.writer.model.keys()]);
      const keptPaths = ephemerals.filter((x) => !x.expiring).flatMap((e) => [...e.writer.model.keys()]);
      const present = await Promise.all(expiringPaths.map(async (p) => ({ p, err: (await watcher.exists(p)).err })));
      expect(present.filter((k) => k.err !== 0)).toEqual([]);
      const deadline = Date.now() + E2_TIMEOUT + 3 * 2000 + 5000;
      let left = expiringPaths;
      while (left.length > 0 && Date.now() < deadline) {
        await sleep(250);
        const st = await Promise.all(left.map(async (p) => ((await watcher.exists(p)).err === Code.NONODE ? null : p)));
        left = st.filter((p): p is string => p !== null);
      }
      expect({ notExpired: left }).toEqual({ notExpired: [] });
      expect(Date.now() - expireStart).toBeGreaterThanOrEqual(E2_TIMEOUT - 500);
      const kept = await Promise.all(keptPaths.map(async (p) => ({ p, err: (await watcher.exists(p)).err })));
      expect(kept.filter((k) => k.err !== 0)).toEqual([]);
      for (const h of holders) await h.close();
      const gone = await Promise.all(keptPaths.map(async (p) => ({ p, err: (await watcher.exists(p)).err })));
      expect(gone.filter((k) => k.err !== Code.NONODE)).toEqual([]);
      watcher.drop();
      await server.stop();
    } finally {
      // eslint-disable-next-line no-console
      console.log(notes.join('\n'));
      for (const c of clients) c.drop();
      for (const p of procs) await p.kill9();
      root.remove();
    }
  },
  150_000,
);

