import { BenchConnection } from './conn';
import { Histogram, HistogramSnapshot } from './histogram';
import { issue, makeValue, Rng, SessionCursor, WorkloadSpec } from './workload';

/** What one group of sessions (one worker thread, or the main thread) is asked to run. */
export interface GroupSpec {
  host: string;
  port: number;
  /** Global indices of the sessions this group runs. */
  sessions: number[];
  inflight: number;
  workload: WorkloadSpec;
  /** Requests per session at most (warmup included). */
  maxOpsPerSession: number;
  sessionTimeoutMs: number;
  /** How long to wait for requests still in flight at the end before counting them as timeouts. */
  drainMs: number;
}

export interface GroupResult {
  /** Replies received inside the measuring window. */
  ops: number;
  /** Every reply received, warmup and drain included. */
  replies: number;
  sent: number;
  /** Replies with a non-zero err, by code, over the whole run. */
  errorCodes: Record<string, number>;
  errors: number;
  /** Requests never answered (drain timeout or lost connection). */
  unanswered: number;
  connectionsLost: number;
  xidMismatches: number;
  hist: HistogramSnapshot;
  readHist: HistogramSnapshot;
  writeHist: HistogramSnapshot;
  /** Epoch ms of the last reply counted in the window (for runs that end early). */
  lastInWindow: number;
  /** Per session: requests issued (create/delete: how many nodes it made or removed). */
  issued: Record<number, number>;
}

/** Shared progress counters: [replies, errors] per group slot, readable from the main thread. */
export type ProgressCells = Float64Array;

interface Sess {
  conn: BenchConnection;
  cur: SessionCursor;
  done: boolean;
}

/**
 * Runs a set of sessions: each keeps `inflight` requests outstanding; each reply triggers the next
 * request. Measures replies that arrive inside [measureAt, endAt).
 */
export class SessionGroup {
  private readonly spec: GroupSpec;
  private readonly value: Buffer;
  private sess: Sess[] = [];
  private readonly hist = new Histogram();
  private readonly readHist = new Histogram();
  private readonly writeHist = new Histogram();
  private ops = 0;
  private replies = 0;
  private sent = 0;
  private errors = 0;
  private unanswered = 0;
  private connectionsLost = 0;
  private readonly errorCodes: Record<string, number> = {};
  private lastInWindow = 0;
  private measureLocal = Infinity;
  private endLocal = Infinity;
  private stopping = false;
  private finish: (() => void) | null = null;
  private readonly progress: ProgressCells | null;
  private readonly slot: number;

  constructor(spec: GroupSpec, progress: ProgressCells | null = null, slot = 0) {
    this.spec = spec;
    this.value = makeValue(spec.workload.valueSize);
    this.progress = progress;
    this.slot = slot;
  }

