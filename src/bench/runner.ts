import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { codeName } from '../protocol/errors';
import { Histogram, HistogramSnapshot } from './histogram';
import { createNodes, deleteNodes, PipelineResult } from './loader';
import { GroupResult, GroupSpec, SessionGroup } from './loadgen';
import type { FromWorker, ToWorker } from './worker';
import { BenchOp, KeySpace, makeValue, sessionDir } from './workload';

export interface BenchOptions {
  host: string;
  port: number;
  sessions: number;
  inflight: number;
  op: BenchOp;
  readRatio: number;
  valueSize: number;
  durationS: number;
  warmupS: number;
  /** Worker threads; 0 runs every session in the calling thread. Default: min(sessions, cores − 1), at least 1. */
  workers?: number;
  /** Keys for get/exists/set/mix (created by the run). */
  keys: number;
  /** Requests in all, warmup included (the count bound of the load loop). */
  maxOps: number;
  /** Nodes created beforehand for a delete run. */
  deletePool?: number;
  /** Run against an existing tree instead of setting one up (get/exists/set/mix only). */
  keySpace?: KeySpace;
  /** Remove what the run created (default true). */
  cleanup?: boolean;
  sessionTimeoutMs?: number;
  /** Called about once a second while the load runs. */
  progress?: (p: BenchProgress) => void;
  onMeasureStart?: () => void;
  onMeasureEnd?: () => void;
  signal?: AbortSignal;
}

export interface BenchProgress {
  elapsedS: number;
  phase: 'warmup' | 'measure' | 'drain';
  opsPerSec: number;
  replies: number;
  errors: number;
}

export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  count: number;
}

export interface BenchResult {
  target: string;
  op: BenchOp;
  sessions: number;
  inflight: number;
  valueSize: number;
  readRatio: number | null;
  workers: number;
  mode: 'worker-threads' | 'in-process';
  warmupS: number;
  /** The measuring window actually covered (shorter if the count bound ended the run). */
  windowS: number;
  ops: number;
  opsPerSec: number;
  /** Microseconds. */
  latencyUs: LatencySummary;
  readLatencyUs: LatencySummary | null;
  writeLatencyUs: LatencySummary | null;
  /** Non-zero error replies + unanswered requests + xid mismatches. */
  errors: number;
  errorCodes: Record<string, number>;
  unanswered: number;
  connectionsLost: number;
  xidMismatches: number;
  /** CPU time of this process (all threads) during the window, as a % of one core. */
  clientCpuPct: number;
  setupMs: number;
  cleanupErrors: number;
  startedAt: string;
}

export function summarize(h: Histogram): LatencySummary {
  return {
    min: h.total === 0 ? 0 : h.min,
    mean: h.mean,
    p50: h.percentile(50),
    p90: h.percentile(90),
    p99: h.percentile(99),
    p999: h.percentile(99.9),
    max: h.max,
    count: h.total,
  };
}

export function defaultWorkers(sessions: number): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(sessions, cores - 1));
}

const WORKER_FILE = path.join(__dirname, 'worker.js');

/** Worker threads need the compiled worker.js; under ts-node/ts-jest the runner stays in-process. */
export function workersAvailable(): boolean {
  return !__filename.endsWith('.ts') && fs.existsSync(WORKER_FILE);
}

interface GroupHandle {
  ready: Promise<void>;
  go(measureAt: number, endAt: number): Promise<GroupResult>;
  stop(): void;
  terminate(): Promise<void>;
}

