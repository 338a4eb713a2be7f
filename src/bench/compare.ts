/**
 * bench:compare — Apache ZooKeeper 3.8 against zkts on this machine, same settings, in alternation,
 * and docs/PERFORMANCE.md + docs/performance.svg from the results. See scripts/bench-compare.js.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { median } from './histogram';
import { loadTree } from './loader';
import { renderMarkdown, renderSvg } from './report';
import { apacheVersion, freePort, javaVersion, REPO_ROOT, ServerKind, ServerProcess, snapshotBuild, warmStartupCache, ZKTS_BIN } from './serverProc';
import { BenchResult, runBench } from './runner';
import { runRtt } from './rtt';
import { BenchOp, KeySpace, makeValue } from './workload';

export interface RowDef {
  id: string;
  op: BenchOp;
  sessions: number;
  inflight: number;
  valueSize: number;
  readRatio: number;
  maxOps: number;
}

export interface RowSample {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** Server CPU (user + system, all threads) per completed operation, µs. */
  cpuUsPerOp: number;
  errors: number;
  errorCodes: Record<string, number>;
  clientCpuPct: number;
}

export interface LifecycleSample {
  startupMs: number[];
  /**
   * zkts only, when the bench's environment sets NODE_EXTRA_CA_CERTS: starts that keep it (the launchers
   * drop it; Node 20 parses the file before any of zkts runs).
   */
  startupCaCertsMs?: number[];
  rssEmpty: number;
  rssSmall: number;
  rssBig: number;
  loadSmallPerSec: number;
  loadBigPerSec: number;
  restartMs: number;
  restartMs2: number;
  rssAfterRestart: number;
  noSnap: SnapRun;
  snap: SnapRun;
}

export interface SnapRun {
  opsPerSec: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  errors: number;
  /** Snapshot files written during the run. */
  snapshots: number;
}

export interface RttSample {
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  meanMs: number;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  os: string;
  node: string;
  java: string;
  apache: string;
  zkts: string;
  loadAvgStart: number[];
  loadAvgEnd: number[];
}

export interface CompareOptions {
  quick: boolean;
  reps: number;
  durationS: number;
  warmupS: number;
  smallNodes: number;
  bigNodes: number;
  snapDurationS: number;
  snapCount: number;
  servers: ServerKind[];
  rows: RowDef[];
  zktsNodeArgs: string[];
  apacheJvmArgs: string[];
  workers: number | undefined;
}

export interface CompareResults {
  version: 1;
  date: string;
  elapsedS: number;
  command: string;
  machine: Machine;
  options: Omit<CompareOptions, 'rows'>;
  rows: RowDef[];
  samples: Record<string, Record<string, RowSample[]>>;
  lifecycle: Record<string, LifecycleSample[]>;
  rtt: RttSample[];
  /** os.loadavg() at the start of each repetition: other work on the machine. */
  loadAvg: number[][];
}

const KB10 = 10 * 1024;

export function fullMatrix(): RowDef[] {
  const rows: RowDef[] = [];
  for (const valueSize of [100, KB10]) {
    for (const op of ['get', 'set'] as const) {
      for (const [sessions, inflight] of [
        [1, 1],
        [1, 100],
        [32, 1],
        [32, 100],
      ]) {
        rows.push(row(op, sessions, inflight, valueSize));
      }
    }
    rows.push(row('create', 32, 100, valueSize));
    rows.push(row('mix', 32, 100, valueSize));
  }
  return rows;
}

export function quickMatrix(): RowDef[] {
  return [row('get', 1, 1, 100), row('set', 4, 10, 100), row('create', 4, 10, 100), row('mix', 4, 10, KB10)];
}

function row(op: BenchOp, sessions: number, inflight: number, valueSize: number): RowDef {
  const v = valueSize >= 1024 ? `${valueSize / 1024}KB` : `${valueSize}B`;
  // Creates keep what they make until the row ends: bound the memory they can take.
  const maxOps = op === 'create' ? (valueSize >= 1024 ? 60_000 : 400_000) : 100_000_000;
  return { id: `${op}-${sessions}x${inflight}-${v}`, op, sessions, inflight, valueSize, readRatio: 0.9, maxOps };
}

