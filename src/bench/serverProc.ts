/**
 * Server processes for bench:compare: Apache ZooKeeper 3.8 (ZooKeeperServerMain from the Debian
 * packages, as compat-tests/lib/servers.ts starts it, but with the JVM's default heap) and zkts
 * (`node bin/zkts.js start-foreground`), each on a loopback port with its own data dir, plus the
 * /proc readings the comparison needs. Linux only (reads /proc).
 */
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BenchConnection } from './conn';
import { sendExists } from './loader';

export type ServerKind = 'apache' | 'zkts';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const ZKTS_BIN = process.env.ZKTS_BIN ?? path.join(REPO_ROOT, 'bin', 'zkts.js');
const ZK_CLASSPATH = process.env.ZK_CLASSPATH ?? '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar';
const JAVA = process.env.JAVA ?? 'java';

export interface LaunchOptions {
  kind: ServerKind;
  /** Holds zoo.cfg, server.log and data/ (kept across restarts). */
  workDir: string;
  port: number;
  /** zoo.cfg entries on top of the common ones. */
  cfg?: Record<string, string>;
  /** Extra arguments before the main class / script (JVM flags, node flags such as --cpu-prof). */
  runtimeArgs?: string[];
  /** How long to wait for the first served request. */
  startTimeoutMs?: number;
  /** zkts entry point (default ZKTS_BIN). */
  zktsBin?: string;
  /**
   * zkts is started as its launchers (npm start, scripts/zkServer.sh) start it: without
   * NODE_EXTRA_CA_CERTS, which Node 20 parses at start for TLS the server never makes. true keeps it.
   */
  keepNodeCaCerts?: boolean;
}

export { freePort } from '../util/freePort';

/**
 * The environment a zkts process is started with: NODE_PATH so that a build copied elsewhere
 * (snapshotBuild) still finds the repo's node_modules, and no NODE_EXTRA_CA_CERTS unless kept (see
 * LaunchOptions.keepNodeCaCerts).
 */
function zktsEnv(keepNodeCaCerts = false): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_PATH: [path.join(REPO_ROOT, 'node_modules'), process.env.NODE_PATH].filter(Boolean).join(path.delimiter) };
  if (!keepNodeCaCerts) delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** The zoo.cfg both servers get: same keys, fsync on (the default), loopback only. */
export function zooCfgText(dataDir: string, port: number, extra: Record<string, string> = {}): string {
  const cfg: Record<string, string> = {
    tickTime: '2000',
    initLimit: '10',
    syncLimit: '5',
    dataDir,
    clientPort: String(port),
    clientPortAddress: '127.0.0.1',
    maxClientCnxns: '0',
    'admin.enableServer': 'false',
    '4lw.commands.whitelist': '*',
    forceSync: 'yes',
    ...extra,
  };
  return Object.entries(cfg)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
}

/**
 * Kills the server if this process goes away without stopping it: a small node process holding a
 * pipe from us notices EOF and sends SIGTERM, then SIGKILL. It is started and ready ("r" on its stdout)
 * before the server, then told the server's pid ("p<pid>\n"): starting both at once had its own Node
 * start compete with the server's for the CPU while the server's start-up was being timed.
 */
const WATCHDOG_SRC = `
let pid = 0;
let armed = true;
let got = '';
process.stdin.on('data', (d) => {
  got += String(d);
  if (got.includes('d')) { armed = false; process.exit(0); }
  const m = /p(\\d+)\\n/.exec(got);
  if (m) pid = Number(m[1]);
});
const fire = () => {
  if (!armed || pid === 0) process.exit(0);
  try { process.kill(pid, 'SIGTERM'); } catch { process.exit(0); }
  const t0 = Date.now();
  setInterval(() => {
    try { process.kill(pid, 0); } catch { process.exit(0); }
    if (Date.now() - t0 > 10000) { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); }
  }, 100);
};
process.stdin.on('end', fire);
process.stdin.on('close', fire);
process.stdin.on('error', fire);
process.stdin.resume();
process.stdout.write('r');
`;

