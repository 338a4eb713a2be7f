import * as fs from 'fs';
import * as path from 'path';

/** A configuration error; the message names the key (and line) at fault. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface PropertyLine {
  key: string;
  value: string;
  line: number;
}

/**
 * Reads java.util.Properties syntax, as Apache reads zoo.cfg: `k=v`, `k: v` or `k v`; # and ! comments;
 * a backslash continues a line or escapes a character (\t \n \r \f \uXXXX); \n, \r\n or a lone \r end a line.
 */
export function parseProperties(text: string): PropertyLine[] {
  const out: PropertyLine[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  const endsInOddBackslashes = (l: string) => {
    let n = 0;
    for (let i = l.length - 1; i >= 0 && l[i] === '\\'; i--) n++;
    return n % 2 === 1;
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i].replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsInOddBackslashes(line)) {
      line = line.slice(0, -1);
      if (i + 1 >= lines.length) break;
      line += lines[++i].replace(/^[ \t\f]+/, '');
    }
    // The key ends at the first unescaped '=', ':' or white space.
    let k = 0;
    while (k < line.length && !'=: \t\f'.includes(line[k])) k += line[k] === '\\' ? 2 : 1;
    const rawKey = line.substring(0, Math.min(k, line.length));
    let v = k;
    while (v < line.length && ' \t\f'.includes(line[v])) v++;
    if (v < line.length && (line[v] === '=' || line[v] === ':')) v++;
    while (v < line.length && ' \t\f'.includes(line[v])) v++;
    out.push({ key: unescapeProperty(rawKey), value: unescapeProperty(line.substring(v)), line: lineNo });
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.substring(1), 16));
    return ({ t: '\t', n: '\n', r: '\r', f: '\f' } as Record<string, string>)[c] ?? c;
  });
}

export interface ServerConfig {
  configFile: string | null;
  tickTime: number;
  initLimit: number;
  syncLimit: number;
  dataDir: string;
  dataLogDir: string;
  clientPort: number;
  clientPortAddress: string | null;
  maxClientCnxns: number;
  maxCnxns: number;
  minSessionTimeout: number;
  maxSessionTimeout: number;
  /** jute.maxbuffer: the largest frame and field accepted. */
  juteMaxBuffer: number;
  /** 4lw.commands.whitelist as a set of words; '*' allows all. */
  fourLetterWords: Set<string>;
  extendedTypesEnabled: boolean;
  containerCheckIntervalMs: number;
  globalOutstandingLimit: number;
  serverId: number;
  /** zookeeper.snapCount: txns between snapshots (each server randomizes the point in the second half). */
  snapCount: number;
  /** zookeeper.preAllocSize, in KB: the txn log grows in blocks this large. */
  preAllocSizeKb: number;
  /** zookeeper.forceSync: fsync the log before acknowledging writes. */
  forceSync: boolean;
  /** zkts.txnLogDirectIo: with forceSync, log groups go to disk with O_DIRECT | O_DSYNC (FileTxnLog). */
  txnLogDirectIo: boolean;
  /** autopurge.snapRetainCount (at least 3). */
  snapRetainCount: number;
  /** autopurge.purgeInterval in hours; 0 turns purging off. */
  purgeIntervalHours: number;
  /** Keep data on disk (txn log + snapshots) in dataDir; false only for in-memory test servers. */
  persistence: boolean;
  /** Everything given as a Java system property: -D arguments and the zookeeper.<key> of unknown keys. */
  sysProps: Map<string, string>;
  /** Keys Apache accepts that zkts reads but does not act on yet. */
  ignoredKeys: string[];
}

/** Keys Apache's QuorumPeerConfig knows and zkts accepts without acting on them (yet). */
const ACCEPTED_KEYS = new Set([
  'electionAlg',
  'peerType',
  'syncEnabled',
  'quorumListenOnAllIPs',
  'standaloneEnabled',
  'reconfigEnabled',
  'localSessionsEnabled',
  'localSessionsUpgradingEnabled',
  'secureClientPort',
  'secureClientPortAddress',
  'observerMasterPort',
  'dynamicConfigFile',
  'snapCount',
  'snapSizeLimitInKb',
  'txnLogSizeLimitInKb',
  'preAllocSize',
  'forceSync',
  'leaderServes',
  'connectToLearnerMasterLimit',
  'multiAddress.enabled',
  'multiAddress.reachabilityCheckEnabled',
  'multiAddress.reachabilityCheckTimeoutMs',
  'metricsProvider.className',
  'metricsProvider.httpHost',
  'metricsProvider.httpPort',
  'metricsProvider.exportJvmInfo',
  'oraclePath',
  'clientPortListenBacklog',
]);