function parseArgs(argv: string[]): { o: CompareOptions; out: string | null; svg: string | null; fromJson: string | null; install: boolean; json: string | null } {
  const quick = argv.includes('--quick');
  const o: CompareOptions = quick
    ? {
        quick,
        reps: 1,
        durationS: 1,
        warmupS: 0.3,
        smallNodes: 1000,
        bigNodes: 3000,
        snapDurationS: 1.5,
        snapCount: 200,
        servers: ['zkts'],
        rows: quickMatrix(),
        zktsNodeArgs: [],
        apacheJvmArgs: [],
        workers: undefined,
      }
    : {
        quick,
        reps: 3,
        durationS: 5,
        warmupS: 1,
        smallNodes: 100_000,
        bigNodes: 1_000_000,
        snapDurationS: 20,
        snapCount: 2_000,
        servers: ['apache', 'zkts'],
        rows: fullMatrix(),
        zktsNodeArgs: [],
        apacheJvmArgs: [],
        workers: undefined,
      };
  let out: string | null = quick ? null : path.join(REPO_ROOT, 'docs', 'PERFORMANCE.md');
  let svg: string | null = null;
  let fromJson: string | null = null;
  let json: string | null = null;
  let install = !quick;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    const n = (): number => {
      const x = Number(v());
      if (!Number.isFinite(x) || x < 0) throw new Error(`${a}: expected a non-negative number`);
      return x;
    };
    switch (a) {
      case '--quick':
        break;
      case '--reps':
        o.reps = Math.max(1, Math.floor(n()));
        break;
      case '--duration':
        o.durationS = n();
        break;
      case '--warmup':
        o.warmupS = n();
        break;
      case '--small':
        o.smallNodes = Math.floor(n());
        break;
      case '--big':
        o.bigNodes = Math.floor(n());
        break;
      case '--snap-duration':
        o.snapDurationS = n();
        break;
      case '--snap-count':
        o.snapCount = Math.max(2, Math.floor(n()));
        break;
      case '--only':
        o.servers = [v() as ServerKind];
        if (!['apache', 'zkts'].includes(o.servers[0])) throw new Error('--only apache|zkts');
        break;
      case '--rows': {
        const re = new RegExp(v());
        o.rows = (quick ? quickMatrix() : fullMatrix()).filter((r) => re.test(r.id));
        break;
      }
      case '--workers':
        o.workers = Math.floor(n());
        break;
      case '--zkts-node-args':
        o.zktsNodeArgs = v().split(/\s+/).filter(Boolean);
        break;
      case '--apache-jvm-args':
        o.apacheJvmArgs = v().split(/\s+/).filter(Boolean);
        break;
      case '--out':
        out = path.resolve(v());
        break;
      case '--svg':
        svg = path.resolve(v());
        break;
      case '--json':
        json = path.resolve(v());
        break;
      case '--from-json':
        fromJson = path.resolve(v());
        break;
      case '--no-install':
        install = false;
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (o.smallNodes > o.bigNodes) o.smallNodes = o.bigNodes;
  return { o, out, svg, fromJson, install, json };
}

const t00 = Date.now();
function log(msg: string): void {
  const s = ((Date.now() - t00) / 1000).toFixed(0).padStart(5);
  process.stdout.write(`[${s} s] ${msg}\n`);
}

function machineInfo(): Machine {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) cpu = m[1].trim();
  } catch {
    /* not Linux */
  }
  let osName = `${os.type()} ${os.release()}`;
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m !== null) osName = m[1];
  } catch {
    /* keep */
  }
  let zkts = 'unknown';
  try {
    zkts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const g = spawnSync('git', ['-C', REPO_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
    if (g.status === 0) zkts += ` (${g.stdout.trim()})`;
    // dist/ is built from the working tree: say so when it differs from the commit.
    const d = spawnSync('git', ['-C', REPO_ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' });
    if (d.status === 0 && d.stdout.trim() !== '') zkts += ' + uncommitted changes in src/';
  } catch {
    /* keep */
  }
  return {
    cpu,
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernel: os.release(),
    os: osName,
    node: process.version,
    java: javaVersion(),
    apache: apacheVersion(),
    zkts,
    loadAvgStart: os.loadavg(),
    loadAvgEnd: [],
  };
}

class Servers {
  private readonly live = new Set<ServerProcess>();
  private readonly dirs = new Set<string>();
  constructor(
    private readonly o: CompareOptions,
    private readonly zktsBin: string | undefined,
  ) {}

  newDir(kind: ServerKind): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `zkts-bench-${kind}-`));
    this.dirs.add(d);
    return d;
  }

  async start(kind: ServerKind, workDir: string, cfg: Record<string, string> = {}, keepNodeCaCerts = false): Promise<ServerProcess> {
    const port = await freePort();
    const sp = await ServerProcess.start({
      kind,
      workDir,
      port,
      cfg,
      runtimeArgs: kind === 'zkts' ? this.o.zktsNodeArgs : this.o.apacheJvmArgs,
      zktsBin: this.zktsBin,
      keepNodeCaCerts,
    });
    this.live.add(sp);
    return sp;
  }

  async stop(sp: ServerProcess): Promise<void> {
    await sp.stop();
    this.live.delete(sp);
  }

  removeDir(d: string): void {
    if (process.env.ZKTS_BENCH_KEEP_DIRS) return;
    fs.rmSync(d, { recursive: true, force: true });
    this.dirs.delete(d);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.live].map((s) => s.stop().catch(() => undefined)));
    this.live.clear();
    for (const d of [...this.dirs]) this.removeDir(d);
  }

  /** Synchronous last resort (process exit). */
  killAll(): void {
    for (const s of this.live) {
      try {
        s.child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

async function runRow(sp: ServerProcess, r: RowDef, o: CompareOptions): Promise<RowSample> {
  let cpu0 = NaN;
  let cpu1 = NaN;
  const res = await runBench({
    host: '127.0.0.1',
    port: sp.port,
    sessions: r.sessions,
    inflight: r.inflight,
    op: r.op,
    readRatio: r.readRatio,
    valueSize: r.valueSize,
    durationS: o.durationS,
    warmupS: o.warmupS,
    workers: o.workers,
    keys: 1000,
    maxOps: r.maxOps,
    onMeasureStart: () => {
      cpu0 = sp.cpuSeconds();
    },
    onMeasureEnd: () => {
      cpu1 = sp.cpuSeconds();
    },
  });
  return sampleOf(res, cpu0, cpu1);
}

function sampleOf(res: BenchResult, cpu0: number, cpu1: number): RowSample {
  return {
    opsPerSec: res.opsPerSec,
    p50Ms: res.latencyUs.p50 / 1000,
    p99Ms: res.latencyUs.p99 / 1000,
    p999Ms: res.latencyUs.p999 / 1000,
    cpuUsPerOp: res.ops > 0 ? ((cpu1 - cpu0) * 1e6) / res.ops : NaN,
    errors: res.errors,
    errorCodes: res.errorCodes,
    clientCpuPct: res.clientCpuPct,
  };
}

const fmtRate = (x: number): string => `${Math.round(x)}/s`;

async function warmUp(sp: ServerProcess, o: CompareOptions): Promise<void> {
  const base = { host: '127.0.0.1', port: sp.port, readRatio: 0.5, warmupS: 0, workers: o.workers, keys: 1000, maxOps: 100_000_000 };
  const durationS = o.quick ? 0.3 : 4;
  for (const valueSize of [100, 10 * 1024]) {
    await runBench({ ...base, op: 'mix', sessions: 8, inflight: 10, valueSize, durationS });
  }
  await runBench({ ...base, op: 'create', sessions: 8, inflight: 10, valueSize: 100, durationS: durationS / 2, maxOps: 50_000 });
}

/** Large-tree phase on a fresh server: RSS after loading, restart time, p999 with and without snapshots. */
async function bigPhase(kind: ServerKind, o: CompareOptions, servers: Servers, startupMs: number[]): Promise<LifecycleSample> {
  const dir = servers.newDir(kind);
  const root = '/load';
  const fanout = 1000;
  const value = makeValue(100);
  const loadOpts = { host: '127.0.0.1', port: 0, conns: 4, window: 250, timeoutMs: 1_800_000 };
  let sp = await servers.start(kind, dir);
  startupMs.push(sp.startupMs);
  loadOpts.port = sp.port;
  await sleep(1000);
  const rssEmpty = sp.rssBytes();
  let t = performance.now();
  await loadTree(loadOpts, root, fanout, 0, o.smallNodes, value);
  const loadSmallPerSec = o.smallNodes / ((performance.now() - t) / 1000);
  await sleep(1000);
  const rssSmall = sp.rssBytes();
  log(`${kind}: loaded ${o.smallNodes} znodes at ${fmtRate(loadSmallPerSec)}, RSS ${mb(rssSmall)}`);
  t = performance.now();
  await loadTree(loadOpts, root, fanout, o.smallNodes, o.bigNodes, value);
  const loadBigPerSec = (o.bigNodes - o.smallNodes) / ((performance.now() - t) / 1000);
  await sleep(1000);
  const rssBig = sp.rssBytes();
  log(`${kind}: loaded ${o.bigNodes} znodes (next ${o.bigNodes - o.smallNodes} at ${fmtRate(loadBigPerSec)}), RSS ${mb(rssBig)}`);
  await servers.stop(sp);

  // Restart on the same data dir; first without snapshots during the run (snapCount out of reach).
  sp = await servers.start(kind, dir, { snapCount: '100000000' });
  const restartMs = sp.startupMs;
  await sleep(1000);
  const rssAfterRestart = sp.rssBytes();
  log(`${kind}: restart with ${o.bigNodes} znodes on disk: ${Math.round(restartMs)} ms, RSS ${mb(rssAfterRestart)}`);
  const ks: KeySpace = { kind: 'loaded', root, keys: o.bigNodes, fanout };
  const noSnap = await snapRun(sp, ks, o);
  log(`${kind}: ${o.bigNodes} znodes, no snapshot: ${fmtRate(noSnap.opsPerSec)} p99 ${noSnap.p99Ms.toFixed(2)} ms p999 ${noSnap.p999Ms.toFixed(2)} ms (${noSnap.snapshots} snapshots)`);
  await servers.stop(sp);

  sp = await servers.start(kind, dir, { snapCount: String(o.snapCount) });
  const restartMs2 = sp.startupMs;
  const snap = await snapRun(sp, ks, o);
  log(`${kind}: ${o.bigNodes} znodes, snapCount ${o.snapCount}: ${fmtRate(snap.opsPerSec)} p99 ${snap.p99Ms.toFixed(2)} ms p999 ${snap.p999Ms.toFixed(2)} ms (${snap.snapshots} snapshots)`);
  await servers.stop(sp);
  servers.removeDir(dir);
  return { startupMs: [], rssEmpty, rssSmall, rssBig, loadSmallPerSec, loadBigPerSec, restartMs, restartMs2, rssAfterRestart, noSnap, snap };
}

/** `--big 0`: no large-tree phase; its rows read "–" and only the start-up times are reported. */
export function skippedBigPhase(): LifecycleSample {
  const none = (): SnapRun => ({ opsPerSec: NaN, p99Ms: NaN, p999Ms: NaN, maxMs: NaN, errors: 0, snapshots: NaN });
  return {
    startupMs: [],
    rssEmpty: NaN,
    rssSmall: NaN,
    rssBig: NaN,
    loadSmallPerSec: NaN,
    loadBigPerSec: NaN,
    restartMs: NaN,
    restartMs2: NaN,
    rssAfterRestart: NaN,
    noSnap: none(),
    snap: none(),
  };
}

/** The workload of the snapshot comparison: a 90/10 get/set mix over the loaded tree, 8 sessions × 4 in flight. */
async function snapRun(sp: ServerProcess, ks: KeySpace, o: CompareOptions): Promise<SnapRun> {
  const before = sp.snapshotCount();
  const r = await runBench({
    host: '127.0.0.1',
    port: sp.port,
    sessions: 8,
    inflight: 4,
    op: 'mix',
    readRatio: 0.9,
    valueSize: 100,
    durationS: o.snapDurationS,
    // Longer than a row's warmup: the server has just restarted (the JVM's JIT starts cold).
    warmupS: o.quick ? 0.3 : 5,
    workers: o.workers,
    keys: ks.keys,
    maxOps: 100_000_000,
    keySpace: ks,
  });
  // A snapshot still being written when the run ends shows up a moment later.
  await sleep(500);
  return {
    opsPerSec: r.opsPerSec,
    p99Ms: r.latencyUs.p99 / 1000,
    p999Ms: r.latencyUs.p999 / 1000,
    maxMs: r.latencyUs.max / 1000,
    errors: r.errors,
    snapshots: sp.snapshotCount() - before,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`;

function installOracle(): void {
  log('installing Apache ZooKeeper 3.8 (scripts/install-oracle.sh)');
  const r = spawnSync('bash', [path.join(REPO_ROOT, 'scripts', 'install-oracle.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/install-oracle.sh failed');
}

export async function runCompare(o: CompareOptions, command: string, onStage?: (r: CompareResults) => void): Promise<CompareResults> {
  const res: CompareResults = {
    version: 1,
    date: new Date().toISOString(),
    elapsedS: 0,
    command,
    machine: machineInfo(),
    options: { ...o, rows: undefined } as unknown as Omit<CompareOptions, 'rows'>,
    rows: o.rows,
    samples: {},
    lifecycle: {},
    rtt: [],
    loadAvg: [],
  };
  delete (res.options as Partial<CompareOptions>).rows;
  for (const k of o.servers) {
    res.samples[k] = {};
    res.lifecycle[k] = [];
    for (const r of o.rows) res.samples[k][r.id] = [];
  }
  // One build for the whole run, even if dist/ is rebuilt meanwhile (unless ZKTS_BIN points elsewhere).
  let zktsBin: string | undefined;
  let buildDir: string | null = null;
  if (o.servers.includes('zkts') && process.env.ZKTS_BIN === undefined) {
    buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-bench-build-'));
    zktsBin = snapshotBuild(buildDir);
  }
  if (o.servers.includes('zkts')) warmStartupCache(zktsBin ?? ZKTS_BIN, o.zktsNodeArgs);
  const servers = new Servers(o, zktsBin);
  const onExit = (): void => servers.killAll();
  process.on('exit', onExit);
  const onSig = (): void => {
    log('interrupted: stopping the servers');
    void servers.stopAll().then(() => {
      if (buildDir !== null) fs.rmSync(buildDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    for (let i = 0; i < Math.max(3, o.reps); i++) {
      const r = await runRtt({ durationS: o.quick ? 1 : 3, warmupS: o.quick ? 0.2 : 1, workers: o.workers });
      res.rtt.push({ p50Ms: r.latencyUs.p50 / 1000, p99Ms: r.latencyUs.p99 / 1000, p999Ms: r.latencyUs.p999 / 1000, meanMs: r.latencyUs.mean / 1000 });
      if (o.quick) break;
    }
    log(`loopback RTT p50 ${res.rtt[0].p50Ms.toFixed(3)} ms`);
    for (let rep = 1; rep <= o.reps; rep++) {
      log(`== repetition ${rep}/${o.reps}: matrix`);
      const live: Partial<Record<ServerKind, ServerProcess>> = {};
      const startup: Record<string, number[]> = {};
      const dirs: string[] = [];
      // Start-up is timed with nothing else running: right after its start a JVM keeps a core busy
      // compiling, which a server started next would compete with. The order alternates by repetition.
      const order = rep % 2 === 1 ? o.servers : [...o.servers].reverse();
      for (const k of order) {
        const d = servers.newDir(k);
        const sp = await servers.start(k, d);
        startup[k] = [sp.startupMs];
        log(`${k} start-up alone: ${Math.round(sp.startupMs)} ms`);
        await servers.stop(sp);
        servers.removeDir(d);
      }
      let startupCaCerts: number[] | undefined;
      if (o.servers.includes('zkts') && (process.env.NODE_EXTRA_CA_CERTS ?? '') !== '') {
        const d = servers.newDir('zkts');
        const sp = await servers.start('zkts', d, {}, true);
        startupCaCerts = [sp.startupMs];
        log(`zkts with NODE_EXTRA_CA_CERTS kept: up after ${Math.round(sp.startupMs)} ms`);
        await servers.stop(sp);
        servers.removeDir(d);
      }
      for (const k of o.servers) {
        const d = servers.newDir(k);
        dirs.push(d);
        live[k] = await servers.start(k, d);
        log(`${k} up on port ${live[k]!.port} (pid ${live[k]!.pid}) after ${Math.round(live[k]!.startupMs)} ms`);
      }
      // A fresh JVM compiles its hot paths during the first seconds of load; so does V8. Warm both
      // up on reads and writes before the first row, so the first rows do not measure the JIT.
      for (const k of o.servers) await warmUp(live[k]!, o);
      res.loadAvg.push(os.loadavg());
      for (const r of o.rows) {
        for (const k of o.servers) {
          const sp = live[k]!;
          if (sp.exited) throw new Error(`${k} died; log ${sp.logFile}`);
          const s = await runRow(sp, r, o);
          res.samples[k][r.id].push(s);
          log(
            `${k.padEnd(6)} ${r.id.padEnd(22)} ${Math.round(s.opsPerSec).toString().padStart(7)} ops/s  p50 ${s.p50Ms.toFixed(2)}  p99 ${s.p99Ms.toFixed(2)}  p999 ${s.p999Ms.toFixed(2)} ms  cpu ${s.cpuUsPerOp.toFixed(1)} us/op  client ${Math.round(s.clientCpuPct)}%${s.errors > 0 ? `  ERRORS ${s.errors} ${JSON.stringify(s.errorCodes)}` : ''}`,
          );
        }
      }
      for (const k of o.servers) await servers.stop(live[k]!);
      for (const d of dirs) servers.removeDir(d);
      if (o.bigNodes > 0) log(`== repetition ${rep}/${o.reps}: ${o.bigNodes} znodes`);
      for (const k of o.servers) {
        const lc = o.bigNodes > 0 ? await bigPhase(k, o, servers, startup[k]) : skippedBigPhase();
        lc.startupMs = startup[k];
        if (k === 'zkts' && startupCaCerts !== undefined) lc.startupCaCertsMs = startupCaCerts;
        res.lifecycle[k].push(lc);
      }
      res.elapsedS = (Date.now() - t00) / 1000;
      onStage?.(res);
    }
  } finally {
    process.removeListener('SIGINT', onSig);
    process.removeListener('SIGTERM', onSig);
    await servers.stopAll();
    process.removeListener('exit', onExit);
    if (buildDir !== null) fs.rmSync(buildDir, { recursive: true, force: true });
  }
  res.machine.loadAvgEnd = os.loadavg();
  res.elapsedS = (Date.now() - t00) / 1000;
  return res;
}

/** Errors over every sample (matrix and large-tree runs). */
export function totalErrors(r: CompareResults): number {
  let n = 0;
  for (const byRow of Object.values(r.samples)) for (const ss of Object.values(byRow)) for (const s of ss) n += s.errors;
  for (const ls of Object.values(r.lifecycle)) for (const l of ls) n += l.noSnap.errors + l.snap.errors;
  return n;
}

export async function compareMain(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`bench:compare: ${(e as Error).message}\n`);
    return 2;
  }
  const { o, fromJson, install } = parsed;
  let out = parsed.out;
  const workRoot = fromJson === null && (out === null || parsed.json === null) ? fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-bench-compare-')) : os.tmpdir();
  if (out === null) out = path.join(workRoot, 'PERFORMANCE.md');
  const svgPath = parsed.svg ?? path.join(path.dirname(out), 'performance.svg');
  const jsonPath = fromJson ?? parsed.json ?? path.join(workRoot, 'results.json');
  let res: CompareResults;
  if (fromJson !== null) {
    res = JSON.parse(fs.readFileSync(fromJson, 'utf8')) as CompareResults;
  } else {
    if (process.platform !== 'linux') {
      process.stderr.write('bench:compare reads /proc: Linux only\n');
      return 2;
    }
    if (install && o.servers.includes('apache')) installOracle();
    const command = `npm run bench:compare${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
    log(`bench:compare ${o.quick ? '(quick) ' : ''}servers ${o.servers.join(', ')}, ${o.rows.length} rows x ${o.reps} reps, ${o.durationS} s (+${o.warmupS} s warmup) each; raw results ${jsonPath}`);
    res = await runCompare(o, command, (partial) => fs.writeFileSync(jsonPath, JSON.stringify(partial, null, 1)));
    fs.writeFileSync(jsonPath, JSON.stringify(res, null, 1));
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(svgPath, renderSvg(res));
  // Hand-written notes (what each change bought) live beside the generated file and are carried into it.
  const notesPath = path.join(REPO_ROOT, 'docs', 'performance-notes.md');
  const notes = !o.quick && fs.existsSync(notesPath) ? fs.readFileSync(notesPath, 'utf8') : null;
  fs.writeFileSync(out, renderMarkdown(res, path.relative(path.dirname(out), svgPath), notes));
  const errs = totalErrors(res);
  log(`wrote ${out}, ${svgPath} and ${jsonPath}${errs > 0 ? ` -- ${errs} ERRORS in the runs` : ''}`);
  if (o.quick && fromJson === null) {
    const clean = errs === 0 && Object.values(res.samples).every((byRow) => Object.values(byRow).every((ss) => ss.length > 0 && ss.every((s) => s.opsPerSec > 0)));
    log(clean ? 'quick: OK' : 'quick: FAILED');
    return clean ? 0 : 1;
  }
  return errs === 0 ? 0 : 1;
}

export { median };