  /** Connects every session of the group (a few at a time). */
  async connect(): Promise<void> {
    const { host, port, sessionTimeoutMs } = this.spec;
    const ids = this.spec.sessions;
    const conns: BenchConnection[] = new Array(ids.length);
    let next = 0;
    const connectOne = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        conns[i] = await BenchConnection.connect({ host, port, sessionTimeoutMs });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(8, ids.length) }, connectOne));
    } catch (e) {
      for (const c of conns) c?.destroy();
      throw e;
    }
    this.sess = ids.map((g, i) => ({
      conn: conns[i],
      cur: { session: g, rng: new Rng(0x5bd1e995 ^ (g * 2654435761)), seq: 0 },
      done: false,
    }));
  }

  /**
   * Runs the load: starts at once, measures from measureAt, stops issuing at endAt (epoch ms),
   * waits for the replies in flight, closes the sessions and returns the counts.
   */
  async run(measureAt: number, endAt: number): Promise<GroupResult> {
    const origin = performance.timeOrigin;
    this.measureLocal = measureAt - origin;
    this.endLocal = endAt - origin;
    const finished = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    for (const s of this.sess) {
      const conn = s.conn;
      let writesInFlight: number[] = [];
      const track = this.spec.workload.op === 'mix';
      conn.onReply = (err, latencyMs, now) => {
        const write = track ? writesInFlight.shift() === 1 : false;
        this.replies++;
        if (err !== 0) {
          this.errors++;
          const k = String(err);
          this.errorCodes[k] = (this.errorCodes[k] ?? 0) + 1;
        }
        if (now >= this.measureLocal && now < this.endLocal) {
          this.ops++;
          const us = latencyMs * 1000;
          this.hist.record(us);
          if (track) (write ? this.writeHist : this.readHist).record(us);
          this.lastInWindow = now;
        }
        if (this.progress !== null) {
          this.progress[this.slot * 2] = this.replies;
          this.progress[this.slot * 2 + 1] = this.errors;
        }
        this.pump(s, now, track ? writesInFlight : null);
        if (conn.inflight === 0) this.checkDone();
      };
      conn.onClose = () => {
        if (!s.done) {
          this.connectionsLost++;
          this.unanswered += conn.inflight;
          s.done = true;
          writesInFlight = [];
        }
        this.checkDone();
      };
      conn.cork();
      this.pump(s, performance.now(), track ? writesInFlight : null);
      conn.uncork();
    }
    const stopTimer = setTimeout(() => this.stop(), Math.max(0, endAt - Date.now()));
    let drainTimer: NodeJS.Timeout | null = null;
    const drained = new Promise<void>((resolve) => {
      drainTimer = setTimeout(resolve, Math.max(0, endAt - Date.now()) + this.spec.drainMs);
    });
    this.checkDone();
    await Promise.race([finished, drained]);
    clearTimeout(stopTimer);
    if (drainTimer !== null) clearTimeout(drainTimer);
    this.stopping = true;
    for (const s of this.sess) {
      if (!s.done && s.conn.inflight > 0) this.unanswered += s.conn.inflight;
      s.done = true;
    }
    await Promise.all(this.sess.map((s) => s.conn.close(1000).catch(() => undefined)));
    const issued: Record<number, number> = {};
    for (const s of this.sess) issued[s.cur.session] = s.cur.seq;
    return {
      ops: this.ops,
      replies: this.replies,
      sent: this.sent,
      errorCodes: this.errorCodes,
      errors: this.errors,
      unanswered: this.unanswered,
      connectionsLost: this.connectionsLost,
      xidMismatches: this.sess.reduce((n, s) => n + s.conn.xidMismatches, 0),
      hist: this.hist.snapshot(),
      readHist: this.readHist.snapshot(),
      writeHist: this.writeHist.snapshot(),
      lastInWindow: this.lastInWindow > 0 ? this.lastInWindow + performance.timeOrigin : 0,
      issued,
    };
  }

  /** Stops issuing; the run ends when the replies in flight are in (or the drain time is up). */
  stop(): void {
    this.stopping = true;
    this.checkDone();
  }

  private pump(s: Sess, now: number, writes: number[] | null): void {
    if (s.done) return;
    const { inflight, maxOpsPerSession, workload } = this.spec;
    if (now >= this.endLocal) this.stopping = true;
    if (this.stopping || s.conn.closed) return;
    while (s.conn.inflight < inflight && s.cur.seq < maxOpsPerSession) {
      const w = issue(s.conn, workload, s.cur, this.value, now);
      if (writes !== null) writes.push(w ? 1 : 0);
      this.sent++;
    }
  }

  private checkDone(): void {
    if (this.finish === null) return;
    for (const s of this.sess) {
      if (s.done || s.conn.closed) continue;
      if (s.conn.inflight > 0) return;
      // Idle: finished only if it can issue no more.
      if (!this.stopping && s.cur.seq < this.spec.maxOpsPerSession) return;
    }
    const f = this.finish;
    this.finish = null;
    f();
  }
}
