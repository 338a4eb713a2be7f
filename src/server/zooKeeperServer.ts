import * as net from 'net';
import { JuteError } from '../jute/errors';
import { JuteReader } from '../jute/reader';
import { JuteWriter } from '../jute/writer';
import * as R from '../jute/records';
import { ServerConfig } from '../config/zooCfg';
import { Code, KeeperException } from '../protocol/errors';
import { StatsTrack, limitPath, statPath } from '../tree/quotas';
import { OpCode, isValidRequestType, isWriteRequestType } from '../protocol/opCodes';
import { generatePasswd } from '../protocol/handshake';
import { SessionTracker } from '../session/sessionTracker';
import { AuthRegistry, saslProvider } from '../tree/acl';
import { DigestMd5Server, SaslError } from '../auth/digestMd5';
import { digestUsers, loadJaasFile } from '../auth/jaas';
import { DataTree, ProcessTxnResult } from '../tree/dataTree';
import { Deque } from '../util/deque';
import { replyViewsLive } from '../protocol/replyWriter';
import { javaHashOrder, javaIdHash } from '../util/javaHash';
import { PrefaultedPages } from '../util/prefaultedPages';
import { PAGE_SIZE } from '../tree/nodeStore';
import { Logger, silentLogger } from '../util/logger';
import { FinalRequestProcessor } from './finalRequestProcessor';
import { ChangeRecord, PrepRequestProcessor } from './prepRequestProcessor';
import { Request } from './request';
import { ContainerManager } from './containerManager';
import { FileTxnSnapLog } from '../persistence/fileTxnSnapLog';
import { FileTxnLog } from '../persistence/txnLog';
import { ServerCnxn } from './serverCnxn';
import type { ZooKeeperServerObserver } from './serverObserver';
import { InMemoryTxnLog, SyncRequestProcessor, TxnLogSink } from './syncRequestProcessor';
import { FOUR_LETTER_CODES, runFourLetterWord } from '../admin/fourLetterWords';

/** Standalone requests all share one owner (Apache's ServerCnxn.me): sessions never "move" here. */
const LOCAL_OWNER = Symbol('local');

export class ServerStats {
  packetsReceived = 0;
  packetsSent = 0;
  minLatency = Number.MAX_SAFE_INTEGER;
  maxLatency = 0;
  totalLatency = 0;
  latencyCount = 0;

  reset(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.minLatency = Number.MAX_SAFE_INTEGER;
    this.maxLatency = 0;
    this.totalLatency = 0;
    this.latencyCount = 0;
  }

  get min(): number {
    return this.latencyCount === 0 ? 0 : this.minLatency;
  }

  /** AvgMinMaxCounter.getAvg: rounded half-up to 4 decimals. */
  get avg(): number {
    if (this.latencyCount === 0) return 0;
    return Math.round((this.totalLatency / this.latencyCount) * 10000) / 10000;
  }
}

export interface ServerOptions {
  log?: Logger;
  /** A txn log to use instead of the one in dataLogDir (tests); no recovery or snapshots then. */
  txnLog?: TxnLogSink;
  /** Wall clock for txn times (ms); replaceable in simulation. */
  now?: () => number;
}

/** outstandingChangesForPath is swept of applied entries no more often than every this many entries. */
const SWEEP_CHANGES_MIN = 4096;

/**
 * A standalone ZooKeeper server (ZooKeeperServer): the DataTree, sessions, and the processor chain
 * prep -> sync (txn log) -> final (apply + reply), fed by client connections.
 */
export class ZooKeeperServer {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly dataTree: DataTree;
  readonly sessionTracker: SessionTracker;
  readonly auth = new AuthRegistry();
  readonly stats = new ServerStats();
  /** Changes prepped but not yet applied, oldest first (Apache's outstandingChanges). */
  readonly outstandingChanges = new Deque<ChangeRecord>();
  /**
   * The latest change record of each path (Apache's outstandingChangesForPath). An entry outlives its txn:
   * once applied (zxid at most the tree's lastProcessedZxid) it reads as absent (pendingChange), and the
   * applied ones are dropped together when the map has doubled (sweepAppliedChanges). Deleting each entry
   * as its txn was applied made V8 rebuild the map's hash table every few hundred writes; at set 100 B
   * 32 x 100 that was half the scavenge time and three in four mark-compacts.
   */
  readonly outstandingChangesForPath = new Map<string, ChangeRecord>();
  private sweepChangesAt = SWEEP_CHANGES_MIN;
  readonly cnxns = new Set<ServerCnxn>();
  private readonly sessionCnxns = new Map<bigint, ServerCnxn>();
  private hzxid = 0;
  private readonly firstProcessor: PrepRequestProcessor;
  readonly containerManager: ContainerManager;
  private readonly syncProcessor: SyncRequestProcessor;
  private server: net.Server | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  readonly now: () => number;
  readonly startTime = Date.now();
  private running = false;
  outstandingRequests = 0;
  readonly serverId: number;
  /** Sessions and their timeouts as the txns applied so far define them (what snapshots store). */
  readonly sessionsWithTimeouts = new Map<bigint, number>();
  readonly snapLog: FileTxnSnapLog | null = null;
  private fileLog: FileTxnLog | null = null;
  private snapInProgress: Promise<void> | null = null;
  private pageSource: PrefaultedPages | null = null;
  private randRoll = 0;
  private purgeTimer: NodeJS.Timeout | null = null;
  /** Duration of the last fsync, ms (metrics). */
  lastFsyncMs = 0;
  /** Who keeps this server's metrics (the admin side), or null: see serverObserver.ts. */
  observer: ZooKeeperServerObserver | null = null;

