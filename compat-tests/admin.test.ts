/**
 * Differential tests of the admin interfaces: four-letter words, the AdminServer's JSON commands and
 * the metric names, on Apache ZooKeeper 3.8 and zkts after the same client scenario.
 *
 * Outputs are compared as text after normalizing only what legitimately differs between two servers:
 * version strings, ports, session ids, paths of the data directories, dates and times, latencies,
 * uptimes, directory sizes, file descriptor counts, JVM/Node details. Keys, their order, line shapes
 * and the value of every deterministic field are compared as they are.
 *
 * The oracle's AdminServer needs javax.servlet on the classpath (Debian's zookeeper.jar manifest does
 * not list it): /usr/share/java/servlet-api.jar is added when it exists. The Prometheus provider jar
 * is not installed with Debian's zookeeper package, so /metrics is checked against the metric names
 * and kinds the oracle's mntr reveals.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import { RawClient } from '../src/client/rawClient';
import * as R from '../src/jute/records';
import { OpCode } from '../src/protocol/opCodes';
import { RunningServer, fourLetterWord, freePort, startOracle, startZkts } from './lib/servers';

const SERVLET_API = '/usr/share/java/servlet-api.jar';
const DEFAULT_CP = '/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar';
const OPEN_ACL: R.ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface Side {
  server: RunningServer;
  adminPort: number;
  metricsPort: number;
  clients: RawClient[];
  /** Session ids of the scenario's clients, in creation order. */
  sessions: bigint[];
}

async function startPair(cfg: Record<string, string>): Promise<[Side, Side]> {
  const mk = async (): Promise<Side> => ({ server: null as unknown as RunningServer, adminPort: await freePort(), metricsPort: 0, clients: [], sessions: [] });
  const apache = await mk();
  const zkts = await mk();
  const adminCfg = (s: Side) => ({
    ...cfg,
    'admin.enableServer': 'true',
    'admin.serverAddress': '127.0.0.1',
    'admin.serverPort': String(s.adminPort),
  });
  const savedCp = process.env.ZK_CLASSPATH;
  if (savedCp === undefined && fs.existsSync(SERVLET_API)) process.env.ZK_CLASSPATH = `${DEFAULT_CP}:${SERVLET_API}`;
  try {
    [apache.server, zkts.server] = await Promise.all([
      startOracle({ cfg: adminCfg(apache) }),
      startZkts({ cfg: adminCfg(zkts) }),
    ]);
  } finally {
    if (savedCp === undefined) delete process.env.ZK_CLASSPATH;
  }
  return [apache, zkts];
}

/** Apache and zkts started with `cfg` for the tests of the describe it is called in, stopped after them. */
function usePair(cfg: Record<string, string>): { a: Side; z: Side } {
  const pair = {} as { a: Side; z: Side };
  beforeAll(async () => {
    [pair.a, pair.z] = await startPair(cfg);
  }, 120000);
  afterAll(async () => {
    await Promise.all([stopSide(pair.a), stopSide(pair.z)]);
  });
  return pair;
}

async function stopSide(s: Side | undefined): Promise<void> {
  if (s === undefined) return;
  for (const c of s.clients) c.destroy();
  await s.server?.stop();
}

function httpGet(port: number, path: string): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
}

/**
 * The client scenario: one session with a persistent node, two ephemerals and three data/child watches,
 * driven by the raw client (no pings, so packet counts are deterministic).
 */
async function scenario(s: Side): Promise<void> {
  const c = await RawClient.connect({ port: s.server.port, timeout: 30000 });
  s.clients.push(c);
  s.sessions.push(c.session!.sessionId);
  const create = (path: string, data: string | null, flags: number) => c.request(OpCode.create, R.CreateRequest, { path, data: data === null ? null : Buffer.from(data), acl: OPEN_ACL, flags });
  expect((await create('/a', 'hello', 0)).err).toBe(0);
  expect((await create('/a/eph', 'x', 1)).err).toBe(0);
  expect((await create('/a/eph2', null, 1)).err).toBe(0);
  await c.request(OpCode.getData, R.GetDataRequest, { path: '/a', watch: true });
  await c.request(OpCode.getChildren, R.GetDataRequest, { path: '/a', watch: true });
  await c.request(OpCode.exists, R.GetDataRequest, { path: '/nonexist', watch: true });
}

