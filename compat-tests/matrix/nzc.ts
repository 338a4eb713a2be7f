/**
 * The compatibility matrix's view of node-zookeeper-client: the promise facade of the integration
 * suites (test/integration/nzc.ts), plus a crash helper: `crash()` destroys the client's socket
 * and keeps it from reconnecting, so the server sees the connection drop while the session lives
 * on until it expires (a crashed process, as a real deployment sees one). `revive()` lets it
 * reconnect, to see what the crashed client itself is told (EXPIRED). Data reads come back as
 * strings and failures as error names, the way the matrix rows record them.
 */
import { TxnResult, Zk as BaseZk, ZkEvent, ZkException, ZkStat, ZkTransaction, ZkWatcher, zookeeper } from '../../test/integration/nzc';

export type { TxnResult } from '../../test/integration/nzc';
export type Stat = ZkStat;
export type Watcher = ZkWatcher;
export const nzc = zookeeper;
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const NZC_VERSION: string = require('node-zookeeper-client/package.json').version;

export const Mode = nzc.CreateMode;
export const Ex = nzc.Exception as Record<string, number>;

/** Name of a node-zookeeper-client error code (e.g. -101 → NO_NODE). */
export function errName(code: number): string {
  for (const [k, v] of Object.entries(Ex)) if (v === code && /^[A-Z_]+$/.test(k)) return k;
  return String(code);
}

export const long = (b: Buffer): number => Number(b.readBigInt64BE(0));

/** The deterministic part of a Stat; zxids relative to `base` (a zxid of the scenario). */
export function statObs(s: Stat | null | undefined, base = 0): Record<string, unknown> | null {
  if (!s) return null;
  const rel = (b: Buffer): number => {
    const z = long(b);
    return z === 0 ? 0 : z - base;
  };
  return {
    czxid: rel(s.czxid),
    mzxid: rel(s.mzxid),
    pzxid: rel(s.pzxid),
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeral: long(s.ephemeralOwner) !== 0,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

export class Zk extends BaseZk {
  readonly states: string[] = [];
  private crashed = false;

  constructor(c: BaseZk['c']) {
    super(c);
    c.on('state', (s: { name: string }) => this.states.push(s.name));
  }

  /** Connects with the matrix's defaults: an 8 s session, 10 s to connect. */
  static open(connectString: string, sessionTimeout = 8000): Promise<Zk> {
    return Zk.connect(connectString, sessionTimeout, 10_000);
  }

  /** Closes the session (waits until the socket is gone, at most 3 s); nothing to do once crashed or expired. */
  override async close(): Promise<void> {
    if (this.crashed || this.states.includes('EXPIRED')) return;
    await super.close(3000);
  }

  /** Crash: drop the connection without closing the session, and never reconnect. */
  crash(): void {
    this.crashed = true;
    const cm = this.c.connectionManager;
    cm.connect = () => undefined;
    cm.socket?.destroy();
  }

  /** Lets a crashed client reconnect (with its old session); resolves with the next state. */
  revive(timeoutMs = 10_000): Promise<string> {
    const cm = this.c.connectionManager as unknown as { connect: unknown };
    delete cm.connect; // back to the prototype's connect
    this.crashed = false;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.c.removeListener('state', on);
        resolve('TIMEOUT');
      }, timeoutMs);
      const on = (s: { name: string }): void => {
        if (s.name === 'DISCONNECTED') return;
        clearTimeout(t);
        this.c.removeListener('state', on);
        resolve(s.name);
      };
      this.c.on('state', on);
      (this.c.connectionManager.connect as () => void)();
    });
  }

  /** getData with the data as a string (null when the node has none). */
  async getText(path: string, watcher?: Watcher): Promise<{ data: string | null; stat: Stat }> {
    const { data, stat } = await this.getData(path, watcher);
    return { data: data ? data.toString() : null, stat };
  }

  /** getChildren, the names only. */
  async childNames(path: string, watcher?: Watcher): Promise<string[]> {
    return (await this.getChildren(path, watcher)).children;
  }

  /** Commits; resolves with the error name (or 'OK') and per-op results. */
  async commitNamed(t: ZkTransaction): Promise<{ error: string; results: TxnResult[] }> {
    const { error, results } = await this.commit(t);
    return { error: error ? errName(error.code) : 'OK', results: results ?? [] };
  }
}

/** The error name a promise rejects with ('OK' if it resolves). */
export async function outcomeCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    const code = (e as ZkException).code;
    if (typeof code !== 'number') throw e;
    return errName(code);
  }
}

/** Collects one-shot watch events as "<TYPE> <path>" strings. */
export class EventLog {
  readonly events: string[] = [];
  private waiters: Array<() => void> = [];

  watcher(tag = ''): Watcher {
    return (ev: ZkEvent) => {
      this.events.push(`${tag}${ev.name} ${ev.path}`);
      for (const w of this.waiters.splice(0)) w();
    };
  }

  /** Waits until at least n events arrived (or the timeout). */
  async waitCount(n: number, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }
}
