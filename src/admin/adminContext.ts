/**
 * Per-server state of the admin interfaces (4lw, AdminServer, /metrics) and the observer that feeds
 * ServerMetrics.
 *
 * The server reports what the metrics need through explicit hooks, called where Apache records into
 * ServerMetrics: ZooKeeperServer.observer (ZooKeeperServerObserver, src/server/serverObserver.ts) hears
 * of finished requests with their latency, connect requests, QUOTAEXCEEDED refusals, fsyncs, snapshots
 * and the start-up load; DataTree.setObserver (DataTreeObserver, src/tree/dataTreeObserver.ts) installs
 * one for the tree's updateReadStat / updateWriteStat points (getData, statNode, getChildren;
 * createNode, deleteNode, setData) and for the watch fan-out of both WatchManagers. Creating a server's
 * context installs a MetricsObserver in both places; a server without one pays a null check per hook
 * and computes nothing for it (namespaces, byte counts, per-connection figures are all worked out here).
 * What is measured: request latency split into reads (no txn header) and updates
 * (readlatency/updatelatency), per-connection request counts, connect requests, fsync and snapshot
 * times, db init time and txns loaded, read/write bytes per namespace, watch fan-out per event type,
 * quota errors per namespace.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ServerCnxn } from '../server/serverCnxn';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import type { Request } from '../server/request';
import type { ZooKeeperServerObserver } from '../server/serverObserver';
import type { DataTreeObserver } from '../tree/dataTreeObserver';
import { EventType } from '../protocol/enums';
import { QUOTA_ROOT, LIMIT_NODE, STAT_NODE, StatsTrack } from '../tree/quotas';
import { Counter, CounterSet, JDouble, PROMETHEUS_PROVIDER, PromFamily, ServerMetrics, Summary, SummarySet } from './metrics';
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

/** The admin state of a server, created (and its metrics observer installed) on first use. */
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
  const observer = new MetricsObserver(ctx);
  zks.observer = observer;
  zks.dataTree.setObserver(observer);
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

// ---- the metrics observer

/** Records what the server's hooks report into its ServerMetrics (one per AdminContext). */
class MetricsObserver implements ZooKeeperServerObserver, DataTreeObserver {
  private readonly readLatency: Summary;
  private readonly updateLatency: Summary;
  private readonly connectionRequests: Counter;
  private readonly tokenDeficit: Summary;
  private readonly quotaExceededPerNamespace: CounterSet;
  private readonly fsyncTime: Summary;
  private readonly snapshotTime: Summary;
  private readonly dbInitTime: Summary;
  private readonly txnsLoaded: Summary;
  private readonly readPerNamespace: SummarySet;
  private readonly writePerNamespace: SummarySet;
  private readonly nodeCreatedWatches: Summary;
  private readonly nodeDeletedWatches: Summary;
  private readonly nodeChangedWatches: Summary;
  private readonly nodeChildrenWatches: Summary;

  constructor(private readonly ctx: AdminContext) {
    const m = ctx.metrics;
    this.readLatency = m.summary('readlatency');
    this.updateLatency = m.summary('updatelatency');
    this.connectionRequests = m.counter('connection_request_count');
    this.tokenDeficit = m.summary('connection_token_deficit');
    this.quotaExceededPerNamespace = m.counterSet('quota_exceeded_error_per_namespace');
    this.fsyncTime = m.summary('fsynctime');
    this.snapshotTime = m.summary('snapshottime');
    this.dbInitTime = m.summary('dbinittime');
    this.txnsLoaded = m.summary('startup_txns_loaded');
    this.readPerNamespace = m.summarySet('read_per_namespace');
    this.writePerNamespace = m.summarySet('write_per_namespace');
    this.nodeCreatedWatches = m.summary('node_created_watch_count');
    this.nodeDeletedWatches = m.summary('node_deleted_watch_count');
    this.nodeChangedWatches = m.summary('node_changed_watch_count');
    this.nodeChildrenWatches = m.summary('node_children_watch_count');
  }

  // ServerStats.updateLatency (readlatency/updatelatency) and ServerCnxn.updateStatsForResponse.
  requestFinished(request: Request, latency: number): void {
    if (latency >= 0) (request.hdr !== null ? this.updateLatency : this.readLatency).add(latency);
    if (request.cnxn !== null) {
      const e = this.ctx.extra(request.cnxn);
      e.count++;
      if (request.cxid >= 0) e.lastCxid = request.cxid;
    }
  }

  connectRequest(): void {
    this.tokenDeficit.add(0);
    this.connectionRequests.add(1);
  }

  quotaExceeded(path: string): void {
    const ns = topNamespace(path);
    if (ns !== null) this.quotaExceededPerNamespace.add(ns, 1);
  }

  fsyncDone(ms: number): void {
    this.fsyncTime.add(Math.round(ms));
    if (ms > 1000) this.ctx.fsyncThresholdExceedCount++;
  }

  snapshotTaken(ms: number): void {
    this.snapshotTime.add(ms);
  }

  databaseLoaded(ms: number, txns: number): void {
    this.dbInitTime.add(ms);
    if (txns > 0) this.txnsLoaded.add(txns);
  }

  // DataTree.updateReadStat / updateWriteStat.
  updateReadStat(path: string, bytes: number): void {
    const ns = this.namespaceOf(path);
    if (ns !== null) this.readPerNamespace.add(ns, path.length + bytes + STAT_OVERHEAD_BYTES);
  }

  updateWriteStat(path: string, bytes: number): void {
    const ns = this.namespaceOf(path);
    if (ns !== null) this.writePerNamespace.add(ns, path.length + bytes);
  }

  /** The last namespace found: most requests in a row share one, so its string is reused, not cut again. */
  private lastNamespace = '';

  /** topNamespace for the read and write stats. */
  private namespaceOf(path: string): string | null {
    const ns = this.lastNamespace;
    const end = ns.length + 1;
    if (ns !== '' && path.startsWith(ns, 1) && path.charCodeAt(0) === 0x2f && (path.length === end || path.charCodeAt(end) === 0x2f)) return ns;
    const found = topNamespace(path);
    if (found !== null) this.lastNamespace = found;
    return found;
  }

  // WatchManager.triggerWatch: how many watchers each event reaches.
  watchesTriggered(type: number, count: number): void {
    switch (type) {
      case EventType.NodeCreated:
        this.nodeCreatedWatches.add(count);
        break;
      case EventType.NodeDeleted:
        this.nodeDeletedWatches.add(count);
        break;
      case EventType.NodeDataChanged:
        this.nodeChangedWatches.add(count);
        break;
      case EventType.NodeChildrenChanged:
        this.nodeChildrenWatches.add(count);
        break;
      default:
        break;
    }
  }
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
