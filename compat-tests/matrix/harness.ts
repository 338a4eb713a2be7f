/**
 * Compatibility matrix harness: every scenario runs against a fresh Apache ZooKeeper 3.8 and a
 * fresh zkts (side by side, on loopback); each side yields an Outcome:
 *
 *   ok     the scenario's own checks held (mutual exclusion, failover, convergence...)
 *   obs    normalized observations that must be equal on both servers (no session ids, times
 *          or scheduling-dependent order)
 *   detail why it failed, free text
 *
 * A row is `pass` on Apache when ok; `pass` on zkts when ok and obs equal Apache's. Rows are
 * written to compat-tests/results/<suite>.json (a build output) for scripts/gen-compatibility.js.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REPO_ROOT, RunningServer, startOracle, startZkts } from '../lib/servers';

export type Verdict = 'pass' | 'fail';

export interface Row {
  client: string;
  recipe?: string;
  scenario?: string;
  apache: Verdict;
  zkts: Verdict;
  note?: string;
}

export interface Outcome {
  ok: boolean;
  obs?: unknown;
  detail?: string;
  ms?: number;
}

export interface RowSpec {
  /** Stable id (python row id, or the scenario key). */
  id: string;
  client: string;
  recipe?: string;
  scenario?: string;
}

export const RESULTS_DIR = path.join(REPO_ROOT, 'compat-tests', 'results');
export const PYTHON = process.env.KAZOO_PYTHON ?? '/usr/bin/python3';
export const CLIENTS_DIR = path.join(__dirname, 'clients');

/**
 * Server settings for the matrix: tickTime 500 gives sessions of 1-10 s, so a crashed client's
 * session expires in about a second and a half. Same zoo.cfg for both servers.
 */
export const MATRIX_CFG: Record<string, string> = { tickTime: '500' };

/**
 * Rows zkts is known to get wrong: row key `<suite>:<id>` → what differs. Their jest tests are
 * `test.failing`, so the suite stays green while the difference is documented, and turns red
 * once zkts is fixed (then remove the entry). The results still say zkts: fail.
 */
export const KNOWN_ZKTS_DIFFERENCES: Record<string, string> = {};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** JSON with object keys sorted, for comparing observations. */
export function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val) && !Buffer.isBuffer(val)) {
      return Object.fromEntries(
        Object.entries(val as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    if (typeof val === 'bigint') return val.toString();
    return val;
  });
}

const clip = (s: string, n = 600): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/** Apache vs zkts verdicts for one row. */
export function judge(spec: RowSpec, a: Outcome | undefined, z: Outcome | undefined): Row {
  const row: Row = {
    client: spec.client,
    ...(spec.recipe ? { recipe: spec.recipe } : {}),
    ...(spec.scenario ? { scenario: spec.scenario } : {}),
    apache: a?.ok ? 'pass' : 'fail',
    zkts: 'fail',
  };
  const notes: string[] = [];
  if (!a) notes.push('apache: no result');
  else if (!a.ok) notes.push(`apache: ${clip(a.detail ?? 'failed')}`);
  if (!z) notes.push('zkts: no result');
  else if (!z.ok) notes.push(`zkts: ${clip(z.detail ?? 'failed')}`);
  else if (a?.ok && stable(a.obs) !== stable(z.obs)) {
    notes.push(`zkts differs from Apache: apache ${clip(stable(a.obs), 400)} / zkts ${clip(stable(z.obs), 400)}`);
  } else row.zkts = 'pass';
  if (notes.length) row.note = notes.join('; ');
  return row;
}

export function writeResults(
  suite: string,
  rows: Row[],
  outcomes?: Map<string, { apache?: Outcome; zkts?: Outcome }>,
): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(path.join(RESULTS_DIR, `${suite}.json`), JSON.stringify(rows, null, 2) + '\n');
  // MATRIX_DUMP=<dir>: the raw outcomes (observations) of both sides, for inspection.
  const dir = process.env.MATRIX_DUMP;
  if (dir && outcomes) {
    fs.mkdirSync(dir, { recursive: true });
    const obj = Object.fromEntries([...outcomes].map(([k, v]) => [k, { apache: v.apache, zkts: v.zkts }]));
    fs.writeFileSync(path.join(dir, `${suite}.outcomes.json`), JSON.stringify(obj, null, 2) + '\n');
  }
  regenerateDoc();
}

/**
 * Rewrites docs/COMPATIBILITY.md from all results so far: whichever suite finishes last leaves
 * the complete document, whatever order jest runs the files in (zz-report.test.ts does it too,
 * and checks it).
 */
export function regenerateDoc(): void {
  try {
    execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'gen-compatibility.js')], {
      stdio: 'ignore',
      timeout: 30_000,
    });
  } catch {
    /* zz-report.test.ts reports generator failures */
  }
}

