/**
 * Differential wire-level scenarios: the same requests, byte for byte, to Apache ZooKeeper and to zkts,
 * with every reply and watch event decoded into a transcript that can be compared with toEqual.
 * Only what legitimately differs between two servers is normalized: session ids (named A, B, ...),
 * passwords and wall-clock times. Zxids, error codes, Stat fields and event order are compared as is.
 */
import { RawClient, Received, decodeBody } from '../../src/client/rawClient';
import { JuteWriter } from '../../src/jute/writer';
import * as R from '../../src/jute/records';
import { FieldType } from '../../src/jute/schema';
import { OpCode } from '../../src/protocol/opCodes';
import { fourLetterWord } from './servers';

export const OPEN_ACL: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

export interface Op {
  name: string;
  type: number;
  rec: FieldType<any> | null;
  value: any;
  decode?: (body: Buffer, w: World) => unknown;
  xid?: number;
}

export function normStat(s: R.Stat, w: World): Record<string, unknown> {
  return {
    czxid: s.czxid,
    mzxid: s.mzxid,
    // Wall-clock times differ between runs; whether they are set and ordered does not.
    ctime: s.ctime === 0 ? 0 : 'T',
    mtime: s.mtime === 0 ? 0 : s.mtime >= s.ctime ? 'T>=ctime' : 'T<ctime',
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner: w.nameOf(s.ephemeralOwner),
    dataLength: s.dataLength,
    numChildren: s.numChildren,
    pzxid: s.pzxid,
  };
}

const buf = (d: string | Buffer | null | undefined): Buffer | null => (d === null || d === undefined ? null : Buffer.isBuffer(d) ? d : Buffer.from(d));
const str = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

