/**
 * The AdminServer (HTTP JSON commands) and the Prometheus /metrics endpoint, in process.
 */
import * as http from 'http';
import * as net from 'net';
import { TestingServer } from '../../src/testingServer';
import { RawClient } from '../../src/client/rawClient';
import { Flags, destroyAll, fourLetterWord, rawConnect, rawCreate, rawGetData } from '../integration/helpers';

interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, path: string, method = 'GET'): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The keys of a top-level JSON object, in order (JSON.parse would reorder integer-like ones). */
function topKeys(body: string): string[] {
  return [...body.matchAll(/^ {2}"([^"]*)" : /gm)].map((m) => m[1]);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

const adminProps = (): Map<string, string> =>
  new Map([
    ['zookeeper.admin.enableServer', 'true'],
    ['zookeeper.admin.serverAddress', '127.0.0.1'],
    ['zookeeper.admin.serverPort', '0'],
  ]);

describe('AdminServer', () => {
  let server: TestingServer;
  let port: number;
  const raws: RawClient[] = [];
  const get = (p: string) => request(port, p);

  beforeAll(async () => {
    server = await TestingServer.start({ tickTime: 2000, config: { sysProps: adminProps(), fourLetterWords: new Set(['*']) } });
    port = server.admin.adminPort;
  });

  afterEach(() => destroyAll(raws));

  afterAll(async () => {
    await server.stop();
  });

  test('is off unless admin.enableServer=true', async () => {
    const plain = await TestingServer.start();
    try {
      expect(plain.admin.adminPort).toBe(0);
      expect(plain.admin.metricsPort).toBe(0);
    } finally {
      await plain.stop();
    }
  });

  test('lists the commands as links', async () => {
    for (const p of ['/commands', '/commands/']) {
      const r = await get(p);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBeUndefined();
      const links = r.body.split('\n');
      expect(links.pop()).toBe('');
      expect(links.length).toBe(52);
      expect(links[0]).toBe('<a href="/commands/configuration">configuration</a>');
      expect(links[1]).toBe('<br/>');
      const names = links.filter((_, i) => i % 2 === 0).map((l) => /">([^<]*)</.exec(l)![1]);
      expect(names).toEqual([
        'configuration',
        'connection_stat_reset',
        'connections',
        'dirs',
        'dump',
        'environment',
        'get_trace_mask',
        'hash',
        'initial_configuration',
        'is_read_only',
        'last_snapshot',
        'leader',
        'monitor',
        'observer_connection_stat_reset',
        'observers',
        'ruok',
        'server_stats',
        'set_trace_mask',
        'stat_reset',
        'stats',
        'system_properties',
        'voting_view',
        'watch_summary',
        'watches',
        'watches_by_path',
        'zabstate',
      ]);
    }
  });

  test('ruok: exact bytes', async () => {
    const r = await get('/commands/ruok');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.body).toBe('{\n  "command" : "ruok",\n  "error" : null\n}');
  });

  test.each([
    ['configuration', ['client_port', 'data_dir', 'data_log_dir', 'tick_time', 'max_client_cnxns', 'min_session_timeout', 'max_session_timeout', 'server_id', 'client_port_listen_backlog', 'command', 'error']],
    ['conf', null],
    ['config', null],
    ['connections', ['connections', 'secure_connections', 'command', 'error']],
    ['dirs', ['datadir_size', 'logdir_size', 'command', 'error']],
    ['dump', ['expiry_time_to_session_ids', 'session_id_to_ephemeral_paths', 'command', 'error']],
    ['get_trace_mask', ['tracemask', 'command', 'error']],
    ['hash', ['digests', 'command', 'error']],
    ['initial_configuration', ['initial_configuration', 'command', 'error']],
    ['is_read_only', ['read_only', 'command', 'error']],
    ['last_snapshot', ['zxid', 'timestamp', 'command', 'error']],
    ['leader', ['error', 'command']],
    ['observers', ['synced_observers', 'observers', 'command', 'error']],
    ['server_stats', ['version', 'read_only', 'server_stats', 'client_response', 'node_count', 'command', 'error']],
    ['stats', ['version', 'read_only', 'server_stats', 'client_response', 'node_count', 'connections', 'secure_connections', 'command', 'error']],
    ['voting_view', ['current_config', 'command', 'error']],
    ['watches', ['session_id_to_watched_paths', 'command', 'error']],
    ['watches_by_path', ['path_to_session_ids', 'command', 'error']],
    ['watch_summary', ['num_connections', 'num_paths', 'num_total_watches', 'command', 'error']],
    ['zabstate', ['voting', 'zabstate', 'command', 'error']],
  ])('%s', async (name, keys) => {
    const r = await get(`/commands/${name}`);
    expect(r.status).toBe(200);
    if (keys !== null) expect(topKeys(r.body)).toEqual(keys);
    expect(() => JSON.parse(r.body)).not.toThrow();
  });

  test('aliases answer with the primary name', async () => {
    for (const [alias, primary] of [
      ['cons', 'connections'],
      ['crst', 'connection_stat_reset'],
      ['env', 'environment'],
      ['envi', 'environment'],
      ['gtmk', 'get_trace_mask'],
      ['icfg', 'initial_configuration'],
      ['isro', 'is_read_only'],
      ['lsnp', 'last_snapshot'],
      ['lead', 'leader'],
      ['mntr', 'monitor'],
      ['orst', 'observer_connection_stat_reset'],
      ['srvr', 'server_stats'],
      ['stat', 'stats'],
      ['srst', 'stat_reset'],
      ['obsr', 'observers'],
      ['sysp', 'system_properties'],
      ['wchc', 'watches'],
      ['wchp', 'watches_by_path'],
      ['wchs', 'watch_summary'],
    ]) {
      expect(JSON.parse((await get(`/commands/${alias}`)).body).command).toBe(primary);
    }
  });

  test('server_stats fields', async () => {
    const r = await get('/commands/srvr');
    const stats = JSON.parse(r.body).server_stats;
    expect(Object.keys(stats)).toEqual([
      'packets_sent',
      'packets_received',
      'fsync_threshold_exceed_count',
      'client_response_stats',
      'data_dir_size',
      'log_dir_size',
      'provider_null',
      'server_state',
      'last_processed_zxid',
      'outstanding_requests',
      'avg_latency',
      'max_latency',
      'min_latency',
      'num_alive_client_connections',
      'uptime',
      'auth_failed_count',
      'non_mtlsremote_conn_count',
      'non_mtlslocal_conn_count',
    ]);
    expect(r.body).toMatch(/"avg_latency" : \d+\.\d+,/);
    expect(stats.server_state).toBe('standalone');
  });

  test('connections, watches and ephemerals with session ids as longs', async () => {
    const c = await rawConnect(raws, { port: server.port, timeout: 30000 });
    await rawCreate(c, '/h');
    await rawCreate(c, '/h/e', null, Flags.EPHEMERAL);
    await rawGetData(c, '/h', true);
    const sid = BigInt.asIntN(64, c.session!.sessionId).toString();
    const cons = await get('/commands/cons');
    const m = new RegExp(`"connections" : \\[ \\{\\n    "remote_socket_address" : "127\\.0\\.0\\.1:\\d+",\\n    "interest_ops" : 1,\\n`).exec(cons.body);
    expect(m).not.toBeNull();
    expect(cons.body).toContain(`"session_id" : ${sid},\n    "last_operation" : "GETD",`);
    const conn = JSON.parse(cons.body).connections[0];
    expect(Object.keys(conn)).toEqual([
      'remote_socket_address',
      'interest_ops',
      'outstanding_requests',
      'packets_received',
      'packets_sent',
      'session_id',
      'last_operation',
      'established',
      'session_timeout',
      'last_cxid',
      'last_zxid',
      'last_response_time',
      'last_latency',
      'min_latency',
      'avg_latency',
      'max_latency',
    ]);
    const stat = JSON.parse((await get('/commands/stat')).body);
    expect(Object.keys(stat.connections[0])).toEqual(['remote_socket_address', 'interest_ops', 'outstanding_requests', 'packets_received', 'packets_sent']);
    expect((await get('/commands/wchc')).body).toContain(`"session_id_to_watched_paths" : {\n    "${sid}" : [ "/h" ]\n  },`);
    expect((await get('/commands/wchp')).body).toContain(`"path_to_session_ids" : {\n    "/h" : [ ${sid} ]\n  },`);
    const dump = (await get('/commands/dump')).body;
    expect(dump).toContain(`"session_id_to_ephemeral_paths" : {\n    "${sid}" : [ "/h/e" ]\n  },`);
    expect(dump).toMatch(new RegExp(`"expiry_time_to_session_ids" : \\{\\n(    "\\d+" : \\[ [-\\d, ]+ \\],?\\n)+  \\}`));
    await c.closeSession();
  });

  test('monitor lists mntr values under the same keys', async () => {
    const r = await get('/commands/monitor');
    const keys = topKeys(r.body);
    const mntr = (await fourLetterWord(server.port, 'mntr'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.substring(3, l.indexOf('\t')));
    expect(keys).toEqual([...mntr, 'command', 'error']);
    expect(r.body).toMatch(/"avg_latency" : \d+\.\d+,/);
  });

  test('set_trace_mask and get_trace_mask', async () => {
    expect(JSON.parse((await get('/commands/stmk')).body)).toEqual({ error: 'setTraceMask requires long traceMask argument', command: 'set_trace_mask' });
    expect(topKeys((await get('/commands/stmk')).body)).toEqual(['error', 'command']);
    expect(JSON.parse((await get('/commands/stmk?traceMask=x1')).body).error).toBe('setTraceMask requires long traceMask argument, got x1');
    expect((await get('/commands/stmk?traceMask=12')).body).toBe('{\n  "tracemask" : 12,\n  "command" : "set_trace_mask",\n  "error" : null\n}');
    expect(JSON.parse((await get('/commands/gtmk')).body).tracemask).toBe(12);
    expect(await fourLetterWord(server.port, 'gtmk')).toBe('12');
    await get('/commands/stmk?traceMask=306');
  });

  test('system_properties are sorted and include the server settings', async () => {
    const r = await get('/commands/sysp');
    const keys = topKeys(r.body);
    const props = keys.slice(0, -2);
    expect([...props].sort()).toEqual(props);
    expect(props).toContain('zookeeper.admin.enableServer');
    expect(props).toContain('java.version');
    expect(keys.slice(-2)).toEqual(['command', 'error']);
  });

  test('unknown commands, other paths and methods', async () => {
    expect((await get('/commands/foo')).body).toBe('{\n  "command" : "foo",\n  "error" : "Unknown command: foo"\n}');
    expect(JSON.parse((await get('/commands/ruok/extra')).body).error).toBe('Unknown command: ruok/extra');
    const notFound = await get('/');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toContain('<title>Error 404 Not Found</title>');
    const post = await request(port, '/commands/ruok', 'POST');
    expect(post.status).toBe(405);
    expect(post.body).toContain('HTTP method POST is not supported by this URL');
    const head = await request(port, '/commands/ruok', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  test('stat_reset and connection_stat_reset', async () => {
    expect((await get('/commands/srst')).body).toBe('{\n  "command" : "stat_reset",\n  "error" : null\n}');
    expect((await get('/commands/crst')).body).toBe('{\n  "command" : "connection_stat_reset",\n  "error" : null\n}');
    expect(await fourLetterWord(server.port, 'srvr')).toContain('Latency min/avg/max: 0/0.0/0\nReceived: 1\n');
  });

  test('commands that need a running server refuse after it stopped', async () => {
    const s = await TestingServer.start({ config: { sysProps: adminProps() } });
    const p = s.admin.adminPort;
    // Stop serving clients but keep the HTTP side up to look at it: the original stop, not the one
    // AdminServices installed (which closes the HTTP listeners too).
    const stop = Object.getPrototypeOf(s.server).stop as () => Promise<void>;
    await stop.call(s.server);
    try {
      expect((await request(p, '/commands/conf')).body).toBe(
        '{\n  "command" : "conf",\n  "error" : "This ZooKeeper instance is not currently serving requests"\n}',
      );
      expect(JSON.parse((await request(p, '/commands/envi')).body).command).toBe('environment');
    } finally {
      await s.stop();
    }
    expect(await canConnect(p)).toBe(false);
  });
});

describe('Prometheus /metrics', () => {
  let server: TestingServer;
  let port: number;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    server = await TestingServer.start({
      config: {
        fourLetterWords: new Set(['*']),
        sysProps: new Map([
          ['zookeeper.metricsProvider.className', 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider'],
          ['zookeeper.metricsProvider.httpHost', '127.0.0.1'],
          ['zookeeper.metricsProvider.httpPort', '0'],
        ]),
      },
    });
    port = server.admin.metricsPort;
  });

  afterEach(() => destroyAll(raws));

  afterAll(async () => {
    await server.stop();
  });

  test('text format 0.0.4 with Apache metric names and types', async () => {
    const c = await rawConnect(raws, { port: server.port, timeout: 30000 });
    await rawCreate(c, '/p', Buffer.from('abc'));
    await rawGetData(c, '/p');
    const r = await request(port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const types = new Map([...r.body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    for (const g of ['znode_count', 'watch_count', 'num_alive_connections', 'outstanding_requests', 'ephemerals_count', 'approximate_data_size', 'global_sessions', 'packets_received', 'packets_sent', 'avg_latency', 'uptime']) {
      expect(types.get(g)).toBe('gauge');
    }
    for (const s of ['readlatency', 'updatelatency', 'fsynctime', 'snapshottime', 'write_per_namespace', 'read_per_namespace']) expect(types.get(s)).toBe('summary');
    expect(types.get('connection_request_count')).toBe('counter');
    expect(r.body).toContain('# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 6.0\n');
    expect(r.body).toMatch(/\nupdatelatency\{quantile="0\.5",\} \d+\.\d+\nupdatelatency\{quantile="0\.9",\} \d+\.\d+\nupdatelatency\{quantile="0\.99",\} \d+\.\d+\nupdatelatency_count [1-9]\d*\.0\nupdatelatency_sum \d+\.\d+\n/);
    expect(r.body).toContain('write_per_namespace{key="p",quantile="0.5",} 5.0\nwrite_per_namespace_count{key="p",} 1.0\nwrite_per_namespace_sum{key="p",} 5.0\n');
    expect(r.body).toMatch(/\nfsynctime_count [1-9]\d*\.0\n/);
    expect(r.body).toMatch(/\nprocess_resident_memory_bytes \d/);
    await c.closeSession();
  });

  test('name[] selects samples', async () => {
    const r = await request(port, '/metrics?name[]=znode_count&name[]=fsynctime_count');
    expect(r.body).toMatch(/^# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count \d+\.0\n# HELP fsynctime fsynctime\n# TYPE fsynctime summary\nfsynctime_count \d+\.0\n$/);
  });

  test('other paths are 404', async () => {
    expect((await request(port, '/')).status).toBe(404);
  });

  test('mntr dumps the Prometheus samples', async () => {
    const mntr = await fourLetterWord(server.port, 'mntr');
    expect(mntr).toMatch(/^zk_version\t3\.8\.0-zkts-[^\n]*\nzk_server_state\tstandalone\n/);
    expect(mntr).toMatch(/\nzk_znode_count\t\d+\.0\n/);
    expect(mntr).toMatch(/\nzk_readlatency\{quantile="0\.5"\}\t(\d+\.\d+|NaN)\n/);
    expect(mntr).toMatch(/\nzk_readlatency_count\t\d+\.0\n/);
  });
});
