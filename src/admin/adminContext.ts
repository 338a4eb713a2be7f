/**
 * Per-server state of the admin interfaces (4lw, AdminServer, /metrics) and the instrumentation that
 * feeds ServerMetrics.
 *
 * The instrumentation wraps a few public methods of one ZooKeeperServer instance (and of its DataTree,
 * WatchManagers and snapshot log) instead of adding calls inside the request pipeline, so that the
 * pipeline's code stays untouched. Each wrapper calls the original first and only observes. What it
 * measures: request latency split into reads and updates (readlatency/updatelatency), per-connection
 * request counts, connect requests, fsync and snapshot times, read/write bytes per namespace, watch
 * fan-out per event type, quota errors per namespace.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ServerCnxn } from '../server/serverCnxn';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import type { Request } from '../server/request';
import { Code, KeeperException } from '../protocol/errors';
import { EventType } from '../protocol/enums';
import { QUOTA_ROOT, LIMIT_NODE, STAT_NODE, StatsTrack } from '../tree/quotas';
import type { WatchManager } from '../tree/watchManager';
import { JDouble, PROMETHEUS_PROVIDER, PromFamily, ServerMetrics } from './metrics';
import { SERVER_GAUGES, SERVER_GAUGE_SETS } from './metricNames';

/** ZooTrace's default text trace mask: client requests, server packets, sessions, warnings. */
export const DEFAULT_TRACE_MASK = 306n;

/** DataTree.STAT_OVERHEAD_BYTES: what a read's Stat adds to the bytes read per namespace. */
const STAT_OVERHEAD_BYTES = 6 * 8 + 5 * 4;

/** Per-connection figures Apache's ServerCnxn keeps and zkts's does not (the request count for avglat). */
export interface CnxnExtra {
  count: number;
  /** The last cxid of a real request (pings and notifications have negative xids and do not count). */
  lastCxid: number;
}

export interface AdminContext {
  readonly zks: ZooKeeperServer;
  readonly metrics: ServerMetrics;
  /** ZooTrace's text trace mask (gtmk/stmk). */
  traceMask: bigint;
  fsyncThresholdExceedCount: number;
  /** The zoo.cfg text the server was started from (initial_configuration), or null. */
  readonly initialConfig: string | null;
  extra(cnxn: ServerCnxn): CnxnExtra;
  resetCnxnStats(cnxn: ServerCnxn): void;
}

const contexts = new WeakMap<ZooKeeperServer, AdminContext>();

/** The admin state of a server, created (and the server instrumented) on first use. */
export function adminContext(zks: ZooKeeperServer): AdminContext {
  let ctx = contexts.get(zks);
  if (ctx === undefined) {
    ctx = createContext(zks);
    contexts.set(zks, ctx);
  }
  return ctx;
}

/** The milliseconds Apache's Time.currentElapsedTime gives (System.nanoTime / 1e6: the monotonic clock). */
export function elapsedNow(): number {
  return Number(process.hrtime.bigint() / 1000000n);
}

/** A wall-clock time (Date.now()) as the elapsed-time value Apache would print for it. */
export function wallToElapsed(ms: number): number {
  return ms - Date.now() + elapsedNow();
}

/** PathUtils.getTopNamespace: "/a/b" -> "a"; "/" -> null (Java's split drops trailing empty parts). */
export function topNamespace(p: string): string | null {
  if (p.charCodeAt(0) === 0x2f) {
    const end = p.indexOf('/', 1);
    const ns = end < 0 ? p.substring(1) : p.substring(1, end);
    if (ns !== '') return ns;
  }
  const parts = p.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length > 1 ? parts[1] : null;
}

export function metricsProviderClass(zks: ZooKeeperServer): string | null {
  return zks.config.sysProps.get('zookeeper.metricsProvider.className')?.trim() ?? null;
}