/** Request builders: one per opcode, each knowing how to decode its reply. */
export const ops = {
  create: (path: string, data: string | Buffer | null = '', flags = 0, acl: R.ACL[] | null = OPEN_ACL): Op => ({
    name: 'create',
    type: OpCode.create,
    rec: R.CreateRequest,
    value: { path, data: buf(data), acl, flags },
    decode: (b) => decodeBody(R.CreateResponse, b).path,
  }),
  create2: (path: string, data: string | Buffer | null = '', flags = 0, acl: R.ACL[] | null = OPEN_ACL, type: number = OpCode.create2): Op => ({
    name: 'create2',
    type,
    rec: R.CreateRequest,
    value: { path, data: buf(data), acl, flags },
    decode: (b, w) => {
      const r = decodeBody(R.Create2Response, b);
      return { path: r.path, stat: normStat(r.stat, w) };
    },
  }),
  createContainer: (path: string, data = '', acl: R.ACL[] = OPEN_ACL): Op => ({ ...ops.create2(path, data, 4, acl, OpCode.createContainer), name: 'createContainer' }),
  createTTL: (path: string, data: string, flags: number, ttl: number, acl: R.ACL[] = OPEN_ACL): Op => ({
    name: 'createTTL',
    type: OpCode.createTTL,
    rec: R.CreateTTLRequest,
    value: { path, data: buf(data), acl, flags, ttl },
    decode: (b, w) => {
      const r = decodeBody(R.Create2Response, b);
      return { path: r.path, stat: normStat(r.stat, w) };
    },
  }),
  delete: (path: string, version = -1): Op => ({ name: 'delete', type: OpCode.delete, rec: R.DeleteRequest, value: { path, version } }),
  exists: (path: string, watch = false): Op => ({
    name: 'exists',
    type: OpCode.exists,
    rec: R.PathWatchRequest,
    value: { path, watch },
    decode: (b, w) => normStat(decodeBody(R.SetDataResponse, b).stat, w),
  }),
  getData: (path: string, watch = false): Op => ({
    name: 'getData',
    type: OpCode.getData,
    rec: R.PathWatchRequest,
    value: { path, watch },
    decode: (b, w) => {
      const r = decodeBody(R.GetDataResponse, b);
      return { data: str(r.data), stat: normStat(r.stat, w) };
    },
  }),
  setData: (path: string, data: string | Buffer | null, version = -1): Op => ({
    name: 'setData',
    type: OpCode.setData,
    rec: R.SetDataRequest,
    value: { path, data: buf(data), version },
    decode: (b, w) => normStat(decodeBody(R.SetDataResponse, b).stat, w),
  }),
  getACL: (path: string): Op => ({
    name: 'getACL',
    type: OpCode.getACL,
    rec: R.PathRequest,
    value: { path },
    decode: (b, w) => {
      const r = decodeBody(R.GetACLResponse, b);
      return { acl: r.acl, stat: normStat(r.stat, w) };
    },
  }),
  setACL: (path: string, acl: R.ACL[] | null, version = -1): Op => ({
    name: 'setACL',
    type: OpCode.setACL,
    rec: R.SetACLRequest,
    value: { path, acl, version },
    decode: (b, w) => normStat(decodeBody(R.SetDataResponse, b).stat, w),
  }),
  getChildren: (path: string, watch = false): Op => ({
    name: 'getChildren',
    type: OpCode.getChildren,
    rec: R.PathWatchRequest,
    value: { path, watch },
    // Unsorted on purpose: zkts reproduces the order of Apache's HashSet.
    decode: (b) => decodeBody(R.GetChildrenResponse, b).children,
  }),
  getChildren2: (path: string, watch = false): Op => ({
    name: 'getChildren2',
    type: OpCode.getChildren2,
    rec: R.PathWatchRequest,
    value: { path, watch },
    decode: (b, w) => {
      const r = decodeBody(R.GetChildren2Response, b);
      return { children: r.children, stat: normStat(r.stat, w) };
    },
  }),
  sync: (path: string): Op => ({ name: 'sync', type: OpCode.sync, rec: R.PathRequest, value: { path }, decode: (b) => decodeBody(R.PathRequest, b).path }),
  check: (path: string, version: number): Op => ({ name: 'check', type: OpCode.check, rec: R.CheckVersionRequest, value: { path, version }, decode: (b) => b.toString('hex') }),
  getAllChildrenNumber: (path: string): Op => ({
    name: 'getAllChildrenNumber',
    type: OpCode.getAllChildrenNumber,
    rec: R.PathRequest,
    value: { path },
    decode: (b) => decodeBody(R.GetAllChildrenNumberResponse, b).totalNumber,
  }),
  getEphemerals: (prefix: string): Op => ({
    name: 'getEphemerals',
    type: OpCode.getEphemerals,
    rec: R.PathRequest,
    value: { path: prefix },
    decode: (b) => decodeBody(R.GetEphemeralsResponse, b).ephemerals,
  }),
  whoAmI: (): Op => ({ name: 'whoAmI', type: OpCode.whoAmI, rec: null, value: null, decode: (b) => decodeBody(R.WhoAmIResponse, b).clientInfo }),
  addWatch: (path: string, mode: number): Op => ({ name: 'addWatch', type: OpCode.addWatch, rec: R.AddWatchRequest, value: { path, mode }, decode: (b) => b.toString('hex') }),
  removeWatches: (path: string, type: number): Op => ({ name: 'removeWatches', type: OpCode.removeWatches, rec: R.WatchesRequest, value: { path, type } }),
  checkWatches: (path: string, type: number): Op => ({ name: 'checkWatches', type: OpCode.checkWatches, rec: R.WatchesRequest, value: { path, type } }),
  setWatches: (relativeZxid: number, data: string[], exist: string[], child: string[]): Op => ({
    name: 'setWatches',
    type: OpCode.setWatches,
    rec: R.SetWatches,
    value: { relativeZxid, dataWatches: data, existWatches: exist, childWatches: child },
    xid: -8,
  }),
  setWatches2: (relativeZxid: number, data: string[], exist: string[], child: string[], persistent: string[], recursive: string[]): Op => ({
    name: 'setWatches2',
    type: OpCode.setWatches2,
    rec: R.SetWatches2,
    value: { relativeZxid, dataWatches: data, existWatches: exist, childWatches: child, persistentWatches: persistent, persistentRecursiveWatches: recursive },
    xid: -8,
  }),
  auth: (scheme: string, auth: string): Op => ({ name: 'auth', type: OpCode.auth, rec: R.AuthPacket, value: { type: 0, scheme, auth: Buffer.from(auth) }, xid: -4 }),
  multi: (sub: Op[]): Op => ({ name: 'multi', type: OpCode.multi, rec: multiRecord, value: sub, decode: (b, w) => decodeMulti(b, w) }),
  multiRead: (sub: Op[]): Op => ({ name: 'multiRead', type: OpCode.multiRead, rec: multiRecord, value: sub, decode: (b, w) => decodeMulti(b, w) }),
  /** Any opcode with a hand-made body. */
  raw: (type: number, body: Buffer, name = `raw(${type})`): Op => ({ name, type, rec: rawRecord, value: body, decode: (b) => b.toString('hex') }),
};