/** Integer.parseInt: a decimal that fits in 32 bits. */
function parseIntStrict(key: string, value: string, where: string): number {
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new ConfigError(`Invalid value for ${key}: '${value}' is not an integer (${where})`);
  }
  const n = Number(value.trim());
  if (n > 2147483647 || n < -2147483648) throw new ConfigError(`Invalid value for ${key}: '${value}' is out of range for an int (${where})`);
  return n;
}

/** Java's Integer.decode as used for jute.maxbuffer: decimal, 0x hex or leading-0 octal. */
function parseJavaInt(key: string, value: string, where: string): number {
  const v = value.trim();
  let n: number;
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(v) || /^[+-]?#[0-9a-fA-F]+$/.test(v)) {
    n = parseInt(v.replace('#', '0x'), 16);
  } else if (/^[+-]?0[0-7]+$/.test(v)) {
    n = parseInt(v, 8);
  } else if (/^[+-]?\d+$/.test(v)) {
    n = parseInt(v, 10);
  } else {
    throw new ConfigError(`Invalid value for ${key}: '${value}' is not an integer (${where})`);
  }
  return n;
}

function parseBool(key: string, value: string, where: string): boolean {
  const v = value.trim().toLowerCase();
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new ConfigError(`Invalid value for ${key}: '${value}' is not true or false (${where})`);
}

