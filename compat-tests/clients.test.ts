/**
 * Differential client tests: real ZooKeeper clients (the Java zkCli.sh of Apache 3.8 and
 * python3-kazoo 2.8) run the same scripts against a fresh Apache 3.8 oracle and a fresh zkts;
 * the normalized outputs must be identical.
 *
 * Scripts live in compat-tests/clients/. zkts runs from dist/: build first (`npx tsc -p .`).
 * Env overrides: ZKCLI (zkCli.sh path), KAZOO_PYTHON (python with kazoo, default /usr/bin/python3).
 * CLIENTS_DUMP=<dir> writes the normalized transcripts there (<script>.<server>.txt) for inspection.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunningServer, startOracle, startZkts } from './lib/servers';

const CLIENTS_DIR = path.join(__dirname, 'clients');
const ZKCLI = process.env.ZKCLI ?? '/usr/share/zookeeper/bin/zkCli.sh';
const PYTHON = process.env.KAZOO_PYTHON ?? '/usr/bin/python3';
const CLIENT_TIMEOUT_MS = 40_000;

interface ClientRun {
  code: number | null;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
}

/** Runs a client process, feeding `input` on stdin; resolves when it exits (killed after a timeout). */
function runClient(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv = {}): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLIENT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        startedAt,
        endedAt: Date.now(),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Starts a fresh Apache oracle and a fresh zkts in parallel; runs fn; stops both. */