/** Starts Apache and zkts in parallel with the same zoo.cfg extras; runs fn; stops both. */
export async function withPair<T>(
  fn: (apache: RunningServer, zkts: RunningServer) => Promise<T>,
  cfg: Record<string, string> = MATRIX_CFG,
): Promise<T> {
  const started = await Promise.allSettled([startOracle({ cfg }), startZkts({ cfg })]);
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    return await fn(servers[0], servers[1]);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a process to completion (SIGKILL after timeoutMs), feeding `input` on stdin. */
export function runProcess(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<ProcResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...(opts.env ?? {}) },
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 100_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs a zkmatrix python script against one server; returns its rows by id. */
export async function runPythonRows(
  script: string,
  server: RunningServer,
  timeoutMs = 240_000,
): Promise<{ rows: Map<string, Outcome>; run: ProcResult }> {
  const run = await runProcess(PYTHON, [path.join(CLIENTS_DIR, script), server.connectString], {
    timeoutMs,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
  });
  const rows = new Map<string, Outcome>();
  for (const line of run.stdout.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const r = JSON.parse(line) as { row: string } & Outcome;
      rows.set(r.row, { ok: r.ok, obs: r.obs, detail: r.detail, ms: r.ms });
    } catch {
      /* not a row */
    }
  }
  return { rows, run };
}

/** Runs a TS scenario on one server, catching failures into an Outcome. */
export async function outcomeOf(fn: () => Promise<unknown>, timeoutMs = 60_000): Promise<Outcome> {
  const t0 = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const obs = await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`scenario timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, obs, ms: Date.now() - t0 };
  } catch (e) {
    return { ok: false, detail: e instanceof Error ? e.message : String(e), ms: Date.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

export class CheckFailed extends Error {}

export function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new CheckFailed(`check failed: ${what}`);
}

/** Polls pred until truthy (or the deadline); returns its last value. */
export async function waitFor<T>(pred: () => T | Promise<T>, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v || Date.now() >= deadline) return v;
    await sleep(stepMs);
  }
}

/**
 * Declares one jest test per row: Apache must pass (else the scenario itself is broken) and
 * zkts must pass. Known zkts differences run as test.failing.
 */
export function declareRowTests(
  suite: string,
  specs: RowSpec[],
  result: (id: string) => { row: Row; apache?: Outcome; zkts?: Outcome } | undefined,
): void {
  for (const spec of specs) {
    const key = `${suite}:${spec.id}`;
    const known = KNOWN_ZKTS_DIFFERENCES[key];
    const name = `${[spec.client, spec.recipe, spec.scenario].filter(Boolean).join(' / ')}${
      known ? ` (known zkts difference: ${known})` : ''
    }`;
    (known ? test.failing : test)(name, () => {
      const r = result(spec.id);
      expect(r).toBeDefined();
      const { row } = r!;
      expect({ apache: row.apache, note: row.apache === 'pass' ? undefined : row.note }).toEqual({
        apache: 'pass',
        note: undefined,
      });
      expect({ zkts: row.zkts, note: row.zkts === 'pass' ? undefined : row.note }).toEqual({
        zkts: 'pass',
        note: undefined,
      });
    });
  }
}

/**
 * A whole suite driven by one zkmatrix python script: runs it against a fresh Apache and a
 * fresh zkts at the same time, judges each row, writes compat-tests/results/<suite>.json and
 * declares one jest test per row.
 */
export function declarePythonSuite(suite: string, script: string, title: string, specs: RowSpec[]): void {
  const results = new Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>();
  const missing = (stderr: string): Outcome => ({
    ok: false,
    detail: `script printed no row; stderr tail: ${stderr.slice(-800)}`,
  });

  beforeAll(async () => {
    const [a, z] = await withPair((apache, zkts) =>
      Promise.all([runPythonRows(script, apache), runPythonRows(script, zkts)]),
    );
    for (const spec of specs) {
      const ao = a.rows.get(spec.id) ?? missing(a.run.stderr);
      const zo = z.rows.get(spec.id) ?? missing(z.run.stderr);
      results.set(spec.id, { row: judge(spec, ao, zo), apache: ao, zkts: zo });
    }
  }, 300_000);

  afterAll(() => {
    writeResults(suite, specs.map((s) => results.get(s.id)?.row ?? judge(s, undefined, undefined)), results);
  });

  describe(title, () => {
    declareRowTests(suite, specs, (id) => results.get(id));
  });
}

/**
 * A TCP proxy on loopback in front of a server whose link can be cut: cut() destroys every
 * proxied connection and refuses new ones (accept, then close) until restore() — a network
 * partition between one client and the server while its session lives on.
 */
export class LinkProxy {
  private up = true;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly srv: net.Server, readonly port: number) {}

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  static start(target: RunningServer): Promise<LinkProxy> {
    return new Promise((resolve, reject) => {
      let proxy: LinkProxy;
      const srv = net.createServer((client) => {
        if (!proxy.up) {
          client.destroy();
          return;
        }
        const upstream = net.connect({ host: target.host, port: target.port });
        for (const s of [client, upstream]) {
          proxy.sockets.add(s);
          s.on('close', () => proxy.sockets.delete(s));
          s.on('error', () => undefined);
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0 }, () => {
        const addr = srv.address() as net.AddressInfo;
        proxy = new LinkProxy(srv, addr.port);
        resolve(proxy);
      });
    });
  }

  cut(): void {
    this.up = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.up = true;
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.srv.close(() => r()));
  }
}
