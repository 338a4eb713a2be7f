/**
 * Seeded random scenario generator for the differential tester (random.test.ts, runner.ts).
 *
 * A seed drives a mulberry32 PRNG that emits one Action at a time: wire requests from compat-tests/lib/wire.ts
 * over a small, colliding path universe, multi/multiRead, pipelined bursts, ACLs and auth, every kind of
 * watch, session close/drop/reconnect with setWatches(2), settle points and (extended types) sleeps that let
 * container and TTL sweeps happen while nothing else runs.
 *
 * The generator is interactive: after each action it observes the oracle's (Apache's) replies to track which
 * nodes plausibly exist, their versions, which connections are alive, and so on. Both servers therefore get
 * exactly the same byte stream as long as they agree, and the first disagreement is reported by the runner.
 *
 * Legitimately nondeterministic things are kept out: wall-clock expiry (TTL and container sweeps happen only
 * during explicit sleeps; session timeouts never elapse), and cross-session ordering (only one session talks
 * at a time; pipelines are per session).
 */
import * as crypto from 'node:crypto';
import { normStat, Op, OPEN_ACL, StepRecord, World, ops } from '../lib/wire';
import { mulberry32 } from '../lib/prng';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';

// ---------------------------------------------------------------------------------------------------------
// PRNG

export class Rng {
  private readonly f: () => number;
  constructor(seed: number) {
    this.f = mulberry32(seed);
  }
  next(): number {
    return this.f();
  }
  /** 0 <= n < max */
  int(max: number): number {
    return Math.floor(this.f() * max);
  }
  /** lo <= n <= hi */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.f() < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  /** Picks a value by weight; entries with weight 0 are never chosen. */
  weighted<T>(list: readonly (readonly [number, T])[]): T {
    let total = 0;
    for (const [w] of list) total += w;
    let x = this.f() * total;
    for (const [w, v] of list) {
      if (w <= 0) continue;
      if (x < w) return v;
      x -= w;
    }
    return list[list.length - 1][1];
  }
  subset<T>(a: readonly T[], p: number): T[] {
    return a.filter(() => this.chance(p));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ops with a printable form

/** An Op that knows how to print itself as a call on `ops` (so a failing action can be pasted into a test). */
export type GenOp = Op & { call: string };

/** A string literal; long runs of one character print as "x".repeat(n). */
function strLit(s: string): string {
  if (s.length < 40) return JSON.stringify(s);
  const parts: string[] = [];
  const re = /(.)\1{15,}/gsu;
  let last = 0;
  for (const m of s.matchAll(re)) {
    if (m.index! > last) parts.push(JSON.stringify(s.slice(last, m.index)));
    parts.push(`${JSON.stringify(m[1])}.repeat(${m[0].length / m[1].length})`);
    last = m.index! + m[0].length;
  }
  if (last < s.length) parts.push(JSON.stringify(s.slice(last)));
  return parts.join(' + ');
}

function lit(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return strLit(v);
  if (Buffer.isBuffer(v)) return `Buffer.from('${v.toString('hex')}', 'hex')`;
  if (v !== null && typeof v === 'object' && 'call' in v) return (v as GenOp).call;
  if (Array.isArray(v)) return `[${v.map(lit).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${lit(x)}`).join(', ')} }`;
  return JSON.stringify(v);
}

/** Builds ops.<name>(...args) and remembers how it was built. */
export function mk(name: keyof typeof ops, ...args: unknown[]): GenOp {
  const op = (ops[name] as (...a: unknown[]) => Op)(...args) as GenOp;
  op.call = `ops.${name}(${args.map(lit).join(', ')})`;
  return op;
}

// ---------------------------------------------------------------------------------------------------------
// Actions

export type Rel = { kind: 'last' } | { kind: 'lastMinus'; by: number } | { kind: 'abs'; zxid: number };

export interface WatchLists {
  data: string[];
  exist: string[];
  child: string[];
  persistent: string[];
  recursive: string[];
}

/**
 * One step of a scenario. Sessions are logical names ('A', 'B', ...): a logical session keeps its server
 * session across reconnects; its connections are named A, A#1, A#2, ... in the transcript.
 */
export type Action =
  | { k: 'open'; s: string; timeout: number }
  | { k: 'op'; s: string; op: GenOp; closes?: boolean }
  | { k: 'pipeline'; s: string; ops: GenOp[] }
  | { k: 'settle' }
  | { k: 'sleep'; ms: number }
  | { k: 'close'; s: string }
  | { k: 'drop'; s: string }
  | { k: 'reconnect'; s: string; passwd: 'right' | 'wrong'; timeout: number }
  | { k: 'setWatches'; s: string; v2: boolean; rel: Rel; lists: WatchLists };

function relText(r: Rel): string {
  return r.kind === 'last' ? 'lastZxidSeen' : r.kind === 'lastMinus' ? `lastZxidSeen-${r.by}` : String(r.zxid);
}

/** One line, close to the code that would reproduce the action in a wire.ts scenario. */
export function describe(a: Action): string {
  switch (a.k) {
    case 'open':
      return `${a.s} = await w.session(${JSON.stringify(a.s)}, { timeout: ${a.timeout} })`;
    case 'op':
      return `${a.s}: await run(${a.op.call})`;
    case 'pipeline':
      return `${a.s}: await pipeline([${a.ops.map((o) => o.call).join(', ')}])`;
    case 'settle':
      return 'await w.settle()';
    case 'sleep':
      return `await sleep(${a.ms}); await w.settle()`;
    case 'close':
      return `${a.s}: await close()  // closeSession`;
    case 'drop':
      return `${a.s}: drop()  // TCP close, session lives on`;
    case 'reconnect':
      return `${a.s}: reconnect(sessionId, ${a.passwd === 'right' ? 'passwd' : 'WRONG passwd'}, { timeout: ${a.timeout} })`;
    case 'setWatches':
      return `${a.s}: await run(ops.${a.v2 ? 'setWatches2' : 'setWatches'}(${relText(a.rel)}, ${lit(a.lists.data)}, ${lit(a.lists.exist)}, ${lit(a.lists.child)}${
        a.v2 ? `, ${lit(a.lists.persistent)}, ${lit(a.lists.recursive)}` : ''
      }))`;
  }
}

