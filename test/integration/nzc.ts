/**
 * A promise facade over node-zookeeper-client (which ships no typings), shared by the integration
 * suites (through helpers.ts) and the compatibility matrix (compat-tests/matrix/nzc.ts, which adds
 * crashing a client on top).
 */

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const zookeeper = require('node-zookeeper-client') as ZkModule;

// ---- light local typings for node-zookeeper-client

export interface ZkStat {
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
  getType(): number;
  getName(): string;
  getPath(): string;
}

export type ZkWatcher = (ev: ZkEvent) => void;

export interface ZkException extends Error {
  code: number;
  getCode(): number;
  getName(): string;
}

export interface ZkId {
  scheme: string;
  id: string;
}

export interface ZkAcl {
  permission: number;
  id: ZkId;
}

export type ZkCallback<T> = (error: ZkException | null, result: T, extra?: unknown) => void;

export interface ZkTransaction {
  create(path: string, data?: Buffer | null, acls?: ZkAcl[], mode?: number): ZkTransaction;
  check(path: string, version?: number): ZkTransaction;
  setData(path: string, data: Buffer | null, version?: number): ZkTransaction;
  remove(path: string, version?: number): ZkTransaction;
  commit(cb: (error: ZkException | null, results: TxnResult[]) => void): void;
}

export interface TxnResult {
  type: number;
  err?: number;
  path?: string;
  stat?: ZkStat;
}

export interface ZkRawClient {
  connect(): void;
  close(): void;
  /* eslint-disable @typescript-eslint/no-explicit-any */
  on(event: string, listener: (...args: any[]) => void): void;
  once(event: string, listener: (...args: any[]) => void): void;
  removeListener(event: string, listener: (...args: any[]) => void): void;
  /* eslint-enable @typescript-eslint/no-explicit-any */
  getState(): { name: string; code: number };
  getSessionId(): Buffer;
  getSessionPassword(): Buffer;
  getSessionTimeout(): number;
  addAuthInfo(scheme: string, auth: Buffer): void;
  // The library sorts its optional arguments by type; these are the forms the tests use.
  create(path: string, ...args: unknown[]): void;
  remove(path: string, version: number, cb: (error: ZkException | null) => void): void;
  setData(path: string, data: Buffer | null, version: number, cb: (error: ZkException | null, stat: ZkStat) => void): void;
  getData(path: string, ...args: unknown[]): void;
  exists(path: string, ...args: unknown[]): void;
  getChildren(path: string, ...args: unknown[]): void;
  getACL(path: string, cb: (error: ZkException | null, acls: ZkAcl[], stat: ZkStat) => void): void;
  setACL(path: string, acls: ZkAcl[], version: number, cb: (error: ZkException | null, stat: ZkStat) => void): void;
  mkdirp(path: string, ...args: unknown[]): void;
  transaction(): ZkTransaction;
  /** The library's internals, for dropping the connection on purpose. */
  connectionManager: { socket?: { destroy(): void }; connect: () => void };
}

export interface ZkModule {
  createClient(connectString: string, options?: { sessionTimeout?: number; spinDelay?: number; retries?: number }): ZkRawClient;
  ACL: { OPEN_ACL_UNSAFE: ZkAcl[]; READ_ACL_UNSAFE: ZkAcl[]; CREATOR_ALL_ACL: ZkAcl[] } & (new (perm: number, id: ZkId) => ZkAcl);
  Id: new (scheme: string, id: string) => ZkId;
  Permission: { READ: number; WRITE: number; CREATE: number; DELETE: number; ADMIN: number; ALL: number };
  CreateMode: { PERSISTENT: number; EPHEMERAL: number; PERSISTENT_SEQUENTIAL: number; EPHEMERAL_SEQUENTIAL: number };
  Event: { NODE_CREATED: number; NODE_DELETED: number; NODE_DATA_CHANGED: number; NODE_CHILDREN_CHANGED: number };
  Exception: Record<string, number>;
}

export const Exception = zookeeper.Exception as {
  OK: number;
  NO_NODE: number;
  NODE_EXISTS: number;
  NOT_EMPTY: number;
  BAD_VERSION: number;
  NO_CHILDREN_FOR_EPHEMERALS: number;
  RUNTIME_INCONSISTENCY: number;
  NO_AUTH: number;
  INVALID_ACL: number;
};

