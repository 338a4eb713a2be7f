/**
 * Start/stop helpers for compatibility tests: the Apache ZooKeeper 3.8 "oracle"
 * (Debian packages, see scripts/install-oracle.sh) and our own zkts server,
 * each as a child process on a free 127.0.0.1 port with its own temp dir.
 *
 * Node 20 standard library only.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export interface RunningServer {
  name: 'apache' | 'zkts';
  host: string;
  port: number;
  connectString: string;
  dataDir: string;
  stop(): Promise<void>;
  /** Temp directory holding zoo.cfg, data/ and server.log (removed by stop()). */
  workDir?: string;
  /** Combined stdout+stderr of the server process. */
  logFile?: string;
  /** OS process id of the server. */
  pid?: number;
}

export interface StartOracleOptions {
  /** Extra / overriding zoo.cfg entries. */
  cfg?: Record<string, string>;
  /** Extra JVM flags, e.g. ['-Dzookeeper.extendedTypesEnabled=true']. */
  jvmFlags?: string[];
}

export interface StartZktsOptions {
  /** Extra / overriding zoo.cfg entries. */
  cfg?: Record<string, string>;
  /** Passed as -Dkey=value arguments to bin/zkts.js. */
  sysProps?: Record<string, string>;
}

export const LOOPBACK = '127.0.0.1';
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Override with env ZKTS_BIN to test another build of the binary. */
export const ZKTS_BIN = process.env.ZKTS_BIN ?? path.join(REPO_ROOT, 'bin', 'zkts.js');
const javaBin = (): string => process.env.JAVA ?? 'java';
const zkClasspath = (): string =>
  process.env.ZK_CLASSPATH ?? '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar';
const ORACLE_MAIN = 'org.apache.zookeeper.server.ZooKeeperServerMain';

/** How Apache 3.8 standalone is run on a zoo.cfg: `java -Xmx256m <jvmFlags> -cp … ZooKeeperServerMain`. */
export function oracleCommand(cfgFile: string, jvmFlags: string[] = []): { cmd: string; args: string[] } {
  return { cmd: javaBin(), args: ['-Xmx256m', ...jvmFlags, '-cp', zkClasspath(), ORACLE_MAIN, cfgFile] };
}

/** How zkts is run on a zoo.cfg: `node bin/zkts.js start-foreground -Dk=v... <zoo.cfg>`. */
export function zktsCommand(cfgFile: string, sysProps: Record<string, string> = {}): { cmd: string; args: string[] } {
  const props = Object.entries(sysProps).map(([k, v]) => `-D${k}=${v}`);
  return { cmd: process.execPath, args: [ZKTS_BIN, 'start-foreground', ...props, cfgFile] };
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3; // retries when the chosen port was grabbed by someone else

/** Returns a TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('freePort: unexpected server address'));
        return;
      }
      const port = addr.port;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/**
 * Sends a four-letter word (e.g. "srvr", "ruok", "mntr") and resolves with the
 * whole reply (the server closes the connection after answering).
 */
export function fourLetterWord(
  host: string,
  port: number,
  word: string,
  timeoutMs = 5_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.connect({ host, port });
    const finish = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(
      () => finish(new Error(`fourLetterWord ${word} to ${host}:${port}: timeout after ${timeoutMs} ms`)),
      timeoutMs,
    );
    sock.on('connect', () => sock.write(word));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => finish(null));
    sock.on('close', () => finish(null));
    sock.on('error', (e) => finish(e));
  });
}

// ---------------------------------------------------------------------------
// process bookkeeping

/**
 * Watchdog: a tiny node process holding a pipe from us. If our process dies
 * without calling stop() (crash, jest worker killed, forgotten stop()), the pipe
 * hits EOF and the watchdog kills the server. A process.on('exit') hook would not
 * do: inside jest's sandbox `process` is a stand-in whose 'exit' never fires.
 * It then removes the server's temp dir (argv[2], empty = keep).
 * Writing "d" (disarm) makes it exit quietly.
 */
const WATCHDOG_SRC = `
const pid = Number(process.argv[1]);
const dir = process.argv[2];
let armed = true;
const done = () => {
  if (dir) { try { require('fs').rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
};
process.stdin.on('data', (d) => { if (String(d).includes('d')) { armed = false; process.exit(0); } });
const fire = () => {
  if (!armed) process.exit(0);
  try { process.kill(pid, 'SIGTERM'); } catch { done(); }
  const t0 = Date.now();
  setInterval(() => {
    try { process.kill(pid, 0); } catch { done(); }
    if (Date.now() - t0 > ${STOP_GRACE_MS}) { try { process.kill(pid, 'SIGKILL'); } catch {} setTimeout(done, 500); }
  }, 100);
};
process.stdin.on('end', fire);
process.stdin.on('close', fire);
process.stdin.on('error', fire);
process.stdin.resume();
`;

function startWatchdog(serverPid: number, workDir: string): ChildProcess | undefined {
  return spawnWatchdog(WATCHDOG_SRC, serverPid, process.env.ZKTS_KEEP_SERVER_DIRS ? '' : workDir);
}

/**
 * Runs a watchdog script (`node -e src pid dir`) with its stdin a pipe from us, neither keeping our
 * process alive; undefined if it could not be spawned.
 */