/** How many wire requests an action counts for in the op budget. */
export function weight(a: Action): number {
  switch (a.k) {
    case 'op':
    case 'setWatches':
    case 'close':
    case 'open':
    case 'reconnect':
      return 1;
    case 'pipeline':
      return a.ops.length;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Universe

export const LONG_NAME = 'n'.repeat(200);

/** Valid paths that collide a lot. */
const BASE = ['/r', '/r/a', '/r/a/b', '/r/a/b/c', '/r/b', '/r/b/a', '/r/c', '/r/a/c', '/s', '/s/t', '/s/t/u'];
/** Odd but valid names. */
const ODD = ['/r/ü日本', '/r/sp ace', '/r/.d', '/r/a.b', '/r/..x', '/r/x..', `/r/${LONG_NAME}`, `/r/${LONG_NAME}/x`, '/r/Ω/ß', '/r/-', '/r/zookeeper', '/r/\u00a0'];
/** Invalid paths (every one is refused by PathUtils.validatePath, or by the protocol). */
const INVALID = ['r', '/r/', '//r', '/r//a', '/r/./a', '/r/../a', '/r/.', '/r/..', '/r/\u0000x', '/r/\u0001', '/r/\u001f', '/r/\u007f', '/r/\u0085', '/r/\ud800', '/r/\uf8ff', '/r/\ufff0', '/r/\uffff', '/r/a\u009f'];
/** Paths with a supplementary character (a surrogate pair once decoded: invalid, but echoed by sync). */
const SUPPLEMENTARY = ['/r/\u{1F600}', '/\u{10400}'];
/** The /zookeeper subtree, including quota nodes. */
const ZK = ['/zookeeper', '/zookeeper/config', '/zookeeper/quota', '/zookeeper/quota/r', '/zookeeper/quota/r/zookeeper_limits', '/zookeeper/quota/r/zookeeper_stats', '/zookeeper/quota/r/a', '/zookeeper/quota/r/a/zookeeper_limits', '/zookeeper/quota/r/a/zookeeper_stats', '/zookeeper/quota/s', '/zookeeper/x', '/zookeeper/quota/s/zookeeper_limits'];
const QUOTA_DATA = ['count=5,bytes=100', 'count=-1,bytes=-1,countHardLimit=3,byteHardLimit=-1', 'count=2,bytes=-1', 'count=-1,bytes=30,byteHardLimit=30', 'count=0,bytes=0', 'count=-1,bytes=-1,countHardLimit=-1,byteHardLimit=12'];
/** Prefixes for sequential creates. */
const SEQ = ['/r/s-', '/r/a/s-', '/r/', '/r/a/', '/s/t/q', '/r/e-', '/s/'];
const PREFIXES = ['/', '/r', '/r/a', '/r/a/', '/s', '/r/e', '/zookeeper', '', 'r', '/nope'];

export const sha1Digest = (userPass: string): string =>
  `${userPass.split(':')[0]}:${crypto.createHash('sha1').update(userPass, 'utf8').digest('base64')}`;

export const SUPER_PASSWORD = 'super:boss';
export const SUPER_DIGEST = sha1Digest(SUPER_PASSWORD);

const ALICE = sha1Digest('alice:secret');
const BOB = sha1Digest('bob:pw');
const EMOJI_ID = sha1Digest('\u{1F600}:pw');

type Flags = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export type Family =
  | 'crud'
  | 'sequential'
  | 'ephemeral'
  | 'container'
  | 'ttl'
  | 'acl'
  | 'auth'
  | 'watch'
  | 'persistentWatch'
  | 'multi'
  | 'multiRead'
  | 'pipeline'
  | 'session'
  | 'setWatches'
  | 'invalid'
  | 'odd'
  | 'zookeeper'
  | 'quota'
  | 'misc'
  | 'closers'
  /** ACLs that deny READ to some session (watch events on such nodes are filtered by ACL in the oracle). */
  | 'unreadable'
  /** addWatch with a mode other than 0 (persistent) and 1 (persistent recursive). */
  | 'badWatchMode'
  /** multi holding only reads, multiRead holding writes. */
  | 'wrongKindMulti'
  /** In a multi: create/create2 with TTL modes (5, 6), createTTL with non-TTL modes. */
  | 'ttlModesInMulti'
  /** Creating a zookeeper_stats quota node with a request whose reply carries a Stat (create2, createTTL...). */
  | 'quotaStatsStat'
  /**
   * A session holding several ephemerals at once: their order (getEphemerals, and the deletes and watch
   * events when the session closes) is Java HashSet order. Off: at most one ephemeral per session.
   */
  | 'ephemeralOrder'
  /** checkWatches on a path without the leading slash ("r"). */
  | 'relativeCheckWatches'
  /** The empty path "" (Apache's DataTree also keys the root under ""). */
  | 'emptyPath'
  /** check outside multi (opcode 13 on its own). */
  | 'standaloneCheck'
  /** Supplementary characters (outside the BMP) in strings the server echoes back: digest ids. */
  | 'supplementary';

export const ALL_FAMILIES: Family[] = [
  'crud', 'sequential', 'ephemeral', 'container', 'ttl', 'acl', 'auth', 'watch', 'persistentWatch', 'multi', 'multiRead', 'pipeline',
  'session', 'setWatches', 'invalid', 'odd', 'zookeeper', 'quota', 'misc', 'closers', 'unreadable', 'badWatchMode', 'wrongKindMulti', 'ttlModesInMulti', 'quotaStatsStat', 'ephemeralOrder', 'relativeCheckWatches', 'emptyPath', 'standaloneCheck', 'supplementary',
];

/**
 * Families whose requests currently make zkts answer differently from Apache ZooKeeper 3.8 (the Debian
 * 3.8.0-11+deb12u2 oracle). CI leaves them out so that a new divergence is not hidden behind a known one;
 * each has a minimal repro in the task report. Remove a family here once zkts matches.
 */
export const KNOWN_DIVERGENCES: Family[] = [
  // A deliberate difference (an Apache bug), not to be fixed: 3.8.0 (and 3.9.0-3.9.2) NPE serializing a
  // successful standalone check's reply (SetDataResponse with a null Stat) and never answer it, leaving the
  // client waiting; 3.9.3+ refuse a check outside multi (ZOOKEEPER-2623: Unimplemented, then close). zkts
  // answers OK. A failed check gets its error code from all of them.
  'standaloneCheck',
];

export interface GenOptions {
  /** Wire requests to generate (pipelined requests count one each). */
  ops: number;
  /** Extended types on and a fast container sweep on both servers: TTL nodes, live container deletion. */
  extended: boolean;
  /** Container sweep interval both servers run with, when extended (ms). */
  sweepIntervalMs?: number;
  /** Families turned off. */
  exclude?: Family[];
}

interface LogicalGen {
  name: string;
  /** The server session exists (opened, not closed). */
  alive: boolean;
  /** Actions left before a dropped connection must be re-established. */
  reconnectIn: number | null;
  watches: { data: Set<string>; exist: Set<string>; child: Set<string>; persistent: Set<string>; recursive: Set<string> };
  auth: number;
}

/** What the generator needs to see of the oracle's side after each action. */
export interface OracleView {
  /** Logical sessions whose server session is alive, and whether each has a live connection. */
  connected(s: string): boolean;
}

interface Ver {
  version: number;
  cversion: number;
  aversion: number;
}

const parentOf = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
};

/** The generator: call next() for each action, then observe() with the oracle's new transcript steps. */
export class Generator {
  readonly rng: Rng;
  private readonly on: Record<Family, boolean>;
  private budget: number;
  private readonly sessions: LogicalGen[] = [];
  private nextName = 0;
  private readonly maxSessions: number;
  private readonly minSessions: number;
  /** Paths the oracle told us exist (created, listed, read). */
  private readonly known = new Set<string>();
  private readonly versions = new Map<string, Ver>();
  /** Nodes whose emptiness a sweep acts on: containers and short-TTL nodes. */
  private readonly volatile = new Set<string>();
  private needSleep = false;
  /** The last action may have made a container or TTL node a sweep candidate. */
  private sweepRisk = false;
  /** The session of the action being observed. */
  private acting = '';
  /** The session an action is being generated for, and how many ephemeral creates it may still send. */
  private generating = '';
  private ephemeralBudget = 0;
  /** Ephemeral nodes the oracle created, and their session. */
  private readonly ephemeralOwner = new Map<string, string>();
  private sinceSettle = 0;
  private lastAction: Action | null = null;
  private done = false;
  private queue: Action[] = [];

  constructor(
    readonly seed: number,
    readonly opts: GenOptions,
  ) {
    this.rng = new Rng(seed);
    this.on = Object.fromEntries(ALL_FAMILIES.map((f) => [f, !(opts.exclude ?? []).includes(f)])) as Record<Family, boolean>;
    if (!opts.extended) this.on.ttl = this.on.ttl && true; // createTTL is still sent: Apache refuses it
    this.budget = opts.ops;
    this.maxSessions = this.rng.range(2, 4);
    this.minSessions = 2;
  }

  // ---- session bookkeeping

  private live(): LogicalGen[] {
    return this.sessions.filter((s) => s.alive && s.reconnectIn === null);
  }

  private newSessionAction(): Action {
    const name = sessionName(this.nextName++);
    this.sessions.push({
      name,
      alive: true,
      reconnectIn: null,
      auth: 0,
      watches: { data: new Set(), exist: new Set(), child: new Set(), persistent: new Set(), recursive: new Set() },
    });
    return { k: 'open', s: name, timeout: this.timeout() };
  }

  private timeout(): number {
    return this.rng.weighted([
      [90, 30000],
      [5, 10000000],
      [5, 15000],
    ]);
  }

  // ---- path choice

  private validPool(): string[] {
    const pool = [...BASE];
    if (this.on.odd) pool.push(...ODD);
    return pool;
  }

  /** A path to read or modify: mostly nodes that exist, sometimes anything. */
  private target(): string {
    const known = [...this.known];
    return this.rng.weighted<() => string>([
      [known.length > 0 ? 50 : 0, () => this.rng.pick(known)],
      [35, () => this.rng.pick(this.validPool())],
      [3, () => '/'],
      [this.on.zookeeper ? 5 : 0, () => this.rng.pick(ZK)],
      [this.on.invalid ? 3 : 0, () => this.rng.pick(INVALID)],
      [this.on.emptyPath ? 0.7 : 0, () => ''],
      [this.on.supplementary ? 0.7 : 0, () => this.rng.pick(SUPPLEMENTARY)],
      [4, () => this.rng.pick(['/nope', '/r/nope', '/r/a/b/c/d/e'])],
    ])();
  }

  /** A path to create under: mostly the universe, children of known nodes, or a sequential prefix. */
  private createPath(seq: boolean): string {
    if (seq && this.on.sequential) return this.rng.pick(SEQ);
    const known = [...this.known].filter((p) => p.length < 300);
    return this.rng.weighted<() => string>([
      [55, () => this.rng.pick(this.validPool())],
      [known.length > 0 ? 20 : 0, () => `${this.rng.pick(known)}/${this.rng.pick(['k', 'k2', 'x', 'e'])}`],
      [this.on.zookeeper ? 4 : 0, () => this.rng.pick(ZK)],
      [this.on.quota ? 4 : 0, () => this.rng.pick(ZK.filter((p) => p.startsWith('/zookeeper/quota/')))],
      [this.on.invalid ? 3 : 0, () => this.rng.pick(INVALID)],
      [this.on.emptyPath ? 0.5 : 0, () => ''],
      [2, () => '/'],
    ])();
  }

  private data(path?: string): string | Buffer | null {
    // A zookeeper_stats node always gets data StatsTrack can parse: with anything else (null, "x", no
    // "=" in a pair, a value that is no Java long) the next write inside that quota throws out of Apache's
    // DataTree.updateQuotaStat and stops Apache (zkts applies the write and leaves the stats alone; the
    // differential scenario 'unparseable quota stats' pins both). A stopped Apache would end the seed.
    if (path !== undefined && path.endsWith('/zookeeper_stats')) return this.rng.pick([...QUOTA_DATA, '']);
    if (path !== undefined && path.startsWith('/zookeeper/quota/') && this.rng.chance(0.8)) return this.rng.pick(QUOTA_DATA);
    return this.rng.weighted<() => string | Buffer | null>([
      [25, () => ''],
      [25, () => `v${this.rng.int(100)}`],
      [10, () => 'x'],
      [6, () => null],
      [5, () => 'ü日本\u{1F600}'],
      [6, () => Buffer.from(Array.from({ length: this.rng.int(40) }, () => this.rng.int(256)))],
      [4, () => 'z'.repeat(this.rng.range(100, 4000))],
      [2, () => 'y'.repeat(this.rng.range(10000, 60000))],
    ])();
  }

  private version(path: string, kind: 'version' | 'cversion' | 'aversion' = 'version'): number {
    const v = this.versions.get(path)?.[kind];
    return this.rng.weighted<() => number>([
      [v !== undefined ? 55 : 0, () => v!],
      [25, () => -1],
      [v !== undefined ? 8 : 0, () => v! + this.rng.pick([1, -1, 2])],
      [6, () => this.rng.pick([0, 1, 2])],
      [3, () => this.rng.pick([-2, 99, 2147483647, -2147483648])],
    ])();
  }

  private perms(): number {
    return this.rng.weighted<() => number>([
      [60, () => 31],
      [30, () => this.rng.int(32)],
      [3, () => this.rng.pick([0, 32, 63, -1])],
    ])();
  }

  private acl(): R.ACL[] | null {
    if (!this.on.acl) return OPEN_ACL;
    const one = (): R.ACL =>
      this.rng.weighted<() => R.ACL>([
        [30, () => ({ perms: this.perms(), id: { scheme: 'world', id: 'anyone' } })],
        [12, () => ({ perms: this.perms(), id: { scheme: 'auth', id: this.rng.pick(['', '', 'whatever']) } })],
        [10, () => ({ perms: this.perms(), id: { scheme: 'digest', id: this.rng.pick([ALICE, BOB, ALICE]) } })],
        [10, () => ({ perms: this.perms(), id: { scheme: 'ip', id: this.rng.pick(['127.0.0.1', '127.0.0.0/8', '10.0.0.0/8', '127.0.0.1/32', '0.0.0.0/0', '127.0.0.2']) } })],
        [3, () => ({ perms: this.perms(), id: { scheme: 'ip', id: this.rng.pick(['abc', '127.0.0.1/33', '::1', '1.2.3', '127.0.0.1/-1', '']) } })],
        [3, () => ({ perms: this.perms(), id: { scheme: 'digest', id: this.rng.pick(['bad', 'alice', ':', 'alice:']) } })],
        [3, () => ({ perms: this.perms(), id: { scheme: this.rng.pick(['nosuch', 'sasl', 'x509', 'super', '']), id: 'x' } })],
        [2, () => ({ perms: this.perms(), id: { scheme: 'world', id: this.rng.pick(['bob', '']) } })],
        [this.on.supplementary ? 2 : 0, () => ({ perms: 31, id: { scheme: 'digest', id: EMOJI_ID } })],
      ])();
    const acl = this.rng.weighted<() => R.ACL[] | null>([
      [55, () => OPEN_ACL],
      [30, () => [one()]],
      [10, () => [one(), one()]],
      [2, () => [one(), one(), one()]],
      [2, () => []],
      [1, () => null],
    ])();
    if (this.on.unreadable || acl === null || acl.length === 0) return acl;
    // Everyone may READ: world entries get the READ bit, and one is added if there is none.
    const out = acl.map((a) => (a.id.scheme === 'world' && a.id.id === 'anyone' ? { perms: a.perms | 1, id: a.id } : a));
    if (!out.some((a) => a.id.scheme === 'world' && a.id.id === 'anyone')) out.push({ perms: 1, id: { scheme: 'world', id: 'anyone' } });
    return out;
  }

  private authOp(): { op: GenOp; closes: boolean } {
    const x = this.rng.weighted<() => [string, string]>([
      [40, () => ['digest', 'alice:secret']],
      [15, () => ['digest', 'alice:wrong']],
      [15, () => ['digest', 'bob:pw']],
      [5, () => ['digest', SUPER_PASSWORD]],
      [4, () => ['digest', this.rng.pick(['nocolon', '', ':', 'a:b:c'])]],
      [4, () => ['ip', this.rng.pick(['127.0.0.1', 'whatever'])]],
      [this.on.supplementary ? 3 : 0, () => ['digest', '\u{1F600}:pw']],
      [this.on.closers ? 4 : 0, () => [this.rng.pick(['nosuch', 'world', 'sasl', 'x509', 'auth', 'super']), 'x']],
    ])();
    const closes = !['digest', 'ip'].includes(x[0]);
    return { op: mk('auth', x[0], x[1]), closes };
  }

  private flags(): Flags {
    return this.rng.weighted<Flags>([
      [this.on.crud ? 40 : 0, 0],
      [this.on.ephemeral ? 15 : 0, 1],
      [this.on.sequential ? 15 : 0, 2],
      [this.on.ephemeral && this.on.sequential ? 10 : 0, 3],
      [this.on.container ? 4 : 0, 4],
      [this.on.ttl ? 2 : 0, 5],
      [this.on.ttl ? 1 : 0, 6],
      [1, 0],
    ]);
  }

  private ttl(): { ttl: number; short: boolean } {
    const short = this.opts.extended && this.rng.chance(0.25);
    if (short) return { ttl: this.rng.range(1, 30), short: true };
    return {
      ttl: this.rng.weighted<() => number>([
        [80, () => 3600000],
        [5, () => 0],
        [5, () => -5],
        [5, () => 0x10000000000],
        [5, () => 0xffffffffff],
      ])(),
      short: false,
    };
  }

  /** A create of some kind; short: it may make a node that expires within ms. */
  private createOp(inPipeline: boolean, inMulti = false): { op: GenOp; short: boolean } {
    const kind = this.rng.weighted<string>([
      [40, 'create'],
      [35, 'create2'],
      [this.on.container ? 12 : 0, 'createContainer'],
      [this.on.ttl ? (this.opts.extended ? 12 : 2) : 0, 'createTTL'],
    ]);
    let f = this.flags();
    if (inMulti && !this.on.ttlModesInMulti && kind !== 'createTTL' && (f === 5 || f === 6)) f = f === 5 ? 0 : 2;
    if (!this.on.ephemeralOrder && (f === 1 || f === 3) && !this.mayCreateEphemeral()) f = f === 1 ? 0 : 2;
    const path = this.createPath(f === 2 || f === 3 || f === 6 || this.rng.chance(0.05));
    const data = this.data(path);
    const acl = this.acl();
    if (!this.on.quotaStatsStat && path.endsWith('/zookeeper_stats')) return { op: mk('create', path, data, f === 5 || f === 6 ? 0 : f, acl), short: false };
    switch (kind) {
      case 'create':
        return { op: mk('create', path, data, f, acl), short: false };
      case 'create2':
        return { op: mk('create2', path, data, f, acl), short: false };
      case 'createContainer':
        return { op: mk('createContainer', path, data ?? '', acl ?? OPEN_ACL), short: false };
      default: {
        const tf = this.rng.weighted<number>([
          [70, 5],
          [20, 6],
          [inMulti && !this.on.ttlModesInMulti ? 0 : 10, this.rng.pick([0, 1, 2, 3, 4, 7])],
        ]);
        let { ttl, short } = this.ttl();
        if (inPipeline && short) {
          ttl = 3600000;
          short = false;
        }
        // A mode that is not TTL with a negative ttl passes Apache's prep and then stops the server while
        // the CreateTTLTxn is applied (EphemeralType.TTL.toEphemeralOwner throws; zkts refuses it with
        // BadArguments, see the differential scenario 'createTTL with a mode that is not TTL'). A stopped Apache
        // would end the seed.
        if (tf !== 5 && tf !== 6 && ttl < 0) ttl = 0;
        return { op: mk('createTTL', path, typeof data === 'string' ? data : '', tf, ttl, acl ?? OPEN_ACL), short };
      }
    }
  }

  /**
   * With 'ephemeralOrder' off: may the acting session create an ephemeral? Only if it holds none and has no
   * ephemeral create in flight in this action (a pipeline or multi).
   */
  private mayCreateEphemeral(): boolean {
    if (this.ephemeralBudget <= 0) return false;
    for (const owner of this.ephemeralOwner.values()) if (owner === this.generating) return false;
    this.ephemeralBudget--;
    return true;
  }

  private watchType(): number {
    return this.rng.weighted<() => number>([
      [25, () => 1],
      [25, () => 2],
      [25, () => 3],
      [this.on.persistentWatch ? 10 : 0, () => 4],
      [this.on.persistentWatch ? 10 : 0, () => 5],
      [2, () => this.rng.pick([0, 6, -1])],
    ])();
  }

  /** A single request; pipeline: nothing that closes the connection, no auth/setWatches (fixed xids), no short TTLs. */
  private singleOp(s: LogicalGen, inPipeline: boolean): { op: GenOp; closes: boolean; short: boolean } {
    const r = (op: GenOp, closes = false, short = false) => ({ op, closes, short });
    // Extended types: a sweep may run between pipelined requests, so nothing in a pipeline may make a
    // container or TTL node a candidate (deletes, multis); single actions are followed by a sleep instead.
    const sweepSafe = !(inPipeline && this.opts.extended);
    const kind = this.rng.weighted<string>([
      [this.on.crud ? 22 : 0, 'create'],
      [this.on.crud && sweepSafe ? 8 : 0, 'delete'],
      [this.on.crud ? 10 : 0, 'setData'],
      [10, 'getData'],
      [7, 'exists'],
      [6, 'getChildren'],
      [5, 'getChildren2'],
      [this.on.acl ? 3 : 0, 'getACL'],
      [this.on.acl ? 4 : 0, 'setACL'],
      [this.on.standaloneCheck ? 2 : 0, 'check'],
      [this.on.misc ? 1 : 0, 'sync'],
      [this.on.misc ? 1.5 : 0, 'getAllChildrenNumber'],
      [this.on.misc ? 1.5 : 0, 'getEphemerals'],
      [this.on.misc || this.on.auth ? 1 : 0, 'whoAmI'],
      [this.on.persistentWatch ? 3 : 0, 'addWatch'],
      [this.on.watch ? 2 : 0, 'removeWatches'],
      [this.on.watch ? 2 : 0, 'checkWatches'],
      [this.on.auth && !inPipeline ? 2 : 0, 'auth'],
      [this.on.multi && sweepSafe ? 5 : 0, 'multi'],
      [this.on.multiRead ? 2 : 0, 'multiRead'],
      [this.on.misc && sweepSafe ? 0.5 : 0, 'deleteContainer'],
      [this.on.closers && !inPipeline ? 0.3 : 0, 'closer'],
    ]);
    const watch = this.on.watch && this.rng.chance(0.5);
    switch (kind) {
      case 'create': {
        const c = this.createOp(inPipeline);
        return r(c.op, false, c.short);
      }
      case 'delete': {
        const p = this.target();
        return r(mk('delete', p, this.version(p)));
      }
      case 'setData': {
        const p = this.target();
        return r(mk('setData', p, this.data(p), this.version(p)));
      }
      case 'getData':
      case 'exists':
      case 'getChildren':
      case 'getChildren2': {
        const p = this.target();
        if (watch) {
          if (kind === 'getData') s.watches.data.add(p);
          else if (kind === 'exists') s.watches.exist.add(p);
          else s.watches.child.add(p);
        }
        return r(mk(kind, p, watch));
      }
      case 'getACL':
        return r(mk('getACL', this.target()));
      case 'setACL': {
        const p = this.target();
        return r(mk('setACL', p, this.acl(), this.version(p, 'aversion')));
      }
      case 'check': {
        const p = this.target();
        return r(mk('check', p, this.version(p)));
      }
      case 'sync':
        return r(mk('sync', this.target()));
      case 'getAllChildrenNumber':
        return r(mk('getAllChildrenNumber', this.rng.chance(0.3) ? this.rng.pick(PREFIXES) : this.target()));
      case 'getEphemerals':
        return r(mk('getEphemerals', this.rng.chance(0.6) ? this.rng.pick(PREFIXES) : this.target()));
      case 'whoAmI':
        return r(mk('whoAmI'));
      case 'addWatch': {
        const p = this.target();
        const mode = this.rng.weighted<() => number>([
          [48, () => 0],
          [48, () => 1],
          [this.on.badWatchMode ? 4 : 0, () => this.rng.pick([2, -1, 5])],
        ])();
        if (mode === 0) s.watches.persistent.add(p);
        if (mode === 1) s.watches.recursive.add(p);
        return r(mk('addWatch', p, mode));
      }
      case 'removeWatches':
      case 'checkWatches': {
        let p = this.watchedPath(s);
        if (kind === 'checkWatches' && !this.on.relativeCheckWatches && p.length > 0 && !p.startsWith('/')) p = `/${p}`;
        return r(mk(kind, p, this.watchType()));
      }
      case 'auth': {
        const a = this.authOp();
        return r(a.op, a.closes);
      }
      case 'multi':
        return this.multiOp(inPipeline);
      case 'multiRead':
        return r(this.multiReadOp());
      case 'deleteContainer': {
        const p = this.target();
        const b = Buffer.from(p, 'utf8');
        const body = Buffer.alloc(4 + b.length);
        body.writeInt32BE(b.length, 0);
        b.copy(body, 4);
        return r(Object.assign(mk('raw', OpCode.deleteContainer, body, 'deleteContainer'), { path: p }));
      }
      default: {
        // Requests after which the server may close the connection: unknown opcodes (Apache answers
        // Unimplemented, then closes), and a frame just above jute.maxbuffer (0xfffff).
        if (this.rng.chance(0.2)) return r(mk('setData', this.target(), 'z'.repeat(0xfffff), -1), true);
        const t = this.rng.pick([999, OpCode.sasl, OpCode.createSession, 50]);
        return r(mk('raw', t, Buffer.alloc(0), `raw(${t})`), true);
      }
    }
  }

  private watchedPath(s: LogicalGen): string {
    const w = s.watches;
    const mine = [...w.data, ...w.exist, ...w.child, ...w.persistent, ...w.recursive];
    return mine.length > 0 && this.rng.chance(0.7) ? this.rng.pick(mine) : this.target();
  }

  private multiOp(inPipeline: boolean): { op: GenOp; closes: boolean; short: boolean } {
    const n = this.rng.weighted<() => number>([
      [5, () => 0],
      [30, () => 1],
      [40, () => this.rng.range(2, 4)],
      [25, () => this.rng.range(5, 8)],
    ])();
    const sub: GenOp[] = [];
    let short = false;
    for (let i = 0; i < n; i++) {
      const kind = this.rng.weighted<string>([
        [35, 'create'],
        [20, 'delete'],
        [20, 'setData'],
        [15, 'check'],
        [2, 'getData'],
        [2, 'getChildren'],
        [1, 'exists'],
      ]);
      if (kind === 'create') {
        const c = this.createOp(inPipeline, true);
        short ||= c.short;
        sub.push(c.op);
        continue;
      }
      const p = this.rng.chance(0.3) && sub.length > 0 ? this.pathOf(sub[this.rng.int(sub.length)]) ?? this.target() : this.target();
      if (kind === 'delete') sub.push(mk('delete', p, this.version(p)));
      else if (kind === 'setData') sub.push(mk('setData', p, this.data(p), this.version(p)));
      else if (kind === 'check') sub.push(mk('check', p, this.version(p)));
      else if (kind === 'exists') sub.push(mk('exists', p, false));
      else sub.push(mk(kind as 'getData' | 'getChildren', p, false));
    }
    if (!this.on.wrongKindMulti && sub.length > 0 && sub.every((o) => o.name === 'getData' || o.name === 'getChildren')) {
      const p = this.target();
      sub.push(mk('check', p, this.version(p)));
    }
    return { op: mk('multi', sub), closes: false, short };
  }

  private pathOf(op: Op): string | undefined {
    const tagged = (op as unknown as { path?: unknown }).path;
    if (typeof tagged === 'string') return tagged;
    const v = op.value as { path?: string } | null;
    return typeof v?.path === 'string' ? v.path : undefined;
  }

  private multiReadOp(): GenOp {
    const n = this.rng.range(0, 6);
    const sub: GenOp[] = [];
    for (let i = 0; i < n; i++) {
      const p = this.target();
      sub.push(
        this.rng.weighted<() => GenOp>([
          [45, () => mk('getData', p, false)],
          [45, () => mk('getChildren', p, false)],
          [3, () => mk('exists', p, false)],
          [this.on.wrongKindMulti ? 3 : 0, () => mk('setData', p, 'm', -1)],
          [this.on.wrongKindMulti ? 2 : 0, () => mk('check', p, -1)],
          [2, () => mk('getChildren2', p, false)],
        ])(),
      );
    }
    return mk('multiRead', sub);
  }

  private setWatchesAction(s: LogicalGen): Action {
    const w = s.watches;
    const pick = (set: Set<string>): string[] => {
      const out = this.rng.subset([...set], 0.8);
      if (this.rng.chance(0.3)) out.push(this.target());
      return out;
    };
    const rel = this.rng.weighted<() => Rel>([
      [70, () => ({ kind: 'last' })],
      [20, () => ({ kind: 'lastMinus', by: this.rng.range(1, 20) })],
      [10, () => ({ kind: 'abs', zxid: this.rng.pick([0, 1]) })],
    ])();
    const v2 = this.on.persistentWatch && this.rng.chance(0.6);
    return {
      k: 'setWatches',
      s: s.name,
      v2,
      rel,
      lists: { data: pick(w.data), exist: pick(w.exist), child: pick(w.child), persistent: v2 ? pick(w.persistent) : [], recursive: v2 ? pick(w.recursive) : [] },
    };
  }

  // ---- the main loop

  /** The next action, or null when the budget is spent (the runner then closes every session itself). */
  next(view: OracleView): Action | null {
    const a = this.choose(view);
    this.lastAction = a;
    if (a !== null) {
      this.budget -= weight(a);
      this.sinceSettle = a.k === 'settle' || a.k === 'sleep' ? 0 : this.sinceSettle + 1;
    }
    return a;
  }

  private choose(view: OracleView): Action | null {
    if (this.queue.length > 0) return this.queue.shift()!;
    // A sweep may be due: let it happen while no one talks (extended types only).
    if (this.needSleep) {
      this.needSleep = false;
      return { k: 'sleep', ms: this.sleepMs() };
    }
    if (this.done) return null;
    // Connections the oracle closed (auth failure, bad request, a competing reconnect): reconnect soon.
    for (const s of this.sessions) {
      if (s.alive && s.reconnectIn === null && !view.connected(s.name)) s.reconnectIn = this.rng.int(3);
    }
    for (const s of this.sessions) {
      if (s.reconnectIn !== null && s.reconnectIn-- <= 0) {
        s.reconnectIn = null;
        const timeout = this.timeout();
        if (this.on.setWatches && this.rng.chance(0.7)) this.queue.push(this.setWatchesAction(s));
        return { k: 'reconnect', s: s.name, passwd: 'right', timeout };
      }
    }
    if (this.budget <= 0) {
      this.done = true;
      return { k: 'settle' };
    }
    const live = this.live();
    if (live.length < this.minSessions || (live.length < this.maxSessions && this.rng.chance(0.02))) return this.newSessionAction();
    if (this.sinceSettle > 12 || this.rng.chance(0.1)) return { k: 'settle' };

    const s = this.rng.pick(live);
    return this.rng.weighted<() => Action>([
      [75, () => this.opAction(s)],
      [this.on.pipeline ? 5 : 0, () => this.pipelineAction(s)],
      [this.on.session ? 1 : 0, () => this.closeAction(s)],
      [this.on.session ? 1.2 : 0, () => this.dropAction(s)],
      [this.on.session ? 0.6 : 0, () => this.reconnectLive(s, 'right')],
      [this.on.session ? 0.4 : 0, () => this.reconnectLive(s, 'wrong')],
      [this.on.setWatches ? 0.8 : 0, () => this.setWatchesAction(s)],
    ])();
  }

  /** The runner then also waits until the zxid stops moving for this long. */
  private sleepMs(): number {
    const interval = this.opts.sweepIntervalMs ?? 100;
    return 100 + interval * 2;
  }

  private opAction(s: LogicalGen): Action {
    this.generating = s.name;
    this.ephemeralBudget = 1;
    const { op, closes } = this.singleOp(s, false);
    if (op.name === 'auth') s.auth++;
    return closes ? { k: 'op', s: s.name, op, closes } : { k: 'op', s: s.name, op };
  }

  private pipelineAction(s: LogicalGen): Action {
    this.generating = s.name;
    this.ephemeralBudget = 1;
    const n = this.rng.range(2, 15);
    const list: GenOp[] = [];
    for (let i = 0; i < n; i++) list.push(this.singleOp(s, true).op);
    // Apache checks a request against the ACL of a node's outstanding change record, which a setACL does not
    // update: whether a pipelined request after a setACL sees the old or the new ACL depends on whether the
    // setACL was applied yet (a race inside Apache). So a setACL only ends a pipeline.
    for (let i = 0; i < list.length - 1; i++) {
      if (list[i].name === 'setACL') list[i] = mk('getACL', (list[i].value as { path: string }).path);
    }
    return { k: 'pipeline', s: s.name, ops: list };
  }

  private closeAction(s: LogicalGen): Action {
    s.alive = false;
    // Its ephemerals go: a container (or short-TTL node) parent may become a sweep candidate.
    for (const [p, owner] of this.ephemeralOwner) {
      if (owner !== s.name) continue;
      if (this.volatile.has(parentOf(p))) this.needSleep = this.opts.extended;
      this.ephemeralOwner.delete(p);
    }
    return { k: 'close', s: s.name };
  }

  private dropAction(s: LogicalGen): Action {
    s.reconnectIn = this.rng.int(4);
    return { k: 'drop', s: s.name };
  }

  private reconnectLive(s: LogicalGen, passwd: 'right' | 'wrong'): Action {
    if (passwd === 'wrong') s.reconnectIn = 0;
    else if (this.on.setWatches && this.rng.chance(0.6)) this.queue.push(this.setWatchesAction(s));
    return { k: 'reconnect', s: s.name, passwd, timeout: this.timeout() };
  }

  // ---- learning from the oracle

  /** Feeds the oracle's steps for the last action back into the model. */
  observe(a: Action, steps: StepRecord[]): void {
    const opsOf = (): Op[] => (a.k === 'op' ? [a.op] : a.k === 'pipeline' ? a.ops : []);
    const list = opsOf();
    this.acting = 's' in a ? a.s : '';
    this.sweepRisk = false;
    let i = 0;
    for (const st of steps) {
      if (i < list.length && st.op === list[i].name) {
        this.learn(list[i], st.err ?? 0, st.result);
        i++;
      }
    }
    // Extended types: something may now be a sweep candidate; let the sweep run before anyone talks again.
    if (this.opts.extended && this.sweepRisk) this.needSleep = true;
  }

  private setVer(path: string, stat: unknown): void {
    if (stat === null || typeof stat !== 'object') return;
    const s = stat as Record<string, number>;
    if (typeof s.version !== 'number') return;
    this.versions.set(path, { version: s.version, cversion: s.cversion, aversion: s.aversion });
    this.addKnown(path);
  }

  private addKnown(path: string): void {
    if (path === '/' || path.startsWith('/zookeeper') || this.known.size > 200) return;
    this.known.add(path);
  }

  private forget(path: string): void {
    for (const k of [...this.known]) if (k === path || k.startsWith(`${path}/`)) this.known.delete(k);
    this.versions.delete(path);
    this.volatile.delete(path);
    this.ephemeralOwner.delete(path);
  }

  private learn(op: Op, err: number, result: unknown): void {
    const path = this.pathOf(op);
    const res = result as Record<string, unknown> | undefined;
    switch (op.name) {
      case 'create':
      case 'create2':
      case 'createContainer':
      case 'createTTL': {
        if (err === 0) {
          const created = typeof result === 'string' ? result : (res?.path as string | undefined);
          if (created !== undefined) {
            this.addKnown(created);
            if (res?.stat !== undefined) this.setVer(created, res.stat);
            const { flags, ttl } = op.value as { flags: number; ttl?: number };
            if (op.name === 'createContainer') this.volatile.add(created);
            if (op.name === 'createTTL' && ttl !== undefined && ttl < 1000) {
              this.volatile.add(created);
              this.sweepRisk = true;
            }
            if (flags === 1 || flags === 3) this.ephemeralOwner.set(created, this.acting);
          }
        } else if (err === -110 && path !== undefined) this.addKnown(path);
        else if (err === -101 && path !== undefined) this.forget(parentOf(path));
        break;
      }
      case 'delete':
      case 'deleteContainer':
        if (path !== undefined && err === 0 && this.volatile.has(parentOf(path))) this.sweepRisk = true;
        if (path !== undefined && (err === 0 || err === -101)) this.forget(path);
        break;
      case 'exists':
        if (err === 0 && path !== undefined) this.setVer(path, result);
        else if (err === -101 && path !== undefined) this.forget(path);
        break;
      case 'setData':
      case 'setACL':
        if (err === 0 && path !== undefined) this.setVer(path, result);
        else if (err === -101 && path !== undefined) this.forget(path);
        break;
      case 'getData':
      case 'getACL':
        if (err === 0 && path !== undefined) this.setVer(path, res?.stat);
        else if (err === -101 && path !== undefined) this.forget(path);
        break;
      case 'getChildren':
      case 'getChildren2': {
        if (err === -101 && path !== undefined) this.forget(path);
        if (err !== 0 || path === undefined) break;
        const children = (op.name === 'getChildren' ? result : res?.children) as string[] | undefined;
        if (op.name === 'getChildren2') this.setVer(path, res?.stat);
        for (const c of children ?? []) if (this.rng.chance(0.5)) this.addKnown(path === '/' ? `/${c}` : `${path}/${c}`);
        break;
      }
      case 'multi': {
        if (err !== 0 || !Array.isArray(result)) break;
        const sub = op.value as Op[];
        sub.forEach((o, j) => {
          const rj = (result as Record<string, unknown>[])[j];
          if (rj === undefined) return;
          const e = (rj.err as number) ?? 0;
          if (o.name.startsWith('create')) this.learn(o, e, rj.stat !== undefined ? { path: rj.path, stat: rj.stat } : rj.path);
          else if (o.name === 'setData') this.learn(o, e, rj.stat);
          else if (o.name === 'delete') this.learn(o, e, undefined);
        });
        break;
      }
      default:
        break;
    }
  }
}

export function sessionName(i: number): string {
  return i < 26 ? String.fromCharCode(65 + i) : `S${i}`;
}