/** Apache lists connections in identity-hash order: compare the connection lines as a sorted block. */
function sortConnections(text: string): string {
  const lines = text.split('\n');
  const isCnxn = (l: string) => l.startsWith(' /');
  const cnxns = lines.filter(isCnxn).sort();
  let i = 0;
  return lines.map((l) => (isCnxn(l) ? cnxns[i++] : l)).join('\n');
}

const VERSION_RE = /3\.8\.0-[^\n",]*?, built on \d{4}-\d\d-\d\d \d\d:\d\d UTC/g;
const DATE_RE = /(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d\d:\d\d:\d\d \S+ \d{4}/g;

/** Replaces what legitimately differs between the two servers. */
function norm(s: Side, text: string): string {
  let t = text.replace(VERSION_RE, '<version>').replace(DATE_RE, '<date>');
  t = t.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
  t = t.split(s.server.dataDir).join('<dataDir>');
  s.sessions.forEach((id, i) => {
    t = t.split(`0x${BigInt.asUintN(64, id).toString(16)}`).join(`<sid${i}>`);
    t = t.split(BigInt.asIntN(64, id).toString()).join(`<sid${i}>`);
  });
  return t;
}

/** Replaces `key=value`/`key: value`/`"key" : value` numbers for the given keys. */
function normNumbers(text: string, keys: string[]): string {
  let t = text;
  for (const k of keys) {
    t = t.replace(new RegExp(`((?:^|[,(\\s])${k}(?:=|: |\\t))-?\\d+(\\.\\d+)?`, 'gm'), (_m, p) => `${p}<n>`);
    t = t.replace(new RegExp(`("${k}" : )-?\\d+(\\.\\d+)?`, 'g'), (_m, p) => `${p}<n>`);
  }
  return t;
}

let apache: Side;
let zkts: Side;
/** zkts with the Prometheus provider (which changes what mntr lists): for /metrics. */
let zktsProm: Side;

/**
 * Both servers keep a session expiry bucket that a touch emptied until its time passes (ExpiryQueue); whether
 * one exists at the moment of a dump depends on when each server last saw the session's ping, so empty
 * buckets are left out of the comparison (the unit tests pin the behaviour).
 */
function withoutEmptySessionBuckets(t: string): string {
  const lines = t.split('\n');
  const end = lines.indexOf('ephemeral nodes dump:');
  const head = lines.slice(0, end === -1 ? lines.length : end);
  const kept = head.filter((l) => !/^0 expire at /.test(l));
  const nonEmpty = kept.filter((l) => / expire at /.test(l)).length;
  const out = kept.map((l) => l.replace(/^Session Sets \(\d+\)/, `Session Sets (${nonEmpty})`));
  return [...out, ...(end === -1 ? [] : lines.slice(end))].join('\n');
}

describe('admin interfaces, whitelist *', () => {
  beforeAll(async () => {
    [apache, zkts] = await startPair({ '4lw.commands.whitelist': '*' });
    await scenario(apache);
    await scenario(zkts);
    const metricsPort = await freePort();
    zktsProm = {
      server: await startZkts({
        cfg: {
          '4lw.commands.whitelist': '*',
          'metricsProvider.className': 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider',
          'metricsProvider.httpHost': '127.0.0.1',
          'metricsProvider.httpPort': String(metricsPort),
        },
      }),
      adminPort: 0,
      metricsPort,
      clients: [],
      sessions: [],
    };
    await scenario(zktsProm);
  }, 120000);

  afterAll(async () => {
    await Promise.all([stopSide(apache), stopSide(zkts), stopSide(zktsProm)]);
  });

  const both = async (word: string): Promise<[string, string]> => {
    const a = await fourLetterWord(apache.server.host, apache.server.port, word);
    const z = await fourLetterWord(zkts.server.host, zkts.server.port, word);
    return [norm(apache, a), norm(zkts, z)];
  };

  test('ruok, isro, gtmk, hash', async () => {
    for (const w of ['ruok', 'isro', 'gtmk', 'hash']) {
      const [a, z] = await both(w);
      expect({ w, out: z }).toEqual({ w, out: a });
    }
  });

  test('conf', async () => {
    const [a, z] = await both('conf');
    const n = (t: string) => normNumbers(t, ['clientPort', 'dataDirSize', 'dataLogSize']);
    expect(n(z)).toBe(n(a));
  });

  test('dirs', async () => {
    const [a, z] = await both('dirs');
    const n = (t: string) => normNumbers(t, ['datadir_size', 'logdir_size']);
    expect(n(z)).toBe(n(a));
  });

  test('envi: the same keys in the same order', async () => {
    const [a, z] = await both('envi');
    const keys = (t: string) => t.split('\n').map((l) => l.split('=')[0]);
    expect(keys(z)).toEqual(keys(a));
    expect(z.split('\n')[1]).toBe(a.split('\n')[1]); // zookeeper.version=<version>
  });

  test('wchs, wchc, wchp', async () => {
    for (const w of ['wchs', 'wchc', 'wchp']) {
      const [a, z] = await both(w);
      expect({ w, out: z }).toEqual({ w, out: a });
    }
  });

  test('dump', async () => {
    const [a, z] = await both('dump');
    // Sessions and ephemerals compare as they are. The connection queue's 10-second buckets depend
    // on when each connection was last active, and Apache keeps emptied buckets ("0 expire at") until
    // its expirer thread passes: compare the connections themselves and the shape of the lines.
    const split = (t: string) => {
      t = withoutEmptySessionBuckets(t);
      const at = t.indexOf('Connections dump:\n');
      const tail = t.substring(at).split('\n');
      const header = /^Connections Sets \(\d+\)\/\((\d+)\):$/.exec(tail[1]);
      for (const l of tail.slice(2, -1)) expect(l).toMatch(/^(\d+ expire at <date>:|\tip: \/127\.0\.0\.1:<port> sessionId: \S+)$/);
      return { head: t.substring(0, at), connections: header?.[1], ips: tail.filter((l) => l.startsWith('\tip: ')).sort() };
    };
    expect(split(z)).toEqual(split(a));
  });

  test('srvr and stat: same lines; latencies normalized', async () => {
    for (const w of ['srvr', 'stat']) {
      const [a, z] = await both(w);
      const n = (t: string) =>
        sortConnections(
          t
            .replace(/Latency min\/avg\/max: \d+\/\d+\.\d+\/\d+/, 'Latency min/avg/max: <n>/<n.n>/<n>')
            .replace(/(Received|Sent): \d+/g, '$1: <n>')
            .replace(/(queued|recved|sent)=-?\d+/g, '$1=<n>'),
        );
      expect({ w, out: n(z) }).toEqual({ w, out: n(a) });
    }
  });

  test('cons: same fields; times and latencies normalized', async () => {
    const [a, z] = await both('cons');
    const n = (t: string) => sortConnections(normNumbers(t, ['est', 'lresp', 'llat', 'minlat', 'avglat', 'maxlat', 'queued', 'recved', 'sent']));
    expect(n(z)).toBe(n(a));
  });

  // zkts's connections count the handshake differently from Apache's (see the report of
  // src/server/serverCnxn.ts): the connect response is not counted as a packet sent, and the
  // outstanding count goes to -1 once the session is created.
  test('cons and stat: packet and queue counts equal Apache', async () => {
    for (const w of ['cons', 'stat']) {
      const [a, z] = await both(w);
      const n = (t: string) =>
        sortConnections(
          normNumbers(t, ['est', 'lresp', 'llat', 'minlat', 'avglat', 'maxlat'])
            .replace(/Latency min\/avg\/max: .*\n/, '')
            .replace(/(Received|Sent): \d+/g, '$1: <n>'),
        );
      expect({ w, out: n(z) }).toEqual({ w, out: n(a) });
    }
  });

  test('mntr: same keys in the same order, value types, and the deterministic values', async () => {
    const [a, z] = await both('mntr');
    const parse = (t: string) => t.split('\n').filter((l) => l !== '').map((l) => l.split('\t') as [string, string]);
    const pa = parse(a);
    const pz = parse(z);
    expect(pz.map(([k]) => k)).toEqual(pa.map(([k]) => k));
    const kind = (v: string) => (/^-?\d+$/.test(v) ? 'long' : /^-?\d+\.\d+(E-?\d+)?$|^NaN$/.test(v) ? 'double' : 'string');
    expect(pz.map(([k, v]) => [k, kind(v)])).toEqual(pa.map(([k, v]) => [k, kind(v)]));
    const exact = [
      'zk_version',
      'zk_server_state',
      'zk_ephemerals_count',
      'zk_num_alive_connections',
      'zk_outstanding_requests',
      'zk_znode_count',
      'zk_global_sessions',
      'zk_local_sessions',
      'zk_watch_count',
      'zk_approximate_data_size',
      'zk_connection_drop_probability',
      'zk_connection_request_count',
      'zk_cnt_updatelatency',
      'zk_cnt_connection_token_deficit',
    ];
    const ma = new Map(pa);
    const mz = new Map(pz);
    for (const k of exact) expect({ k, v: mz.get(k) }).toEqual({ k, v: ma.get(k) });
    for (const [k, v] of pa) if (k.includes('_per_namespace')) expect({ k, v: mz.get(k) }).toEqual({ k, v });
  });

  test('AdminServer: the command list', async () => {
    const a = await httpGet(apache.adminPort, '/commands');
    const z = await httpGet(zkts.adminPort, '/commands');
    expect(z.status).toBe(a.status);
    expect(z.body).toBe(a.body);
  });

  const deterministic: [string, string[]][] = [
    ['ruok', []],
    ['configuration', ['client_port']],
    ['conf', ['client_port']],
    ['dirs', ['datadir_size', 'logdir_size']],
    ['dump', []],
    ['gtmk', []],
    ['hash', []],
    ['isro', []],
    ['lead', []],
    ['lsnp', ['timestamp']],
    ['obsr', []],
    ['orst', []],
    ['voting_view', []],
    ['watches', []],
    ['wchp', []],
    ['wchs', []],
    ['zabstate', []],
    ['stmk', []],
    ['stmk?traceMask=306', []],
    ['nonexistent', []],
    ['ruok/extra', []],
    ['/ruok', []],
  ];

  test.each(deterministic)('AdminServer: %s', async (cmd, numeric) => {
    const a = await httpGet(apache.adminPort, `/commands/${cmd}`);
    const z = await httpGet(zkts.adminPort, `/commands/${cmd}`);
    expect(z.status).toBe(a.status);
    expect(z.contentType).toBe(a.contentType);
    let na = normNumbers(norm(apache, a.body), numeric);
    let nz = normNumbers(norm(zkts, z.body), numeric);
    if (cmd === 'dump') {
      // Expiry times are elapsed-clock milliseconds.
      na = na.replace(/"\d+" : \[/g, '"<t>" : [');
      nz = nz.replace(/"\d+" : \[/g, '"<t>" : [');
      // Emptied expiry buckets (kept until their time passes) depend on when each server saw a ping.
      na = na.replace(/\n *"<t>" : \[ \],?/g, '');
      nz = nz.replace(/\n *"<t>" : \[ \],?/g, '');
    }
    expect(nz).toBe(na);
  });

  test('AdminServer: initial_configuration is the zoo.cfg text', async () => {
    const a = JSON.parse((await httpGet(apache.adminPort, '/commands/icfg')).body);
    const z = JSON.parse((await httpGet(zkts.adminPort, '/commands/icfg')).body);
    const strip = (t: string) => t.replace(/^(dataDir|clientPort|admin\.serverPort|metricsProvider\.[a-zA-Z]+)=.*\n/gm, '');
    expect(strip(z.initial_configuration)).toBe(strip(a.initial_configuration));
    expect(Object.keys(z)).toEqual(Object.keys(a));
  });

  test.each([
    ['connections', ['established', 'last_response_time', 'last_latency', 'min_latency', 'avg_latency', 'max_latency', 'packets_sent', 'packets_received', 'outstanding_requests']],
    ['stats', ['packets_sent', 'packets_received', 'data_dir_size', 'log_dir_size', 'avg_latency', 'max_latency', 'min_latency', 'uptime', 'outstanding_requests', 'last_buffer_size', 'min_buffer_size', 'max_buffer_size', 'num_alive_client_connections']],
    ['server_stats', ['packets_sent', 'packets_received', 'data_dir_size', 'log_dir_size', 'avg_latency', 'max_latency', 'min_latency', 'uptime', 'last_buffer_size', 'min_buffer_size', 'max_buffer_size', 'num_alive_client_connections']],
  ])('AdminServer: %s, times, latencies and packet counts normalized', async (cmd, numeric) => {
    const a = await httpGet(apache.adminPort, `/commands/${cmd}`);
    const z = await httpGet(zkts.adminPort, `/commands/${cmd}`);
    // Jackson writes ServerStats's getters in the order reflection lists them, which the JVM does not fix:
    // Apache has written isProviderNull's key after log_dir_size in most runs and before it in one. The
    // key and its value are compared; its place among the others is not.
    const providerNull = /\n *"provider_null" : (true|false),/;
    const split = (t: string): [string, string | undefined] => [t.replace(providerNull, ''), providerNull.exec(t)?.[1]];
    const na = split(normNumbers(norm(apache, a.body), numeric));
    const nz = split(normNumbers(norm(zkts, z.body), numeric));
    expect(nz).toEqual(na);
    if (cmd !== 'connections') expect(na[1]).toBe('false');
  });

  test('AdminServer: monitor has the keys of mntr, in order', async () => {
    const keys = (t: string) => [...t.matchAll(/^ {2}"([^"]*)" : /gm)].map((m) => m[1]);
    const a = await httpGet(apache.adminPort, '/commands/monitor');
    const z = await httpGet(zkts.adminPort, '/commands/monitor');
    expect(keys(z.body)).toEqual(keys(a.body));
  });

  test('AdminServer: environment and system_properties shapes', async () => {
    const keys = (t: string) => [...t.matchAll(/^ {2}"([^"]*)" : /gm)].map((m) => m[1]);
    const a = await httpGet(apache.adminPort, '/commands/environment');
    const z = await httpGet(zkts.adminPort, '/commands/environment');
    expect(keys(z.body)).toEqual(keys(a.body));
    const sa = keys((await httpGet(apache.adminPort, '/commands/system_properties')).body);
    const sz = keys((await httpGet(zkts.adminPort, '/commands/system_properties')).body);
    expect(sz.slice(-2)).toEqual(['command', 'error']);
    expect([...sz.slice(0, -2)].sort()).toEqual(sz.slice(0, -2));
    // The server's own properties are there on both; the JVM's are Node's equivalents on zkts.
    for (const k of sa.filter((x) => x.startsWith('zookeeper.'))) expect(sz).toContain(k);
    for (const k of ['file.separator', 'java.io.tmpdir', 'line.separator', 'os.arch', 'os.name', 'os.version', 'path.separator', 'user.dir', 'user.home', 'user.name']) expect(sz).toContain(k);
  });

  test('AdminServer: paths outside the command URL are 404', async () => {
    const a = await httpGet(apache.adminPort, '/');
    const z = await httpGet(zkts.adminPort, '/');
    expect(z.status).toBe(a.status);
    expect(z.contentType).toBe(a.contentType);
  });

  test('/metrics has a family for each metric the oracle reports, with its kind', async () => {
    const mntr = (await fourLetterWord(apache.server.host, apache.server.port, 'mntr')).split('\n').filter((l) => l !== '');
    const expected = new Map<string, string>();
    const summaryParts = /^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.*)$/;
    const keys = mntr.map((l) => l.substring(3, l.indexOf('\t'))).filter((k) => k !== 'version' && k !== 'server_state');
    const keySet = new Set(keys);
    for (const k of keys) {
      const m = summaryParts.exec(k);
      if (m !== null && keySet.has(`avg_${m[2]}`) && keySet.has(`cnt_${m[2]}`)) {
        const base = m[2].replace(/^a_(read|write)_per_namespace$/, '$1_per_namespace');
        expected.set(base, 'summary');
      } else {
        expected.set(k, 'gauge-or-counter');
      }
    }
    const r = await httpGet(zktsProm.metricsPort, '/metrics');
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    const types = new Map([...r.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const [name, kind] of expected) {
      const t = types.get(name);
      if (kind === 'summary') expect({ name, t }).toEqual({ name, t: 'summary' });
      else expect({ name, ok: t === 'gauge' || t === 'counter' }).toEqual({ name, ok: true });
    }
    // The values the scenario fixes agree with the oracle's mntr (zktsProm ran the same scenario).
    const am = new Map(mntr.map((l) => [l.substring(3, l.indexOf('\t')), l.substring(l.indexOf('\t') + 1)]));
    for (const g of ['znode_count', 'ephemerals_count', 'watch_count', 'approximate_data_size', 'global_sessions']) {
      expect({ g, v: new RegExp(`\\n${g} (\\S+)\\n`).exec(r.body)?.[1] }).toEqual({ g, v: `${am.get(g)}.0` });
    }
  });
});

describe('four-letter word whitelist', () => {
  const pair = usePair({ '4lw.commands.whitelist': 'ruok, stat ,conf' });

  test('every word answers as Apache does', async () => {
    const { a, z } = pair;
    for (const w of ['conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'ruok', 'stmk', 'srst', 'srvr', 'stat', 'wchc', 'wchp', 'wchs', 'mntr', 'isro', 'hash']) {
      const oa = norm(a, await fourLetterWord(a.server.host, a.server.port, w));
      const oz = norm(z, await fourLetterWord(z.server.host, z.server.port, w));
      const n = (t: string) =>
        normNumbers(t, ['clientPort', 'dataDirSize', 'dataLogSize'])
          .replace(/Latency min\/avg\/max: \d+\/\d+\.\d+\/\d+/, 'Latency min/avg/max: <n>/<n.n>/<n>')
          .replace(/(Received|Sent): \d+/g, '$1: <n>');
      expect({ w, out: n(oz) }).toEqual({ w, out: n(oa) });
    }
  });
});

/**
 * Apache's watch tables and a session's ephemeral set are Java HashMaps/HashSets: they list their entries
 * in bucket order for the table size they once grew to (they never shrink). The dumps after the tables
 * held many entries, and again when only a few are left.
 */
describe('watch and ephemeral dumps keep the table sizes the Java tables grew to', () => {
  const pair = usePair({ '4lw.commands.whitelist': '*' });

  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];

  async function tables(s: Side): Promise<void> {
    const req = (c: RawClient, type: number, path: string) => c.request(type, R.GetDataRequest, { path, watch: true });
    const create = (c: RawClient, path: string, flags: number) => c.request(OpCode.create, R.CreateRequest, { path, data: null, acl: OPEN_ACL, flags });
    // One session watches 200 paths, then goes: the path table keeps its 512 buckets.
    const many = await RawClient.connect({ port: s.server.port, timeout: 30000 });
    s.sessions.push(many.session!.sessionId);
    for (let i = 0; i < 200; i++) await req(many, OpCode.exists, `/many/p${i}`);
    await many.closeSession();
    many.destroy();
    const c = await RawClient.connect({ port: s.server.port, timeout: 30000 });
    s.clients.push(c);
    s.sessions.push(c.session!.sessionId);
    expect((await create(c, '/t', 0)).err).toBe(0);
    // This session's own path set grows to 32 buckets, then most of its watches fire.
    for (const w of words) await req(c, OpCode.exists, `/t/${w}`);
    for (const p of ['/kr/4lw/a', '/kr/4lw/none', '/x', '/y/z']) await req(c, OpCode.exists, p);
    // Its ephemeral set grows to 32 buckets too; 4 of 14 are left.
    for (const w of words) expect((await create(c, `/t/${w}`, 1)).err).toBe(0);
    for (const w of words.slice(0, 10)) expect((await c.request(OpCode.delete, R.DeleteRequest, { path: `/t/${w}`, version: -1 })).err).toBe(0);
    for (const w of words.slice(10)) await req(c, OpCode.getData, `/t/${w}`);
    await c.ping();
  }

  test('wchp, wchc, the ephemerals in dump, and the AdminServer watches, watches_by_path and dump', async () => {
    const { a, z } = pair;
    await tables(a);
    await tables(z);
    const flw = async (s: Side, w: string) => norm(s, await fourLetterWord(s.server.host, s.server.port, w));
    for (const w of ['wchp', 'wchc']) expect({ w, out: await flw(z, w) }).toEqual({ w, out: await flw(a, w) });
    const ephemerals = (t: string) => t.substring(t.indexOf('ephemeral nodes dump:'), t.indexOf('Connections dump:'));
    expect(ephemerals(await flw(z, 'dump'))).toBe(ephemerals(await flw(a, 'dump')));
    for (const cmd of ['watches', 'watches_by_path']) {
      const [ra, rz] = [await httpGet(a.adminPort, `/commands/${cmd}`), await httpGet(z.adminPort, `/commands/${cmd}`)];
      expect({ cmd, body: norm(z, rz.body) }).toEqual({ cmd, body: norm(a, ra.body) });
    }
    const ephemeralsJson = (t: string) => t.substring(t.indexOf('"session_id_to_ephemeral_paths"'));
    const [da, dz] = [await httpGet(a.adminPort, '/commands/dump'), await httpGet(z.adminPort, '/commands/dump')];
    expect(ephemeralsJson(norm(z, dz.body))).toBe(ephemeralsJson(norm(a, da.body)));
  });
});

describe('dump: a session bucket emptied by a touch', () => {
  const pair = usePair({ '4lw.commands.whitelist': '*' });

  test('stays listed ("0 expire at") until its time passes, in 4lw dump and the AdminServer', async () => {
    const { a, z } = pair;
    // A request more than a tick (2 s) after the handshake moves the session to a later bucket for sure.
    for (const s of [a, z]) {
      const c = await RawClient.connect({ port: s.server.port, timeout: 30000 });
      s.clients.push(c);
      s.sessions.push(c.session!.sessionId);
    }
    await new Promise((r) => setTimeout(r, 2300));
    for (const s of [a, z]) expect((await s.clients[0].request(OpCode.exists, R.GetDataRequest, { path: '/', watch: false })).err).toBe(0);
    const head = (s: Side, t: string) => norm(s, t).split('ephemeral nodes dump:')[0];
    const da = head(a, await fourLetterWord(a.server.host, a.server.port, 'dump'));
    const dz = head(z, await fourLetterWord(z.server.host, z.server.port, 'dump'));
    // Apache's can hold one emptied bucket more: on a fresh JVM its first connection may be finished a tick
    // after its session was made (seen once in CI, "Session Sets (3)/(1)" with two empty). The same form
    // then, every bucket but the last empty; zkts's must be the two-bucket form.
    const form = /^SessionTracker dump:\nSession Sets \((\d+)\)\/\(1\):\n(?:0 expire at <date>:\n)+1 expire at <date>:\n\t<sid0>\n$/;
    expect(da).toMatch(form);
    const buckets = Number(form.exec(da)![1]);
    expect(da.split('0 expire at').length - 1).toBe(buckets - 1);
    expect(dz).toBe('SessionTracker dump:\nSession Sets (2)/(1):\n0 expire at <date>:\n1 expire at <date>:\n\t<sid0>\n');
    if (buckets === 2) expect(dz).toBe(da);
    const json = async (s: Side) => JSON.parse((await httpGet(s.adminPort, '/commands/dump')).body).expiry_time_to_session_ids;
    const ja = await json(a);
    const jz = await json(z);
    expect(Object.values(ja).map((v) => (v as unknown[]).length)).toEqual([...Array<number>(buckets - 1).fill(0), 1]);
    expect(Object.values(jz).map((v) => (v as unknown[]).length)).toEqual([0, 1]);
  });
});