export function spawnWatchdog(src: string, pid: number, dir: string): ChildProcess | undefined {
  try {
    const dog = spawn(process.execPath, ['-e', src, String(pid), dir], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    dog.on('error', () => undefined);
    dog.stdin?.on('error', () => undefined);
    dog.unref();
    (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    return dog;
  } catch {
    return undefined;
  }
}

/** Tells a watchdog to exit quietly (writes "d"). */
export function disarmWatchdog(dog: ChildProcess | undefined): void {
  if (!dog || dog.exitCode !== null || dog.signalCode !== null) return;
  try {
    dog.stdin?.end('d');
  } catch {
    dog.kill('SIGKILL');
  }
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true once the child has exited, false if it still runs after `ms`. */
export function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (!exited(child) && child.pid !== undefined) {
    child.kill('SIGTERM');
    if (!(await waitExit(child, STOP_GRACE_MS))) {
      child.kill('SIGKILL');
      await waitExit(child, STOP_GRACE_MS);
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** What a server logs when its client port was taken. */
export const PORT_CLASH = /Address already in use|BindException|EADDRINUSE/i;

function looksLikePortClash(logFile: string): boolean {
  return PORT_CLASH.test(tail(logFile, 200));
}

/** Whether a srvr reply says the server serves (Apache answers "not currently serving" until ready). */
export function srvrServing(reply: string): boolean {
  return reply.length > 0 && !/not currently serving/i.test(reply);
}

class StartupExit extends Error {}

/** Polls `srvr` until the server says it is serving, the child dies, or time runs out. */
async function waitForSrvr(
  child: ChildProcess,
  host: string,
  port: number,
  logFile: string,
  timeoutMs = START_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (exited(child)) {
      throw new StartupExit(
        `server exited during startup (code ${child.exitCode}, signal ${child.signalCode}); ` +
          `log ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      const reply = await fourLetterWord(host, port, 'srvr', 2_000);
      if (srvrServing(reply)) return;
      last = reply;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `no srvr answer on ${host}:${port} within ${timeoutMs} ms (last: ${last.trim()}); ` +
          `log ${logFile}:\n${tail(logFile)}`,
      );
    }
    await sleep(150);
  }
}

/** zoo.cfg text for a standalone server on 127.0.0.1:port (AdminServer off, every 4lw allowed). */
export function zooCfg(dataDir: string, port: number, extra: Record<string, string> | undefined): string {
  const cfg: Record<string, string> = {
    tickTime: '2000',
    initLimit: '10',
    syncLimit: '5',
    dataDir,
    clientPort: String(port),
    clientPortAddress: LOOPBACK,
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
    ...(extra ?? {}),
  };
  return Object.entries(cfg)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

interface LaunchSpec {
  name: RunningServer['name'];
  prefix: string;
  cfg?: Record<string, string>;
  /** Builds command + args given the zoo.cfg path. */
  command(cfgFile: string): { cmd: string; args: string[] };
}

async function launch(spec: LaunchSpec): Promise<RunningServer> {
  let lastErr: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const workDir = await fsp.mkdtemp(path.join(os.tmpdir(), spec.prefix));
    const dataDir = path.join(workDir, 'data');
    const cfgFile = path.join(workDir, 'zoo.cfg');
    const logFile = path.join(workDir, 'server.log');
    await fsp.mkdir(dataDir, { recursive: true });
    const port = await freePort();
    await fsp.writeFile(cfgFile, zooCfg(dataDir, port, spec.cfg));

    const { cmd, args } = spec.command(cfgFile);
    const logFd = fs.openSync(logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, {
        cwd: workDir,
        stdio: ['ignore', logFd, logFd],
        env: process.env,
      });
    } finally {
      fs.closeSync(logFd);
    }
    // A server leaked by a failing test must not keep the test process alive;
    // the watchdog kills it once we are gone.
    child.unref();
    const dog = child.pid !== undefined ? startWatchdog(child.pid, workDir) : undefined;
    // Spawn failures (ENOENT...) arrive as an 'error' event followed by 'exit'/'close'.
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
    });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        await killChild(child);
        disarmWatchdog(dog);
        if (!process.env.ZKTS_KEEP_SERVER_DIRS) {
          await fsp.rm(workDir, { recursive: true, force: true });
        }
      })();
      return stopping;
    };

    try {
      await waitForSrvr(child, LOOPBACK, port, logFile);
    } catch (e) {
      const clash = e instanceof StartupExit && looksLikePortClash(logFile);
      const err = spawnError ?? e;
      await stop();
      if (clash && attempt < START_ATTEMPTS) {
        lastErr = err;
        continue;
      }
      throw err instanceof Error ? new Error(`${spec.name}: ${err.message}`) : err;
    }

    return {
      name: spec.name,
      host: LOOPBACK,
      port,
      connectString: `${LOOPBACK}:${port}`,
      dataDir,
      workDir,
      logFile,
      pid: child.pid,
      stop,
    };
  }
  throw lastErr instanceof Error ? lastErr : new Error(`${spec.name}: could not start`);
}

/** Starts Apache ZooKeeper 3.8 standalone (ZooKeeperServerMain) on a free loopback port. */
export function startOracle(opts: StartOracleOptions = {}): Promise<RunningServer> {
  return launch({
    name: 'apache',
    prefix: 'zkts-oracle-',
    cfg: opts.cfg,
    command: (cfgFile) => oracleCommand(cfgFile, opts.jvmFlags),
  });
}

/** Starts our server: `node bin/zkts.js start-foreground -Dk=v... <zoo.cfg>`. */
export async function startZkts(opts: StartZktsOptions = {}): Promise<RunningServer> {
  if (!fs.existsSync(ZKTS_BIN)) {
    throw new Error(`zkts: ${ZKTS_BIN} does not exist (build/write the zkts binary first)`);
  }
  return launch({
    name: 'zkts',
    prefix: 'zkts-zkts-',
    cfg: opts.cfg,
    command: (cfgFile) => zktsCommand(cfgFile, opts.sysProps),
  });
}