const rawRecord: FieldType<Buffer> = {
  name: 'raw',
  read: () => Buffer.alloc(0),
  write: (w: JuteWriter, v: Buffer) => w.writeRaw(v),
};

const multiRecord: FieldType<Op[]> = {
  name: 'MultiOperationRecord',
  read: () => [],
  write(w: JuteWriter, sub: Op[]) {
    for (const op of sub) {
      w.writeInt(op.type);
      w.writeBool(false);
      w.writeInt(-1);
      op.rec?.write(w, op.value);
    }
    w.writeInt(-1);
    w.writeBool(true);
    w.writeInt(-1);
  },
};

/**
 * A multi/multiRead reply: every result type Apache can put there, trailing bytes reported, never raw bytes
 * holding wall-clock times.
 */
function decodeMulti(body: Buffer, w: World): unknown[] {
  const { JuteReader } = require('../../src/jute/reader') as typeof import('../../src/jute/reader');
  const r = new JuteReader(body, 0, body.length, 0x7fffffff);
  const out: unknown[] = [];
  try {
    for (;;) {
      const h = R.MultiHeader.read(r);
      if (h.done) {
        out.push({ end: h });
        if (r.remaining > 0) out.push({ trailing: body.subarray(r.offset).toString('hex') });
        break;
      }
      switch (h.type) {
        case OpCode.create:
          out.push({ type: h.type, err: h.err, path: r.readString() });
          break;
        case OpCode.create2:
        case OpCode.createContainer:
        case OpCode.createTTL: {
          const path = r.readString();
          out.push({ type: h.type, err: h.err, path, stat: normStat(R.Stat.read(r), w) });
          break;
        }
        case OpCode.setData:
          out.push({ type: h.type, err: h.err, stat: normStat(R.Stat.read(r), w) });
          break;
        case OpCode.getData: {
          const data = r.readBuffer();
          out.push({ type: h.type, err: h.err, data: str(data), stat: normStat(R.Stat.read(r), w) });
          break;
        }
        case OpCode.getChildren: {
          const n = r.readVectorLength();
          const c: (string | null)[] = [];
          for (let i = 0; i < n; i++) c.push(r.readString());
          out.push({ type: h.type, err: h.err, children: c });
          break;
        }
        case OpCode.error:
          out.push({ type: h.type, err: h.err, body: r.readInt() });
          break;
        case OpCode.delete:
        case OpCode.check:
          out.push({ type: h.type, err: h.err });
          break;
        default:
          out.push({ type: h.type, err: h.err, unknownRest: r.remaining });
          return out;
      }
    }
  } catch (e) {
    out.push({ undecodable: String((e as Error).message) });
  }
  return out;
}

export interface StepRecord {
  who: string;
  op: string;
  args?: unknown;
  err?: number;
  zxid?: number;
  result?: unknown;
  note?: string;
}

/** A named client session whose replies and events are recorded into its World's transcript. */
export class Session {
  constructor(
    readonly name: string,
    readonly client: RawClient,
    private readonly world: World,
  ) {}

  async run(op: Op): Promise<StepRecord> {
    const rep = await this.client.request(op.type, op.rec, op.value, op.xid);
    return this.world.record(this.name, op, rep);
  }

  /** Sends all ops back to back before reading any reply (pipelining), then records them in order. */
  async pipeline(list: Op[]): Promise<StepRecord[]> {
    const promises = list.map((op) => this.client.request(op.type, op.rec, op.value, op.xid));
    const reps = await Promise.all(promises);
    return reps.map((rep, i) => this.world.record(this.name, list[i], rep));
  }

  async close(): Promise<void> {
    const err = await this.client.closeSession();
    this.world.steps.push({ who: this.name, op: 'closeSession', err });
  }

  /** Drops the TCP connection, leaving the session to expire; returns once the server has noticed. */
  async drop(): Promise<void> {
    await dropAndWait(this.world.port, this.client);
    this.world.steps.push({ who: this.name, op: 'drop' });
  }
}

export class World {
  readonly steps: StepRecord[] = [];
  readonly sessions = new Map<string, Session>();
  private readonly names = new Map<bigint, string>();

  constructor(readonly port: number) {}

