/**
 * Lockstep differential runner for generated scenarios: every action runs on Apache ZooKeeper (the oracle)
 * and on zkts at the same time; after each action the new transcript steps must be equal, and after each
 * settle point every connection's received frames (replies and watch events, in arrival order) must be equal.
 * The first difference stops the run and is reported with the seed, the action index and both excerpts.
 *
 * Also: replay of a recorded action list (for minimization) and a ddmin minimizer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { RunningServer, fourLetterWord, startOracle, startZkts } from '../lib/servers';
import { OPEN_ACL, Op, StepRecord, World, dropAndWait, ops } from '../lib/wire';
import { Received } from '../../src/client/rawClient';
import { Action, GenOp, GenOptions, Generator, KNOWN_DIVERGENCES, Rel, SUPER_DIGEST, SUPER_PASSWORD, describe, mk, weight } from './generator';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const REQUEST_TIMEOUT_MS = 4_000;
const CLOSE_WAIT_MS = 3_000;
const PROBE_WAIT_MS = 1_000;

// ---------------------------------------------------------------------------------------------------------
// Servers

export interface Pair {
  apache: RunningServer;
  zkts: RunningServer;
  extended: boolean;
  sweepIntervalMs?: number;
  stop(): Promise<void>;
}

export interface PairOptions {
  extended: boolean;
  sweepIntervalMs?: number;
}

/** System properties both servers get. */
export function pairProps(o: PairOptions): Record<string, string> {
  const props: Record<string, string> = {
    'zookeeper.DigestAuthenticationProvider.superDigest': SUPER_DIGEST,
  };
  if (o.extended) {
    props['zookeeper.extendedTypesEnabled'] = 'true';
    props['znode.container.checkIntervalMs'] = String(o.sweepIntervalMs ?? 100);
  } else {
    // No container sweep during a run: it would run at a wall-clock moment, not at a point of the scenario.
    props['znode.container.checkIntervalMs'] = String(24 * 3600 * 1000);
  }
  return props;
}

/**
 * zoo.cfg entries both servers get. No fsync per txn: a scenario never restarts a server, and an fsync costs
 * ~5 ms per write on both (10x the rest of a request).
 */
export const PAIR_CFG: Record<string, string> = { forceSync: 'no' };

export async function startPair(o: PairOptions): Promise<Pair> {
  const props = pairProps(o);
  const [a, z] = await Promise.allSettled([
    startOracle({ cfg: PAIR_CFG, jvmFlags: Object.entries(props).map(([k, v]) => `-D${k}=${v}`) }),
    startZkts({ cfg: PAIR_CFG, sysProps: props }),
  ]);
  if (a.status === 'rejected' || z.status === 'rejected') {
    if (a.status === 'fulfilled') await a.value.stop();
    if (z.status === 'fulfilled') await z.value.stop();
    throw a.status === 'rejected' ? a.reason : (z as PromiseRejectedResult).reason;
  }
  const apache = a.value;
  const zkts = z.value;
  return { apache, zkts, extended: o.extended, sweepIntervalMs: o.sweepIntervalMs, stop: async () => void (await Promise.all([apache.stop(), zkts.stop()])) };
}

/** Hands out fresh server pairs, starting the next ones while the current one is in use. */
export class PairPool {
  private readonly ready: Promise<Pair>[] = [];
  private readonly stopping = new Set<Promise<void>>();
  constructor(private readonly o: PairOptions) {}
  take(): Promise<Pair> {
    return this.ready.shift() ?? startPair(this.o);
  }
  /** Keeps `depth` pairs starting in the background. */
  prefetch(depth = 1): void {
    while (this.ready.length < depth) {
      const p = startPair(this.o);
      p.catch(() => undefined);
      this.ready.push(p);
    }
  }
  /** Stops a pair in the background (close() waits for it). */
  release(pair: Pair): void {
    const s = pair.stop().catch(() => undefined);
    this.stopping.add(s);
    void s.then(() => this.stopping.delete(s));
  }
  async close(): Promise<void> {
    const pending = this.ready.splice(0);
    await Promise.all(pending.map((n) => n.then((p) => p.stop()).catch(() => undefined)));
    await Promise.all([...this.stopping]);
  }
}

// ---------------------------------------------------------------------------------------------------------
// One server's side

interface Conn {
  name: string;
  client: Session['client'];
  dead: boolean;
}
type Session = Awaited<ReturnType<World['session']>>;