function createContext(zks: ZooKeeperServer): AdminContext {
  const prometheus = metricsProviderClass(zks) === PROMETHEUS_PROVIDER;
  const metrics = new ServerMetrics({ prometheus });
  const extras = new WeakMap<ServerCnxn, CnxnExtra>();
  let initialConfig: string | null = null;
  if (zks.config.configFile !== null) {
    try {
      initialConfig = fs.readFileSync(zks.config.configFile, 'utf8');
    } catch {
      initialConfig = null;
    }
  }
  const ctx: AdminContext = {
    zks,
    metrics,
    traceMask: DEFAULT_TRACE_MASK,
    fsyncThresholdExceedCount: 0,
    initialConfig,
    extra(cnxn) {
      let e = extras.get(cnxn);
      if (e === undefined) {
        e = { count: 0, lastCxid: -1 };
        extras.set(cnxn, e);
      }
      return e;
    },
    resetCnxnStats(cnxn) {
      // ServerCnxn.resetStats.
      cnxn.packetsReceived = 0;
      cnxn.packetsSent = 0;
      cnxn.minLatency = Number.MAX_SAFE_INTEGER;
      cnxn.maxLatency = 0;
      cnxn.lastOp = 'NA';
      cnxn.lastCxid = -1;
      cnxn.lastZxid = -1;
      cnxn.lastResponseTime = 0;
      cnxn.lastLatency = 0;
      cnxn.totalLatency = 0;
      const e = ctx.extra(cnxn);
      e.count = 0;
      e.lastCxid = -1;
    },
  };
  registerGauges(ctx);
  if (prometheus && (zks.config.sysProps.get('zookeeper.metricsProvider.exportJvmInfo') ?? 'true').trim().toLowerCase() === 'true') {
    metrics.extraFamilies = processFamilies;
  }
  instrument(ctx);
  return ctx;
}

// ---- gauges (ZooKeeperServer.registerMetrics)

function registerGauges(ctx: AdminContext): void {
  const { zks, metrics } = ctx;
  const s = zks.stats;
  const tree = zks.dataTree;
  const values: Record<string, () => number | JDouble> = {
    avg_latency: () => new JDouble(s.avg),
    max_latency: () => s.maxLatency,
    min_latency: () => s.min,
    packets_received: () => s.packetsReceived,
    packets_sent: () => s.packetsSent,
    num_alive_connections: () => zks.cnxns.size,
    outstanding_requests: () => zks.outstandingRequests,
    uptime: () => Date.now() - zks.startTime,
    znode_count: () => tree.nodeCount,
    watch_count: () => tree.watchCount,
    ephemerals_count: () => tree.ephemeralsCount,
    approximate_data_size: () => tree.approximateDataSize,
    global_sessions: () => zks.sessionsWithTimeouts.size,
    local_sessions: () => 0,
    open_file_descriptor_count: () => openFileDescriptorCount(),
    max_file_descriptor_count: () => maxFileDescriptorCount(),
    connection_drop_probability: () => new JDouble(0),
    // BufferStats: zkts does not record response sizes; -1 is what Apache shows before any response.
    last_client_response_size: () => -1,
    max_client_response_size: () => -1,
    min_client_response_size: () => -1,
    outstanding_tls_handshake: () => 0,
    auth_failed_count: () => 0,
    non_mtls_remote_conn_count: () => 0,
    non_mtls_local_conn_count: () => 0,
  };
  for (const name of SERVER_GAUGES) metrics.registerGauge(name, values[name]);
  const [countLimit, bytesLimit, countUsage, bytesUsage] = SERVER_GAUGE_SETS;
  metrics.registerGaugeSet(countLimit, () => quotaMetrics(zks, 'countLimit'));
  metrics.registerGaugeSet(bytesLimit, () => quotaMetrics(zks, 'bytesLimit'));
  metrics.registerGaugeSet(countUsage, () => quotaMetrics(zks, 'countUsage'));
  metrics.registerGaugeSet(bytesUsage, () => quotaMetrics(zks, 'bytesUsage'));
}

/** QuotaMetricsUtils.getQuotaLimitOrUsage: limits or usage under /zookeeper/quota, summed per namespace. */
function quotaMetrics(zks: ZooKeeperServer, type: 'countLimit' | 'bytesLimit' | 'countUsage' | 'bytesUsage'): Map<string, number> {
  const out = new Map<string, number>();
  const tree = zks.dataTree;
  const walk = (p: string): void => {
    const node = tree.getNode(p);
    if (node === undefined) return;
    const children = node.childList();
    if (children.length === 0) {
      const limit = p.endsWith(`/${LIMIT_NODE}`);
      const stat = p.endsWith(`/${STAT_NODE}`);
      if (!((limit && type.endsWith('Limit')) || (stat && type.endsWith('Usage')))) return;
      const ns = topNamespace(p.substring(QUOTA_ROOT.length));
      if (ns === null || node.data === null) return;
      const st = new StatsTrack(node.data);
      let v: number;
      if (type === 'countLimit') v = st.get('countHardLimit') > -1 ? st.get('countHardLimit') : st.count;
      else if (type === 'bytesLimit') v = st.get('byteHardLimit') > -1 ? st.get('byteHardLimit') : st.bytes;
      else if (type === 'countUsage') v = st.count;
      else v = st.bytes;
      out.set(ns, (out.get(ns) ?? 0) + v);
      return;
    }
    for (const c of children) walk(`${p}/${c}`);
  };
  walk(QUOTA_ROOT);
  return out;
}

