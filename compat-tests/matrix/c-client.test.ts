/**
 * Compatibility matrix, the ZooKeeper C client: the `cli_mt` shell of libzookeeper-mt2
 * (Debian's 3.8 C client) run with scripted commands, and the `zookeeper` npm package (node
 * binding that compiles the C client) — each against a fresh Apache 3.8 and a fresh zkts;
 * rows compared (harness.ts) and written to compat-tests/results/c-client.json.
 *
 * cli_mt transcripts are compared line by line after normalization (session ids, times and
 * the "time = N msec" lines); zxids are kept: both servers are fresh and see the same requests.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { RunningServer } from '../lib/servers';
import { CLIENTS_DIR, LinkProxy, Outcome, Row, RowSpec, check, declareRowTests, judge, sleep, withPair, writeResults } from './harness';
import { Scenario, runBoth } from './run';

const SUITE = 'c-client';
const CLI_MT = process.env.CLI_MT ?? '/usr/lib/zookeeper/bin/cli_mt';
const CLI_CLIENT = 'C client cli_mt (libzookeeper-mt2 3.8)';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const ZooKeeper = require('zookeeper');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const BINDING_VERSION: string = require('zookeeper/package.json').version;
const BINDING_CLIENT = `zookeeper (npm) ${BINDING_VERSION}, C-client binding`;
const C = ZooKeeper.constants as Record<string, number>;

// ---------------------------------------------------------------------------
// cli_mt

/** Runs cli_mt, typing one command every `gapMs` (its output is written by two threads). */
function runCliMt(server: RunningServer, commands: string[], gapMs = 250): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'exec "$0" -h "$1" 2>&1', CLI_MT, server.connectString], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, out: Buffer.concat(out).toString('utf8') });
    });
    child.stdin.on('error', () => undefined);
    void (async () => {
      await sleep(400); // connected
      for (const c of [...commands, 'quit']) {
        child.stdin.write(`${c}\n`);
        await sleep(gapMs);
      }
      child.stdin.end();
    })();
  });
}

export function normalizeCliMt(out: string): string[] {
  const lines: string[] = [];
  for (let line of out.split('\n')) {
    line = line.replace(/\r$/, '');
    if (/^\s*$/.test(line) || /^time = \d+ msec$/.test(line)) continue;
    if (/ZOO_(INFO|DEBUG|WARN|ERROR)@/.test(line)) continue; // C client log lines
    line = line.replace(/^Got a new session id: 0x[0-9a-f]+$/, 'Got a new session id: <session>');
    line = line.replace(/^session Id = [0-9a-f]+$/, 'session Id = <session>');
    line = line.replace(/^(\s*)(ctime|mtime)( ?= ?).*$/, '$1$2$3<time>');
    line = line.replace(/^(\s*ephemeralOwner = )[0-9a-f]*[1-9a-f][0-9a-f]*$/, '$1<session>');
    lines.push(line);
  }
  return lines;
}

interface CliRow {
  id: string;
  scenario: string;
  /** One or more cli_mt sessions, run one after the other. */
  sessions: string[][];
  /** Lines the Apache transcript must contain (the scenario is not vacuous). */
  expect: string[];
}

