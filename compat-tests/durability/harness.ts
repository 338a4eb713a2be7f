/**
 * Helpers for the durability tests: start Apache ZooKeeper 3.8 or zkts on a data dir the test owns (so
 * a server can be killed and restarted on the SAME dir, or another server started on a copy of it), a
 * small promise client over src/client/rawClient.ts that reports error codes instead of throwing, a
 * full tree dump (data, Stat, ACL, children) and integrity checks, and a reader for the txn log format
 * (to damage files at exact entry boundaries).
 *
 * Node 20 standard library only (plus the repo's raw wire client).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RawClient, decodeBody } from '../../src/client/rawClient';
import { JuteReader } from '../../src/jute/reader';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { FieldType } from '../../src/jute/schema';
import { OpCode } from '../../src/protocol/opCodes';
import {
  LOOPBACK,
  PORT_CLASH,
  REPO_ROOT,
  ZKTS_BIN,
  exited as childExited,
  disarmWatchdog,
  fourLetterWord,
  freePort,
  oracleCommand,
  spawnWatchdog,
  srvrServing,
  waitExit as waitChildExit,
  zktsCommand,
  zooCfg,
} from '../lib/servers';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------
// temp dirs

/** A temp dir for one test; a watchdog removes it should the test process die before cleanup. */
export class TempRoot {
  readonly dir: string;
  private readonly dog: ChildProcess | undefined;

  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dog = process.env.ZKTS_KEEP_SERVER_DIRS ? undefined : spawnWatchdog(WATCHDOG_SRC, 0, this.dir);
  }

  sub(name: string): string {
    const d = path.join(this.dir, name);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  remove(): void {
    disarmWatchdog(this.dog);
    if (!process.env.ZKTS_KEEP_SERVER_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Copies a data dir tree (before a server touches the original or the copy). */
export function copyDir(from: string, to: string): void {
  fs.cpSync(from, to, { recursive: true });
}

// ---------------------------------------------------------------------------------------------------
// server processes

/**
 * Watchdog: a tiny node process holding a pipe from us. If the test process goes away without stopping
 * its servers, the pipe hits EOF and the watchdog SIGKILLs the server (pid, 0 = none) and removes dir
 * (empty = keep). Writing "d" disarms it. Spawned and disarmed with the helpers of
 * compat-tests/lib/servers.ts, but unlike that one's script it does not ask the server to shut down
 * (SIGTERM first): it SIGKILLs the server's process group, so the server dies as in a crash, wrapper and all.
 */
const WATCHDOG_SRC = `
const pid = Number(process.argv[1]);
const dir = process.argv[2];
let armed = true;
process.stdin.on('data', (d) => { if (String(d).includes('d')) { armed = false; process.exit(0); } });
const fire = () => {
  if (!armed) process.exit(0);
  // The server runs in its own process group (with a wrapper such as strace, if any).
  if (pid > 0) { try { process.kill(-pid, 'SIGKILL'); } catch {} try { process.kill(pid, 'SIGKILL'); } catch {} }
  setTimeout(() => {
    if (dir) { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {} }
    process.exit(0);
  }, 300);
};
process.stdin.on('end', fire);
process.stdin.on('close', fire);
process.stdin.on('error', fire);
process.stdin.resume();
`;

export type ServerKind = 'zkts' | 'apache';

export interface ServerSpec {
  kind: ServerKind;
  dataDir: string;
  /** Defaults to dataDir (not written to zoo.cfg then). */
  dataLogDir?: string;
  /** Extra zoo.cfg entries. */
  cfg?: Record<string, string>;
  /** System properties: -Dk=v for java, or for bin/zkts.js. */
  props?: Record<string, string>;
  /** Where the server's stdout+stderr are appended (the cfg is written next to it). */
  logFile: string;
  tickTime?: number;
  /** A command the server runs under, e.g. ['strace', '-f', '-o', file]. */
  wrapper?: string[];
}

export const TICK_MS = 2000;

let cfgSeq = 0;

export class ServerProc {
  private constructor(
    readonly spec: ServerSpec,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly dog: ChildProcess | undefined,
    /** Byte offset in the log file where this run's output starts. */
    readonly logStart: number,
  ) {}

  /** Date.now() when the process was spawned. */
  readonly spawnedAt = Date.now();

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get kind(): ServerKind {
    return this.spec.kind;
  }

  /** Spawns the server without waiting for it to serve. */
  static async spawn(spec: ServerSpec): Promise<ServerProc> {
    const port = await freePort();
    const dir = path.dirname(spec.logFile);
    const cfgFile = path.join(dir, `zoo-${process.pid}-${++cfgSeq}.cfg`);
    fs.writeFileSync(
      cfgFile,
      zooCfg(spec.dataDir, port, { tickTime: String(spec.tickTime ?? TICK_MS), ...(spec.dataLogDir ? { dataLogDir: spec.dataLogDir } : {}), ...(spec.cfg ?? {}) }),
    );
    const props = Object.entries(spec.props ?? {}).map(([k, v]) => `-D${k}=${v}`);
    const cmd = spec.kind === 'zkts' ? zktsCommand(cfgFile, spec.props) : oracleCommand(cfgFile, ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...props]);
    if (spec.wrapper && spec.wrapper.length > 0) {
      cmd.args = [...spec.wrapper.slice(1), cmd.cmd, ...cmd.args];
      cmd.cmd = spec.wrapper[0];
    }
    if (spec.kind === 'zkts' && !fs.existsSync(ZKTS_BIN)) throw new Error(`${ZKTS_BIN} missing: run npx tsc -p . first`);
    const logStart = fs.existsSync(spec.logFile) ? fs.statSync(spec.logFile).size : 0;
    fs.appendFileSync(spec.logFile, `\n===== ${spec.kind} port ${port} cfg ${cfgFile} ${new Date().toISOString()}\n`);
    const fd = fs.openSync(spec.logFile, 'a');
    let child: ChildProcess;
    try {
      // detached: its own process group, so that kill9()/stop() reach a wrapper's child too.
      child = spawn(cmd.cmd, cmd.args, { cwd: REPO_ROOT, stdio: ['ignore', fd, fd], env: process.env, detached: true });
    } finally {
      fs.closeSync(fd);
    }
    child.on('error', () => undefined);
    child.unref();
    const dog = child.pid !== undefined ? spawnWatchdog(WATCHDOG_SRC, child.pid, '') : undefined;
    return new ServerProc(spec, port, child, dog, logStart);
  }

  /** Starts the server and waits until it serves (srvr answers). Retries on a port clash. */
  static async start(spec: ServerSpec, timeoutMs = 30_000): Promise<ServerProc> {
    for (let attempt = 1; ; attempt++) {
      const s = await ServerProc.spawn(spec);
      const outcome = await s.waitReadyOrExit(timeoutMs);
      if (outcome === 'ready') return s;
      const log = s.log();
      await s.kill9();
      if (attempt < 3 && PORT_CLASH.test(log)) continue;
      throw new Error(`${spec.kind} did not start (${outcome}); its log:\n${tailLines(log, 40)}`);
    }
  }

  get exited(): boolean {
    return childExited(this.child);
  }

  get exitCode(): number | null {
    return this.child.exitCode;
  }

  /** This run's part of the log file. */
  log(): string {
    try {
      const buf = fs.readFileSync(this.spec.logFile);
      return buf.subarray(this.logStart).toString('utf8');
    } catch {
      return '';
    }
  }

  /** 'ready' once srvr answers as serving, 'exited' if the process ends first, 'timeout'. */
  async waitReadyOrExit(timeoutMs = 30_000): Promise<'ready' | 'exited' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) return 'exited';
      try {
        const reply = await fourLetterWord(LOOPBACK, this.port, 'srvr', 1_000);
        if (srvrServing(reply)) return 'ready';
      } catch {
        // not listening yet
      }
      if (this.exited) return 'exited';
      if (Date.now() > deadline) return 'timeout';
      await sleep(50);
    }
  }

  waitExit(ms: number): Promise<boolean> {
    return waitChildExit(this.child, ms);
  }

  /** Signals the server's process group (the server, and its wrapper if any). */
  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, sig);
    } catch {
      this.child.kill(sig);
    }
  }

  /** kill -9, waits for the process to be gone. */
  async kill9(): Promise<void> {
    if (!this.exited) {
      this.signal('SIGKILL');
      await this.waitExit(10_000);
    } else if (this.spec.wrapper) {
      this.signal('SIGKILL'); // a wrapped server may outlive its wrapper
    }
    disarmWatchdog(this.dog);
  }

  /** SIGTERM (a clean shutdown), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (!this.exited) {
      this.signal('SIGTERM');
      if (!(await this.waitExit(10_000))) {
        this.signal('SIGKILL');
        await this.waitExit(10_000);
      }
    }
    disarmWatchdog(this.dog);
  }

  srvr(): Promise<string> {
    return fourLetterWord(LOOPBACK, this.port, 'srvr', 5_000);
  }

  /** The Zxid line of srvr, as a number. */
  async zxid(): Promise<number> {
    const m = /Zxid:\s*0x([0-9a-f]+)/i.exec(await this.srvr());
    if (!m) throw new Error('srvr has no Zxid line');
    return parseInt(m[1], 16);
  }
}