interface Logical {
  name: string;
  sessionId: bigint;
  passwd: Buffer;
  conn: Conn | null;
  reconnects: number;
  alive: boolean;
  lastZxid: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<'timeout'>((r) => (t = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(t));
}

function argsOf(op: Op): unknown {
  if (op.name === 'multi' || op.name === 'multiRead') return (op.value as Op[]).map((o) => ({ op: o.name, ...(argsOf(o) as object) }));
  if (Buffer.isBuffer(op.value)) return { hex: op.value.toString('hex') };
  if (op.value === null || typeof op.value !== 'object') return op.value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op.value)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return out;
}

/** Executes actions against one server, recording everything into its World's transcript. */
export class Runner {
  readonly world: World;
  readonly logical = new Map<string, Logical>();
  /** Every connection ever opened, by transcript name, in opening order. */
  readonly conns: Conn[] = [];

  constructor(
    readonly label: 'apache' | 'zkts',
    readonly port: number,
    /** The container sweep interval of the server (extended types), to know how long "quiet" is. */
    readonly sweepIntervalMs = 100,
    /** Whether the server sweeps containers and TTL nodes during the run (extended types). */
    readonly sweeps = false,
  ) {
    this.world = new World(port);
  }

  get steps(): StepRecord[] {
    return this.world.steps;
  }

  connected(s: string): boolean {
    const l = this.logical.get(s);
    return l !== undefined && l.alive && l.conn !== null && !l.conn.dead;
  }

  private push(st: StepRecord): void {
    this.world.steps.push(st);
  }

  private async connect(name: string, opts: { timeout: number; sessionId?: bigint; passwd?: Buffer }): Promise<Conn | null> {
    try {
      const s = await this.world.session(name, opts);
      const c: Conn = { name, client: s.client, dead: false };
      this.conns.push(c);
      return c;
    } catch (e) {
      this.push({ who: name, op: 'connect', note: `failed: ${(e as Error).message}` });
      return null;
    }
  }

  /** Sends one request and records its reply (or that none came). */
  private async request(l: Logical, c: Conn, op: Op): Promise<void> {
    const rep = await withTimeout(
      c.client.request(op.type, op.rec, op.value, op.xid).catch(() => null),
      REQUEST_TIMEOUT_MS,
    );
    this.recordReply(l, c, op, rep);
  }

  private recordReply(l: Logical, c: Conn, op: Op, rep: { xid: number; zxid: number; err: number; body: Buffer } | null | 'timeout'): void {
    if (rep === null || rep === 'timeout') {
      this.push({ who: c.name, op: op.name, args: argsOf(op), note: rep === null ? 'no reply: connection closed' : 'no reply: timeout' });
      if (rep === 'timeout') c.client.destroy();
      c.dead = true;
      return;
    }
    let result: unknown;
    const multi = op.name === 'multi' || op.name === 'multiRead';
    if ((rep.err === 0 || multi) && op.decode !== undefined && rep.body.length > 0) {
      try {
        result = op.decode(rep.body, this.world);
      } catch (e) {
        result = `undecodable: ${(e as Error).message}`;
      }
    } else if (rep.body.length > 0) {
      result = { rawBody: rep.body.toString('hex') };
    }
    if (rep.zxid > l.lastZxid) l.lastZxid = rep.zxid;
    this.push({ who: c.name, op: op.name, args: argsOf(op), err: rep.err, zxid: rep.zxid, result });
  }

  /** Pings a connection: every frame the server sent before has then arrived. False if it is closed. */
  private async ping(c: Conn): Promise<boolean> {
    if (c.dead) return false;
    const r = await withTimeout(c.client.ping().catch(() => null), REQUEST_TIMEOUT_MS);
    if (r === null || r === 'timeout') {
      if (r === 'timeout') c.client.destroy();
      c.dead = true;
      return false;
    }
    return true;
  }

  private async waitClosed(c: Conn, ms = CLOSE_WAIT_MS): Promise<boolean> {
    const r = await withTimeout(c.client.waitClosed(), ms);
    if (r !== 'timeout') c.dead = true;
    return r !== 'timeout';
  }

  private resolveRel(l: Logical, r: Rel): number {
    if (r.kind === 'last') return l.lastZxid;
    if (r.kind === 'lastMinus') return Math.max(0, l.lastZxid - r.by);
    return r.zxid;
  }

