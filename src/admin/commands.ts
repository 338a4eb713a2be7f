/**
 * The AdminServer's commands (org.apache.zookeeper.server.admin.Commands): names and aliases, and the
 * response each builds, with Apache's field names and field order.
 */
import * as fs from 'fs';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { listSnapshots } from '../persistence/snapshot';
import { VERSION_STRING } from '../version';
import { AdminContext, adminContext, dataDirSize, logDir, logDirSize, snapDir } from './adminContext';
import { environmentList, systemProperties } from './environment';
import { clientPortListenBacklog, ZK_NOT_SERVING } from './fourLetterWords';
import { longHex } from './javaCompat';
import { Json, JsonMap, jsonMap } from './json';
import { JDouble } from './metrics';
import {
  connectionInfoJson,
  ephemeralsJson,
  sessionExpiryJson,
  watchesByPathJson,
  watchesBySessionJson,
  watchSummary,
} from './serverState';

/** CommandResponse: the data a command put, then `command` and `error` (unless the data set them). */
export class CommandResponse {
  readonly data: JsonMap = jsonMap();

  constructor(
    readonly command: string,
    readonly error: string | null = null,
  ) {}

  put(key: string, value: Json): this {
    this.data.set(key, value);
    return this;
  }

  toMap(): JsonMap {
    const m = jsonMap([...this.data]);
    if (!m.has('command')) m.set('command', this.command);
    if (!m.has('error')) m.set('error', this.error);
    return m;
  }
}

type Run = (ctx: AdminContext, kwargs: Map<string, string>, r: CommandResponse) => void;

export interface Command {
  /** The primary name first, then the aliases. */
  readonly names: readonly string[];
  /** Refuses to run ("not currently serving") while the server is not running. */
  readonly serverRequired: boolean;
  readonly run: Run;
}

function serverStatsJson(ctx: AdminContext): JsonMap {
  const zks = ctx.zks;
  const s = zks.stats;
  return jsonMap([
    ['packets_sent', s.packetsSent],
    ['packets_received', s.packetsReceived],
    ['fsync_threshold_exceed_count', ctx.fsyncThresholdExceedCount],
    ['client_response_stats', clientResponseJson()],
    ['data_dir_size', dataDirSize(zks)],
    ['log_dir_size', logDirSize(zks)],
    ['provider_null', false],
    ['server_state', 'standalone'],
    ['last_processed_zxid', zks.dataTree.lastProcessedZxid],
    ['outstanding_requests', zks.outstandingRequests],
    ['avg_latency', new JDouble(s.avg)],
    ['max_latency', s.maxLatency],
    ['min_latency', s.min],
    ['num_alive_client_connections', zks.cnxns.size],
    ['uptime', Date.now() - zks.startTime],
    ['auth_failed_count', 0],
    ['non_mtlsremote_conn_count', 0],
    ['non_mtlslocal_conn_count', 0],
  ]);
}

/** BufferStats: zkts does not record response sizes, so these stay at Apache's initial -1. */
function clientResponseJson(): JsonMap {
  return jsonMap([
    ['last_buffer_size', -1],
    ['min_buffer_size', -1],
    ['max_buffer_size', -1],
  ]);
}

function srvr(ctx: AdminContext, r: CommandResponse): void {
  r.put('version', VERSION_STRING);
  r.put('read_only', false);
  r.put('server_stats', serverStatsJson(ctx));
  r.put('client_response', clientResponseJson());
  r.put('node_count', ctx.zks.dataTree.nodeCount);
}

/** FileSnap's last snapshot: the newest snapshot file's zxid and modification time in seconds. */
function lastSnapshot(zks: ZooKeeperServer): { zxid: number; timestamp: number } | null {
  if (zks.snapLog === null) return null;
  let snaps: { file: string; zxid: number }[];
  try {
    snaps = listSnapshots(zks.snapLog.snapDir);
  } catch {
    return null;
  }
  let best: { file: string; zxid: number } | null = null;
  for (const s of snaps) if (best === null || s.zxid > best.zxid) best = s;
  if (best === null) return null;
  try {
    return { zxid: best.zxid, timestamp: Math.floor(fs.statSync(best.file).mtimeMs / 1000) };
  } catch {
    return { zxid: best.zxid, timestamp: -1 };
  }
}