  constructor(config: ServerConfig, opts: ServerOptions = {}) {
    this.config = config;
    this.log = opts.log ?? silentLogger();
    this.now = opts.now ?? Date.now;
    this.serverId = config.serverId;
    this.dataTree = new DataTree({ extendedTypesEnabled: config.extendedTypesEnabled });
    // Replies carry znode data uncopied: an emptied record page is reused only once none is in flight.
    this.dataTree.store.viewsLive = replyViewsLive;
    // A standalone server makes session ids with server id 1 (ZooKeeperServer.createSessionTrackerServerId).
    this.sessionTracker = new SessionTracker(config.serverId === 0 ? 1 : config.serverId, config.tickTime, Date.now());
    const superDigest = config.sysProps.get('zookeeper.DigestAuthenticationProvider.superDigest');
    if (superDigest !== undefined) this.auth.superDigest = superDigest;
    this.saslUsers = this.configureSasl(config);
    const final = new FinalRequestProcessor(this);
    this.syncProcessor = new SyncRequestProcessor(opts.txnLog ?? new InMemoryTxnLog(), final, (err) => this.fatal(err), () => this.maybeSnapshot(), () => this.outstandingRequests === 1 && this.cnxns.size === 1 && !this.framesBehind, this.config.globalOutstandingLimit > 0 ? Math.max(1, this.config.globalOutstandingLimit >> 1) : Infinity, (forward) => this.handOffGroup(forward));
    if (opts.txnLog === undefined && config.persistence && config.dataDir !== '') {
      this.snapLog = new FileTxnSnapLog(config.dataDir, config.dataLogDir, this.log);
    }
    this.firstProcessor = new PrepRequestProcessor(this, this.syncProcessor);
    const sys = config.sysProps;
    this.enforceQuota = (sys.get('zookeeper.enforceQuota') ?? 'false').trim().toLowerCase() === 'true';
    this.containerManager = new ContainerManager(this, {
      checkIntervalMs: config.containerCheckIntervalMs,
      maxPerMinute: Number(sys.get('znode.container.maxPerMinute') ?? 10000),
      maxNeverUsedIntervalMs: Number(sys.get('znode.container.maxNeverUsedIntervalMs') ?? 0),
    });
  }

  /** DIGEST-MD5 users of the JAAS "Server" section, when a JAAS file is configured; null otherwise. */
  readonly saslUsers: Map<string, string> | null;

  private configureSasl(config: ServerConfig): Map<string, string> | null {
    const sys = config.sysProps;
    for (const [k, v] of sys) {
      if (!k.startsWith('zookeeper.authProvider.')) continue;
      if (v.trim().endsWith('SASLAuthenticationProvider')) this.auth.register(saslProvider(sys.get('zookeeper.letAnySaslUserDoX') ?? null));
      else this.log.warn(`Authentication provider ${v} is not available in zkts; ${k} is ignored`);
    }
    const file = sys.get('java.security.auth.login.config');
    if (file === undefined) return null;
    const section = sys.get('zookeeper.sasl.serverconfig') ?? 'Server';
    const entries = loadJaasFile(file).get(section);
    if (entries === undefined) {
      this.log.warn(`JAAS configuration ${file} has no '${section}' section: SASL is off`);
      return null;
    }
    const users = digestUsers(entries);
    this.log.info(`SASL DIGEST-MD5 enabled for ${users.size} user(s) from ${file}`);
    return users;
  }

  // ---- lifecycle