function threadGroup(spec: GroupSpec, progress: Float64Array, slot: number): GroupHandle {
  const w = new Worker(WORKER_FILE, { workerData: { spec, progress, slot } });
  let running = false;
  let readyRes!: () => void;
  let readyRej!: (e: Error) => void;
  let doneRes!: (r: GroupResult) => void;
  let doneRej!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    readyRes = res;
    readyRej = rej;
  });
  const done = new Promise<GroupResult>((res, rej) => {
    doneRes = res;
    doneRej = rej;
  });
  ready.catch(() => undefined);
  done.catch(() => undefined);
  const fail = (e: Error): void => (running ? doneRej(e) : readyRej(e));
  w.on('message', (m: FromWorker) => {
    if (m.type === 'ready') readyRes();
    else if (m.type === 'done') doneRes(m.result);
    else fail(new Error(m.message));
  });
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`worker exited (code ${code}) before finishing`)));
  return {
    ready,
    go(measureAt, endAt) {
      running = true;
      w.postMessage({ type: 'go', measureAt, endAt } satisfies ToWorker);
      return done;
    },
    stop() {
      w.postMessage({ type: 'stop' } satisfies ToWorker);
    },
    async terminate() {
      await w.terminate();
    },
  };
}

function localGroup(spec: GroupSpec, progress: Float64Array, slot: number): GroupHandle {
  const g = new SessionGroup(spec, progress, slot);
  return {
    ready: g.connect(),
    go: (measureAt, endAt) => g.run(measureAt, endAt),
    stop: () => g.stop(),
    terminate: async () => undefined,
  };
}

const CHILDREN_OF_DIR = 10;

interface Setup {
  keySpace: KeySpace;
  perSessionOps: number;
  cleanup: (issued: Record<number, number>) => Promise<number>;
}

async function setUp(o: BenchOptions): Promise<Setup> {
  const bulk = { host: o.host, port: o.port, conns: 4, window: 500 };
  const sessionsPerOps = Math.max(1, Math.ceil(o.maxOps / o.sessions));
  if (o.keySpace !== undefined || o.op === 'ping') {
    const ks = o.keySpace ?? { kind: 'bench' as const, root: '/', keys: 1, deletePool: 0 };
    if (o.op === 'create' || o.op === 'delete' || o.op === 'getChildren') {
      throw new Error(`--op ${o.op} runs in its own tree only`);
    }
    return { keySpace: ks, perSessionOps: sessionsPerOps, cleanup: async () => 0 };
  }
  const root = `/zkts-bench-${process.pid}-${Date.now().toString(36)}`;
  const value = makeValue(o.valueSize);
  const check = (what: string, r: PipelineResult): void => {
    if (r.errors > 0) throw new Error(`setup: ${what}: ${r.errors} errors ${JSON.stringify(namedCodes(r.codes))}`);
  };
  const ignoringNoNode = (r: PipelineResult): number => r.errors - (r.codes['-101'] ?? 0);
  check('create root', await createNodes({ ...bulk, conns: 1 }, 1, () => root, null));
  let keys = 0;
  let perSession = sessionsPerOps;
  let deletePer = 0;
  switch (o.op) {
    case 'get':
    case 'exists':
    case 'set':
    case 'mix':
      keys = o.keys;
      check('create keys', await createNodes(bulk, keys, (i) => `${root}/k${i}`, value));
      break;
    case 'getChildren':
      check('create dir', await createNodes({ ...bulk, conns: 1 }, 1, () => `${root}/dir`, null));
      check('create dir children', await createNodes({ ...bulk, conns: 1 }, CHILDREN_OF_DIR, (i) => `${root}/dir/c${i}`, value));
      break;
    case 'create':
    case 'delete':
      check('create session dirs', await createNodes(bulk, o.sessions, (g) => sessionDir(root, g), null));
      if (o.op === 'delete') {
        deletePer = Math.max(1, Math.ceil(Math.min(o.deletePool ?? 50_000, o.maxOps) / o.sessions));
        perSession = deletePer;
        check('create delete pool', await createNodes(bulk, o.sessions * deletePer, (i) => `${sessionDir(root, Math.floor(i / deletePer))}/d${i % deletePer}`, value));
      }
      break;
  }
  const keySpace: KeySpace = { kind: 'bench', root, keys: Math.max(1, keys), deletePool: deletePer };
  const cleanup = async (issued: Record<number, number>): Promise<number> => {
    let errs = 0;
    if (keys > 0) errs += ignoringNoNode(await deleteNodes(bulk, keys, (i) => `${root}/k${i}`));
    if (o.op === 'getChildren') {
      errs += ignoringNoNode(await deleteNodes({ ...bulk, conns: 1 }, CHILDREN_OF_DIR, (i) => `${root}/dir/c${i}`));
      errs += ignoringNoNode(await deleteNodes({ ...bulk, conns: 1 }, 1, () => `${root}/dir`));
    }
    if (o.op === 'create' || o.op === 'delete') {
      const paths: string[] = [];
      for (let g = 0; g < o.sessions; g++) {
        const n = issued[g] ?? 0;
        if (o.op === 'create') for (let i = 0; i < n; i++) paths.push(`${sessionDir(root, g)}/c${i}`);
        else for (let i = n; i < deletePer; i++) paths.push(`${sessionDir(root, g)}/d${i}`);
      }
      errs += ignoringNoNode(await deleteNodes(bulk, paths.length, (i) => paths[i]));
      errs += ignoringNoNode(await deleteNodes(bulk, o.sessions, (g) => sessionDir(root, g)));
    }
    errs += ignoringNoNode(await deleteNodes({ ...bulk, conns: 1 }, 1, () => root));
    return errs;
  };
  return { keySpace, perSessionOps: perSession, cleanup };
}

