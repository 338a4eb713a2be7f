/**
 * Shared helpers for the integration suites: a promise wrapper around node-zookeeper-client (which
 * ships no typings), raw-socket utilities, and a few wire-level builders for RawClient.
 */
import * as net from 'net';
import { RawClient, decodeBody } from '../../src/client/rawClient';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';

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
  on(event: string, listener: (...args: unknown[]) => void): void;
  once(event: string, listener: (...args: unknown[]) => void): void;
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

/**
 * A promise-returning facade over one node-zookeeper-client session. Rejections are the library's
 * Exception objects (with .code).
 */
export class Zk {
  constructor(readonly c: ZkRawClient) {}

  static async connect(connectString: string, sessionTimeout = 4000): Promise<Zk> {
    const c = zookeeper.createClient(connectString, { sessionTimeout, spinDelay: 100, retries: 0 });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`node-zookeeper-client did not connect to ${connectString}`)), 5000);
      c.once('connected', () => {
        clearTimeout(t);
        resolve();
      });
      c.connect();
    });
    return new Zk(c);
  }

  /** Closes the session and waits until the socket is gone (or 2 s passed). */
  async close(): Promise<void> {
    const c = this.c;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
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

  create(path: string, data: Buffer | null | undefined, mode: number = zookeeper.CreateMode.PERSISTENT, acls: ZkAcl[] = zookeeper.ACL.OPEN_ACL_UNSAFE): Promise<string> {
    return new Promise((resolve, reject) =>
      this.c.create(path, data as Buffer, acls, mode, (e: ZkException | null, p: string) => (e ? reject(e) : resolve(p))),
    );
  }

  remove(path: string, version = -1): Promise<void> {
    return new Promise((resolve, reject) => this.c.remove(path, version, (e) => (e ? reject(e) : resolve())));
  }

  setData(path: string, data: Buffer | null, version = -1): Promise<ZkStat> {
    return new Promise((resolve, reject) => this.c.setData(path, data, version, (e, s) => (e ? reject(e) : resolve(s))));
  }

  getData(path: string, watcher?: (ev: ZkEvent) => void): Promise<{ data: Buffer | undefined; stat: ZkStat }> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, data: Buffer | undefined, stat: ZkStat) => (e ? reject(e) : resolve({ data, stat }));
      if (watcher) this.c.getData(path, watcher, cb);
      else this.c.getData(path, cb);
    });
  }

  exists(path: string, watcher?: (ev: ZkEvent) => void): Promise<ZkStat | null> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, stat: ZkStat | null) => (e ? reject(e) : resolve(stat));
      if (watcher) this.c.exists(path, watcher, cb);
      else this.c.exists(path, cb);
    });
  }

  getChildren(path: string, watcher?: (ev: ZkEvent) => void): Promise<{ children: string[]; stat: ZkStat }> {
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

  mkdirp(path: string, data?: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      const cb = (e: ZkException | null, p: string) => (e ? reject(e) : resolve(p));
      if (data) this.c.mkdirp(path, data, cb);
      else this.c.mkdirp(path, cb);
    });
  }

  /** Commits a transaction; resolves with the error (or null) and the per-op results. */
  commit(t: ZkTransaction): Promise<{ error: ZkException | null; results: TxnResult[] }> {
    return new Promise((resolve) => t.commit((error, results) => resolve({ error: error ?? null, results })));
  }
}

/** Resolves with the code of the rejection; fails if the promise resolves. */
export async function errorCode(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    const code = (e as ZkException).code;
    if (typeof code !== 'number') throw e;
    return code;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

/** Polls until pred() is true; rejects after timeoutMs. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Races a promise against a timeout. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

// ---- raw sockets

export function openSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Everything the peer sends until it closes the connection; rejects if it stays open for `ms`. */
export function readUntilClosed(s: net.Socket, ms = 2000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`connection still open after ${ms} ms`));
    }, ms);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => undefined);
    s.once('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks));
    });
  });
}

/** Sends a four-letter word on a fresh connection and returns the whole reply. */
export async function fourLetterWord(port: number, word: string): Promise<string> {
  const s = await openSocket(port);
  const done = readUntilClosed(s);
  s.write(word, 'latin1');
  return (await done).toString('utf8');
}

export function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

/** A complete ConnectRequest frame (length prefix included), with the trailing readOnly byte. */
export function connectRequestFrame(timeout = 30000, sessionId = 0n, passwd: Buffer = Buffer.alloc(16)): Buffer {
  const w = new JuteWriter(64);
  const at = w.beginFrame();
  R.ConnectRequest.write(w, { protocolVersion: 0, lastZxidSeen: 0n, timeOut: timeout, sessionId, passwd });
  w.writeBool(false);
  w.endFrame(at);
  return Buffer.from(w.toBuffer());
}

// ---- RawClient shorthands

export const OPEN_ACL: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export const Flags = { PERSISTENT: 0, EPHEMERAL: 1, SEQUENTIAL: 2, EPHEMERAL_SEQUENTIAL: 3 } as const;

export function rawCreate(c: RawClient, path: string, data: Buffer | null = null, flags = 0) {
  return c.request(OpCode.create, R.CreateRequest, { path, data, acl: OPEN_ACL, flags });
}

export function rawGetData(c: RawClient, path: string, watch = false) {
  return c.request(OpCode.getData, R.GetDataRequest, { path, watch });
}

export function rawSetData(c: RawClient, path: string, data: Buffer, version = -1) {
  return c.request(OpCode.setData, R.SetDataRequest, { path, data, version });
}

export function rawExists(c: RawClient, path: string, watch = false) {
  return c.request(OpCode.exists, R.GetDataRequest, { path, watch });
}

export function decodeGetData(body: Buffer): R.GetDataResponse {
  return decodeBody(R.GetDataResponse, body);
}

export function decodeCreate(body: Buffer): R.CreateResponse {
  return decodeBody(R.CreateResponse, body);
}

/** Connects a RawClient and registers it for cleanup. */
export async function rawConnect(list: RawClient[], opts: Parameters<typeof RawClient.connect>[0]): Promise<RawClient> {
  const c = await RawClient.connect(opts);
  list.push(c);
  return c;
}

/** Closes every raw client and socket in the lists (idempotent). */
export function destroyAll(raws: RawClient[], sockets: net.Socket[] = []): void {
  for (const c of raws.splice(0)) c.destroy();
  for (const s of sockets.splice(0)) s.destroy();
}