/** A watchdog (WATCHDOG_SRC) that has started and is waiting for the server's pid. */
async function startWatchdog(): Promise<ChildProcess | null> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  const dog = spawn(process.execPath, ['-e', WATCHDOG_SRC], { stdio: ['pipe', 'pipe', 'ignore'], env });
  dog.on('error', () => undefined);
  dog.stdin?.on('error', () => undefined);
  const ready = await new Promise<boolean>((resolve) => {
    dog.stdout?.once('data', () => resolve(true));
    dog.once('exit', () => resolve(false));
    dog.once('error', () => resolve(false));
  });
  if (!ready) return null;
  dog.stdout?.destroy();
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return dog;
}

let clkTck = 0;
/** Clock ticks per second of /proc/<pid>/stat times. */
export function clockTicks(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** utime + stime of a process (all its threads), in seconds; NaN if unreadable. */
export function cpuSeconds(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.substring(s.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(3) ppid(4) ... utime(14) stime(15).
    return (Number(f[11]) + Number(f[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** VmRSS of a process in bytes; NaN if unreadable. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) * 1024;
  } catch {
    return NaN;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class ServerProcess {
  readonly kind: ServerKind;
  readonly port: number;
  readonly workDir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** ms from spawn() to the reply of the first request (connect + exists) the server answered. */
  startupMs = NaN;
  private readonly dog: ChildProcess | null;
  private exitPromise: Promise<void>;

  private constructor(o: LaunchOptions, child: ChildProcess, dog: ChildProcess | null) {
    this.kind = o.kind;
    this.port = o.port;
    this.workDir = o.workDir;
    this.dataDir = path.join(o.workDir, 'data');
    this.logFile = path.join(o.workDir, 'server.log');
    this.child = child;
    this.dog = dog;
    this.exitPromise = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Writes zoo.cfg, starts the server and waits until it answers a request. */
  static async start(o: LaunchOptions): Promise<ServerProcess> {
    const dataDir = path.join(o.workDir, 'data');
    fs.mkdirSync(dataDir, { recursive: true });
    const cfgFile = path.join(o.workDir, 'zoo.cfg');
    fs.writeFileSync(cfgFile, zooCfgText(dataDir, o.port, o.cfg));
    const logFile = path.join(o.workDir, 'server.log');
    const fd = fs.openSync(logFile, 'a');
    let cmd: string;
    let args: string[];
    if (o.kind === 'apache') {
      cmd = JAVA;
      args = [...(o.runtimeArgs ?? []), '-cp', ZK_CLASSPATH, 'org.apache.zookeeper.server.ZooKeeperServerMain', cfgFile];
    } else {
      cmd = process.execPath;
      args = [...(o.runtimeArgs ?? []), o.zktsBin ?? ZKTS_BIN, 'start-foreground', cfgFile];
    }
    const dog = await startWatchdog();
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      const env = o.kind === 'zkts' ? zktsEnv(o.keepNodeCaCerts) : process.env;
      child = spawn(cmd, args, { cwd: o.workDir, stdio: ['ignore', fd, fd], env });
    } finally {
      fs.closeSync(fd);
    }
    if (child.pid !== undefined) dog?.stdin?.write(`p${child.pid}\n`);
    child.on('error', () => undefined);
    const sp = new ServerProcess(o, child, dog);
    try {
      await sp.waitServing(t0, o.startTimeoutMs ?? 180_000);
    } catch (e) {
      await sp.stop();
      throw e;
    }
    return sp;
  }

  /**
   * Polls until a request is answered. An attempt that connects but gets no answer is left waiting
   * while new ones start every 20 ms: Apache binds its port before it serves, and a connection made in
   * between was neither answered nor closed, so a poll that waited on it measured ~5.2 s start-ups
   * (the attempt's 5 s timeout) in about half of Apache's starts.
   */
  private async waitServing(t0: number, timeoutMs: number): Promise<void> {
    const deadline = t0 + timeoutMs;
    let last = '';
    let served = NaN;
    let inFlight = 0;
    let lastStart = -Infinity;
    const open = new Set<BenchConnection>();
    const attempt = async (): Promise<void> => {
      inFlight++;
      let c: BenchConnection | null = null;
      try {
        // Its own timeout only bounds how long a stuck attempt holds a socket: others start meanwhile.
        c = await BenchConnection.connect({ host: '127.0.0.1', port: this.port, connectTimeoutMs: 5000 });
        open.add(c);
        const conn = c;
        const ok = await new Promise<boolean>((resolve) => {
          conn.onReply = () => resolve(true);
          conn.onClose = () => resolve(false);
          sendExists(conn, '/', performance.now());
        });
        if (ok && Number.isNaN(served)) served = performance.now();
        if (!ok) last = 'closed before the first reply';
      } catch (e) {
        last = (e as Error).message;
      } finally {
        inFlight--;
        if (c !== null) {
          open.delete(c);
          c.destroy();
        }
      }
    };
    try {
      for (;;) {
        if (!Number.isNaN(served)) {
          this.startupMs = served - t0;
          return;
        }
        if (this.exited) throw new Error(`${this.kind} exited during startup (${this.child.exitCode ?? this.child.signalCode}); log ${this.logFile}:\n${tail(this.logFile)}`);
        const now = performance.now();
        if (now > deadline) throw new Error(`${this.kind}: no reply within ${timeoutMs} ms (last: ${last}); log ${this.logFile}:\n${tail(this.logFile)}`);
        if ((inFlight === 0 || now - lastStart >= 20) && inFlight < 50) {
          lastStart = now;
          void attempt();
        }
        // Both servers are polled alike; at 2 ms the poll adds ~1 ms on average to a start-up time.
        await sleep(2);
      }
    } finally {
      for (const c of open) c.destroy();
    }
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid);
  }

  rssBytes(): number {
    return rssBytes(this.pid);
  }

  /** Snapshot files in the data dir (version-2/snapshot.*). */
  snapshotCount(): number {
    try {
      return fs.readdirSync(path.join(this.dataDir, 'version-2')).filter((f) => f.startsWith('snapshot.')).length;
    } catch {
      return 0;
    }
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.exited && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!this.exited) this.child.kill('SIGKILL');
      }, graceMs);
      await this.exitPromise;
      clearTimeout(t);
    }
    if (this.dog !== null && this.dog.exitCode === null) {
      try {
        this.dog.stdin?.end('d');
      } catch {
        this.dog.kill('SIGKILL');
      }
    }
  }
}