/** OSMXBean.getOpenFileDescriptorCount (-1 where the platform does not tell). */
export function openFileDescriptorCount(): number {
  try {
    return fs.readdirSync('/proc/self/fd').length;
  } catch {
    return -1;
  }
}

/** OSMXBean.getMaxFileDescriptorCount: the soft limit on open files. */
export function maxFileDescriptorCount(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return -1;
    return m[1] === 'unlimited' ? -1 : Number(m[1]);
  } catch {
    return -1;
  }
}

/** The process_* collectors the Prometheus provider's DefaultExports register (StandardExports). */
function processFamilies(): PromFamily[] {
  const g = (name: string, help: string, value: number, type: 'gauge' | 'counter' = 'gauge'): PromFamily => ({
    name,
    type,
    help,
    samples: [{ name, labelNames: [], labelValues: [], value }],
  });
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  let vsize = NaN;
  try {
    const m = /^VmSize:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) vsize = Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  const out = [
    g('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', (cpu.user + cpu.system) / 1e6, 'counter'),
    g('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', (performance.timeOrigin) / 1000),
  ];
  const open = openFileDescriptorCount();
  if (open >= 0) {
    out.push(g('process_open_fds', 'Number of open file descriptors.', open));
    out.push(g('process_max_fds', 'Maximum number of open file descriptors.', maxFileDescriptorCount()));
  }
  if (!Number.isNaN(vsize)) out.push(g('process_virtual_memory_bytes', 'Virtual memory size in bytes.', vsize));
  out.push(g('process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss));
  return out;
}

// ---- instrumentation

function instrument(ctx: AdminContext): void {
  const { zks, metrics } = ctx;
  const readLatency = metrics.summary('readlatency');
  const updateLatency = metrics.summary('updatelatency');

  // ServerStats.updateLatency and ServerCnxn.updateStatsForResponse.
  const requestFinished = zks.requestFinished;
  const stats = zks.stats;
  zks.requestFinished = function (this: ZooKeeperServer, request: Request): void {
    // The latency the server just recorded (read back rather than reading the clock a second time).
    const before = stats.totalLatency;
    requestFinished.call(this, request);
    const latency = stats.totalLatency - before;
    if (latency >= 0) (request.hdr !== null ? updateLatency : readLatency).add(latency);
    if (request.cnxn !== null) {
      const e = ctx.extra(request.cnxn);
      e.count++;
      if (request.cxid >= 0) e.lastCxid = request.cxid;
    }
  };

  const connectionRequests = metrics.counter('connection_request_count');
  const tokenDeficit = metrics.summary('connection_token_deficit');
  const processConnectRequest = zks.processConnectRequest;
  zks.processConnectRequest = function (this: ZooKeeperServer, cnxn: ServerCnxn, frame: Buffer): void {
    tokenDeficit.add(0);
    connectionRequests.add(1);
    processConnectRequest.call(this, cnxn, frame);
  };

  const quotaExceeded = metrics.counterSet('quota_exceeded_error_per_namespace');
  const checkQuota = zks.checkQuota;
  zks.checkQuota = function (this: ZooKeeperServer, p: string, lastData: Buffer | null, data: Buffer | null, type: number): void {
    try {
      checkQuota.call(this, p, lastData, data, type);
    } catch (e) {
      if (e instanceof KeeperException && e.code === Code.QUOTAEXCEEDED) {
        const ns = topNamespace(p);
        if (ns !== null) quotaExceeded.add(ns, 1);
      }
      throw e;
    }
  };

  // The fsync callback sets lastFsyncMs once per fsync.
  const fsyncTime = metrics.summary('fsynctime');
  let lastFsync = zks.lastFsyncMs;
  Object.defineProperty(zks, 'lastFsyncMs', {
    configurable: true,
    enumerable: true,
    get: () => lastFsync,
    set: (ms: number) => {
      lastFsync = ms;
      fsyncTime.add(Math.round(ms));
      if (ms > 1000) ctx.fsyncThresholdExceedCount++;
    },
  });

  const snapLog = zks.snapLog;
  if (snapLog !== null) {
    const snapshotTime = metrics.summary('snapshottime');
    const snapshot = snapLog.snapshot;
    snapLog.snapshot = async function (this: typeof snapLog, ...args: Parameters<typeof snapshot>) {
      const t0 = Date.now();
      const r = await snapshot.apply(this, args);
      snapshotTime.add(Date.now() - t0);
      return r;
    };
    const dbInitTime = metrics.summary('dbinittime');
    const txnsLoaded = metrics.summary('startup_txns_loaded');
    const restore = snapLog.restore;
    snapLog.restore = function (this: typeof snapLog, ...args: Parameters<typeof restore>) {
      const t0 = Date.now();
      const r = restore.apply(this, args);
      dbInitTime.add(Date.now() - t0);
      if (r.txnsReplayed > 0) txnsLoaded.add(r.txnsReplayed);
      return r;
    };
  }

  // DataTree.updateReadStat / updateWriteStat.
  const tree = zks.dataTree;
  const reads = metrics.summarySet('read_per_namespace');
  const writes = metrics.summarySet('write_per_namespace');
  const readStat = (p: string, bytes: number) => {
    const ns = topNamespace(p);
    if (ns !== null) reads.add(ns, p.length + bytes + STAT_OVERHEAD_BYTES);
  };
  const writeStat = (p: string, bytes: number) => {
    const ns = topNamespace(p);
    if (ns !== null) writes.add(ns, p.length + bytes);
  };
  const getData = tree.getData;
  tree.getData = function (this: typeof tree, p, watcher) {
    const n = getData.call(this, p, watcher);
    readStat(p, n.data === null ? 0 : n.data.length);
    return n;
  };
  const statNode = tree.statNode;
  tree.statNode = function (this: typeof tree, p, watcher) {
    const n = statNode.call(this, p, watcher);
    readStat(p, 0);
    return n;
  };
  const getChildren = tree.getChildren;
  tree.getChildren = function (this: typeof tree, p, watcher) {
    const n = getChildren.call(this, p, watcher);
    let bytes = 0;
    if (n.children !== null) for (const c of n.children.keys()) bytes += c.length;
    readStat(p, bytes);
    return n;
  };
  const createNode = tree.createNode;
  tree.createNode = function (this: typeof tree, ...args: Parameters<typeof createNode>) {
    const n = createNode.apply(this, args);
    writeStat(args[0], args[1] === null ? 0 : args[1].length);
    return n;
  };
  const deleteNode = tree.deleteNode;
  tree.deleteNode = function (this: typeof tree, p: string, zxid: number) {
    deleteNode.call(this, p, zxid);
    writeStat(p, 0);
  };
  const setData = tree.setData;
  tree.setData = function (this: typeof tree, ...args: Parameters<typeof setData>) {
    const st = setData.apply(this, args);
    writeStat(args[0], args[1] === null ? 0 : args[1].length);
    return st;
  };

  // WatchManager.triggerWatch: how many watchers each event reaches.
  const watchSummaries = new Map<number, ReturnType<ServerMetrics['summary']>>([
    [EventType.NodeCreated, metrics.summary('node_created_watch_count')],
    [EventType.NodeDeleted, metrics.summary('node_deleted_watch_count')],
    [EventType.NodeDataChanged, metrics.summary('node_changed_watch_count')],
    [EventType.NodeChildrenChanged, metrics.summary('node_children_watch_count')],
  ]);
  const watchTrigger = (wm: WatchManager) => {
    const triggerWatch = wm.triggerWatch;
    wm.triggerWatch = function (this: WatchManager, ...args: Parameters<typeof triggerWatch>) {
      const fired = triggerWatch.apply(this, args);
      if (fired !== null && fired.size > 0) watchSummaries.get(args[1])?.add(fired.size);
      return fired;
    };
  };
  watchTrigger(tree.dataWatches);
  watchTrigger(tree.childWatches);
}

// ---- directories (ZooKeeperServer.getDataDirSize / getLogDirSize)

/** The snapshot directory Apache reports (dataDir/version-2). */
export function snapDir(zks: ZooKeeperServer): string {
  return zks.snapLog?.snapDir ?? path.join(path.resolve(zks.config.dataDir || '.'), 'version-2');
}

/** The txn log directory Apache reports (dataLogDir/version-2). */
export function logDir(zks: ZooKeeperServer): string {
  return zks.snapLog?.logDir ?? path.join(path.resolve(zks.config.dataLogDir || zks.config.dataDir || '.'), 'version-2');
}

export function dirSize(p: string): number {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.size;
  let size = 0;
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(p);
  } catch {
    return 0;
  }
  for (const e of entries) size += dirSize(path.join(p, e));
  return size;
}

/**
 * ZooKeeperServer.getDataDirSize, which (in 3.8) measures the txn log directory — FileTxnSnapLog calls
 * that one its "dataDir" — while getLogDirSize measures the snapshot directory. Kept as Apache has it.
 */
export function dataDirSize(zks: ZooKeeperServer): number {
  return dirSize(logDir(zks));
}

export function logDirSize(zks: ZooKeeperServer): number {
  return dirSize(snapDir(zks));
}