const COMMANDS: Command[] = [
  {
    names: ['connection_stat_reset', 'crst'],
    serverRequired: true,
    run: (ctx) => {
      for (const c of ctx.zks.cnxns) ctx.resetCnxnStats(c);
    },
  },
  {
    names: ['configuration', 'conf', 'config'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      const zks = ctx.zks;
      const c = zks.config;
      r.put('client_port', zks.port);
      r.put('data_dir', snapDir(zks));
      r.put('data_log_dir', logDir(zks));
      r.put('tick_time', c.tickTime);
      r.put('max_client_cnxns', c.maxClientCnxns);
      r.put('min_session_timeout', c.minSessionTimeout);
      r.put('max_session_timeout', c.maxSessionTimeout);
      r.put('server_id', c.serverId);
      r.put('client_port_listen_backlog', clientPortListenBacklog(zks));
    },
  },
  {
    names: ['connections', 'cons'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put(
        'connections',
        [...ctx.zks.cnxns].map((c) => connectionInfoJson(ctx, c, false)),
      );
      r.put('secure_connections', []);
    },
  },
  {
    names: ['hash'],
    serverRequired: true,
    // No tree digests in zkts: the digest log is always empty.
    run: (_ctx, _k, r) => {
      r.put('digests', []);
    },
  },
  {
    names: ['dirs'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put('datadir_size', dataDirSize(ctx.zks));
      r.put('logdir_size', logDirSize(ctx.zks));
    },
  },
  {
    names: ['dump'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put('expiry_time_to_session_ids', sessionExpiryJson(ctx.zks));
      r.put('session_id_to_ephemeral_paths', ephemeralsJson(ctx.zks));
    },
  },
  {
    names: ['environment', 'env', 'envi'],
    serverRequired: false,
    run: (_ctx, _k, r) => {
      for (const [k, v] of environmentList()) r.put(k, v);
    },
  },
  {
    names: ['get_trace_mask', 'gtmk'],
    serverRequired: false,
    run: (ctx, _k, r) => {
      r.put('tracemask', BigInt.asIntN(64, ctx.traceMask));
    },
  },
  {
    names: ['initial_configuration', 'icfg'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put('initial_configuration', ctx.initialConfig);
    },
  },
  {
    names: ['is_read_only', 'isro'],
    serverRequired: true,
    run: (_ctx, _k, r) => {
      r.put('read_only', false);
    },
  },
  {
    names: ['last_snapshot', 'lsnp'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      const info = lastSnapshot(ctx.zks);
      r.put('zxid', longHex(info === null ? -1 : info.zxid));
      r.put('timestamp', info === null ? -1 : info.timestamp);
    },
  },
  {
    names: ['leader', 'lead'],
    serverRequired: true,
    run: (_ctx, _k, r) => {
      r.put('error', 'server is not initialized');
    },
  },
  {
    names: ['monitor', 'mntr'],
    serverRequired: false,
    run: (ctx, _k, r) => {
      r.put('version', VERSION_STRING);
      r.put('server_state', 'standalone');
      ctx.metrics.dump((k, v) => {
        r.put(k, v);
      });
    },
  },
  {
    names: ['observer_connection_stat_reset', 'orst'],
    serverRequired: true,
    run: () => undefined,
  },
  {
    names: ['ruok'],
    serverRequired: true,
    run: () => undefined,
  },
  {
    names: ['set_trace_mask', 'stmk'],
    serverRequired: false,
    run: (ctx, kwargs, r) => {
      const v = kwargs.get('traceMask');
      if (v === undefined) {
        r.put('error', 'setTraceMask requires long traceMask argument');
        return;
      }
      // Long.parseLong: an optional sign and decimal digits, within 64 bits.
      let mask: bigint | null = null;
      if (/^[+-]?\d+$/.test(v)) {
        const b = BigInt(v);
        if (b === BigInt.asIntN(64, b)) mask = b;
      }
      if (mask === null) {
        r.put('error', `setTraceMask requires long traceMask argument, got ${v}`);
        return;
      }
      ctx.traceMask = mask;
      r.put('tracemask', mask);
    },
  },
  {
    names: ['server_stats', 'srvr'],
    serverRequired: true,
    run: (ctx, _k, r) => srvr(ctx, r),
  },
  {
    names: ['stats', 'stat'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      srvr(ctx, r);
      r.put(
        'connections',
        [...ctx.zks.cnxns].map((c) => connectionInfoJson(ctx, c, true)),
      );
      r.put('secure_connections', []);
    },
  },
  {
    names: ['stat_reset', 'srst'],
    serverRequired: true,
    run: (ctx) => {
      ctx.zks.stats.reset();
      ctx.metrics.resetAll();
    },
  },
  {
    names: ['observers', 'obsr'],
    serverRequired: true,
    run: (_ctx, _k, r) => {
      r.put('synced_observers', 0);
      r.put('observers', []);
    },
  },
  {
    names: ['system_properties', 'sysp'],
    serverRequired: false,
    run: (ctx, _k, r) => {
      for (const [k, v] of systemProperties(ctx.zks)) r.put(k, v);
    },
  },
  {
    names: ['voting_view'],
    serverRequired: true,
    run: (_ctx, _k, r) => {
      r.put('current_config', jsonMap());
    },
  },
  {
    names: ['watches', 'wchc'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put('session_id_to_watched_paths', watchesBySessionJson(ctx.zks));
    },
  },
  {
    names: ['watches_by_path', 'wchp'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      r.put('path_to_session_ids', watchesByPathJson(ctx.zks));
    },
  },
  {
    names: ['watch_summary', 'wchs'],
    serverRequired: true,
    run: (ctx, _k, r) => {
      const s = watchSummary(ctx.zks);
      r.put('num_connections', s.connections);
      r.put('num_paths', s.paths);
      r.put('num_total_watches', s.total);
    },
  },
  {
    names: ['zabstate'],
    serverRequired: false,
    run: (_ctx, _k, r) => {
      r.put('voting', false);
      r.put('zabstate', '');
    },
  },
];

const BY_NAME = new Map<string, Command>();
for (const c of COMMANDS) for (const n of c.names) BY_NAME.set(n, c);

/** Commands.getPrimaryNames, sorted as the command list shows them. */
export function primaryNames(): string[] {
  return COMMANDS.map((c) => c.names[0]).sort();
}

export function getCommand(name: string): Command | undefined {
  return BY_NAME.get(name);
}

/** Commands.runCommand. */
export function runCommand(zks: ZooKeeperServer, name: string, kwargs: Map<string, string> = new Map()): CommandResponse {
  const cmd = BY_NAME.get(name);
  if (cmd === undefined) return new CommandResponse(name, `Unknown command: ${name}`);
  if (cmd.serverRequired && !zks.isRunning) return new CommandResponse(name, ZK_NOT_SERVING);
  const r = new CommandResponse(cmd.names[0]);
  cmd.run(adminContext(zks), kwargs, r);
  return r;
}
