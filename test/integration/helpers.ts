/**
 * Shared helpers for the integration suites: the promise wrapper around node-zookeeper-client
 * (nzc.ts, re-exported), raw-socket utilities, and a few wire-level builders for RawClient.
 */
import * as net from 'net';
import { RawClient, decodeBody } from '../../src/client/rawClient';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import type { ZkException } from './nzc';

// The node-zookeeper-client facade lives in nzc.ts (the compatibility matrix uses it too).
export * from './nzc';

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

/**
 * One TestingServer for the describe block it is called in, and the raw clients a test pushes onto
 * `raws`, destroyed after each test. `server()` is the running server (from beforeAll on).
 */
export function rawClientFixture(): { server: () => TestingServer; raws: RawClient[] } {
  let ts: TestingServer | undefined;
  const raws: RawClient[] = [];
  beforeAll(async () => {
    ts = await TestingServer.start();
  });
  afterEach(() => destroyAll(raws));
  afterAll(async () => {
    await ts?.stop();
  });
  return { server: () => ts!, raws };
}

/** A RawClient's socket, to cork it (one write for a burst) or pause it (a client that does not read). */
export function socketOf(c: RawClient): net.Socket {
  return (c as unknown as { socket: net.Socket }).socket;
}
