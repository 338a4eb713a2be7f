/**
 * The server state the admin outputs report, read from a ZooKeeperServer and shaped and ordered as
 * Apache's classes hold it: connection stats (ServerCnxn), the session and connection expiry queues
 * (ExpiryQueue), ephemerals (DataTree), watches (WatchManager reports).
 */
import type { ServerCnxn } from '../server/serverCnxn';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { capacityFor, javaHashOrder, JavaStringSet, javaStringHash } from '../util/javaHash';
import { AdminContext, elapsedNow, wallToElapsed } from './adminContext';
import { chmOrder, javaLongHash, longHex } from './javaCompat';
import { Json, JsonMap, jsonMap } from './json';

/** NIOServerCnxnFactory's sessionless connection timeout, which is also its expiry queue's interval. */
const SESSIONLESS_CNXN_TIMEOUT = 10000;

/** A signed 64-bit session id as Jackson writes a Long. */
export function sessionIdJson(id: bigint): bigint {
  return BigInt.asIntN(64, id);
}

/** InetSocketAddress as Jackson's serializer writes it: "127.0.0.1:2181", "[::1]:2181". */
export function hostPort(c: ServerCnxn): string {
  const a = c.remoteAddress;
  return a.includes(':') ? `[${a}]:${c.remotePort}` : `${a}:${c.remotePort}`;
}

/** InetSocketAddress.toString for an unresolved host: "/127.0.0.1:2181". */
export function socketAddressString(c: ServerCnxn): string {
  return `/${hostPort(c)}`;
}

/** What ServerCnxn's getters return, from zkts's connection plus what the admin context tracks. */
export interface CnxnStats {
  interestOps: number;
  outstanding: number;
  packetsReceived: number;
  packetsSent: number;
  sessionId: bigint;
  lastOp: string;
  established: number;
  sessionTimeout: number;
  lastCxid: number;
  lastZxid: number;
  /** Elapsed-time ms (Apache's Time.currentElapsedTime), 0 before any response. */
  lastResponseTime: number;
  lastLatency: number;
  minLatency: number;
  avgLatency: number;
  maxLatency: number;
}

export function cnxnStats(ctx: AdminContext, c: ServerCnxn): CnxnStats {
  const e = ctx.extra(c);
  return {
    interestOps: c.interestOps,
    outstanding: c.outstanding,
    packetsReceived: c.packetsReceived,
    packetsSent: c.packetsSent,
    sessionId: c.sessionId,
    lastOp: c.lastOp,
    established: c.established,
    sessionTimeout: c.sessionTimeout,
    lastCxid: e.lastCxid,
    lastZxid: c.lastZxid,
    lastResponseTime: c.lastResponseTime === 0 ? 0 : wallToElapsed(c.lastResponseTime),
    lastLatency: c.lastLatency,
    minLatency: c.minLatency >= Number.MAX_SAFE_INTEGER ? 0 : c.minLatency,
    avgLatency: e.count === 0 ? 0 : Math.floor(c.totalLatency / e.count),
    maxLatency: c.maxLatency,
  };
}

/** ServerCnxn.dumpConnectionInfo. */
export function connectionInfoText(ctx: AdminContext, c: ServerCnxn, brief: boolean): string {
  const s = cnxnStats(ctx, c);
  let out = ` ${socketAddressString(c)}[${s.interestOps === 0 ? '0' : s.interestOps.toString(16)}](queued=${s.outstanding},recved=${s.packetsReceived},sent=${s.packetsSent}`;
  if (!brief && s.sessionId !== 0n) {
    out += `,sid=0x${longHex(s.sessionId)},lop=${s.lastOp},est=${s.established},to=${s.sessionTimeout}`;
    if (s.lastCxid >= 0) out += `,lcxid=0x${longHex(s.lastCxid)}`;
    out += `,lzxid=0x${longHex(s.lastZxid)},lresp=${s.lastResponseTime},llat=${s.lastLatency},minlat=${s.minLatency},avglat=${s.avgLatency},maxlat=${s.maxLatency}`;
  }
  return `${out})`;
}

