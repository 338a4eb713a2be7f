/**
 * The Java client (ZooKeeper 3.8) and Curator 5.4 recipes, run as real Java programs against Apache
 * ZooKeeper 3.8 and zkts side by side. Each program (compat-tests/java/zkcompat/*.java, compiled
 * here with javac against the Debian jars in /usr/share/java) prints normalized, deterministic
 * result lines and exits 0 when its own checks hold; zkts must print exactly what Apache prints.
 *
 * Both servers: tickTime 500 (so sessions can be short), maxSessionTimeout 30000, forceSync=no
 * (durability is not under test here, and fsync latency on a shared disk would dominate the run
 * time), extended types on (TTL nodes), container check interval 200 ms. The Java client program
 * runs first, on fresh servers, because it prints zxids as they are.
 *
 * Writes compat-tests/results/java.json (a build output, not committed): one row per Curator
 * scenario and one per "== section" of the Java client program.
 * ServiceDiscovery needs /usr/share/java/curator-x-discovery.jar (Debian libcurator-discovery-java);
 * without it that scenario is skipped.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunningServer, startOracle, startZkts } from '../lib/servers';

const JARS = '/usr/share/java';
const SRC_DIR = path.join(__dirname, 'zkcompat');
const DISCOVERY_JAR = path.join(JARS, 'curator-x-discovery.jar');
const HAS_DISCOVERY = fs.existsSync(DISCOVERY_JAR);
const RESULTS_FILE = path.join(__dirname, '..', 'results', 'java.json');
const JAVA = process.env.JAVA ?? 'java';
const JAVAC = process.env.JAVAC ?? 'javac';
/** The jars' Class-Path manifests bring in zookeeper, jute, guava, slf4j-api, netty, jackson. */
const LIB_CP = [
  'curator-recipes.jar',
  'curator-framework.jar',
  'curator-client.jar',
  'zookeeper.jar',
  'zookeeper-jute.jar',
  ...(HAS_DISCOVERY ? ['curator-x-discovery.jar'] : []),
].map((j) => path.join(JARS, j));
const RUN_TIMEOUT_MS = 115_000;
/**
 * Scenarios without `solo` run WAVE at a time (each on both servers, so 2 x WAVE JVMs): they use
 * disjoint paths under /it. A scenario's wave starts when the first test of the wave asks for its
 * result, so a -t filter runs little more than what it selects.
 */
const WAVE = 2;

const SERVER_CFG = { tickTime: '500', maxSessionTimeout: '30000', forceSync: 'no' };
const SYS_PROPS = {
  'zookeeper.extendedTypesEnabled': 'true',
  'znode.container.checkIntervalMs': '200',
  // super:topsecret
  'zookeeper.DigestAuthenticationProvider.superDigest': 'super:xi9MWd1BDbvUFmA4g5GL+8S5VXs=',
};

