/**
 * Four-letter words on the client port (org.apache.zookeeper.server.command): the text Apache 3.8
 * writes for each, and the whitelist that gates them.
 */
import type { ServerCnxn } from '../server/serverCnxn';
import type { ZooKeeperServer } from '../server/zooKeeperServer';
import { VERSION_STRING } from '../version';
import { AdminContext, adminContext, dataDirSize, elapsedNow, logDir, logDirSize, snapDir } from './adminContext';
import { environmentList } from './environment';
import { javaDateString, javaDouble, longHex } from './javaCompat';
import { MetricValue } from './metrics';
import {
  connectionExpiryBuckets,
  connectionInfoText,
  ephemeralsInMapOrder,
  sessionExpiryBuckets,
  socketAddressString,
  watchesByPathText,
  watchesBySessionText,
  watchSummary,
} from './serverState';

/** FourLetterCommands.cmd2String: every word Apache knows. */
export const FOUR_LETTER_WORDS = ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat', 'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash'];

/** The bytes telnet sends when it closes a connection; Apache knows them as the command "telnet close". */
export const TELNET_CLOSE_CMD = 0xfff4fffd | 0;
export const TELNET_CLOSE = 'telnet close';

/** Each known command by the int its 4 bytes read as (what the client port sees instead of a length). */
export const FOUR_LETTER_CODES = new Map<number, string>([
  ...FOUR_LETTER_WORDS.map((w): [number, string] => [Buffer.from(w, 'latin1').readInt32BE(0), w]),
  [TELNET_CLOSE_CMD, TELNET_CLOSE],
]);

export const ZK_NOT_SERVING = 'This ZooKeeper instance is not currently serving requests';

/** SendBufferWriter behind a BufferedWriter: the output leaves in 8192-character packets. */
const OUTPUT_CHUNK = 8192;

/**
 * FourLetterCommands.isEnabled: the words of 4lw.commands.whitelist (`*` enables all known ones, the
 * telnet close included); srvr is always on, isro too with readonlymode.enabled=true.
 */
export function isEnabled(zks: ZooKeeperServer, word: string): boolean {
  const wl = zks.config.fourLetterWords;
  if (word === 'srvr') return true;
  if (word === 'isro' && (zks.config.sysProps.get('readonlymode.enabled') ?? 'false') === 'true') return true;
  if (wl.has('*')) return FOUR_LETTER_WORDS.includes(word) || word === TELNET_CLOSE;
  return wl.has(word);
}

/** ServerStats.toString. */
export function serverStatsText(zks: ZooKeeperServer): string {
  const s = zks.stats;
  return (
    `Latency min/avg/max: ${s.min}/${javaDouble(s.avg)}/${s.maxLatency}\n` +
    `Received: ${s.packetsReceived}\n` +
    `Sent: ${s.packetsSent}\n` +
    `Connections: ${zks.cnxns.size}\n` +
    `Outstanding: ${zks.outstandingRequests}\n` +
    `Zxid: 0x${longHex(zks.dataTree.lastProcessedZxid)}\n` +
    `Mode: standalone\n`
  );
}

/** MonitorCommand.print: integers as they are, other numbers as Java doubles. */
export function metricText(v: MetricValue): string {
  return typeof v === 'string' ? v : v.toString();
}

/** The lines of mntr: version, state, then the metrics provider's dump. */
export function monitorValues(ctx: AdminContext): [string, MetricValue][] {
  const out: [string, MetricValue][] = [
    ['version', VERSION_STRING],
    ['server_state', 'standalone'],
  ];
  ctx.metrics.dump((k, v) => out.push([k, v]));
  return out;
}

/** ZooKeeperServer.dumpConf. */
function confText(zks: ZooKeeperServer): string {
  const c = zks.config;
  return (
    `clientPort=${zks.port}\n` +
    `secureClientPort=-1\n` +
    `dataDir=${snapDir(zks)}\n` +
    `dataDirSize=${dataDirSize(zks)}\n` +
    `dataLogDir=${logDir(zks)}\n` +
    `dataLogSize=${logDirSize(zks)}\n` +
    `tickTime=${c.tickTime}\n` +
    `maxClientCnxns=${c.maxClientCnxns}\n` +
    `minSessionTimeout=${c.minSessionTimeout}\n` +
    `maxSessionTimeout=${c.maxSessionTimeout}\n` +
    `clientPortListenBacklog=${clientPortListenBacklog(zks)}\n` +
    `serverId=${c.serverId}\n`
  );
}

export function clientPortListenBacklog(zks: ZooKeeperServer): number {
  const v = zks.config.sysProps.get('zookeeper.clientPortListenBacklog');
  const n = v === undefined ? NaN : Number(v.trim());
  return Number.isInteger(n) ? n : -1;
}