  async exec(a: Action): Promise<void> {
    const l = 's' in a ? this.logical.get(a.s) : undefined;
    const c = l?.alive && l.conn !== null && !l.conn.dead ? l.conn : null;
    switch (a.k) {
      case 'open': {
        if (this.logical.has(a.s)) return;
        const conn = await this.connect(a.s, { timeout: a.timeout });
        const sess = conn?.client.session;
        this.logical.set(a.s, {
          name: a.s,
          sessionId: sess?.sessionId ?? 0n,
          passwd: sess?.passwd ?? Buffer.alloc(16),
          conn,
          reconnects: 0,
          alive: conn !== null,
          lastZxid: 0,
        });
        return;
      }
      case 'op':
        if (l === undefined || c === null) return;
        await this.request(l, c, a.op);
        if (a.closes) {
          // Does the server close the connection after answering? (Apache does after AuthFailed and
          // Unimplemented, a moment after the reply: a ping could still be answered.)
          const closed = await this.waitClosed(c, PROBE_WAIT_MS);
          this.push({ who: c.name, op: 'probe', result: closed ? 'closed' : 'open' });
        }
        return;
      case 'pipeline': {
        if (l === undefined || c === null) return;
        const reps = a.ops.map((op) =>
          withTimeout(
            c.client.request(op.type, op.rec, op.value, op.xid).catch(() => null),
            REQUEST_TIMEOUT_MS,
          ),
        );
        const got = await Promise.all(reps);
        got.forEach((rep, i) => this.recordReply(l, c, a.ops[i], rep));
        return;
      }
      case 'settle':
        await this.settle();
        return;
      case 'sleep':
        await sleep(a.ms);
        await this.quiesce(Math.round(this.sweepIntervalMs * 2.5));
        await this.settle();
        return;
      case 'close': {
        if (l === undefined || c === null) return;
        const r = await withTimeout(
          c.client.request(-11, null, null).catch(() => null),
          REQUEST_TIMEOUT_MS,
        );
        this.push({ who: c.name, op: 'closeSession', err: r === null || r === 'timeout' ? undefined : r.err, zxid: r === null || r === 'timeout' ? undefined : r.zxid, note: r === null ? 'no reply' : r === 'timeout' ? 'timeout' : undefined });
        c.client.destroy();
        c.dead = true;
        l.alive = false;
        l.conn = null;
        return;
      }
      case 'drop': {
        if (l === undefined || c === null) return;
        await this.ping(c);
        await dropAndWait(this.port, c.client);
        c.dead = true;
        l.conn = null;
        this.push({ who: c.name, op: 'drop' });
        return;
      }
      case 'reconnect': {
        if (l === undefined || !l.alive) return;
        const old = c;
        if (old !== null) await this.ping(old);
        const name = `${a.s}#${++l.reconnects}`;
        const passwd = Buffer.from(l.passwd);
        if (a.passwd === 'wrong') passwd[0] ^= 0xff;
        const conn = await this.connect(name, { timeout: a.timeout, sessionId: l.sessionId, passwd });
        if (old !== null) this.push({ who: old.name, op: 'oldConnClosed', result: await this.waitClosed(old) });
        const sess = conn?.client.session;
        if (conn !== null && sess !== undefined && sess !== null && sess.sessionId !== 0n && sess.timeOut > 0) {
          l.conn = conn;
        } else {
          // Refused (wrong password, or the session is gone): the server closes this connection too.
          if (conn !== null) this.push({ who: conn.name, op: 'refusedConnClosed', result: await this.waitClosed(conn) });
          l.conn = null;
          if (sess !== undefined && sess !== null && a.passwd === 'right') l.alive = false;
        }
        return;
      }
      case 'setWatches': {
        if (l === undefined || c === null) return;
        const rel = this.resolveRel(l, a.rel);
        const w = a.lists;
        const op = a.v2 ? ops.setWatches2(rel, w.data, w.exist, w.child, w.persistent, w.recursive) : ops.setWatches(rel, w.data, w.exist, w.child);
        await this.request(l, c, op);
        return;
      }
    }
  }

  /**
   * Waits until the server's zxid has not moved for `quietMs` (container/TTL sweeps are done), asking `srvr`
   * so that nothing shows in any session's stream. Gives up after 10 s (the comparison then tells).
   */
  private async quiesce(quietMs: number): Promise<void> {
    const zxid = async (): Promise<string> => {
      try {
        return /Zxid: (0x[0-9a-f]+)/i.exec(await fourLetterWord('127.0.0.1', this.port, 'srvr', 2000))?.[1] ?? '?';
      } catch {
        return '?';
      }
    };
    const deadline = Date.now() + 10_000;
    let last = await zxid();
    while (Date.now() < deadline) {
      await sleep(quietMs);
      const now = await zxid();
      if (now === last) return;
      last = now;
    }
  }