/**
 * Copies the built server (dist/ and bin/zkts.js) to dir and returns the copy's entry point: a long
 * comparison then runs one build throughout, even if dist/ is rebuilt meanwhile.
 */
export function snapshotBuild(dir: string): string {
  fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(dir, 'dist'), { recursive: true, preserveTimestamps: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.copyFileSync(ZKTS_BIN, path.join(dir, 'bin', 'zkts.js'));
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  return path.join(dir, 'bin', 'zkts.js');
}

/**
 * Writes the startup cache of the zkts build at `zktsBin` for the node flags the servers will get
 * (src/util/warmStartupCache.ts), as `npm run build` writes it for none: no measured start is the one
 * that writes it.
 */
export function warmStartupCache(zktsBin: string, nodeArgs: string[] = []): void {
  const dist = path.join(path.dirname(zktsBin), '..', 'dist');
  spawnSync(process.execPath, [...nodeArgs, path.join(dist, 'util', 'warmStartupCache.js'), dist], { stdio: 'ignore', env: zktsEnv(), timeout: 60_000 });
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export function javaVersion(): string {
  const r = spawnSync(JAVA, ['-version'], { encoding: 'utf8' });
  return `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n')[0].trim() || 'unknown';
}

export function apacheVersion(): string {
  const d = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'zookeeper'], { encoding: 'utf8' });
  if (d.status === 0 && d.stdout.trim() !== '') return d.stdout.trim();
  try {
    const jar = fs.realpathSync('/usr/share/java/zookeeper.jar');
    const m = /zookeeper-([\d.]+)\.jar$/.exec(jar);
    return m !== null ? m[1] : path.basename(jar);
  } catch {
    return 'unknown';
  }
}