/** ServerCnxn.getConnectionInfo. */
export function connectionInfoJson(ctx: AdminContext, c: ServerCnxn, brief: boolean): JsonMap {
  const s = cnxnStats(ctx, c);
  const m = jsonMap([
    ['remote_socket_address', hostPort(c)],
    ['interest_ops', s.interestOps],
    ['outstanding_requests', s.outstanding],
    ['packets_received', s.packetsReceived],
    ['packets_sent', s.packetsSent],
  ]);
  if (!brief) {
    m.set('session_id', sessionIdJson(s.sessionId));
    m.set('last_operation', s.lastOp);
    m.set('established', s.established);
    m.set('session_timeout', s.sessionTimeout);
    m.set('last_cxid', s.lastCxid);
    m.set('last_zxid', s.lastZxid);
    m.set('last_response_time', s.lastResponseTime);
    m.set('last_latency', s.lastLatency);
    m.set('min_latency', s.minLatency);
    m.set('avg_latency', s.avgLatency);
    m.set('max_latency', s.maxLatency);
  }
  return m;
}

export interface ExpiryBucket<T> {
  /** Elapsed-time ms at which the bucket expires. */
  time: number;
  items: T[];
}

/** The session tracker's expiry queue: sessions grouped by the tick they expire at, soonest first. */
export function sessionExpiryBuckets(zks: ZooKeeperServer): ExpiryBucket<bigint>[] {
  const offset = elapsedNow() - performance.now();
  // Sessions listed in the tracker's order within a bucket; a bucket emptied by touches or closes is
  // listed until its time passes, as Apache's ExpiryQueue keeps it.
  const rank = new Map<bigint, number>();
  for (const s of zks.sessionTracker.sessions.values()) rank.set(s.id, rank.size);
  const out: ExpiryBucket<bigint>[] = [];
  for (const [at, set] of zks.sessionTracker.expiryBuckets()) {
    const items = [...set].map((s) => s.id).sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0));
    out.push({ time: Math.round(at + offset), items });
  }
  return out.sort((a, b) => a.time - b.time);
}

/**
 * NIOServerCnxnFactory's connection expiry queue: every connection is due `sessionTimeout` (10 s before
 * its handshake) after its last activity, rounded up to the next 10 s interval.
 */
export function connectionExpiryBuckets(zks: ZooKeeperServer): ExpiryBucket<ServerCnxn>[] {
  const byTime = new Map<number, ServerCnxn[]>();
  for (const c of zks.cnxns) {
    const last = wallToElapsed(Math.max(c.established, c.lastResponseTime));
    const timeout = c.sessionTimeout > 0 ? c.sessionTimeout : SESSIONLESS_CNXN_TIMEOUT;
    const t = (Math.floor((last + timeout) / SESSIONLESS_CNXN_TIMEOUT) + 1) * SESSIONLESS_CNXN_TIMEOUT;
    const list = byTime.get(t);
    if (list === undefined) byTime.set(t, [c]);
    else list.push(c);
  }
  return [...byTime].sort(([a], [b]) => a - b).map(([time, items]) => ({ time, items }));
}

/** The table size of `new HashSet<>(collection)` (or HashMap) holding n entries. */
export function copyCapacity(n: number): number {
  let cap = 1;
  const want = Math.max(Math.floor(n / 0.75) + 1, 16);
  while (cap < want) cap *= 2;
  return cap;
}

/** The table size of `new HashSet<>(n)` after n adds. */
function presizedCapacity(n: number): number {
  let cap = 1;
  while (cap < Math.max(n, 1)) cap *= 2;
  while (n > cap * 0.75) cap *= 2;
  return cap;
}

export const stringSetOrder = (items: Iterable<string>, capacity: number): string[] => javaHashOrder(items, javaStringHash, capacity);
export const longSetOrder = (items: Iterable<bigint>, capacity: number): bigint[] => javaHashOrder(items, javaLongHash, capacity);

/** DataTree.ephemerals (a ConcurrentHashMap of HashSets), in its iteration order. */
export function ephemeralsInMapOrder(zks: ZooKeeperServer): [bigint, string[]][] {
  const eph = zks.dataTree.ephemerals;
  return chmOrder(eph.keys(), javaLongHash).map((id) => {
    const paths = eph.get(id)!;
    return [id, paths.toArray()];
  });
}