const CLI_ROWS: CliRow[] = [
  {
    id: 'cli_crud',
    scenario: 'create / get / set / ls / ls2 / exists / delete / sync',
    sessions: [[
      'create /cc', 'create /cc/a', 'set /cc/a hello', 'get /cc/a', 'ls /cc', 'ls2 /cc', 'exists /cc/a',
      'sync /cc', 'delete /cc/a', 'exists /cc/a', 'delete /cc', 'ls /',
    ]],
    expect: ['[/cc/a]: rc = 0', 'hello', '/cc/a: rc = 0'],
  },
  {
    id: 'cli_modes',
    scenario: 'ephemeral / sequential / ephemeral-sequential / container nodes; ephemerals gone after quit',
    sessions: [
      ['create /cm', 'create +e /cm/eph', 'create +s /cm/seq-', 'create +s /cm/seq-', 'create +es /cm/es-', 'create +c /cm/cont',
        'create /cm/cont/x', 'ls2 /cm', 'get /cm/eph'],
      ['ls /cm'],
    ],
    expect: ['\tname = /cm/seq-0000000001', '\tname = /cm/es-0000000003', '\tname = /cm/cont'],
  },
  {
    id: 'cli_watches',
    scenario: 'watches set by get / ls / wexists fire CREATED / CHANGED / CHILD / DELETED',
    sessions: [[
      'create /cw', 'wexists /cw/n', 'create /cw/n', 'get /cw/n', 'ls /cw', 'set /cw/n x', 'create /cw/m', 'get /cw/n',
      'delete /cw/n', 'ls /cw',
    ]],
    expect: [
      'Watcher CREATED_EVENT state = CONNECTED_STATE for path /cw/n',
      'Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cw/n',
      'Watcher CHILD_EVENT state = CONNECTED_STATE for path /cw',
      'Watcher DELETED_EVENT state = CONNECTED_STATE for path /cw/n',
    ],
  },
  {
    id: 'cli_errors',
    scenario: 'error codes: NoNode, NodeExists, NotEmpty, NoChildrenForEphemerals, BadArguments, bad path',
    sessions: [[
      'create /ce', 'create /ce', 'create /ce/x', 'delete /ce', 'get /nope', 'set /nope x', 'create /nope/x', 'create +e /ce/e',
      'create /ce/e/child', 'delete /zookeeper', 'create noslash', 'exists /nope',
    ]],
    expect: ['[/ce]: rc = -110', '/ce: rc = -111', '/nope: rc = -101', '[/ce/e/child]: rc = -108', '/zookeeper: rc = -8'],
  },
  {
    id: 'cli_system',
    scenario: '/zookeeper system nodes, getconfig (config), reconfig refused (ReconfigDisabled), addauth',
    sessions: [[
      'config', 'ls /zookeeper', 'ls2 /zookeeper/config', 'get /zookeeper/config', 'ls2 /zookeeper/quota', 'get /',
      'addauth digest u:p', 'create /cz', 'reconfig -remove 2', 'reconfig -add 2=127.0.0.1:2888:3888;2181', 'get /cz', 'delete /cz',
    ]],
    expect: ['-remove 2: rc = -123', '\tquota'],
  },
  {
    id: 'cli_async',
    scenario: 'asynchronous API: acreate / aget / aset / als / adelete',
    sessions: [[
      'create /ca', 'acreate /ca/x', 'aget /ca/x', 'aset /ca/x v2', 'aget /ca/x', 'als /ca', 'als2 /ca', 'adelete /ca/x', 'aexists /ca/x',
    ]],
    expect: ['[/ca/x]: rc = 0', 'v2'],
  },
];

// ---------------------------------------------------------------------------
// the zookeeper npm package (C client binding)

interface BStat {
  czxid: number;
  mzxid: number;
  pzxid: number;
  version: number;
  cversion: number;
  aversion: number;
  dataLength: number;
  numChildren: number;
  ephemeralOwner: string;
}

