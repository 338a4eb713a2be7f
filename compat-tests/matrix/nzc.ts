/**
 * A promise facade over node-zookeeper-client (which ships no typings) for the matrix
 * scenarios, with a crash helper: `crash()` destroys the client's socket and keeps it from
 * reconnecting, so the server sees the connection drop while the session lives on until it
 * expires (a crashed process, as a real deployment sees one). `revive()` lets it reconnect,
 * to see what the crashed client itself is told (EXPIRED).
 */
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const nzc = require('node-zookeeper-client') as NzcModule;
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const NZC_VERSION: string = require('node-zookeeper-client/package.json').version;

export interface Stat {
  czxid: Buffer;
  mzxid: Buffer;
  ctime: Buffer;
  mtime: Buffer;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: Buffer;
  dataLength: number;
  numChildren: number;
  pzxid: Buffer;
}

export interface ZkEvent {
  type: number;
  name: string;
  path: string;
}

export interface ZkError extends Error {
  code: number;
  name: string;
}

export interface Id {
  scheme: string;
  id: string;
}

export interface Acl {
  permission: number;
  id: Id;
}

export interface TxnResult {
  type: number;
  err?: number;
  path?: string;
  stat?: Stat;
}

export interface Transaction {
  create(path: string, data?: Buffer | null, acls?: Acl[], mode?: number): Transaction;
  check(path: string, version?: number): Transaction;
  setData(path: string, data: Buffer | null, version?: number): Transaction;
  remove(path: string, version?: number): Transaction;
  commit(cb: (error: ZkError | null, results: TxnResult[]) => void): void;
}

interface RawClient {
  connect(): void;
  close(): void;
  on(event: string, listener: (...args: any[]) => void): void;
  once(event: string, listener: (...args: any[]) => void): void;
  removeListener(event: string, listener: (...args: any[]) => void): void;
  getState(): { name: string; code: number };
  getSessionId(): Buffer;
  getSessionTimeout(): number;
  addAuthInfo(scheme: string, auth: Buffer): void;
  create(path: string, ...args: unknown[]): void;
  remove(path: string, version: number, cb: (error: ZkError | null) => void): void;
  setData(path: string, data: Buffer | null, version: number, cb: (error: ZkError | null, stat: Stat) => void): void;
  getData(path: string, ...args: unknown[]): void;
  exists(path: string, ...args: unknown[]): void;
  getChildren(path: string, ...args: unknown[]): void;
  getACL(path: string, cb: (error: ZkError | null, acls: Acl[], stat: Stat) => void): void;
  setACL(path: string, acls: Acl[], version: number, cb: (error: ZkError | null, stat: Stat) => void): void;
  mkdirp(path: string, ...args: unknown[]): void;
  transaction(): Transaction;
  connectionManager: { socket?: { destroy(): void }; connect: () => void };
}

export interface NzcModule {
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): RawClient;
  ACL: { OPEN_ACL_UNSAFE: Acl[]; READ_ACL_UNSAFE: Acl[]; CREATOR_ALL_ACL: Acl[] } & (new (perm: number, id: Id) => Acl);
  Id: new (scheme: string, id: string) => Id;
  Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  Event: { NODE_CREATED: number; NODE_DELETED: number; NODE_DATA_CHANGED: number; NODE_CHILDREN_CHANGED: number };
  Exception: Record<string, number>;
}

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

export type Watcher = (ev: ZkEvent) => void;

export class Zk {
  readonly states: string[] = [];
  private crashed = false;

  private constructor(readonly c: RawClient) {
    c.on('state', (s: { name: string }) => this.states.push(s.name));
  }

  static async connect(connectString: string, sessionTimeout = 8000): Promise<Zk> {
    const c = nzc.createClient(connectString, { sessionTimeout, spinDelay: 100, retries: 0 });
    const zk = new Zk(c);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node-zookeeper-client did not connect to ${connectString}`)), 10_000);
      c.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      c.connect();
    });
    return zk;
  }

  get sessionId(): bigint {
    return this.c.getSessionId().readBigInt64BE(0);
  }

  get sessionTimeout(): number {
    return this.c.getSessionTimeout();
  }

  /** Closes the session (waits until the socket is gone, at most 3 s). */
  async close(): Promise<void> {
    if (this.crashed || this.states.includes('EXPIRED')) return;
    const c = this.c;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 3000);
      c.once('disconnected', () => {
        clearTimeout(t);
        resolve();
      });
      c.close();
    });
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

  /** Simulates a network blip: the socket dies, the client reconnects with the same session. */
  dropConnection(): void {
    this.c.connectionManager.socket?.destroy();
  }

  addAuth(scheme: string, auth: string): void {
    this.c.addAuthInfo(scheme, Buffer.from(auth));
  }

  create(path: string, data: Buffer | string | null = null, mode: number = Mode.PERSISTENT, acls: Acl[] = nzc.ACL.OPEN_ACL_UNSAFE): Promise<string> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) =>
      this.c.create(path, d as Buffer, acls, mode, (e: ZkError | null, p: string) => (e ? reject(e) : resolve(p))),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.c.remove(path, version, (e) => (e ? reject(e) : resolve())));
  }

  setData(path: string, data: Buffer | string | null, version = -1): Promise<Stat> {
    const d = typeof data === 'string' ? Buffer.from(data) : data;
    return new Promise((resolve, reject) => this.c.setData(path, d, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  getData(path: string, watcher?: Watcher): Promise<{ data: string | null; stat: Stat }> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkError | null, data: Buffer | undefined, stat: Stat): void =>
        e ? reject(e) : resolve({ data: data ? data.toString() : null, stat });
      if (watcher) this.c.getData(path, watcher, cb);
      else this.c.getData(path, cb);
    });
  }

  exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkError | null, stat: Stat | null): void => (e ? reject(e) : resolve(stat ?? null));
      if (watcher) this.c.exists(path, watcher, cb);
      else this.c.exists(path, cb);
    });
  }

  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.getChildren2(path, watcher).then((r) => r.children);
  }

  getChildren2(path: string, watcher?: Watcher): Promise<{ children: string[]; stat: Stat }> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkError | null, children: string[], stat: Stat): void => (e ? reject(e) : resolve({ children, stat }));
      if (watcher) this.c.getChildren(path, watcher, cb);
      else this.c.getChildren(path, cb);
    });
  }

  getACL(path: string): Promise<{ acls: Acl[]; stat: Stat }> {
    return new Promise((resolve, reject) => this.c.getACL(path, (e, acls, stat) => (e ? reject(e) : resolve({ acls, stat }))));
  }

  setACL(path: string, acls: Acl[], version = -1): Promise<Stat> {
    return new Promise((resolve, reject) => this.c.setACL(path, acls, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  mkdirp(path: string, data?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkError | null, p: string): void => (e ? reject(e) : resolve(p));
      if (data !== undefined) this.c.mkdirp(path, Buffer.from(data), cb);
      else this.c.mkdirp(path, cb);
    });
  }

  transaction(): Transaction {
    return this.c.transaction();
  }

  /** Commits; resolves with the error name (or 'OK') and per-op results. */
  commit(t: Transaction): Promise<{ error: string; results: TxnResult[] }> {
    return new Promise((resolve) =>
      t.commit((error, results) => resolve({ error: error ? errName(error.code) : 'OK', results: results ?? [] })),
    );
  }
}

/** The error name a promise rejects with ('OK' if it resolves). */
export async function outcomeCode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    const code = (e as ZkError).code;
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