/** DataTree.getEphemerals: a HashMap copy of the ephemerals, each set copied into a new HashSet. */
export function ephemeralsJson(zks: ZooKeeperServer): JsonMap {
  const eph = zks.dataTree.ephemerals;
  const out = jsonMap();
  // A HashMap filled in the ConcurrentHashMap's order, each set copied in its own iteration order.
  for (const id of longSetOrder(chmOrder(eph.keys(), javaLongHash), capacityFor(eph.size))) {
    const paths = eph.get(id)!;
    out.set(sessionIdJson(id).toString(), JavaStringSet.copyOf(paths.toArray()).toArray());
  }
  return out;
}

/** ZooKeeperServer.getSessionExpiryMap: expiry time -> session ids (a TreeMap of HashSets). */
export function sessionExpiryJson(zks: ZooKeeperServer): JsonMap {
  const out = jsonMap();
  for (const b of sessionExpiryBuckets(zks)) {
    out.set(String(b.time), longSetOrder(b.items, capacityFor(b.items.length)).map(sessionIdJson));
  }
  return out;
}

/** WatchManager.toString (wchs). */
export function watchSummary(zks: ZooKeeperServer): { connections: number; paths: number; total: number } {
  const wm = zks.dataTree.dataWatches;
  let total = 0;
  for (const paths of wm.byWatcher().values()) total += paths.size;
  return { connections: wm.byWatcher().size, paths: wm.byPath().size, total };
}

/** WatchManager.dumpWatches(byPath=false) (wchc). */
export function watchesBySessionText(zks: ZooKeeperServer): string {
  let out = '';
  const wm = zks.dataTree.dataWatches;
  for (const [w, paths] of wm.byWatcher()) {
    out += `0x${longHex(w.sessionId)}\n`;
    for (const p of stringSetOrder(paths.keys(), wm.pathsCapacityOf(w))) out += `\t${p}\n`;
  }
  return out;
}

/** WatchManager.dumpWatches(byPath=true) (wchp). */
export function watchesByPathText(zks: ZooKeeperServer): string {
  const table = zks.dataTree.dataWatches.byPath();
  let out = '';
  for (const p of stringSetOrder(table.keys(), zks.dataTree.dataWatches.tableCapacity)) {
    out += `${p}\n`;
    for (const w of table.get(p)!) out += `\t0x${longHex(w.sessionId)}\n`;
  }
  return out;
}

/** WatchManager.getWatches().toMap() (`watches`): session id -> paths. */
export function watchesBySessionJson(zks: ZooKeeperServer): JsonMap {
  const byWatcher = zks.dataTree.dataWatches.byWatcher();
  // Several connections of one session would collapse into one entry, the last one winning.
  const id2paths = new Map<bigint, string[]>();
  for (const [w, paths] of byWatcher) id2paths.set(w.sessionId, stringSetOrder(paths.keys(), zks.dataTree.dataWatches.pathsCapacityOf(w)));
  const out = jsonMap();
  for (const id of longSetOrder(id2paths.keys(), capacityFor(id2paths.size))) {
    // new HashSet<>(live set): filled in the live set's order.
    out.set(sessionIdJson(id).toString(), JavaStringSet.copyOf(id2paths.get(id)!).toArray());
  }
  return out;
}

/** WatchManager.getWatchesByPath().toMap() (`watches_by_path`): path -> session ids. */
export function watchesByPathJson(zks: ZooKeeperServer): JsonMap {
  const table = zks.dataTree.dataWatches.byPath();
  const out = jsonMap();
  // A fresh HashMap filled in the live table's order, so both tables' orders matter.
  const live = stringSetOrder(table.keys(), zks.dataTree.dataWatches.tableCapacity);
  for (const p of stringSetOrder(live, capacityFor(table.size))) {
    const ids = new Set<bigint>();
    for (const w of table.get(p)!) ids.add(w.sessionId);
    // new HashSet<>(n) filled in the watcher set's order, then WatchesPathReport's deep copy, new HashSet<>(set).
    const list: Json[] = longSetOrder(longSetOrder(ids, presizedCapacity(table.get(p)!.size)), copyCapacity(ids.size)).map(sessionIdJson);
    out.set(p, list);
  }
  return out;
}