interface BZk {
  create(p: string, d: string | Buffer | null, flags: number): Promise<string>;
  exists(p: string, w: boolean): Promise<BStat | null>;
  get(p: string, w: boolean): Promise<[BStat, Buffer | null]>;
  w_get(p: string, cb: (type: number, state: number, path: string) => void): Promise<[BStat, Buffer | null]>;
  w_exists(p: string, cb: (type: number, state: number, path: string) => void): Promise<BStat | null>;
  get_children(p: string, w: boolean): Promise<string[]>;
  get_children2(p: string, w: boolean): Promise<[string[], BStat]>;
  w_get_children(p: string, cb: (type: number, state: number, path: string) => void): Promise<string[]>;
  set(p: string, d: string, v: number): Promise<BStat>;
  delete_(p: string, v: number): Promise<void>;
  get_acl(p: string): Promise<[Array<{ perms: number; scheme: string; auth: string }>, BStat]>;
  set_acl(p: string, v: number, acl: Array<{ perms: number; scheme: string; auth: string }>): Promise<void>;
  add_auth(scheme: string, auth: string, cb: (rc: number, err: string) => void): void;
  sync(p: string): Promise<void>;
  close(): Promise<void> | void;
  client_id: string;
  timeout: number;
  on(ev: string, cb: (...a: unknown[]) => void): void;
  once(ev: string, cb: (...a: unknown[]) => void): void;
  init(o: object): void;
}

function bconnect(cs: string, timeout = 8000): Promise<BZk> {
  return new Promise((resolve, reject) => {
    const zk = new ZooKeeper({ connect: cs, timeout, debug_level: process.env.ZK_C_DEBUG ? C.ZOO_LOG_LEVEL_DEBUG : C.ZOO_LOG_LEVEL_ERROR, host_order_deterministic: false }) as BZk;
    const t = setTimeout(() => reject(new Error(`zookeeper (npm): no connect to ${cs} within 10 s`)), 10_000);
    zk.once('connect', () => {
      clearTimeout(t);
      resolve(zk);
    });
    zk.init({});
  });
}

/** mkdir -p (the package's own mkdirp passes waterfall results as arguments and fails). */
async function mkdirp(zk: BZk, p: string): Promise<void> {
  const parts = p.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const code = await bcode(zk.create(`/${parts.slice(0, i).join('/')}`, null, C.ZOO_PERSISTENT));
    if (code !== 'OK' && code !== String(C.ZNODEEXISTS)) throw new Error(`mkdirp ${p}: ${code}`);
  }
}

function addAuth(zk: BZk, scheme: string, auth: string): Promise<void> {
  return new Promise((resolve, reject) => zk.add_auth(scheme, auth, (rc, err) => (rc ? reject(new Error(`${rc} ${err}`)) : resolve())));
}

/** exists() of the binding rejects with -101 for a missing node (the watch is still set). */
async function existsOrNull(p: Promise<BStat | null>): Promise<BStat | null> {
  try {
    return await p;
  } catch (e) {
    if (/^-101\b/.test(String((e as Error).message))) return null;
    throw e;
  }
}

/** Error "-101 no node" → -101; 'OK' on success. */
async function bcode(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    const m = /^(-?\d+)/.exec(String((e as Error).message ?? e));
    if (!m) throw e;
    return m[1];
  }
}

const EVENT: Record<number, string> = {};
for (const k of ['ZOO_CREATED_EVENT', 'ZOO_DELETED_EVENT', 'ZOO_CHANGED_EVENT', 'ZOO_CHILD_EVENT', 'ZOO_SESSION_EVENT', 'ZOO_NOTWATCHING_EVENT']) {
  EVENT[C[k]] = k.replace(/^ZOO_|_EVENT$/g, '');
}

function bstat(s: BStat | null, base: number): unknown {
  if (!s) return null;
  const rel = (z: number): number => (z === 0 ? 0 : z - base);
  return {
    czxid: rel(s.czxid), mzxid: rel(s.mzxid), pzxid: rel(s.pzxid), version: s.version, cversion: s.cversion,
    aversion: s.aversion, dataLength: s.dataLength, numChildren: s.numChildren, ephemeral: !/^0*$/.test(String(s.ephemeralOwner)),
  };
}

async function withB<T>(cs: string, fn: (connect: (t?: number) => Promise<BZk>) => Promise<T>): Promise<T> {
  const all: BZk[] = [];
  try {
    return await fn(async (t) => {
      const z = await bconnect(cs, t);
      all.push(z);
      return z;
    });
  } finally {
    for (const z of all) {
      try {
        await z.close();
      } catch {
        /* already closed */
      }
    }
    await sleep(300); // let the closed handles go before the next scenario connects
  }
}