  /** Pings every live connection in order; records which ones turned out to be closed. */
  async settle(): Promise<void> {
    const closed: string[] = [];
    for (const l of this.logical.values()) {
      const c = l.conn;
      if (c === null || c.dead || !l.alive) continue;
      if (!(await this.ping(c))) {
        closed.push(c.name);
      }
    }
    this.push({ who: '*', op: 'settle', result: closed.length > 0 ? { closedByServer: closed } : undefined });
  }

  /**
   * Walks the whole tree as the super user, level by level (pipelined): getData, getACL and getChildren of
   * every node, so the final state is compared too, not only what the scenario happened to read. With
   * `clean`, then deletes everything but /zookeeper's own nodes (the next seed reuses the servers).
   */
  async audit(clean: boolean): Promise<void> {
    const c = await this.connect('audit', { timeout: 30000 });
    if (c === null) return;
    const l: Logical = { name: 'audit', sessionId: c.client.session?.sessionId ?? 0n, passwd: Buffer.alloc(16), conn: c, reconnects: 0, alive: true, lastZxid: 0 };
    this.logical.set('audit', l);
    await this.request(l, c, ops.auth('digest', SUPER_PASSWORD));
    const all: string[] = [];
    let level = ['/'];
    while (level.length > 0 && !c.dead) {
      all.push(...level);
      const list: Op[] = [];
      for (const p of level) list.push(ops.getData(p, false), ops.getACL(p), ops.getChildren(p, false));
      const from = this.world.steps.length;
      await this.exec({ k: 'pipeline', s: 'audit', ops: list as GenOp[] });
      const next: string[] = [];
      this.world.steps.slice(from).forEach((st, i) => {
        if (i % 3 !== 2 || st.err !== 0 || !Array.isArray(st.result)) return;
        const p = level[Math.floor(i / 3)];
        for (const child of st.result as string[]) next.push(p === '/' ? `/${child}` : `${p}/${child}`);
      });
      level = next;
    }
    if (clean) {
      const keep = new Set(['/', '/zookeeper', '/zookeeper/config', '/zookeeper/quota']);
      const doomed = all.filter((p) => !keep.has(p)).reverse();
      await this.exec({ k: 'pipeline', s: 'audit', ops: [...doomed.map((p) => ops.delete(p, -1)), ops.setACL('/', OPEN_ACL, -1)] as GenOp[] });
    }
    await this.exec({ k: 'close', s: 'audit' });
  }

  /**
   * Reconnects and closes every session that is still alive, then settles. A close that deletes the last
   * ephemeral in a container leaves it to the next sweep; with sweeps on, each close waits for the server to
   * go quiet, so that the container is gone in both servers before the next close takes a zxid (a sweep
   * between two closes on one server and after them on the other made the closes' zxids differ).
   */
  async teardown(): Promise<void> {
    for (const l of this.logical.values()) {
      if (!l.alive) continue;
      if (l.conn === null || l.conn.dead) await this.exec({ k: 'reconnect', s: l.name, passwd: 'right', timeout: 30000 });
      await this.exec({ k: 'close', s: l.name });
      if (this.sweeps) await this.quiesce(Math.round(this.sweepIntervalMs * 2.5));
    }
    await this.settle();
  }

  /** Destroys every socket (after a divergence, or when done). */
  destroyAll(): void {
    for (const c of this.conns) c.client.destroy();
  }