type Client = 'Java client 3.8' | 'Curator 5.4';
interface Row {
  client: Client;
  recipe: string;
  apache: 'pass' | 'fail';
  zkts: 'pass' | 'fail';
  note?: string;
}
interface Scenario {
  client: Client;
  recipe: string;
  main: string;
  args: string[];
  needs?: 'discovery';
  /** The output is split at "== title" lines; each section becomes its own results row. */
  sections?: boolean;
  /** Runs with no other scenario at the same time (see WAVE). */
  solo?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    client: 'Java client 3.8',
    recipe:
      'org.apache.zookeeper.ZooKeeper: every API call, sync and async, watches, sessions (one results row per "== section")',
    main: 'ClientBasics',
    args: [],
    sections: true,
    solo: true,
  },
  { client: 'Curator 5.4', recipe: 'CuratorFramework API (parents, containers, protection, TTL, transactions, background, watchers(), namespaces)', main: 'CuratorRecipes', args: ['framework'] },
  { client: 'Curator 5.4', recipe: 'InterProcessMutex (8 threads on 4 clients, counter under the lock)', main: 'CuratorRecipes', args: ['mutex'] },
  { client: 'Curator 5.4', recipe: 'InterProcessReadWriteLock', main: 'CuratorRecipes', args: ['rwlock'] },
  { client: 'Curator 5.4', recipe: 'InterProcessSemaphoreV2', main: 'CuratorRecipes', args: ['semaphore'] },
  { client: 'Curator 5.4', recipe: 'CuratorCache (persistent recursive watch) after a burst of creates/sets/deletes', main: 'CuratorRecipes', args: ['curatorcache'] },
  { client: 'Curator 5.4', recipe: 'TreeCache after a burst of creates/sets/deletes', main: 'CuratorRecipes', args: ['treecache'] },
  { client: 'Curator 5.4', recipe: 'PathChildrenCache after a burst of creates/sets/deletes', main: 'CuratorRecipes', args: ['pathchildrencache'] },
  { client: 'Curator 5.4', recipe: 'DistributedAtomicLong under concurrency', main: 'CuratorRecipes', args: ['atomiclong'] },
  { client: 'Curator 5.4', recipe: 'SharedCount under concurrency', main: 'CuratorRecipes', args: ['sharedcount'] },
  { client: 'Curator 5.4', recipe: 'DistributedBarrier and DistributedDoubleBarrier', main: 'CuratorRecipes', args: ['barriers'] },
  { client: 'Curator 5.4', recipe: 'DistributedQueue and SimpleDistributedQueue', main: 'CuratorRecipes', args: ['queue'] },
  {
    client: 'Curator 5.4',
    recipe: 'NodeCache, GroupMember, InterProcessSemaphoreMutex, InterProcessMultiLock, DistributedPriorityQueue/DelayQueue/IdQueue, SharedValue',
    main: 'CuratorRecipes',
    args: ['more'],
  },
  { client: 'Curator 5.4', recipe: 'ServiceDiscovery (curator-x-discovery)', main: 'CuratorRecipes', args: ['discovery'], needs: 'discovery' },
  // Timing matters below (a session must expire while its client only sees silence; a TTL child
  // must be touched in time): these run alone.
  { client: 'Curator 5.4', recipe: 'LeaderLatch (failover on client close and on session expiry)', main: 'CuratorRecipes', args: ['leaderlatch'], solo: true },
  { client: 'Curator 5.4', recipe: 'LeaderSelector (failover on client close and on session expiry)', main: 'CuratorRecipes', args: ['leaderselector'], solo: true },
  { client: 'Curator 5.4', recipe: 'PersistentNode (ephemeral, recreated after session expiry)', main: 'CuratorRecipes', args: ['persistentnode'], solo: true },
  { client: 'Curator 5.4', recipe: 'PersistentTtlNode (extended types)', main: 'CuratorRecipes', args: ['persistentttlnode'], solo: true },
];

let workDir: string;
let classesDir: string;
let apache: RunningServer | undefined;
let zkts: RunningServer | undefined;
const rows: Row[] = [];

interface Run {
  code: number | null;
  stdout: string;
  stderrFile: string;
  ms: number;
}

function runJava(server: RunningServer, s: Scenario): Promise<Run> {
  const stderrFile = path.join(workDir, `${server.name}-${s.main}-${s.args.join('-') || 'main'}.err`);
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-cp',
    [classesDir, ...LIB_CP, path.join(JARS, 'slf4j-simple.jar')].join(':'),
    `zkcompat.${s.main}`,
    server.connectString,
    ...s.args,
  ];
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(JAVA, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err = fs.createWriteStream(stderrFile);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.pipe(err);
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      out.push(Buffer.from(`spawn failed: ${e.message}\n`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      err.end();
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderrFile, ms: Date.now() - t0 });
    });
  });
}

function waves(): Scenario[][] {
  const out: Scenario[][] = [];
  for (const s of SCENARIOS) {
    if (s.needs === 'discovery' && !HAS_DISCOVERY) continue;
    const last = out[out.length - 1];
    if (!s.solo && last && last.length < WAVE && !last[0].solo) last.push(s);
    else out.push([s]);
  }
  return out;
}

const started = new Map<Scenario, Promise<[Run, Run]>>();

/** Both runs of a scenario (Apache and zkts at the same time), with the rest of its wave. */
function resultsOf(s: Scenario): Promise<[Run, Run]> {
  if (!started.has(s)) {
    const wave = waves().find((w) => w.includes(s)) ?? [s];
    for (const t of wave) {
      if (!started.has(t)) started.set(t, Promise.all([runJava(apache!, t), runJava(zkts!, t)]));
    }
  }
  return started.get(s)!;
}

function stderrTail(r: Run, lines = 40): string {
  try {
    return fs.readFileSync(r.stderrFile, 'utf8').split('\n').filter((l) => !/^\s+at /.test(l)).slice(-lines).join('\n');
  } catch {
    return '(no stderr)';
  }
}

const passed = (r: Run): boolean => r.code === 0 && /(^|\n)OK\n?$/.test(r.stdout);

/** "== title" sections of a program's output (the text before the first title is dropped). */
function sections(stdout: string): Map<string, string> {
  const m = new Map<string, string>();
  let title: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('== ')) {
      title = line.slice(3);
      m.set(title, '');
    } else if (title !== undefined && line !== 'OK' && !/^FAILED \d+$/.test(line)) {
      m.set(title, m.get(title) + line + '\n');
    }
  }
  return m;
}