function bone(id: string, recipe: string, scenario: string, run: (cs: string) => Promise<unknown>): Scenario {
  return { specs: [{ id, client: BINDING_CLIENT, recipe, scenario }], run: (s: RunningServer) => run(s.connectString) };
}

/** Starts the victim process; resolves once its ephemerals exist. */
function startVictim(cs: string, timeoutMs: number, paths: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(CLIENTS_DIR, 'cbinding-victim.js'), cs, String(timeoutMs), ...paths], {
      stdio: ['pipe', 'pipe', 'ignore'],
      cwd: path.resolve(__dirname, '..', '..'),
    });
    let buf = '';
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`victim not ready: ${buf}`));
    }, 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (/READY/.test(buf)) {
        clearTimeout(t);
        resolve(child);
      } else if (/ERROR/.test(buf)) {
        clearTimeout(t);
        child.kill('SIGKILL');
        reject(new Error(buf));
      }
    });
    child.on('error', reject);
  });
}

const BINDING_SCENARIOS: Scenario[] = [
  bone('b_crud', 'CRUD', 'create/get/set/delete/children with Stat, versions and error codes (promise API)', (cs) =>
    withB(cs, async (connect) => {
      const zk = await connect();
      await mkdirp(zk, '/cb/crud');
      const base = (await zk.exists('/cb/crud', false))!.czxid;
      const o: Record<string, unknown> = {};
      o.create = await zk.create('/cb/crud/a', 'one', C.ZOO_PERSISTENT);
      o.dup = await bcode(zk.create('/cb/crud/a', 'x', C.ZOO_PERSISTENT));
      const [st, data] = await zk.get('/cb/crud/a', false);
      o.get = [String(data), bstat(st, base)];
      o.set = bstat(await zk.set('/cb/crud/a', 'two', 0), base);
      o.setBad = await bcode(zk.set('/cb/crud/a', 'x', 0));
      o.seq = [await zk.create('/cb/crud/s-', 'x', C.ZOO_PERSISTENT_SEQUENTIAL), await zk.create('/cb/crud/s-', 'x', C.ZOO_EPHEMERAL_SEQUENTIAL)];
      o.eph = await zk.create('/cb/crud/e', 'e', C.ZOO_EPHEMERAL);
      o.ephChild = await bcode(zk.create('/cb/crud/e/x', 'x', C.ZOO_PERSISTENT));
      o.container = await zk.create('/cb/crud/c', null, C.ZOO_CONTAINER);
      const [children, pst] = await zk.get_children2('/cb/crud', false);
      o.children = children;
      o.parent = bstat(pst, base);
      o.noNode = await bcode(zk.get('/cb/crud/none', false));
      o.notEmpty = await bcode(zk.delete_('/cb/crud', -1));
      o.delBad = await bcode(zk.delete_('/cb/crud/a', 7));
      o.del = await bcode(zk.delete_('/cb/crud/a', 1));
      o.existsAfter = await existsOrNull(zk.exists('/cb/crud/a', false));
      o.sync = await bcode(zk.sync('/cb/crud'));
      return o;
    }),
  ),
  bone('b_watches', 'watches', 'aw_get / aw_exists / aw_get_children fire once for another client\'s writes', (cs) =>
    withB(cs, async (connect) => {
      const zk = await connect();
      const w = await connect();
      await mkdirp(zk, '/cb/w');
      await zk.create('/cb/w/a', 'a', C.ZOO_PERSISTENT);
      const events: string[] = [];
      const cb = (tag: string) => (type: number, _state: number, p: string) => events.push(`${tag}${EVENT[type] ?? type} ${p}`);
      await zk.w_get('/cb/w/a', cb('data:'));
      await existsOrNull(zk.w_exists('/cb/w/n', cb('exists:')));
      await zk.w_get_children('/cb/w', cb('child:'));
      await w.set('/cb/w/a', 'a2', -1);
      await w.set('/cb/w/a', 'a3', -1);
      await w.create('/cb/w/n', 'n', C.ZOO_PERSISTENT);
      for (let i = 0; i < 100 && events.length < 3; i++) await sleep(50);
      await zk.w_get('/cb/w/a', cb('data:'));
      await zk.w_get_children('/cb/w', cb('child:'));
      await w.delete_('/cb/w/a', -1);
      for (let i = 0; i < 100 && events.length < 5; i++) await sleep(50);
      await sleep(200);
      check(events.length === 5, `events: ${events}`);
      return { events };
    }),
  ),
  bone('b_acl', 'ACLs', 'add_auth digest, creator ACL, get_acl / set_acl, NOAUTH for others', (cs) =>
    withB(cs, async (connect) => {
      const owner = await connect();
      const other = await connect();
      await mkdirp(owner, '/cb/acl');
      const o: Record<string, unknown> = {};
      await addAuth(owner, 'digest', 'carol:pw');
      o.create = await owner.create('/cb/acl/d', 'secret', C.ZOO_PERSISTENT);
      const creator = [{ perms: C.ZOO_PERM_ALL, scheme: 'auth', auth: '' }];
      o.setAcl = await bcode(owner.set_acl('/cb/acl/d', 0, creator));
      const [acl] = await owner.get_acl('/cb/acl/d');
      o.acl = acl;
      o.otherGet = await bcode(other.get('/cb/acl/d', false));
      await addAuth(other, 'digest', 'carol:pw');
      o.otherGetAuthed = await bcode(other.get('/cb/acl/d', false));
      o.setAclBadVersion = await bcode(owner.set_acl('/cb/acl/d', 0, creator));
      const ro = [{ perms: C.ZOO_PERM_READ, scheme: 'world', auth: 'anyone' }];
      await owner.create('/cb/acl/ro', 'r', C.ZOO_PERSISTENT);
      o.setRo = await bcode(owner.set_acl('/cb/acl/ro', -1, ro));
      o.writeRo = await bcode(owner.set('/cb/acl/ro', 'w', -1));
      return o;
    }),
  ),
  bone('b_expiry', 'session expiry', 'C-client process killed: its ephemerals go after the session timeout, watchers see DELETED', (cs) =>
    withB(cs, async (connect) => {
      const zk = await connect();
      await mkdirp(zk, '/cb/exp');
      const victim = await startVictim(cs, 1000, ['/cb/exp/v1', '/cb/exp/v2']);
      const events: string[] = [];
      const cb = (type: number, _s: number, p: string): void => void events.push(`${EVENT[type] ?? type} ${p}`);
      const before = await zk.w_get_children('/cb/exp', cb);
      await zk.w_exists('/cb/exp/v1', cb);
      victim.kill('SIGKILL');
      for (let i = 0; i < 300 && events.length < 2; i++) await sleep(50);
      await sleep(200);
      return { before: [...before].sort(), events: [...events].sort(), after: await zk.get_children('/cb/exp', false) };
    }),
  ),
  {
    specs: [{
      id: 'b_reconnect',
      client: BINDING_CLIENT,
      recipe: 'reconnect',
      scenario: 'link cut and restored (proxy) within the timeout: same session, ephemeral kept, watches re-set with SetWatches fire for changes made meanwhile',
    }],
    run: async (server: RunningServer) => {
      const proxy = await LinkProxy.start(server);
      try {
        return await withB(server.connectString, async (connect) => {
          const admin = await connect();
          await mkdirp(admin, '/cb/rc');
          for (const n of ['d', 'gone', 'quiet']) await admin.create(`/cb/rc/${n}`, n, C.ZOO_PERSISTENT);
          const zk = await bconnect(proxy.connectString, 8000);
          try {
            const sid = zk.client_id;
            await zk.create('/cb/rc/eph', 'e', C.ZOO_EPHEMERAL);
            const events: string[] = [];
            const cb = (tag: string) => (type: number, _s: number, p: string) => events.push(`${tag}${EVENT[type] ?? type} ${p}`);
            await zk.w_get('/cb/rc/d', cb('data:'));
            await zk.w_get('/cb/rc/quiet', cb('data:'));
            await zk.w_get_children('/cb/rc', cb('child:'));
            await existsOrNull(zk.w_exists('/cb/rc/later', cb('exists:')));
            await zk.w_exists('/cb/rc/gone', cb('exists:'));
            proxy.cut();
            await admin.set('/cb/rc/d', 'd2', -1);
            await admin.create('/cb/rc/later', 'l', C.ZOO_PERSISTENT);
            await admin.delete_('/cb/rc/gone', -1);
            await sleep(500);
            const during = [...events].sort(); // SESSION events, one per watcher
            proxy.restore();
            for (let i = 0; i < 200 && events.length < during.length + 4; i++) await sleep(50);
            await sleep(300);
            const [, data] = await zk.get('/cb/rc/d', false);
            return {
              during,
              events: events.filter((e) => !e.includes('SESSION')).sort(),
              sameSession: zk.client_id === sid,
              ephemeralKept: (await existsOrNull(admin.exists('/cb/rc/eph', false))) !== null,
              dataAfter: String(data),
            };
          } finally {
            await zk.close();
          }
        });
      } finally {
        await proxy.close();
      }
    },
  },
];