async function withFreshPair<T>(fn: (apache: RunningServer, zkts: RunningServer) => Promise<T>): Promise<T> {
  const started = await Promise.allSettled([startOracle(), startZkts()]);
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    return await fn(servers[0], servers[1]);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

// ---------------------------------------------------------------------------
// zkCli.sh

/**
 * zkCli.sh output with stdout and stderr merged in write order (both are autoflushing
 * PrintStreams on one pipe). TZ=UTC so Java's Date.toString is parseable.
 */
async function runZkCli(server: RunningServer, scriptFile: string): Promise<ClientRun> {
  const script = fs.readFileSync(path.join(CLIENTS_DIR, scriptFile), 'utf8');
  return runClient('/bin/sh', ['-c', 'exec "$0" -server "$1" 2>&1', ZKCLI, server.connectString], script, {
    TZ: 'UTC',
  });
}

const DROP_LINE = [
  /^\s*$/,
  /^SLF4J:/,
  /^log4j:/,
  /^Connecting to /,
  /^Welcome to ZooKeeper!$/,
  /^JLine support is (disabled|enabled)$/,
  /^WATCHER::$/,
  /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d/, // log4j/logback line
  /^\[[^\]]*\] (TRACE|DEBUG|INFO|WARN|ERROR) /, // slf4j-simple line
  /^\s+at [\w$.<>]+\(/, // stack trace
];

/**
 * Normalized zkCli transcript. Watch notifications are printed by the client's event thread
 * and race with the main thread's command output, so "WatchedEvent" lines are moved, in their
 * own order, to a trailing section. ctime/mtime become <recent> when they fall in the run's
 * time window (else they stay verbatim, e.g. the 1970 of /zookeeper nodes); session ids become
 * <session>. zxids are kept: both servers start fresh and see the same requests.
 */
function normalizeZkCli(run: ClientRun): string[] {
  const lines: string[] = [];
  const events: string[] = [];
  for (const raw of run.stdout.split('\n')) {
    let line = raw.replace(/\r$/, '');
    if (DROP_LINE.some((re) => re.test(line))) continue;
    if (line.startsWith('WatchedEvent ')) {
      events.push(line);
      continue;
    }
    const t = /^(ctime|mtime) = (.*)$/.exec(line);
    if (t) {
      const ms = Date.parse(t[2]);
      const recent = Number.isFinite(ms) && ms >= run.startedAt - 60_000 && ms <= run.endedAt + 60_000;
      line = `${t[1]} = ${recent ? '<recent>' : t[2]}`;
    }
    line = line.replace(/^ephemeralOwner = 0x[0-9a-f]*[1-9a-f][0-9a-f]*$/, 'ephemeralOwner = <session>');
    // Session ids are 64-bit; zxids of a fresh standalone server are small.
    line = line.replace(/\b0x[0-9a-f]{9,}\b/g, '<session>');
    lines.push(line);
  }
  return [...lines, '--- watch events (event thread order) ---', ...events];
}

// ---------------------------------------------------------------------------
// kazoo

async function runKazoo(server: RunningServer, scriptFile: string): Promise<ClientRun> {
  return runClient(PYTHON, [path.join(CLIENTS_DIR, scriptFile), server.connectString], '');
}

function kazooLines(run: ClientRun): string[] {
  return run.stdout.split('\n').filter((l) => l.trim() !== '');
}

function dump(script: string, apache: string[], zkts: string[]): void {
  const dir = process.env.CLIENTS_DUMP;
  if (!dir) return;
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${script}.apache.txt`), apache.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, `${script}.zkts.txt`), zkts.join('\n') + '\n');
}

const describeRun = (name: string, run: ClientRun): string =>
  `${name}: exit ${run.code}\n--- stdout ---\n${run.stdout}\n--- stderr (tail) ---\n${run.stderr.slice(-3000)}`;

// ---------------------------------------------------------------------------

describe('real clients produce identical output against Apache 3.8 and zkts', () => {
  test('zkCli.sh session (zkcli-session.txt)', async () => {
    const [a, z] = await withFreshPair((apache, zkts) =>
      Promise.all([runZkCli(apache, 'zkcli-session.txt'), runZkCli(zkts, 'zkcli-session.txt')]),
    );
    expect({ code: a.code, why: a.code === 0 ? '' : describeRun('apache', a) }).toEqual({ code: 0, why: '' });
    expect({ code: z.code, why: z.code === 0 ? '' : describeRun('zkts', z) }).toEqual({ code: 0, why: '' });
    const apache = normalizeZkCli(a);
    const zkts = normalizeZkCli(z);
    dump('zkcli-session.txt', apache, zkts);

    // Non-vacuous: the Apache transcript has what the script asks for.
    for (const expected of [
      'Created /zc',
      'Created /zc/seq-0000000001',
      'Node already exists: /zc',
      'version No is not valid : /zc',
      'Node does not exist: /nonexistent',
      'Node not empty: /zc',
      '[cont, eph, seq-0000000001]',
      'cZxid = 0x2',
      'ephemeralOwner = <session>',
      'ctime = <recent>',
      "'world,'anyone",
      'Sync is OK',
      'Auth scheme: User',
      'digest: user',
      'WatchedEvent state:SyncConnected type:NodeDataChanged path:/zc',
      'WatchedEvent state:SyncConnected type:NodeDeleted path:/zc/eph',
      'WatchedEvent state:Closed type:None path:null',
    ]) {
      expect(apache).toContain(expected);
    }
    expect(apache.length).toBeGreaterThan(100);

    expect(zkts).toEqual(apache);
  });

  test('zkCli.sh quota session (zkcli-quota.txt)', async () => {
    const [a, z] = await withFreshPair((apache, zkts) =>
      Promise.all([runZkCli(apache, 'zkcli-quota.txt'), runZkCli(zkts, 'zkcli-quota.txt')]),
    );
    expect({ code: a.code, why: a.code === 0 ? '' : describeRun('apache', a) }).toEqual({ code: 0, why: '' });
    expect({ code: z.code, why: z.code === 0 ? '' : describeRun('zkts', z) }).toEqual({ code: 0, why: '' });
    const apache = normalizeZkCli(a);
    const zkts = normalizeZkCli(z);
    dump('zkcli-quota.txt', apache, zkts);

    for (const expected of [
      'Created /q/x/y',
      'Output quota for /q count=10,bytes=-1=;byteHardLimit=-1;countHardLimit=-1',
      'Output stat for /q count=3,bytes=8',
      '/zookeeper/quota/q/zookeeper_stats',
    ]) {
      expect(apache).toContain(expected);
    }

    expect(zkts).toEqual(apache);
  });

  test('kazoo CRUD, ACLs, transactions and watches (kazoo_basic.py)', async () => {
    const [a, z] = await withFreshPair((apache, zkts) =>
      Promise.all([runKazoo(apache, 'kazoo_basic.py'), runKazoo(zkts, 'kazoo_basic.py')]),
    );
    expect({ code: a.code, why: a.code === 0 ? '' : describeRun('apache', a) }).toEqual({ code: 0, why: '' });
    expect({ code: z.code, why: z.code === 0 ? '' : describeRun('zkts', z) }).toEqual({ code: 0, why: '' });
    const apache = kazooLines(a);
    const zkts = kazooLines(z);
    dump('kazoo_basic.py', apache, zkts);

    // Non-vacuous: every line is a JSON step, and the key steps came out as Apache gives them.
    const steps = new Map(apache.map((l) => [JSON.parse(l).step as string, JSON.parse(l)]));
    expect(apache.length).toBeGreaterThan(80);
    expect(steps.get('start')).toMatchObject({ connected: true, negotiated_timeout_ms: 10000 });
    expect(steps.get('create /kz/node exists')).toEqual({ step: 'create /kz/node exists', error: 'NodeExistsError' });
    expect(steps.get('set stale version=0')).toMatchObject({ error: 'BadVersionError' });
    expect(steps.get('get /kz/eph')?.result?.[1]?.stat?.ephemeralOwner).toBe('self');
    expect(steps.get('transaction failing check')?.result).toEqual([
      { exception: 'RolledBackError' },
      { exception: 'RolledBackError' },
      { exception: 'BadVersionError' },
      { exception: 'RuntimeInconsistency' },
    ]);
    expect(steps.get('ChildrenWatch after create c2')?.events?.[0]?.children).toEqual(['c1', 'c2']);
    expect(steps.get('stop')).toMatchObject({ states: ['CONNECTED', 'LOST'] });

    expect(zkts).toEqual(apache);
  });
});