  /** Listens on the configured client port (0 picks a free one) and starts expiring sessions. */
  async start(): Promise<number> {
    await this.loadData();
    // Only now: during the restore the event loop is busy and no read could hand a page over.
    this.pageSource = new PrefaultedPages(PAGE_SIZE);
    this.dataTree.store.pageSource = this.pageSource;
    this.running = true;
    this.hzxid = this.dataTree.lastProcessedZxid;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.config.clientPort, host: this.config.clientPortAddress ?? undefined }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log.error(`client port error: ${e.message}`));
    this.scheduleExpiry();
    this.containerManager.start();
    const addr = server.address() as net.AddressInfo;
    return addr.port;
  }

  get port(): number {
    const addr = this.server?.address();
    return addr !== null && typeof addr === 'object' ? addr.port : 0;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.containerManager.stop();
    if (this.purgeTimer !== null) clearInterval(this.purgeTimer);
    this.purgeTimer = null;
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    for (const c of [...this.cnxns]) c.close('server shutdown');
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
    await this.syncProcessor.drain();
    if (this.snapInProgress !== null) await this.snapInProgress.catch(() => undefined);
    await this.fileLog?.close();
    this.dataTree.store.pageSource = null;
    this.pageSource?.close();
    this.pageSource = null;
  }

  // ---- persistence (ZooKeeperServer.loadData, SyncRequestProcessor's snapshot trigger)

  /** Restores the tree and sessions from dataDir, then writes a clean snapshot, as Apache does at start. */
  private async loadData(): Promise<void> {
    const snapLog = this.snapLog;
    if (snapLog === null) return;
    const t0 = performance.now();
    const r = snapLog.restore(this.dataTree, this.config.juteMaxBuffer);
    if (this.observer !== null) this.observer.databaseLoaded(Math.round(performance.now() - t0), r.txnsReplayed);
    const now = this.monotonic();
    for (const [id, timeout] of r.sessions) {
      this.sessionsWithTimeouts.set(id, timeout);
      this.sessionTracker.addSession(id, timeout, now);
    }
    // Ephemerals of sessions the log says are gone (a crash between their close and a snapshot).
    let staleKilled = false;
    for (const owner of [...this.dataTree.ephemerals.keys()]) {
      if (!r.sessions.has(owner)) {
        this.dataTree.killSession(owner, this.dataTree.lastProcessedZxid, null);
        staleKilled = true;
      }
    }
    this.sessionTracker.bumpNextSessionId(r.sessions.keys());
    this.fileLog = snapLog.openLog({
      preAllocSize: this.config.preAllocSizeKb * 1024,
      forceSync: this.config.forceSync,
      directIo: this.config.txnLogDirectIo,
      onFsync: (ms) => {
        this.lastFsyncMs = ms;
        if (this.observer !== null) this.observer.fsyncDone(ms);
        if (ms > 1000) this.log.warn(`fsync-ing the write ahead log took ${Math.round(ms)}ms which will adversely effect operation latency`);
      },
    });
    this.syncProcessor.setLog(this.fileLog);
    this.randRoll = Math.floor(Math.random() * (this.config.snapCount / 2));
    // Apache writes a snapshot here, before serving. zkts does so only when the tree is not what the
    // newest snapshot and the log make of it: stale ephemerals were removed without a txn, and a later
    // restart must not find them again under a new owner's path. Otherwise the snapshot only spares the
    // next restart a replay, so it is written like any other (fuzzy, while serving), or not at all when
    // nothing was replayed.
    if (staleKilled || r.snapshot === null) {
      await this.saveSnapshot(snapLog, true);
    } else if (r.txnsReplayed > 0) {
      this.snapInProgress = this.takeSnapshot().then(
        () => {
          this.snapInProgress = null;
        },
        () => {
          this.snapInProgress = null;
        },
      );
    }
    if (r.snapshot !== null || r.txnsReplayed > 0) {
      this.log.info(`Loaded data in ${Math.round(performance.now() - t0)} ms: zxid 0x${r.zxid.toString(16)}, ${this.dataTree.nodeCount} nodes, ${r.sessions.size} sessions`);
    }
    if (this.config.purgeIntervalHours > 0) {
      this.purgeTimer = setInterval(() => this.purge(), this.config.purgeIntervalHours * 3600 * 1000);
      this.purgeTimer.unref();
    }
  }

  private snapshotSource() {
    return { tree: this.dataTree, sessions: new Map(this.sessionsWithTimeouts), zxid: this.dataTree.lastProcessedZxid };
  }

  /**
   * Writes a snapshot of the tree as applied so far; the observer hears how long the writing took. Like
   * Apache (takeSnapshot(false)), snapshots taken while serving are not fsynced: every txn they hold is in
   * the fsynced log, and a snapshot cut short by a power failure fails its checksum and restore takes an
   * older one (purging keeps several). Forcing 190 MB to disk made each write queue behind it for hundreds
   * of milliseconds. `sync`: the snapshot written before serving is fsynced: it records what no txn does
   * (stale ephemerals removed at start-up), or it is the first one, without which the log cannot be replayed.
   */
  private async saveSnapshot(snapLog: FileTxnSnapLog, sync = false): Promise<string> {
    const src = this.snapshotSource();
    const t0 = performance.now();
    // The one written before serving (`sync`) blocks: nothing else is waiting for the event loop yet.
    const file = await snapLog.snapshot(src, sync && this.config.forceSync, sync);
    if (this.observer !== null) this.observer.snapshotTaken(Math.round(performance.now() - t0));
    return file;
  }

  /**
   * SyncRequestProcessor's trigger: past its point the log is rolled and the count starts over whether
   * or not a snapshot can be taken. One still being written means the next is skipped, not queued: a
   * snapshot started the moment the last one ends would keep the disk busy writing snapshots under load
   * (Apache: "Too busy to snap, skipping").
   */
  private maybeSnapshot(): void {
    const log = this.fileLog;
    if (log === null) return;
    if (log.txnsSinceRoll <= this.config.snapCount / 2 + this.randRoll) return;
    this.randRoll = Math.floor(Math.random() * (this.config.snapCount / 2));
    log.rollLog();
    if (this.snapInProgress !== null) {
      this.log.warn('Too busy to snap, skipping');
      return;
    }
    this.snapInProgress = this.takeSnapshot().then(
      () => {
        this.snapInProgress = null;
      },
      () => {
        this.snapInProgress = null;
      },
    );
  }

  /** Writes a (fuzzy) snapshot of the tree as applied so far; serving goes on meanwhile. */
  async takeSnapshot(): Promise<string | null> {
    if (this.snapLog === null) return null;
    const t0 = performance.now();
    try {
      const file = await this.saveSnapshot(this.snapLog);
      this.log.info(`Snapshot ${file} taken in ${Math.round(performance.now() - t0)} ms`);
      return file;
    } catch (e) {
      this.log.error(`Snapshot failed: ${(e as Error).message}`);
      return null;
    }
  }

  purge(): void {
    if (this.snapLog === null) return;
    const removed = this.snapLog.purge(this.config.snapRetainCount);
    if (removed.length > 0) this.log.info(`Purged ${removed.length} old snapshot and log files`);
  }

  private fatal(err: Error): void {
    this.log.error(`Severe unrecoverable error, stopping the server: ${err.message}`);
    void this.stop();
  }

  private accept(socket: net.Socket): void {
    const max = this.config.maxClientCnxns;
    if (max > 0) {
      const ip = socket.remoteAddress;
      let n = 0;
      for (const c of this.cnxns) if (c.socket.remoteAddress === ip) n++;
      if (n >= max) {
        this.log.warn(`Too many connections from ${ip} - max is ${max}`);
        socket.destroy();
        return;
      }
    }
    if (this.config.maxCnxns > 0 && this.cnxns.size >= this.config.maxCnxns) {
      this.log.warn(`Too many connections - max is ${this.config.maxCnxns}`);
      socket.destroy();
      return;
    }
    this.cnxns.add(new ServerCnxn(this, socket));
  }

  // ---- zxids

  get zxid(): number {
    return this.hzxid;
  }

  nextZxid(): number {
    return ++this.hzxid;
  }

  setZxid(zxid: number): void {
    this.hzxid = zxid;
  }

  /** ZooKeeperServer.checkQuota: with zookeeper.enforceQuota, a hard limit refuses the write. */
  checkQuota(path: string, lastData: Buffer | null, data: Buffer | null, type: number): void {
    if (!this.enforceQuota) return;
    const prefix = this.dataTree.maxPrefixWithQuota(path);
    if (prefix === null) return;
    const bytes = data === null ? 0 : data.length;
    const bytesDiff = type === OpCode.create ? bytes : bytes - (lastData === null ? 0 : lastData.length);
    const countDiff = type === OpCode.create ? 1 : 0;
    const limitNode = this.dataTree.getNode(limitPath(prefix));
    if (limitNode === undefined) return;
    // Parsed as Java does (PrepRequestProcessor turns a parse failure into a MarshallingError txn).
    const limits = StatsTrack.parseStrict(limitNode.data);
    const checkCount = countDiff !== 0 && (limits.count > -1 || limits.get('countHardLimit') > -1);
    const checkBytes = bytesDiff !== 0 && (limits.bytes > -1 || limits.get('byteHardLimit') > -1);
    if (!checkCount && !checkBytes) return;
    const statNode = this.dataTree.getNode(statPath(prefix));
    if (statNode === undefined) return;
    const current = StatsTrack.parseStrict(statNode.data);
    if (checkCount) {
      const hard = limits.get('countHardLimit');
      const limit = hard > -1 ? hard : limits.count;
      if (current.count + countDiff > limit) {
        this.log.warn(`Quota exceeded: ${prefix} [current count=${current.count + countDiff}, ${hard > -1 ? 'hard' : 'soft'}CountLimit=${limit}]`);
        if (hard > -1) throw this.quotaExceeded(path, prefix);
      }
    }
    if (checkBytes) {
      const hard = limits.get('byteHardLimit');
      const limit = hard > -1 ? hard : limits.bytes;
      if (current.bytes + bytesDiff > limit) {
        this.log.warn(`Quota exceeded: ${prefix} [current bytes=${current.bytes + bytesDiff}, ${hard > -1 ? 'hard' : 'soft'}ByteLimit=${limit}]`);
        if (hard > -1) throw this.quotaExceeded(path, prefix);
      }
    }
  }

  private quotaExceeded(path: string, prefix: string): KeeperException {
    if (this.observer !== null) this.observer.quotaExceeded(path);
    return new KeeperException(Code.QUOTAEXCEEDED, prefix);
  }

  /** zookeeper.enforceQuota, read once as Apache reads it (a static final): every setData asks. */
  readonly enforceQuota: boolean;

  isSpecialPath(path: string): boolean {
    return path === '/' || path === '/zookeeper' || path === '/zookeeper/quota' || path === '/zookeeper/config';
  }

  // ---- session handshake (ZooKeeperServer.processConnectRequest)

  processConnectRequest(cnxn: ServerCnxn, frame: Buffer): void {
    if (this.observer !== null) this.observer.connectRequest();
    const r = new JuteReader(frame, 0, frame.length, this.config.juteMaxBuffer);
    const req = R.ConnectRequest.read(r);
    if (r.remaining > 0) {
      r.readBool();
      cnxn.isOldClient = false;
    }
    const lastZxidSeen = req.lastZxidSeen;
    if (lastZxidSeen > BigInt(this.dataTree.lastProcessedZxid)) {
      this.log.info(
        `Refusing session request for client ${cnxn.remoteAddress}:${cnxn.remotePort} as it has seen zxid 0x${lastZxidSeen.toString(16)} our last zxid is 0x${this.dataTree.lastProcessedZxid.toString(16)} client must try another server`,
      );
      cnxn.close('client zxid ahead');
      return;
    }
    let timeout = req.timeOut;
    if (timeout < this.config.minSessionTimeout) timeout = this.config.minSessionTimeout;
    if (timeout > this.config.maxSessionTimeout) timeout = this.config.maxSessionTimeout;
    cnxn.sessionTimeout = timeout;
    cnxn.disableRecv();
    const sessionId = req.sessionId;
    if (sessionId === 0n) {
      const session = this.sessionTracker.createSession(timeout, this.monotonic());
      cnxn.sessionId = session.id;
      this.sessionCnxns.set(session.id, cnxn);
      const body = Buffer.allocUnsafe(4);
      body.writeInt32BE(timeout, 0);
      cnxn.outstanding++;
      this.submitRequest(new Request(cnxn, session.id, 0, OpCode.createSession, body, cnxn.authInfo, LOCAL_OWNER, Date.now()));
    } else {
      // A reconnect, even with a wrong password, takes the session away from the connection registered
      // for it (ServerCnxnFactory.closeSession), then registers itself, as Apache's setSessionId does.
      this.closeSessionConnections(sessionId, 'client reconnected elsewhere');
      cnxn.sessionId = sessionId;
      this.sessionCnxns.set(sessionId, cnxn);
      const passwd = req.passwd ?? Buffer.alloc(0);
      const valid = generatePasswd(sessionId).equals(passwd) && this.sessionTracker.touchSessionWithTimeout(sessionId, timeout, this.monotonic());
      if (!valid && generatePasswd(sessionId).equals(passwd) === false) {
        this.log.warn(`Incorrect password from ${cnxn.remoteAddress}:${cnxn.remotePort} for session 0x${sessionId.toString(16)}`);
      }
      this.finishSessionInit(cnxn, valid);
    }
  }

  finishSessionInit(cnxn: ServerCnxn, valid: boolean): void {
    const w = new JuteWriter(64);
    R.ConnectResponse.write(w, {
      protocolVersion: 0,
      timeOut: valid ? cnxn.sessionTimeout : 0,
      sessionId: valid ? cnxn.sessionId : 0n,
      passwd: valid ? generatePasswd(cnxn.sessionId) : Buffer.alloc(16),
    });
    if (!cnxn.isOldClient) w.writeBool(false);
    cnxn.sendFrame(w.buf.subarray(0, w.offset));
    if (valid) {
      this.log.info(
        `Established session 0x${cnxn.sessionId.toString(16)} with negotiated timeout ${cnxn.sessionTimeout} for client ${cnxn.remoteAddress}:${cnxn.remotePort}`,
      );
      cnxn.enableRecv();
    } else {
      this.log.info(`Invalid session 0x${cnxn.sessionId.toString(16)} for client ${cnxn.remoteAddress}:${cnxn.remotePort}, probably expired`);
      cnxn.closeAfterFlush('invalid session');
    }
  }

  // ---- requests (ZooKeeperServer.processPacket / submitRequest)

  /** A request frame, `buf[start..end)`: read in place, not sliced (requests are read at this rate). */
  processPacket(cnxn: ServerCnxn, buf: Buffer, start: number, end: number): void {
    if (end - start < 8) throw new JuteError(`request of ${end - start} bytes has no header`);
    const xid = buf.readInt32BE(start);
    const type = buf.readInt32BE(start + 4);
    cnxn.outstanding++;
    if (type === OpCode.auth) {
      cnxn.outstanding--;
      this.processAuth(cnxn, xid, buf.subarray(start + 8, end));
      return;
    }
    if (type === OpCode.sasl) {
      cnxn.outstanding--;
      this.processSasl(cnxn, xid, buf.subarray(start + 8, end));
      return;
    }
    this.submitRequest(new Request(cnxn, cnxn.sessionId, xid, type, buf, cnxn.authInfo, LOCAL_OWNER, Date.now(), start + 8, end));
  }

  /** ZooKeeperServer.processSasl: one step of the client's SASL exchange. */
  private processSasl(cnxn: ServerCnxn, xid: number, body: Buffer): void {
    const req = R.GetSASLRequest.read(new JuteReader(body, 0, body.length, this.config.juteMaxBuffer));
    if (this.saslUsers === null) {
      // No SASL login configured: 3.8 answers OK with a null token and the session carries on.
      cnxn.sendResponse(xid, 0, Code.OK, { type: R.SetSASLResponse, value: { token: null } });
      return;
    }
    cnxn.saslServer ??= new DigestMd5Server(this.saslUsers);
    let token: Buffer | null;
    try {
      token = cnxn.saslServer.evaluateResponse(req.token ?? Buffer.alloc(0));
      if (cnxn.saslServer.isComplete) {
        const id = cnxn.saslServer.authorizationId!;
        this.log.info(`Session 0x${cnxn.sessionId.toString(16)}: adding SASL authorization for authorizationID: ${id}`);
        this.addAuthInfo(cnxn, [{ scheme: 'sasl', id }]);
        if (this.config.sysProps.get('zookeeper.superUser') === id) this.addAuthInfo(cnxn, [{ scheme: 'super', id: '' }]);
      }
    } catch (e) {
      if (!(e instanceof SaslError)) throw e;
      this.log.warn(`Client ${cnxn.remoteAddress}:${cnxn.remotePort} failed to SASL authenticate: ${e.message}`);
      if ((this.config.sysProps.get('zookeeper.allowSaslFailedClients') ?? 'false') === 'true') {
        token = null;
      } else {
        cnxn.sendResponse(xid, 0, Code.AUTHFAILED, { type: R.SetSASLResponse, value: { token: null } });
        cnxn.disableRecv();
        cnxn.closeAfterFlush('SASL authentication failed');
        return;
      }
    }
    cnxn.sendResponse(xid, 0, Code.OK, { type: R.SetSASLResponse, value: { token } });
  }

  /** Adds ids to a connection, kept in the order Apache's ConcurrentHashMap-backed set iterates them. */
  private addAuthInfo(cnxn: ServerCnxn, ids: R.Id[]): void {
    for (const id of ids) {
      if (!cnxn.authInfo.some((a) => a.scheme === id.scheme && a.id === id.id)) cnxn.authInfo.push(id);
    }
    const ordered = javaHashOrder(cnxn.authInfo, (a) => javaIdHash(a.scheme ?? '', a.id ?? ''), 16);
    cnxn.authInfo.splice(0, cnxn.authInfo.length, ...ordered);
  }

  private processAuth(cnxn: ServerCnxn, xid: number, body: Buffer): void {
    const pkt = R.AuthPacket.read(new JuteReader(body, 0, body.length, this.config.juteMaxBuffer));
    const scheme = pkt.scheme ?? '';
    const ids = this.auth.authenticate(scheme, pkt.auth ?? Buffer.alloc(0), cnxn.remoteAddress);
    if (ids !== null) {
      // whoAmI and `auth` ACL expansion see the ids in the set's bucket order.
      this.addAuthInfo(cnxn, ids);
      this.log.info(`Session 0x${cnxn.sessionId.toString(16)}: auth success for scheme ${scheme} and address ${cnxn.remoteAddress}`);
      cnxn.sendResponse(xid, 0, Code.OK, null);
    } else {
      this.log.warn(`Authentication failed for scheme ${scheme} from ${cnxn.remoteAddress}`);
      cnxn.sendResponse(xid, 0, Code.AUTHFAILED, null);
      cnxn.disableRecv();
      cnxn.closeAfterFlush('auth failed');
    }
  }

  submitRequest(request: Request): void {
    // Every client request keeps its session alive; one for a session that is gone is dropped unanswered.
    if (request.cnxn !== null && request.type !== OpCode.createSession && !this.sessionTracker.touchSession(request.sessionId, this.monotonic())) {
      request.cnxn.outstanding--;
      return;
    }
    if (!isValidRequestType(request.type)) {
      this.log.warn(`Received packet at server of unknown type ${request.type}`);
      if (request.cnxn !== null) {
        request.cnxn.outstanding--;
        // The request never got a zxid: Apache answers with -1 (UnimplementedRequestProcessor).
        request.cnxn.sendResponse(request.cxid, -1, Code.UNIMPLEMENTED, null);
        request.cnxn.closeAfterFlush('unimplemented request');
      }
      return;
    }
    this.outstandingRequests++;
    this.firstProcessor.processRequest(request);
  }

  /** Set by the connection being read: more of its bytes are buffered behind the frame being processed. */
  framesBehind = false;

  /** While a durable group is handed on: the connections whose replies go out when it is through. */
  replyBatch: ServerCnxn[] | null = null;

  /**
   * Applies a durable group (`forward`) and then sends each connection's replies in one write, at once:
   * a lone client's reply leaves in the call that synced its write, not an event-loop turn later.
   */
  private handOffGroup(forward: () => void): void {
    const batch: ServerCnxn[] = (this.replyBatch = []);
    try {
      forward();
    } finally {
      this.replyBatch = null;
      for (let i = 0; i < batch.length; i++) batch[i].flush();
    }
  }

  // ---- admission (globalOutstandingLimit)
  //
  // At the limit a connection stops being read (Apache's throttling), which bounds the memory queued
  // requests take. Connections holding frames then queue for slots and are read in that order, a turn
  // each: were they simply resumed, whichever sockets epoll reports first would take the freed slots
  // every time, and the same few connections would wait round after round.

  /** Connections with frames waiting for a slot, in the order they get their turn. */
  private readonly waiting = new Deque<ServerCnxn>();
  /** The connection taking its turn from the queue. */
  private admitting: ServerCnxn | null = null;
  private admitScheduled = false;

  /** May `cnxn` hand in a request now: below the limit, and no other connection queued ahead of it. */
  admits(cnxn: ServerCnxn): boolean {
    const limit = this.config.globalOutstandingLimit;
    return limit <= 0 || (this.outstandingRequests < limit && (this.waiting.length === 0 || this.admitting === cnxn));
  }

  /**
   * Stops reading `cnxn` and queues it for a turn once a slot is free: behind the others when its turn is
   * over, in front to finish it when the limit cut it short. Sent to the back, the connection the limit
   * cuts would be the one it cuts again next round (a round of turns is about the limit's worth of
   * frames at 32 × 100).
   */
  enqueue(cnxn: ServerCnxn, turnOver: boolean): void {
    if (cnxn.throttled) return;
    cnxn.throttle();
    if (!turnOver && this.admitting === cnxn) this.waiting.unshift(cnxn);
    else this.waiting.push(cnxn);
    this.scheduleAdmit();
  }

  private scheduleAdmit(): void {
    if (this.admitScheduled || this.waiting.length === 0) return;
    const limit = this.config.globalOutstandingLimit;
    if (limit > 0 && this.outstandingRequests >= limit) return;
    this.admitScheduled = true;
    // After the requests finishing now are answered, and before the next group's fsync is started, so
    // that what the turns read joins that group.
    setImmediate(this.admitLater);
  }

  // Made once: an arrow function made in scheduleAdmit would cost a context on every finished request.
  private readonly admitLater = (): void => this.admitWaiting();

  private admitWaiting(): void {
    this.admitScheduled = false;
    const limit = this.config.globalOutstandingLimit;
    // Ends: every turn reads at least one frame of the finite bytes buffered, or leaves the queue.
    while (this.waiting.length > 0 && (limit <= 0 || this.outstandingRequests < limit)) {
      const c = this.waiting.shift()!;
      if (c.closed) continue;
      this.admitting = c;
      try {
        c.takeTurn();
      } finally {
        this.admitting = null;
      }
    }
  }

  /**
   * A request left the pipeline without a reply: its session expired or its container was reaped (no
   * connection), or its connection is gone. It stops counting against globalOutstandingLimit, as Apache
   * counts a request in process only until FinalRequestProcessor takes it.
   */
  requestDropped(): void {
    this.outstandingRequests--;
    if (this.waiting.length > 0) this.scheduleAdmit();
  }

  /** A request was answered at `now` (Date.now(), read once by the connection for both). */
  requestFinished(request: Request, now: number): void {
    this.requestDropped();
    const latency = now - request.startTime;
    const s = this.stats;
    s.latencyCount++;
    s.totalLatency += latency;
    if (latency < s.minLatency) s.minLatency = latency;
    if (latency > s.maxLatency) s.maxLatency = latency;
    if (this.observer !== null) this.observer.requestFinished(request, latency);
  }

  /** Applies a request's txn (if any) to sessions and the DataTree; drops the change records it settles. */
  processTxn(request: Request): ProcessTxnResult | null {
    const hdr = request.hdr;
    if (request.type === OpCode.closeSession) this.sessionTracker.removeSession(request.sessionId);
    if (hdr === null) return null;
    if (hdr.type === OpCode.createSession) this.sessionsWithTimeouts.set(hdr.clientId, (request.txn as { timeOut: number }).timeOut);
    else if (hdr.type === OpCode.closeSession) this.sessionsWithTimeouts.delete(hdr.clientId);
    const rc = this.dataTree.processTxn(hdr, request.txn);
    const zxid = hdr.zxid;
    const oc = this.outstandingChanges;
    while (oc.length > 0 && oc.first().zxid <= zxid) oc.shift();
    if (this.outstandingChangesForPath.size >= this.sweepChangesAt) this.sweepAppliedChanges();
    return rc;
  }

  /** The change prepped for `path` and not yet applied, if any. */
  pendingChange(path: string): ChangeRecord | undefined {
    const c = this.outstandingChangesForPath.get(path);
    return c !== undefined && c.zxid > this.dataTree.lastProcessedZxid ? c : undefined;
  }

  /** Drops every applied entry of outstandingChangesForPath; the next sweep comes when it has doubled. */
  private sweepAppliedChanges(): void {
    const map = this.outstandingChangesForPath;
    const applied = this.dataTree.lastProcessedZxid;
    // forEach: a for-of over the entries would allocate a [key, value] pair for each.
    map.forEach((c, path) => {
      if (c.zxid <= applied) map.delete(path);
    });
    this.sweepChangesAt = Math.max(SWEEP_CHANGES_MIN, 2 * map.size);
  }

  // ---- sessions

  private monotonic(): number {
    return performance.now();
  }

  private scheduleExpiry(): void {
    if (!this.running) return;
    const next = this.sessionTracker.nextExpiry();
    const delay = next === null ? this.config.tickTime : Math.max(0, next - this.monotonic());
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = null;
      for (const s of this.sessionTracker.expire(this.monotonic())) {
        this.log.info(`Expiring session 0x${s.id.toString(16)}, timeout of ${s.timeout}ms exceeded`);
        this.closeSession(s.id);
      }
      this.scheduleExpiry();
    }, Math.min(delay, this.config.tickTime));
    this.expiryTimer.unref?.();
  }

  /** Submits the closeSession txn that removes a session and its ephemerals. */
  closeSession(sessionId: bigint): void {
    this.submitRequest(new Request(null, sessionId, 0, OpCode.closeSession, Buffer.alloc(0), [], LOCAL_OWNER, Date.now()));
  }

  /** ServerCnxnFactory.closeSession: closes the connection registered for the session, if any. */
  closeSessionConnections(sessionId: bigint, reason = 'session expired'): void {
    const c = this.sessionCnxns.get(sessionId);
    this.sessionCnxns.delete(sessionId);
    if (c !== undefined) c.close(reason);
  }

  removeCnxn(cnxn: ServerCnxn, reason: string): void {
    this.cnxns.delete(cnxn);
    // As Apache's removeCnxnFromSessionMap: any connection of the session that closes unregisters the
    // session, even when a newer connection registered since (a refused reconnect, or a dropped connection
    // whose close is noticed after its client reconnected). The live connection is then no longer closed
    // by a later reconnect or by the session's expiry; clients can see that, so zkts does the same.
    if (cnxn.sessionId !== 0n) this.sessionCnxns.delete(cnxn.sessionId);
    this.dataTree.removeCnxn(cnxn);
    if (cnxn.sessionId !== 0n) this.log.debug(`Closed connection for session 0x${cnxn.sessionId.toString(16)}: ${reason}`);
  }

  // ---- four-letter words

  isFourLetterWord(len: number): boolean {
    return FOUR_LETTER_CODES.has(len);
  }

  runFourLetterWord(cnxn: ServerCnxn, word: string, rest: Buffer | null = null): void {
    this.stats.packetsReceived++;
    cnxn.disableRecv();
    const text = runFourLetterWord(this, word, cnxn, rest);
    cnxn.socket.write(text, 'utf8');
    cnxn.closeAfterFlush('four letter word');
  }

  get isWriteRequestType(): (t: number) => boolean {
    return isWriteRequestType;
  }
}