/** Results rows for a sectioned program: Apache's sections decide which rows exist. */
function sectionRows(s: Scenario, a: Run, z: Run): Row[] {
  const as = sections(a.stdout);
  const zs = sections(z.stdout);
  const titles = [...as.keys()];
  return titles.map((title, i) => {
    const at = as.get(title)!;
    const zt = zs.get(title);
    const complete = a.code === 0 || i < titles.length - 1;
    const apacheOk = complete && !/(^|\n)FAIL /.test(at);
    const zktsOk = zt !== undefined && zt === at && !/(^|\n)FAIL /.test(zt) && (z.code === 0 || i < titles.length - 1);
    const row: Row = { client: s.client, recipe: title, apache: apacheOk ? 'pass' : 'fail', zkts: zktsOk ? 'pass' : 'fail' };
    if (!apacheOk) row.note = 'Apache run failed in this section';
    else if (!zktsOk) row.note = zt === undefined ? 'zkts output lacks this section' : `zkts differs from Apache: ${firstDifference(at, zt)}`;
    return row;
  });
}

/** First line where b differs from a, for the results note. */
function firstDifference(a: string, b: string): string {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) {
    if (al[i] !== bl[i]) return `line ${i + 1}: apache "${al[i] ?? '<end>'}" vs zkts "${bl[i] ?? '<end>'}"`;
  }
  return 'same output';
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'zkts-java-'));
  classesDir = path.join(workDir, 'classes');
  fs.mkdirSync(classesDir);
  const sources = fs
    .readdirSync(SRC_DIR)
    .filter((f) => f.endsWith('.java') && (HAS_DISCOVERY || f !== 'Discovery.java'))
    .map((f) => path.join(SRC_DIR, f));
  const javac = new Promise<void>((resolve, reject) => {
    const args = ['-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', '-proc:none', '-implicit:none', '-nowarn', '-encoding', 'UTF-8'];
    const child = spawn(JAVAC, [...args, '-d', classesDir, '-cp', LIB_CP.join(':'), ...sources], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (e) => reject(new Error(`javac: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`javac failed (${code}):\n${text}`))));
  });
  const servers = Promise.all([
    startOracle({ cfg: SERVER_CFG, jvmFlags: Object.entries(SYS_PROPS).map(([k, v]) => `-D${k}=${v}`) }),
    startZkts({ cfg: SERVER_CFG, sysProps: SYS_PROPS }),
  ]);
  // Wait for both before failing, so that started servers are known to afterAll.
  const [c, sv] = await Promise.allSettled([javac, servers]);
  if (sv.status === 'fulfilled') [apache, zkts] = sv.value;
  if (sv.status === 'rejected') throw sv.reason;
  if (c.status === 'rejected') throw c.reason;
}, 120_000);

afterAll(async () => {
  await Promise.all([apache?.stop(), zkts?.stop()]);
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  if (rows.length > 0) {
    fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
    fs.writeFileSync(RESULTS_FILE, JSON.stringify(rows, null, 2) + '\n');
  }
});

describe.each(SCENARIOS.map((s) => [`${s.client}: ${s.main} ${s.args.join(' ')}`.trim(), s] as const))('%s', (_name, s) => {
  const skip = s.needs === 'discovery' && !HAS_DISCOVERY;
  (skip ? test.skip : test)(s.recipe, async () => {
    const [a, z] = await resultsOf(s);
    const apacheOk = passed(a);
    const zktsOk = passed(z) && z.stdout === a.stdout;
    if (s.sections) {
      rows.push(...sectionRows(s, a, z));
    } else {
      const row: Row = { client: s.client, recipe: s.recipe, apache: apacheOk ? 'pass' : 'fail', zkts: zktsOk ? 'pass' : 'fail' };
      if (!apacheOk) row.note = `Apache run failed (exit ${a.code}): ${a.stdout.split('\n').filter((l) => l.startsWith('FAIL')).join('; ')}`;
      else if (!zktsOk) row.note = `zkts differs from Apache: ${firstDifference(a.stdout, z.stdout)}`;
      rows.push(row);
    }
    if (!apacheOk) {
      throw new Error(`Apache 3.8 run failed (exit ${a.code}, ${a.ms} ms):\n${a.stdout}\n--- stderr ---\n${stderrTail(a)}`);
    }
    if (!zktsOk) {
      // eslint-disable-next-line no-console
      console.error(`zkts run (exit ${z.code}, ${z.ms} ms) stderr:\n${stderrTail(z)}`);
    }
    expect(z.stdout).toEqual(a.stdout);
    expect(z.code).toBe(0);
  });
});

if (!HAS_DISCOVERY) {
  test('ServiceDiscovery needs curator-x-discovery.jar (Debian libcurator-discovery-java)', () => {
    // eslint-disable-next-line no-console
    console.warn(`${DISCOVERY_JAR} is not installed: ServiceDiscovery was not run`);
  });
}