export function tailLines(s: string, n: number): string {
  return s.split('\n').slice(-n).join('\n');
}

// ---------------------------------------------------------------------------------------------------
// client

export const OPEN_ACL: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export function digestId(user: string, password: string): string {
  return `${user}:${crypto.createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** Password "super" for the super user, on both servers. */
export const SUPER_PROPS = { 'zookeeper.DigestAuthenticationProvider.superDigest': digestId('super', 'super') };

export interface SubOp {
  type: number;
  rec: FieldType<any>;
  value: any;
}

export const sub = {
  create: (p: string, data: Buffer | null, flags = 0, acl: R.ACL[] = OPEN_ACL): SubOp => ({ type: OpCode.create, rec: R.CreateRequest, value: { path: p, data, acl, flags } }),
  delete: (p: string, version = -1): SubOp => ({ type: OpCode.delete, rec: R.DeleteRequest, value: { path: p, version } }),
  setData: (p: string, data: Buffer | null, version = -1): SubOp => ({ type: OpCode.setData, rec: R.SetDataRequest, value: { path: p, data, version } }),
  check: (p: string, version: number): SubOp => ({ type: OpCode.check, rec: R.CheckVersionRequest, value: { path: p, version } }),
};

const multiRecord: FieldType<SubOp[]> = {
  name: 'MultiOperationRecord',
  read: () => [],
  write(w: JuteWriter, ops: SubOp[]) {
    for (const op of ops) {
      R.MultiHeader.write(w, { type: op.type, done: false, err: -1 });
      op.rec.write(w, op.value);
    }
    R.MultiHeader.write(w, { type: -1, done: true, err: -1 });
  },
};

export interface MultiResult {
  type: number;
  err: number;
  path?: string;
  stat?: R.Stat;
}

/** A connected session. Methods resolve with error codes; a lost connection rejects. */
export class Zk {
  private constructor(readonly raw: RawClient) {}

  get sessionId(): bigint {
    return this.raw.session!.sessionId;
  }

  get passwd(): Buffer {
    return this.raw.session!.passwd;
  }

  /** The negotiated timeout; 0 means the server refused (expired/unknown session). */
  get timeOut(): number {
    return this.raw.session!.timeOut;
  }

  static async connect(port: number, opts: { timeout?: number; sessionId?: bigint; passwd?: Buffer } = {}): Promise<Zk> {
    const raw = await RawClient.connect({ port, timeout: opts.timeout ?? 30_000, sessionId: opts.sessionId, passwd: opts.passwd });
    return new Zk(raw);
  }

  /** Keeps the session alive: a ping every `ms`. */
  keepAlive(ms = 1000): () => void {
    const t = setInterval(() => {
      if (this.raw.closed) clearInterval(t);
      else this.raw.ping().catch(() => undefined);
    }, ms);
    this.timers.push(t);
    return () => clearInterval(t);
  }

  private readonly timers: NodeJS.Timeout[] = [];

  async addAuth(scheme: string, auth: string): Promise<number> {
    const r = await this.raw.request(OpCode.auth, R.AuthPacket, { type: 0, scheme, auth: Buffer.from(auth) }, -4);
    return r.err;
  }

  async create(p: string, data: Buffer | string | null, flags = 0, acl: R.ACL[] = OPEN_ACL): Promise<{ err: number; zxid: number; path?: string; stat?: R.Stat }> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    const r = await this.raw.request(OpCode.create2, R.CreateRequest, { path: p, data: d, acl, flags });
    if (r.err !== 0) return { err: r.err, zxid: r.zxid };
    const b = decodeBody(R.Create2Response, r.body);
    return { err: 0, zxid: r.zxid, path: b.path ?? undefined, stat: b.stat };
  }

  async createContainer(p: string, data: Buffer | string | null, acl: R.ACL[] = OPEN_ACL): Promise<{ err: number; path?: string; stat?: R.Stat }> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    const r = await this.raw.request(OpCode.createContainer, R.CreateRequest, { path: p, data: d, acl, flags: 4 });
    if (r.err !== 0) return { err: r.err };
    const b = decodeBody(R.Create2Response, r.body);
    return { err: 0, path: b.path ?? undefined, stat: b.stat };
  }

  async createTTL(p: string, data: Buffer | string | null, flags: number, ttl: number, acl: R.ACL[] = OPEN_ACL): Promise<{ err: number; path?: string; stat?: R.Stat }> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    const r = await this.raw.request(OpCode.createTTL, R.CreateTTLRequest, { path: p, data: d, acl, flags, ttl });
    if (r.err !== 0) return { err: r.err };
    const b = decodeBody(R.Create2Response, r.body);
    return { err: 0, path: b.path ?? undefined, stat: b.stat };
  }

  async setData(p: string, data: Buffer | string | null, version = -1): Promise<{ err: number; zxid: number; stat?: R.Stat }> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    const r = await this.raw.request(OpCode.setData, R.SetDataRequest, { path: p, data: d, version });
    if (r.err !== 0) return { err: r.err, zxid: r.zxid };
    return { err: 0, zxid: r.zxid, stat: decodeBody(R.SetDataResponse, r.body).stat };
  }

  async delete(p: string, version = -1): Promise<number> {
    return (await this.raw.request(OpCode.delete, R.DeleteRequest, { path: p, version })).err;
  }

  async setACL(p: string, acl: R.ACL[], version = -1): Promise<{ err: number; stat?: R.Stat }> {
    const r = await this.raw.request(OpCode.setACL, R.SetACLRequest, { path: p, acl, version });
    if (r.err !== 0) return { err: r.err };
    return { err: 0, stat: decodeBody(R.SetDataResponse, r.body).stat };
  }

  async getData(p: string): Promise<{ err: number; data?: Buffer | null; stat?: R.Stat }> {
    const r = await this.raw.request(OpCode.getData, R.GetDataRequest, { path: p, watch: false });
    if (r.err !== 0) return { err: r.err };
    const b = decodeBody(R.GetDataResponse, r.body);
    return { err: 0, data: b.data === null ? null : Buffer.from(b.data), stat: b.stat };
  }

  async exists(p: string): Promise<{ err: number; stat?: R.Stat }> {
    const r = await this.raw.request(OpCode.exists, R.GetDataRequest, { path: p, watch: false });
    if (r.err !== 0) return { err: r.err };
    return { err: 0, stat: decodeBody(R.SetDataResponse, r.body).stat };
  }

  async getChildren2(p: string): Promise<{ err: number; children?: string[]; stat?: R.Stat }> {
    const r = await this.raw.request(OpCode.getChildren2, R.GetDataRequest, { path: p, watch: false });
    if (r.err !== 0) return { err: r.err };
    const b = decodeBody(R.GetChildren2Response, r.body);
    return { err: 0, children: (b.children ?? []) as string[], stat: b.stat };
  }

  async getACL(p: string): Promise<{ err: number; acl?: R.ACL[]; stat?: R.Stat }> {
    const r = await this.raw.request(OpCode.getACL, R.PathRequest, { path: p });
    if (r.err !== 0) return { err: r.err };
    const b = decodeBody(R.GetACLResponse, r.body);
    return { err: 0, acl: b.acl ?? [], stat: b.stat };
  }

  async getAllChildrenNumber(p: string): Promise<{ err: number; n?: number }> {
    const r = await this.raw.request(OpCode.getAllChildrenNumber, R.PathRequest, { path: p });
    if (r.err !== 0) return { err: r.err };
    return { err: 0, n: decodeBody(R.GetAllChildrenNumberResponse, r.body).totalNumber };
  }

  /** multi: `ok` when every op succeeded; results per op (errors as type -1). */
  async multi(ops: SubOp[]): Promise<{ ok: boolean; err: number; zxid: number; results: MultiResult[] }> {
    const r = await this.raw.request(OpCode.multi, multiRecord, ops);
    const results: MultiResult[] = [];
    if (r.body.length > 0) {
      const rd = new JuteReader(r.body, 0, r.body.length, 0x7fffffff);
      for (;;) {
        const h = R.MultiHeader.read(rd);
        if (h.done) break;
        if (h.type === OpCode.create) results.push({ type: h.type, err: 0, path: rd.readString() ?? undefined });
        else if (h.type === OpCode.create2) results.push({ type: h.type, err: 0, path: rd.readString() ?? undefined, stat: R.Stat.read(rd) });
        else if (h.type === OpCode.setData) results.push({ type: h.type, err: 0, stat: R.Stat.read(rd) });
        else if (h.type === OpCode.error) results.push({ type: h.type, err: rd.readInt() });
        else results.push({ type: h.type, err: 0 });
      }
    }
    const ok = r.err === 0 && results.length === ops.length && results.every((x) => x.type !== OpCode.error);
    return { ok, err: r.err, zxid: r.zxid, results };
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    if (this.raw.closed) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.raw.closeSession().catch(() => undefined), new Promise((r) => (t = setTimeout(r, 3000)))]);
    clearTimeout(t);
    this.raw.destroy();
  }

  /** Drops the TCP connection, leaving the session to live on (or expire). */
  drop(): void {
    for (const t of this.timers) clearInterval(t);
    this.raw.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------
// tree dump and integrity

export interface PlainStat {
  czxid: number;
  mzxid: number;
  ctime: number;
  mtime: number;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: string;
  dataLength: number;
  numChildren: number;
  pzxid: number;
}

export interface NodeDump {
  /** hex, or null for a null data buffer */
  data: string | null;
  stat: PlainStat;
  acl: { perms: number; scheme: string | null; id: string | null }[];
  /** sorted */
  children: string[];
}

export type TreeDump = Record<string, NodeDump>;

export function plainStat(s: R.Stat): PlainStat {
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    ctime: s.ctime,
    mtime: s.mtime,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: '0x' + BigInt.asUintN(64, s.ephemeralOwner).toString(16),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: s.pzxid,
  };
}

const childPath = (parent: string, c: string): string => (parent === '/' ? `/${c}` : `${parent}/${c}`);

/**
 * Reads every node under `root` (getData, getChildren2, getACL; pipelined a level at a time). Problems
 * found on the way (a node that fails to read, Stats that disagree between the three reads, numChildren
 * or dataLength that do not match) are pushed into `problems`.
 */
export async function dumpTree(zk: Zk, root = '/', problems: string[] = []): Promise<TreeDump> {
  const out: TreeDump = {};
  let level = [root];
  while (level.length > 0) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 200) {
      const batch = level.slice(i, i + 200);
      const res = await Promise.all(batch.map(async (p) => ({ p, d: await zk.getData(p), c: await zk.getChildren2(p), a: await zk.getACL(p) })));
      for (const { p, d, c, a } of res) {
        if (d.err !== 0 || c.err !== 0 || a.err !== 0) {
          problems.push(`${p}: read failed (getData ${d.err}, getChildren2 ${c.err}, getACL ${a.err})`);
          continue;
        }
        const st = plainStat(d.stat!);
        const sc = plainStat(c.stat!);
        const sa = plainStat(a.stat!);
        if (JSON.stringify(st) !== JSON.stringify(sc) || JSON.stringify(st) !== JSON.stringify(sa)) {
          problems.push(`${p}: Stat differs between getData ${JSON.stringify(st)}, getChildren2 ${JSON.stringify(sc)}, getACL ${JSON.stringify(sa)}`);
        }
        const data = d.data ?? null;
        const children = [...c.children!].sort();
        if (st.dataLength !== (data === null ? 0 : data.length)) problems.push(`${p}: dataLength ${st.dataLength} but ${data?.length ?? 0} bytes of data`);
        if (st.numChildren !== children.length) problems.push(`${p}: numChildren ${st.numChildren} but ${children.length} children`);
        out[p] = {
          data: data === null ? null : data.toString('hex'),
          stat: st,
          acl: a.acl!.map((x) => ({ perms: x.perms, scheme: x.id.scheme, id: x.id.id })),
          children,
        };
        for (const ch of children) next.push(childPath(p, ch));
      }
    }
    level = next;
  }
  return out;
}

/**
 * Checks that every node of a dump is whole and sane: zxids within [0, lastZxid], czxid <= mzxid,
 * czxid <= pzxid, ctime <= mtime, non-negative versions, no children under an ephemeral, every child
 * present, and that `getAllChildrenNumber("/")` agrees with the walk when given.
 */
export function integrityProblems(dump: TreeDump, lastZxid: number): string[] {
  const problems: string[] = [];
  for (const [p, n] of Object.entries(dump)) {
    const s = n.stat;
    const isSystem = p === '/' || p === '/zookeeper' || p.startsWith('/zookeeper/');
    if (!isSystem) {
      if (!(s.czxid > 0 && s.czxid <= lastZxid)) problems.push(`${p}: czxid 0x${s.czxid.toString(16)} out of (0, 0x${lastZxid.toString(16)}]`);
      if (!(s.mzxid >= s.czxid && s.mzxid <= lastZxid)) problems.push(`${p}: mzxid 0x${s.mzxid.toString(16)} (czxid 0x${s.czxid.toString(16)}, last 0x${lastZxid.toString(16)})`);
      if (!(s.pzxid >= s.czxid && s.pzxid <= lastZxid)) problems.push(`${p}: pzxid 0x${s.pzxid.toString(16)} (czxid 0x${s.czxid.toString(16)}, last 0x${lastZxid.toString(16)})`);
      if (!(s.ctime > 0 && s.mtime >= s.ctime)) problems.push(`${p}: ctime ${s.ctime} mtime ${s.mtime}`);
    }
    if (!isSystem && (s.version < 0 || s.aversion < 0)) problems.push(`${p}: negative version ${s.version}/${s.aversion}`);
    if (s.ephemeralOwner !== '0x0' && n.children.length > 0) problems.push(`${p}: ephemeral with children`);
    for (const c of n.children) {
      const cp = childPath(p, c);
      if (!dump[cp]) problems.push(`${p}: child ${c} listed but not readable`);
      else if (n.children.length > 0 && dump[cp].stat.czxid > s.pzxid && !isSystem) {
        problems.push(`${p}: pzxid 0x${s.pzxid.toString(16)} older than child ${c} czxid 0x${dump[cp].stat.czxid.toString(16)}`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// on-disk files

export interface LogEntryInfo {
  /** offset of the entry (its checksum) in the file */
  offset: number;
  /** length of the txn bytes */
  len: number;
  /** offset just past the entry's 'B' */
  end: number;
  zxid: number;
  type: number;
  clientId: bigint;
}

/**
 * The whole entries of a txn log file (Apache's format), up to the zero-filled tail or a torn entry.
 * A file cut short inside (or all zeros in) its 16-byte header has none.
 */
export function readLogEntries(file: string): LogEntryInfo[] {
  const buf = fs.readFileSync(file);
  const out: LogEntryInfo[] = [];
  if (buf.length < 16 || buf.subarray(0, 16).every((b) => b === 0)) return out;
  if (buf.readInt32BE(0) !== 0x5a4b4c47) throw new Error(`${file}: not a txn log`);
  let pos = 16;
  while (pos + 12 <= buf.length) {
    const crc = buf.readBigInt64BE(pos);
    const len = buf.readInt32BE(pos + 8);
    if (len === 0 && crc === 0n) break;
    if (len < 28 || pos + 12 + len + 1 > buf.length) break;
    const clientId = buf.readBigInt64BE(pos + 12);
    const zxid = Number(buf.readBigInt64BE(pos + 12 + 12));
    const type = buf.readInt32BE(pos + 12 + 28);
    out.push({ offset: pos, len, end: pos + 12 + len + 1, zxid, type, clientId });
    pos += 12 + len + 1;
  }
  return out;
}

/**
 * The zxid of a txn log file's first entry, or undefined when it has none; reads only the file's head
 * (readLogEntries reads all of a log preallocated to 64 MB).
 */
export function firstLogZxid(file: string): number | undefined {
  const head = Buffer.alloc(48);
  const fd = fs.openSync(file, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (n < 48 || head.readInt32BE(0) !== 0x5a4b4c47) return undefined;
  if (head.readBigInt64BE(16) === 0n && head.readInt32BE(24) === 0) return undefined;
  return Number(head.readBigInt64BE(40));
}

/** log.<zxid> or snapshot.<zxid> files (snapshots also compressed: .gz, .snappy), oldest first. */
export function listFiles(dir: string, prefix: 'log' | 'snapshot'): { file: string; zxid: number }[] {
  const v2 = path.join(dir, 'version-2');
  if (!fs.existsSync(v2)) return [];
  const re = new RegExp(`^${prefix}\\.([0-9a-f]+)(\\.gz|\\.snappy)?$`);
  return fs
    .readdirSync(v2)
    .map((n) => ({ n, m: re.exec(n) }))
    .filter((x) => x.m !== null)
    .map(({ n, m }) => ({ file: path.join(v2, n), zxid: parseInt(m![1], 16) }))
    .sort((a, b) => a.zxid - b.zxid);
}

export function flipBit(file: string, offset: number, bit = 0): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0] ^= 1 << bit;
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------
// misc

export { mulberry32 as prng } from '../lib/prng';

export const hex = (z: number): string => '0x' + z.toString(16);