/** The long fields of node-zookeeper-client's Stat are 8-byte big-endian buffers. */
export function long(b: Buffer): bigint {
  return b.readBigInt64BE(0);
}

const bytes = (data: Buffer | string | null | undefined): Buffer | null | undefined => (typeof data === 'string' ? Buffer.from(data) : data);

/**
 * A promise-returning facade over one node-zookeeper-client session. Rejections are the library's
 * Exception objects (with .code). Data may be given as a string (written as UTF-8).
 */
export class Zk {
  constructor(readonly c: ZkRawClient) {}

  /** Connects a new session (of this class or a subclass); rejects if not connected within connectWaitMs. */
  static async connect<T extends Zk>(
    this: new (c: ZkRawClient) => T,
    connectString: string,
    sessionTimeout = 4000,
    connectWaitMs = 5000,
  ): Promise<T> {
    const c = zookeeper.createClient(connectString, { sessionTimeout, spinDelay: 100, retries: 0 });
    const zk = new this(c);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node-zookeeper-client did not connect to ${connectString}`)), connectWaitMs);
      c.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      c.connect();
    });
    return zk;
  }

  /** Closes the session and waits until the socket is gone (or waitMs passed). */
  async close(waitMs = 2000): Promise<void> {
    const c = this.c;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      c.once('disconnected', () => {
        clearTimeout(t);
        resolve();
      });
      c.close();
    });
  }

  get sessionId(): bigint {
    return this.c.getSessionId().readBigInt64BE(0);
  }

  get sessionTimeout(): number {
    return this.c.getSessionTimeout();
  }

  addAuth(scheme: string, auth: string): void {
    this.c.addAuthInfo(scheme, Buffer.from(auth));
  }

  create(path: string, data: Buffer | string | null = null, mode: number = zookeeper.CreateMode.PERSISTENT, acls: ZkAcl[] = zookeeper.ACL.OPEN_ACL_UNSAFE): Promise<string> {
    return new Promise((resolve, reject) =>
      this.c.create(path, bytes(data) as Buffer, acls, mode, (e: ZkException | null, p: string) => (e ? reject(e) : resolve(p))),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.c.remove(path, version, (e) => (e ? reject(e) : resolve())));
  }

  setData(path: string, data: Buffer | string | null, version = -1): Promise<ZkStat> {
    return new Promise((resolve, reject) => this.c.setData(path, bytes(data) ?? null, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  getData(path: string, watcher?: ZkWatcher): Promise<{ data: Buffer | undefined; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, data: Buffer | undefined, stat: ZkStat) => (e ? reject(e) : resolve({ data, stat }));
      if (watcher) this.c.getData(path, watcher, cb);
      else this.c.getData(path, cb);
    });
  }

  exists(path: string, watcher?: ZkWatcher): Promise<ZkStat | null> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, stat: ZkStat | null) => (e ? reject(e) : resolve(stat ?? null));
      if (watcher) this.c.exists(path, watcher, cb);
      else this.c.exists(path, cb);
    });
  }

  getChildren(path: string, watcher?: ZkWatcher): Promise<{ children: string[]; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, children: string[], stat: ZkStat) => (e ? reject(e) : resolve({ children, stat }));
      if (watcher) this.c.getChildren(path, watcher, cb);
      else this.c.getChildren(path, cb);
    });
  }

  getACL(path: string): Promise<{ acls: ZkAcl[]; stat: ZkStat }> {
    return new Promise((resolve, reject) => this.c.getACL(path, (e, acls, stat) => (e ? reject(e) : resolve({ acls, stat }))));
  }

  setACL(path: string, acls: ZkAcl[], version = -1): Promise<ZkStat> {
    return new Promise((resolve, reject) => this.c.setACL(path, acls, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  mkdirp(path: string, data?: Buffer | string): Promise<string> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, p: string) => (e ? reject(e) : resolve(p));
      if (data !== undefined) this.c.mkdirp(path, bytes(data), cb);
      else this.c.mkdirp(path, cb);
    });
  }

  transaction(): ZkTransaction {
    return this.c.transaction();
  }

  /** Commits a transaction; resolves with the error (or null) and the per-op results. */
  commit(t: ZkTransaction): Promise<{ error: ZkException | null; results: TxnResult[] }> {
    return new Promise((resolve) => t.commit((error, results) => resolve({ error: error ?? null, results })));
  }
}