  /** A connection's received frames as in wire.ts transcripts. */
  stream(name: string): unknown[] {
    const c = this.conns.find((x) => x.name === name);
    if (c === undefined) return [];
    return c.client.received.map((r: Received) =>
      r.kind === 'event' ? { event: r.type, state: r.state, path: r.path, zxid: r.zxid } : { reply: r.xid, err: r.err, zxid: r.zxid },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Lockstep driver

export interface Divergence {
  kind: 'steps' | 'stream' | 'error';
  /** Index of the action (in `actions`) after which the difference showed; -1 for teardown. */
  index: number;
  action: string;
  /** What differs, in one line (for signatures). */
  what: string;
  detail: string;
}

export interface SeedResult {
  seed: number;
  actions: Action[];
  requests: number;
  ms: number;
  divergence: Divergence | null;
}

const json = (v: unknown): string => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
/** JSON with long strings abbreviated. */
const brief = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'string' && x.length > 60 ? `${x.slice(0, 24)}…(${x.length} chars)` : x));

/** The fields of two step records that differ, one line each. */
function fieldDiff(a: StepRecord | undefined, b: StepRecord | undefined): string {
  if (a === undefined || b === undefined) return `apache: ${brief(a)}\nzkts:   ${brief(b)}`;
  const lines = [`step: ${brief({ who: a.who, op: a.op, args: a.args })}`];
  for (const k of ['err', 'zxid', 'note', 'result'] as const) {
    if (!isDeepStrictEqual(a[k], b[k])) lines.push(`${k}: apache ${brief(a[k])}`, `${' '.repeat(k.length)}  zkts   ${brief(b[k])}`);
  }
  return lines.join('\n');
}

function firstDiff(a: unknown[], b: unknown[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (!isDeepStrictEqual(a[i], b[i])) return i;
  return -1;
}

/** Which step diverged first, in a form that survives minimization (op and field). */
function stepSignature(a: StepRecord | undefined, b: StepRecord | undefined): string {
  const op = a?.op ?? b?.op ?? '?';
  if (a === undefined || b === undefined) return `${op}: missing step`;
  for (const k of ['op', 'err', 'zxid', 'note', 'result'] as const) {
    if (!isDeepStrictEqual(a[k], b[k])) return `${op}: ${k} differs`;
  }
  return `${op}: differs`;
}

class Lockstep {
  readonly A: Runner;
  readonly Z: Runner;
  /** Per connection: how much of its stream has been compared. */
  private readonly compared = new Map<string, number>();
  /** For each connection, the stream length on Apache after each action (to tell which action a frame followed). */
  private readonly marks: { index: number; lens: Map<string, number> }[] = [];
  readonly actions: Action[] = [];
  /** Milliseconds each server took, summed over actions. */
  timeA = 0;
  timeZ = 0;
  /** The oracle's steps for the last action. */
  lastOracleSteps: StepRecord[] = [];

  constructor(pair: Pair) {
    this.A = new Runner('apache', pair.apache.port, pair.sweepIntervalMs, pair.extended);
    this.Z = new Runner('zkts', pair.zkts.port, pair.sweepIntervalMs, pair.extended);
  }

  /** Runs one action on both servers; returns the divergence, if any. */
  async step(a: Action, index: number): Promise<Divergence | null> {
    this.actions.push(a);
    const a0 = this.A.steps.length;
    const z0 = this.Z.steps.length;
    try {
      const t0 = process.hrtime.bigint();
      await Promise.all([
        this.A.exec(a).then(() => (this.timeA += Number(process.hrtime.bigint() - t0) / 1e6)),
        this.Z.exec(a).then(() => (this.timeZ += Number(process.hrtime.bigint() - t0) / 1e6)),
      ]);
    } catch (e) {
      return { kind: 'error', index, action: describe(a), what: `exception ${(e as Error).message}`, detail: String((e as Error).stack) };
    }
    const as = this.A.steps.slice(a0);
    const zs = this.Z.steps.slice(z0);
    this.lastOracleSteps = as;
    this.mark(index);
    if (!isDeepStrictEqual(as, zs)) {
      const i = firstDiff(as, zs);
      return {
        kind: 'steps',
        index,
        action: describe(a),
        what: stepSignature(as[i], zs[i]),
        detail: fieldDiff(as[i], zs[i]) + (as.length > 1 ? `\n(step ${i} of ${as.length} for this action)` : ''),
      };
    }
    // Streams only at settle points: an event for another connection may still be on its way otherwise.
    if (a.k === 'settle' || a.k === 'sleep') return this.compareStreams(index, a);
    return null;
  }

  private mark(index: number): void {
    const lens = new Map<string, number>();
    for (const c of this.A.conns) lens.set(c.name, c.client.received.length);
    this.marks.push({ index, lens });
  }

  /** After a settle point: every frame every connection received must be the same. */
  compareStreams(index: number, a: Action | null): Divergence | null {
    const names = new Set([...this.A.conns.map((c) => c.name), ...this.Z.conns.map((c) => c.name)]);
    for (const name of names) {
      const from = this.compared.get(name) ?? 0;
      const sa = this.A.stream(name);
      const sz = this.Z.stream(name);
      const i = firstDiff(sa.slice(from), sz.slice(from));
      if (i < 0) {
        this.compared.set(name, sa.length);
        continue;
      }
      const k = from + i;
      // The action during which Apache's frame k arrived.
      let after = -1;
      for (const m of this.marks) {
        if ((m.lens.get(name) ?? 0) > k) {
          after = m.index;
          break;
        }
      }
      const around = (s: unknown[]) => s.slice(Math.max(0, k - 3), k + 4).map((x, j) => `      [${Math.max(0, k - 3) + j}] ${json(x)}`).join('\n');
      const fa = sa[k] as Record<string, unknown> | undefined;
      const fz = sz[k] as Record<string, unknown> | undefined;
      return {
        kind: 'stream',
        index,
        action: a === null ? 'teardown' : describe(a),
        what: `stream: ${fa?.event !== undefined || fz?.event !== undefined ? 'event' : 'reply'} differs`,
        detail:
          `connection ${name}, frame ${k} (it arrived on Apache during action #${after}${after >= 0 && after < this.actions.length ? `: ${describe(this.actions[after])}` : ''})\n` +
          `    apache frames ${Math.max(0, k - 3)}..:\n${around(sa)}\n    zkts frames ${Math.max(0, k - 3)}..:\n${around(sz)}`,
      };
    }
    return null;
  }

  async teardown(opts: { sleepMs?: number; clean?: boolean } = {}): Promise<Divergence | null> {
    const a0 = this.A.steps.length;
    const z0 = this.Z.steps.length;
    await Promise.all([this.A.teardown(), this.Z.teardown()]);
    // Closing sessions deleted ephemerals: let container/TTL sweeps finish before looking at the tree.
    if (opts.sleepMs) await Promise.all([this.A.exec({ k: 'sleep', ms: opts.sleepMs }), this.Z.exec({ k: 'sleep', ms: opts.sleepMs })]);
    await Promise.all([this.A.audit(opts.clean ?? false), this.Z.audit(opts.clean ?? false)]);
    const as = this.A.steps.slice(a0);
    const zs = this.Z.steps.slice(z0);
    if (!isDeepStrictEqual(as, zs)) {
      const i = firstDiff(as, zs);
      return { kind: 'steps', index: -1, action: 'teardown (close every session, then audit the tree as super)', what: stepSignature(as[i], zs[i]), detail: fieldDiff(as[i], zs[i]) };
    }
    return this.compareStreams(-1, null);
  }

  destroy(): void {
    this.A.destroyAll();
    this.Z.destroyAll();
  }
}

/** Runs one seed: generates actions from the oracle's replies and runs each on both servers. */
/** How long to let sweeps run after the last session closed (extended types only). */
// Generous: on a loaded machine Apache's container sweep can run late, and a txn it makes after the audit
// started (a container reaped, or refused as not empty) shows as a zxid difference that is only timing.
const teardownSleep = (pair: Pair): number => (pair.extended ? 500 + (pair.sweepIntervalMs ?? 100) * 6 : 0);

export async function runSeed(
  seed: number,
  gopts: GenOptions,
  pair: Pair,
  opts: { profile?: Map<string, { n: number; ms: number }>; reuse?: boolean } = {},
): Promise<SeedResult> {
  const profile = opts.profile;
  const t0 = Date.now();
  const gen = new Generator(seed, gopts);
  const ls = new Lockstep(pair);
  let divergence: Divergence | null = null;
  let requests = 0;
  try {
    for (let i = 0; ; i++) {
      const a = gen.next({ connected: (s) => ls.A.connected(s) });
      if (a === null) break;
      requests += weight(a);
      const t = Date.now();
      divergence = await ls.step(a, i);
      if (profile !== undefined) {
        const key = a.k === 'op' ? `op:${a.op.name}${a.closes ? '(probe)' : ''}` : a.k;
        const e = profile.get(key) ?? { n: 0, ms: 0 };
        e.n++;
        e.ms += Date.now() - t;
        profile.set(key, e);
      }
      if (divergence !== null) break;
      gen.observe(a, ls.lastOracleSteps);
    }
    if (divergence === null) divergence = await ls.teardown({ sleepMs: teardownSleep(pair), clean: opts.reuse });
  } finally {
    ls.destroy();
  }
  profile?.set('server time: apache', { n: 0, ms: Math.round(ls.timeA) });
  profile?.set('server time: zkts', { n: 0, ms: Math.round(ls.timeZ) });
  return { seed, actions: ls.actions, requests, ms: Date.now() - t0, divergence };
}

export interface ReplayResult {
  divergence: Divergence | null;
  apache: StepRecord[];
  zkts: StepRecord[];
}

/** Replays a recorded action list on a pair (no generator). */
export async function replay(actions: Action[], pair: Pair): Promise<ReplayResult> {
  const ls = new Lockstep(pair);
  let divergence: Divergence | null = null;
  try {
    for (let i = 0; i < actions.length && divergence === null; i++) divergence = await ls.step(actions[i], i);
    if (divergence === null) divergence = await ls.teardown({ sleepMs: teardownSleep(pair) });
  } finally {
    ls.destroy();
  }
  return { divergence, apache: ls.A.steps, zkts: ls.Z.steps };
}

// ---------------------------------------------------------------------------------------------------------
// Reporting

export function report(r: SeedResult, gopts: GenOptions, minimized?: { actions: Action[]; divergence: Divergence; run: ReplayResult } | null): string {
  const d = r.divergence!;
  const lines: string[] = [];
  lines.push(`DIVERGENCE seed=${r.seed} (extended=${gopts.extended}, ops=${gopts.ops}${gopts.exclude?.length ? `, exclude=${gopts.exclude.join(',')}` : ''})`);
  lines.push(`  first differing ${d.kind} after action #${d.index}: ${d.action}`);
  lines.push(`  ${d.what}`);
  lines.push(...d.detail.split('\n').map((x) => `  ${x}`));
  const from = Math.max(0, (d.index < 0 ? r.actions.length : d.index) - 12);
  lines.push(`  preceding actions:`);
  for (let i = from; i < Math.min(r.actions.length, d.index < 0 ? r.actions.length : d.index + 1); i++) lines.push(`    #${i} ${describe(r.actions[i])}`);
  if (minimized) {
    lines.push(`  minimized to ${minimized.actions.length} actions (${minimized.divergence.what}):`);
    minimized.actions.forEach((a, i) => lines.push(`    #${i} ${describe(a)}`));
    lines.push(...minimized.divergence.detail.split('\n').map((x) => `    ${x}`));
    lines.push('  minimized transcripts (apache | zkts where different):');
    const { apache, zkts } = minimized.run;
    for (let i = 0; i < Math.max(apache.length, zkts.length); i++) {
      const same = isDeepStrictEqual(apache[i], zkts[i]);
      lines.push(`    ${same ? ' ' : '≠'} ${brief(apache[i])}`);
      if (!same) lines.push(`      zkts: ${brief(zkts[i])}`);
    }
  }
  const excl = (gopts.exclude ?? []).join(',');
  const exclEnv = excl === KNOWN_DIVERGENCES.join(',') ? '' : ` RANDOM_EXCLUDE=${JSON.stringify(excl)}`;
  lines.push(
    `  rerun: RANDOM_SEEDS=1 RANDOM_SEED_START=${r.seed} RANDOM_OPS=${gopts.ops} RANDOM_EXTENDED=${gopts.extended ? 1 : 0}${exclEnv} RANDOM_MINIMIZE=1 ` +
      `npx jest --config compat-tests/jest.config.js compat-tests/random/random.test.ts --testPathIgnorePatterns=/node_modules/`,
  );
  return lines.join('\n');
}

/** Writes the full action list of a failing seed for later inspection; returns the file. */
export function dumpActions(r: SeedResult, gopts: GenOptions): string {
  const dir = process.env.RANDOM_OUT_DIR ?? path.join(os.tmpdir(), 'zkts-random');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `seed-${r.seed}${gopts.extended ? '-ext' : ''}.txt`);
  fs.writeFileSync(file, r.actions.map((a, i) => `#${i} ${describe(a)}`).join('\n') + '\n');
  return file;
}

// ---------------------------------------------------------------------------------------------------------
// Minimization (ddmin over actions, then inside pipelines and multis; a fresh server pair per trial)

/** Classic ddmin: a smallest-by-chunks sublist for which `fails` still holds. */
async function ddmin<T>(items: T[], fails: (c: T[]) => Promise<boolean>, budget: () => boolean): Promise<T[]> {
  let best = items;
  let n = 2;
  while (best.length >= 2 && budget()) {
    const chunk = Math.ceil(best.length / n);
    let reduced = false;
    for (let i = 0; i < best.length && budget(); i += chunk) {
      const cand = [...best.slice(0, i), ...best.slice(i + chunk)];
      if (await fails(cand)) {
        best = cand;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= best.length) break;
      n = Math.min(best.length, n * 2);
    }
  }
  if (best.length === 1 && budget() && (await fails([]))) return [];
  return best;
}

/**
 * Drops what a replay would skip anyway or what cannot matter: actions of sessions that are never opened,
 * settles before anything happened and repeated settles.
 */
function normalize(list: Action[]): Action[] {
  const opened = new Set<string>();
  const out: Action[] = [];
  for (const a of list) {
    if (a.k === 'open') opened.add(a.s);
    else if ('s' in a && !opened.has(a.s)) continue;
    if (a.k === 'settle' && (out.length === 0 || out[out.length - 1].k === 'settle' || out[out.length - 1].k === 'sleep')) continue;
    out.push(a);
  }
  return out;
}

export async function minimize(
  actions: Action[],
  target: Divergence,
  pool: PairPool,
  opts: { maxTrials?: number; log?: (s: string) => void } = {},
): Promise<{ actions: Action[]; divergence: Divergence; run: ReplayResult; trials: number }> {
  const maxTrials = opts.maxTrials ?? 400;
  let trials = 0;
  let last: ReplayResult | null = null;
  const budget = (): boolean => trials < maxTrials;
  const run = async (cand: Action[]): Promise<ReplayResult | null> => {
    trials++;
    const pair = await pool.take();
    pool.prefetch(2);
    try {
      const r = await replay(cand, pair);
      return r.divergence !== null && r.divergence.what === target.what ? r : null;
    } finally {
      pool.release(pair);
    }
  };
  /** Runs a candidate; on failure remembers it, cut after the diverging action. */
  let best = normalize(actions.slice(0, target.index < 0 ? actions.length : target.index + 1));
  const fails = async (candidate: Action[]): Promise<boolean> => {
    const cand = normalize(candidate);
    if (cand.length === 0) return false;
    const r = await run(cand);
    if (r === null) return false;
    last = r;
    best = r.divergence!.index >= 0 ? cand.slice(0, r.divergence!.index + 1) : cand;
    return true;
  };

  const outer = async (): Promise<void> => {
    const before = best.length;
    await ddmin(best, fails, budget);
    if (best.length !== before) opts.log?.(`minimize: ${best.length} actions after ${trials} trials`);
  };
  // Whole sessions first: all of one logical session's actions, then all settles.
  const names = [...new Set(best.flatMap((a) => ('s' in a ? [a.s] : [])))];
  for (const name of names) {
    if (!budget()) break;
    if (await fails(best.filter((a) => !('s' in a) || a.s !== name))) opts.log?.(`minimize: without session ${name}: ${best.length} actions after ${trials} trials`);
  }
  await outer();
  // Inside pipelines and multis: drop requests, and turn a one-request pipeline into a plain request.
  for (let i = 0; i < best.length && budget(); i++) {
    const a = best[i];
    const at = (x: Action): Action[] => [...best.slice(0, i), x, ...best.slice(i + 1)];
    if (a.k === 'pipeline' && a.ops.length > 1) {
      const keep = best;
      const okOps = await ddmin(a.ops, async (o) => o.length > 0 && (await fails(at({ ...a, ops: o }))) , budget);
      if (best === keep) continue;
      opts.log?.(`minimize: pipeline #${i} down to ${okOps.length} requests after ${trials} trials`);
    }
    const b = best[i];
    if (b !== undefined && b.k === 'pipeline' && b.ops.length === 1) await fails(at({ k: 'op', s: b.s, op: b.ops[0] }));
    const c = best[i];
    if (c !== undefined && c.k === 'op' && (c.op.name === 'multi' || c.op.name === 'multiRead')) {
      const name = c.op.name as 'multi' | 'multiRead';
      const subs = c.op.value as GenOp[];
      if (subs.length > 1) {
        await ddmin(subs, async (o) => fails(at({ ...c, op: mk(name, o) })), budget);
        opts.log?.(`minimize: ${name} #${i} down after ${trials} trials`);
      }
    }
  }
  await outer();
  const final: ReplayResult = last ?? (await run(best)) ?? { divergence: target, apache: [], zkts: [] };
  return { actions: best, divergence: final.divergence ?? target, run: final, trials };
}