// ---------------------------------------------------------------------------

const CLI_SPECS: RowSpec[] = CLI_ROWS.map((r) => ({ id: r.id, client: CLI_CLIENT, scenario: r.scenario }));
const SPECS: RowSpec[] = [...CLI_SPECS, ...BINDING_SCENARIOS.flatMap((s) => s.specs)];
const results = new Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>();

async function cliOutcome(server: RunningServer, row: CliRow): Promise<Outcome> {
  const lines: string[] = [];
  for (const cmds of row.sessions) {
    const r = await runCliMt(server, cmds);
    if (r.code !== 0) return { ok: false, detail: `cli_mt exit ${r.code}: ${r.out.slice(-600)}` };
    lines.push(...normalizeCliMt(r.out), '--- end of session ---');
  }
  const missing = row.expect.filter((e) => !lines.includes(e));
  return missing.length
    ? { ok: false, obs: lines, detail: `transcript lacks ${JSON.stringify(missing)}` }
    : { ok: true, obs: lines };
}

beforeAll(async () => {
  await withPair(async (apache, zkts) => {
    const cli = async (s: RunningServer): Promise<Map<string, Outcome>> => {
      const m = new Map<string, Outcome>();
      for (const row of CLI_ROWS) m.set(row.id, await cliOutcome(s, row));
      return m;
    };
    // cli_mt first (its transcripts keep raw zxids), then the binding scenarios.
    const [a, z] = await Promise.all([cli(apache), cli(zkts)]);
    // The binding loses a connection being opened while another handle of the process is being
    // closed (fd reuse: "zookeeper_process returned no response too many times"), so its two
    // sides run one after the other.
    const b = await runBoth(BINDING_SCENARIOS, apache, zkts, false);
    for (const spec of CLI_SPECS) {
      results.set(spec.id, { row: judge(spec, a.get(spec.id), z.get(spec.id)), apache: a.get(spec.id), zkts: z.get(spec.id) });
    }
    for (const [k, v] of b) results.set(k, v);
  });
}, 300_000);

afterAll(() => {
  writeResults(SUITE, SPECS.map((s) => results.get(s.id)?.row ?? judge(s, undefined, undefined)), results);
});

describe('C client (cli_mt, zookeeper npm binding): Apache 3.8 vs zkts', () => {
  declareRowTests(SUITE, SPECS, (id) => results.get(id));
});