/** DumpCommand: the session queue, ephemerals and the connection queue. */
function dumpText(zks: ZooKeeperServer): string {
  const toDate = (elapsed: number) => javaDateString(Date.now() + (elapsed - elapsedNow()));
  let out = 'SessionTracker dump:\n';
  const sessions = sessionExpiryBuckets(zks);
  out += `Session Sets (${sessions.length})/(${sessions.reduce((n, b) => n + b.items.length, 0)}):\n`;
  for (const b of sessions) {
    out += `${b.items.length} expire at ${toDate(b.time)}:\n`;
    for (const id of b.items) out += `\t0x${longHex(id)}\n`;
  }
  out += 'ephemeral nodes dump:\n';
  const eph = ephemeralsInMapOrder(zks);
  out += `Sessions with Ephemerals (${eph.length}):\n`;
  for (const [id, paths] of eph) {
    out += `0x${longHex(id)}:\n`;
    for (const p of paths) out += `\t${p}\n`;
  }
  out += 'Connections dump:\n';
  const cnxns = connectionExpiryBuckets(zks);
  out += `Connections Sets (${cnxns.length})/(${cnxns.reduce((n, b) => n + b.items.length, 0)}):\n`;
  for (const b of cnxns) {
    out += `${b.items.length} expire at ${toDate(b.time)}:\n`;
    for (const c of b.items) out += `\tip: ${socketAddressString(c)} sessionId: 0x${longHex(c.sessionId)}\n`;
  }
  return out;
}

/** The text a (whitelisted or not) command writes; the caller closes the connection after it. */
function commandText(zks: ZooKeeperServer, cmd: string, rest: Buffer | null): string {
  if (!isEnabled(zks, cmd)) return `${cmd} is not executed because it is not in the whitelist.\n`;
  const ctx = adminContext(zks);
  const running = zks.isRunning;
  const notServing = `${ZK_NOT_SERVING}\n`;
  switch (cmd) {
    case 'ruok':
      return 'imok';
    case 'gtmk':
      return BigInt.asIntN(64, ctx.traceMask).toString();
    case 'stmk': {
      // The mask is the 8 bytes after the word, read at once; without them Apache gives up silently.
      if (rest === null || rest.length < 8) return '';
      ctx.traceMask = rest.readBigInt64BE(0);
      return ctx.traceMask.toString();
    }
    case 'envi':
      return `Environment:\n${environmentList()
        .map(([k, v]) => `${k}=${v}\n`)
        .join('')}`;
    case 'conf':
      return running ? confText(zks) : notServing;
    case 'srst':
      if (!running) return notServing;
      zks.stats.reset();
      ctx.metrics.resetAll();
      return 'Server stats reset.\n';
    case 'crst':
      if (!running) return notServing;
      for (const c of zks.cnxns) ctx.resetCnxnStats(c);
      return 'Connection stats reset.\n';
    case 'dirs':
      if (!running) return notServing;
      return `datadir_size: ${dataDirSize(zks)}\nlogdir_size: ${logDirSize(zks)}\n`;
    case 'dump':
      return running ? dumpText(zks) : notServing;
    case 'srvr':
    case 'stat': {
      if (!running) return notServing;
      let out = `Zookeeper version: ${VERSION_STRING}\n`;
      if (cmd === 'stat') {
        out += 'Clients:\n';
        for (const c of zks.cnxns) out += `${connectionInfoText(ctx, c, true)}\n`;
        out += '\n';
      }
      out += serverStatsText(zks);
      out += `Node count: ${zks.dataTree.nodeCount}\n`;
      return out;
    }
    case 'cons': {
      if (!running) return notServing;
      let out = '';
      for (const c of zks.cnxns) out += `${connectionInfoText(ctx, c, false)}\n`;
      return `${out}\n`;
    }
    case 'wchs': {
      if (!running) return notServing;
      const s = watchSummary(zks);
      return `${s.connections} connections watching ${s.paths} paths\nTotal watches:${s.total}\n`;
    }
    case 'wchc':
      return running ? `${watchesBySessionText(zks)}\n` : notServing;
    case 'wchp':
      return running ? `${watchesByPathText(zks)}\n` : notServing;
    case 'mntr':
      if (!running) return notServing;
      return monitorValues(ctx)
        .map(([k, v]) => `zk_${k}\t${metricText(v)}\n`)
        .join('');
    case 'isro':
      return running ? 'rw' : 'null';
    case 'hash':
      // DigestCommand: the digest log; zkts keeps no tree digests, so there is nothing to list.
      return running ? '' : ZK_NOT_SERVING;
    default:
      // Known but not runnable (the telnet close): nothing is written and the connection closes.
      return '';
  }
}

/**
 * Runs a four-letter word and returns the text Apache would write before closing the connection.
 * `word` is the 4 bytes as latin1; `cnxn` the connection it came on (its stats count the word, as
 * Apache's do); `rest` whatever followed the word in the same read (stmk's mask).
 */
export function runFourLetterWord(zks: ZooKeeperServer, word: string, cnxn: ServerCnxn | null = null, rest: Buffer | null = null): string {
  const code = Buffer.from(word.padEnd(4, '\0').substring(0, 4), 'latin1').readInt32BE(0);
  const cmd = FOUR_LETTER_CODES.get(code) ?? word;
  // NIOServerCnxn.checkFourLetterWord: packetReceived(4) (the server's counter is bumped by the caller).
  if (cnxn !== null) cnxn.packetsReceived++;
  const text = commandText(zks, cmd, rest);
  const packets = Math.ceil(text.length / OUTPUT_CHUNK);
  zks.stats.packetsSent += packets;
  if (cnxn !== null) cnxn.packetsSent += packets;
  return text;
}