export interface LoadOptions {
  /** -Dname=value arguments, as Java system properties. */
  sysProps?: Map<string, string> | Record<string, string>;
  /** Base directory for relative dataDir/dataLogDir; defaults to the process's working directory. */
  baseDir?: string;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): ServerConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read configuration file ${file}: ${(e as Error).message}`);
  }
  return buildConfig(parseProperties(text), file, opts);
}

export function buildConfig(props: PropertyLine[] | Record<string, string>, file: string | null, opts: LoadOptions = {}): ServerConfig {
  const lines: PropertyLine[] = Array.isArray(props)
    ? props
    : Object.entries(props).map(([key, value], i) => ({ key, value, line: i + 1 }));
  const sysProps = new Map<string, string>(opts.sysProps instanceof Map ? opts.sysProps : Object.entries(opts.sysProps ?? {}));
  const where = (l: PropertyLine) => (file === null ? `key ${l.key}` : `${file} line ${l.line}`);
  const cfg: ServerConfig = {
    configFile: file,
    // ZooKeeperServer.DEFAULT_TICK_TIME, when zoo.cfg does not set it.
    tickTime: 3000,
    initLimit: 10,
    syncLimit: 5,
    dataDir: '',
    dataLogDir: '',
    clientPort: 0,
    clientPortAddress: null,
    maxClientCnxns: 60,
    maxCnxns: 0,
    minSessionTimeout: -1,
    maxSessionTimeout: -1,
    juteMaxBuffer: 0xfffff,
    fourLetterWords: new Set(['srvr']),
    extendedTypesEnabled: false,
    containerCheckIntervalMs: 60000,
    globalOutstandingLimit: 1000,
    serverId: 0,
    snapCount: 100000,
    preAllocSizeKb: 65536,
    forceSync: true,
    txnLogDirectIo: true,
    snapRetainCount: 3,
    purgeIntervalHours: 0,
    persistence: true,
    sysProps,
    ignoredKeys: [],
  };
  let clientPortSet = false;
  let dataDirSet = false;
  const baseDir = opts.baseDir ?? process.cwd();
  for (const l of lines) {
    const key = l.key.trim();
    const value = l.value.trim();
    switch (key) {
      case 'tickTime':
        cfg.tickTime = parseIntStrict(key, value, where(l));
        break;
      case 'initLimit':
        cfg.initLimit = parseIntStrict(key, value, where(l));
        break;
      case 'syncLimit':
        cfg.syncLimit = parseIntStrict(key, value, where(l));
        break;
      case 'dataDir':
        cfg.dataDir = path.resolve(baseDir, value);
        dataDirSet = true;
        break;
      case 'dataLogDir':
        cfg.dataLogDir = path.resolve(baseDir, value);
        break;
      case 'clientPort':
        cfg.clientPort = parseIntStrict(key, value, where(l));
        if (cfg.clientPort < 0 || cfg.clientPort > 65535) throw new ConfigError(`Invalid value for clientPort: ${value} is not a port (${where(l)})`);
        clientPortSet = true;
        break;
      case 'clientPortAddress':
        cfg.clientPortAddress = value;
        break;
      case 'maxClientCnxns':
        cfg.maxClientCnxns = parseIntStrict(key, value, where(l));
        break;
      case 'maxCnxns':
        cfg.maxCnxns = parseIntStrict(key, value, where(l));
        break;
      case 'minSessionTimeout':
        cfg.minSessionTimeout = parseIntStrict(key, value, where(l));
        break;
      case 'maxSessionTimeout':
        cfg.maxSessionTimeout = parseIntStrict(key, value, where(l));
        break;
      case 'globalOutstandingLimit':
        cfg.globalOutstandingLimit = parseIntStrict(key, value, where(l));
        break;
      case 'autopurge.snapRetainCount':
        cfg.snapRetainCount = Math.max(3, parseIntStrict(key, value, where(l)));
        break;
      case 'autopurge.purgeInterval':
        cfg.purgeIntervalHours = parseIntStrict(key, value, where(l));
        break;
      case 'jute.maxbuffer':
        sysProps.set('jute.maxbuffer', value);
        break;
      default:
        if (key.startsWith('server.') || key.startsWith('group.') || key.startsWith('weight.')) {
          cfg.ignoredKeys.push(key);
        } else if (ACCEPTED_KEYS.has(key) || key.startsWith('admin.') || key.startsWith('ssl.') || key.startsWith('metricsProvider.')) {
          cfg.ignoredKeys.push(key);
          sysProps.set(`zookeeper.${key}`, value);
        } else {
          // QuorumPeerConfig turns any other key into the system property zookeeper.<key>, even one
          // that already starts with "zookeeper." (which then has no effect, in Apache as here).
          sysProps.set(`zookeeper.${key}`, value);
        }
    }
  }
  if (!dataDirSet && file !== null) throw new ConfigError(`dataDir is not set (${file})`);
  if (cfg.dataLogDir === '') cfg.dataLogDir = cfg.dataDir;
  if (!clientPortSet && file !== null) throw new ConfigError(`clientPort is not set (${file})`);
  if (cfg.tickTime <= 0) throw new ConfigError(`Invalid value for tickTime: ${cfg.tickTime} must be positive`);
  if (cfg.minSessionTimeout === -1) cfg.minSessionTimeout = cfg.tickTime * 2;
  if (cfg.maxSessionTimeout === -1) cfg.maxSessionTimeout = cfg.tickTime * 20;
  if (cfg.minSessionTimeout > cfg.maxSessionTimeout) {
    throw new ConfigError('minSessionTimeout must not be larger than maxSessionTimeout');
  }

  // System properties Apache reads directly.
  const jmb = sysProps.get('jute.maxbuffer');
  if (jmb !== undefined) {
    cfg.juteMaxBuffer = parseJavaInt('jute.maxbuffer', jmb, 'system property');
    if (cfg.juteMaxBuffer <= 0) throw new ConfigError(`Invalid value for jute.maxbuffer: ${jmb} must be positive`);
  }
  const wl = sysProps.get('zookeeper.4lw.commands.whitelist');
  if (wl !== undefined) cfg.fourLetterWords = parseWhitelist(wl);
  const ext = sysProps.get('zookeeper.extendedTypesEnabled');
  if (ext !== undefined) cfg.extendedTypesEnabled = ext.trim().toLowerCase() === 'true';
  const cci = sysProps.get('znode.container.checkIntervalMs');
  if (cci !== undefined) cfg.containerCheckIntervalMs = parseIntStrict('znode.container.checkIntervalMs', cci, 'system property');
  const snapCount = sysProps.get('zookeeper.snapCount');
  if (snapCount !== undefined) {
    cfg.snapCount = parseIntStrict('snapCount', snapCount, 'system property zookeeper.snapCount');
    if (cfg.snapCount < 2) throw new ConfigError(`Invalid value for snapCount: ${snapCount} must be at least 2`);
  }
  const pas = sysProps.get('zookeeper.preAllocSize');
  if (pas !== undefined) cfg.preAllocSizeKb = parseIntStrict('preAllocSize', pas, 'system property zookeeper.preAllocSize');
  const fsyncProp = sysProps.get('zookeeper.forceSync');
  if (fsyncProp !== undefined) cfg.forceSync = fsyncProp.trim().toLowerCase() !== 'no';
  const directProp = sysProps.get('zkts.txnLogDirectIo');
  if (directProp !== undefined) cfg.txnLogDirectIo = directProp.trim().toLowerCase() !== 'false';
  const gol = sysProps.get('zookeeper.globalOutstandingLimit');
  if (gol !== undefined) cfg.globalOutstandingLimit = parseIntStrict('globalOutstandingLimit', gol, 'system property');
  return cfg;
}

/** 4lw.commands.whitelist: comma-separated words, `*` for all. */
export function parseWhitelist(value: string): Set<string> {
  const words = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return new Set(words);
}

/** Defaults for an embedded or test server (no file). */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const cfg = buildConfig({}, null);
  Object.assign(cfg, overrides);
  if (overrides.tickTime !== undefined && overrides.minSessionTimeout === undefined) cfg.minSessionTimeout = cfg.tickTime * 2;
  if (overrides.tickTime !== undefined && overrides.maxSessionTimeout === undefined) cfg.maxSessionTimeout = cfg.tickTime * 20;
  return cfg;
}

export { parseBool };