  nameOf(owner: bigint): string {
    if (owner === 0n) return '0';
    return this.names.get(owner) ?? `0x${BigInt.asUintN(64, owner).toString(16)}`;
  }

  async session(name: string, opts: { timeout?: number; sessionId?: bigint; passwd?: Buffer; readOnly?: boolean | null } = {}): Promise<Session> {
    const client = await RawClient.connect({ port: this.port, timeout: opts.timeout ?? 30000, sessionId: opts.sessionId, passwd: opts.passwd, readOnly: opts.readOnly });
    const s = client.session!;
    if (s.sessionId !== 0n && !this.names.has(s.sessionId)) this.names.set(s.sessionId, name);
    this.steps.push({
      who: name,
      op: 'connect',
      result: { protocolVersion: s.protocolVersion, timeOut: s.timeOut, sessionId: this.nameOf(s.sessionId), passwdLength: s.passwd.length, readOnly: s.readOnly },
    });
    const sess = new Session(name, client, this);
    this.sessions.set(name, sess);
    return sess;
  }

  record(who: string, op: Op, rep: { xid: number; zxid: number; err: number; body: Buffer }): StepRecord {
    let result: unknown;
    if (rep.err === 0 && op.decode !== undefined) {
      try {
        result = op.decode(rep.body, this);
      } catch (e) {
        result = `undecodable: ${rep.body.toString('hex')}`;
      }
    } else if (rep.body.length > 0) {
      result = { rawBody: rep.body.toString('hex') };
    }
    const step: StepRecord = { who, op: op.name, args: argsOf(op), err: rep.err, zxid: rep.zxid, result };
    this.steps.push(step);
    return step;
  }

  /** Pings every open session so that all events sent so far have arrived. */
  async settle(): Promise<void> {
    for (const s of this.sessions.values()) {
      if (!s.client.closed) await s.client.ping().catch(() => undefined);
    }
  }

  /** The whole transcript: steps, plus each session's received frames (events in order among replies). */
  transcript(): unknown {
    const streams: Record<string, unknown[]> = {};
    for (const [name, s] of this.sessions) {
      streams[name] = s.client.received.map((r: Received) =>
        r.kind === 'event' ? { event: r.type, state: r.state, path: r.path, zxid: r.zxid } : { reply: r.xid, err: r.err },
      );
    }
    return { steps: this.steps, streams };
  }

  async closeAll(): Promise<void> {
    for (const s of this.sessions.values()) {
      if (!s.client.closed) await s.close().catch(() => undefined);
    }
  }
}

function argsOf(op: Op): unknown {
  if (op.name === 'multi' || op.name === 'multiRead') return (op.value as Op[]).map((o) => ({ op: o.name, ...argsOf(o) as object }));
  if (op.rec === rawRecord) return { hex: (op.value as Buffer).toString('hex') };
  if (op.value === null || typeof op.value !== 'object') return op.value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(op.value)) out[k] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
  return out;
}

/**
 * Closes a client's socket and waits until the server no longer lists the connection (4lw `cons`). Servers
 * notice a closed socket on their own schedule; what a later reconnect of the same session does depends on
 * whether that happened first (Apache unregisters the session when any of its connections closes), so
 * differential tests make it happen first on both servers.
 */
export async function dropAndWait(port: number, client: RawClient, timeoutMs = 5_000): Promise<boolean> {
  const local = client.localPort;
  client.destroy();
  if (local === undefined) return true;
  const needle = `:${local}[`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const cons = await fourLetterWord('127.0.0.1', port, 'cons', 2_000).catch(() => null);
    if (cons !== null && !cons.includes(needle)) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return false;
}

/** Runs one scenario against a server and returns its transcript. */
export async function runScenario(port: number, scenario: (w: World) => Promise<void>): Promise<unknown> {
  const w = new World(port);
  try {
    await scenario(w);
    await w.settle();
  } catch (e) {
    // Say which server and where: the steps so far and each stream's last frames.
    const t = w.transcript() as { steps: StepRecord[]; streams: Record<string, unknown[]> };
    const tail = { steps: t.steps.slice(-8), streams: Object.fromEntries(Object.entries(t.streams).map(([k, v]) => [k, v.slice(-4)])) };
    throw new Error(`port ${port}: ${(e as Error).message}\n${JSON.stringify(tail, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1)}`);
  } finally {
    await w.closeAll();
  }
  return w.transcript();
}