export function namedCodes(codes: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(codes)) {
    const n = /^-?\d+$/.test(k) ? codeName(Number(k)) : k;
    out[n] = (out[n] ?? 0) + v;
  }
  return out;
}

/** Runs one benchmark: set up, connect every session, load for warmup + duration, drain, clean up. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  if (!(o.sessions >= 1) || !(o.inflight >= 1)) throw new Error('sessions and inflight must be at least 1');
  if (!(o.durationS > 0) || !(o.durationS <= 24 * 3600)) throw new Error('duration must be in (0, 86400] seconds');
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  const setup = await setUp(o);
  const setupMs = Date.now() - t0;
  const threads = (o.workers ?? defaultWorkers(o.sessions)) > 0 && workersAvailable();
  const nGroups = threads ? Math.min(o.sessions, Math.max(1, o.workers ?? defaultWorkers(o.sessions))) : 1;
  const shared = threads ? new Float64Array(new SharedArrayBuffer(8 * 2 * nGroups)) : new Float64Array(2 * nGroups);
  const groups: GroupHandle[] = [];
  let issued: Record<number, number> = {};
  let cleanupErrors = 0;
  let results: GroupResult[] = [];
  let measureAt = 0;
  let endAt = 0;
  let finishedAt = 0;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let cpuDelta: NodeJS.CpuUsage | null = null;
  const timers: NodeJS.Timeout[] = [];
  // The window's edges, for CPU readings (here and by the caller). The end also fires when the groups
  // finish first (their clocks run in other threads), but only after the start.
  let started = false;
  let ended = false;
  const measureStart = (): void => {
    if (started) return;
    started = true;
    cpuAtStart = process.cpuUsage();
    o.onMeasureStart?.();
  };
  const measureEnd = (): void => {
    if (!started || ended) return;
    ended = true;
    if (cpuAtStart !== null) cpuDelta = process.cpuUsage(cpuAtStart);
    o.onMeasureEnd?.();
  };
  try {
    for (let k = 0; k < nGroups; k++) {
      const sessions: number[] = [];
      for (let g = k; g < o.sessions; g += nGroups) sessions.push(g);
      const spec: GroupSpec = {
        host: o.host,
        port: o.port,
        sessions,
        inflight: o.inflight,
        workload: { op: o.op, readRatio: o.readRatio, valueSize: o.valueSize, keySpace: setup.keySpace },
        maxOpsPerSession: setup.perSessionOps,
        sessionTimeoutMs: o.sessionTimeoutMs ?? 30_000,
        drainMs: 10_000,
      };
      groups.push(threads ? threadGroup(spec, shared, k) : localGroup(spec, shared, k));
    }
    await Promise.all(groups.map((g) => g.ready));
    // The groups start issuing as soon as they get 'go': a window that began later would miss a short
    // run entirely (a 400-node delete pool can be gone in 20 ms).
    const start = Date.now();
    measureAt = start + o.warmupS * 1000;
    endAt = measureAt + o.durationS * 1000;
    timers.push(setTimeout(measureStart, measureAt - Date.now()));
    timers.push(setTimeout(measureEnd, endAt - Date.now()));
    let last = 0;
    let lastT = Date.now();
    if (o.progress !== undefined) {
      const report = o.progress;
      const iv = setInterval(() => {
        let replies = 0;
        let errors = 0;
        for (let k = 0; k < nGroups; k++) {
          replies += shared[2 * k];
          errors += shared[2 * k + 1];
        }
        const now = Date.now();
        report({
          elapsedS: (now - start) / 1000,
          phase: now < measureAt ? 'warmup' : now < endAt ? 'measure' : 'drain',
          opsPerSec: ((replies - last) * 1000) / Math.max(1, now - lastT),
          replies,
          errors,
        });
        last = replies;
        lastT = now;
      }, 1000);
      timers.push(iv);
    }
    const onAbort = (): void => groups.forEach((g) => g.stop());
    o.signal?.addEventListener('abort', onAbort);
    try {
      results = await Promise.all(groups.map((g) => g.go(measureAt, endAt)));
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    finishedAt = Date.now();
    if (finishedAt >= measureAt) {
      measureStart();
      measureEnd();
    }
    for (const r of results) issued = { ...issued, ...r.issued };
  } finally {
    for (const t of timers) clearTimeout(t);
    await Promise.all(groups.map((g) => g.terminate().catch(() => undefined)));
    if (o.cleanup !== false) {
      try {
        cleanupErrors = await setup.cleanup(issued);
      } catch {
        cleanupErrors++;
      }
    }
  }

  const hist = new Histogram();
  const readHist = new Histogram();
  const writeHist = new Histogram();
  const codes: Record<string, number> = {};
  let ops = 0;
  let errors = 0;
  let unanswered = 0;
  let lost = 0;
  let mismatches = 0;
  let lastInWindow = 0;
  for (const r of results) {
    ops += r.ops;
    errors += r.errors;
    unanswered += r.unanswered;
    lost += r.connectionsLost;
    mismatches += r.xidMismatches;
    hist.merge(r.hist as HistogramSnapshot);
    readHist.merge(r.readHist);
    writeHist.merge(r.writeHist);
    lastInWindow = Math.max(lastInWindow, r.lastInWindow);
    for (const [k, v] of Object.entries(r.errorCodes)) codes[k] = (codes[k] ?? 0) + v;
  }
  if (unanswered > 0) codes['unanswered'] = unanswered;
  if (mismatches > 0) codes['xid-mismatch'] = mismatches;
  const windowEnd = finishedAt < endAt ? Math.max(measureAt, lastInWindow) : endAt;
  const windowS = Math.max(0, (windowEnd - measureAt) / 1000);
  const cpu = cpuDelta as NodeJS.CpuUsage | null;
  const cpuUs = cpu === null ? 0 : cpu.user + cpu.system;
  const mix = o.op === 'mix';
  return {
    target: `${o.host}:${o.port}`,
    op: o.op,
    sessions: o.sessions,
    inflight: o.inflight,
    valueSize: o.valueSize,
    readRatio: mix ? o.readRatio : null,
    workers: threads ? nGroups : 0,
    mode: threads ? 'worker-threads' : 'in-process',
    warmupS: o.warmupS,
    windowS,
    ops,
    opsPerSec: windowS > 0 ? ops / windowS : 0,
    latencyUs: summarize(hist),
    readLatencyUs: mix ? summarize(readHist) : null,
    writeLatencyUs: mix ? summarize(writeHist) : null,
    errors: errors + unanswered + mismatches,
    errorCodes: namedCodes(codes),
    unanswered,
    connectionsLost: lost,
    xidMismatches: mismatches,
    clientCpuPct: windowS > 0 ? cpuUs / 10 / (windowS * 1000) : 0,
    setupMs,
    cleanupErrors,
    startedAt,
  };
}
