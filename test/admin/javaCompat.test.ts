import * as fs from 'fs';
import * as path from 'path';
import { chmStringOrder, javaDateString, javaDouble, javaLongHash, longDec, longHex } from '../../src/admin/javaCompat';
import { AvgMinMaxPercentileCounter, JDouble, ServerMetrics, roundHalfUp4, writeTextFormat } from '../../src/admin/metrics';
import { toJackson, jsonMap } from '../../src/admin/json';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');

describe('Java formatting', () => {
  test('Double.toString', () => {
    expect(javaDouble(0)).toBe('0.0');
    expect(javaDouble(3.5714)).toBe('3.5714');
    expect(javaDouble(28)).toBe('28.0');
    expect(javaDouble(0.125)).toBe('0.125');
    expect(javaDouble(1e7)).toBe('1.0E7');
    expect(javaDouble(1.795668949461055e9)).toBe('1.795668949461055E9');
    expect(javaDouble(0.00015)).toBe('1.5E-4');
    expect(javaDouble(NaN)).toBe('NaN');
  });

  test('Long.toHexString and signed longs', () => {
    expect(longHex(-1)).toBe('ffffffffffffffff');
    expect(longHex(0x100001af2f50000n)).toBe('100001af2f50000');
    expect(longHex(5)).toBe('5');
    expect(longDec(0xffffffffffffffffn)).toBe('-1');
  });

  test('Long.hashCode', () => {
    expect(javaLongHash(1n)).toBe(1);
    expect(javaLongHash(-1n)).toBe(0);
    expect(javaLongHash(0x100000000n)).toBe(1);
  });

  test('Date.toString shape', () => {
    expect(javaDateString(Date.now())).toMatch(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d \d\d:\d\d:\d\d \S+ \d{4}$/);
  });

  test('BigDecimal HALF_UP to 4 places', () => {
    expect(roundHalfUp4(25 / 7)).toBe(3.5714);
    expect(roundHalfUp4(51 / 32)).toBe(1.5938);
    expect(roundHalfUp4(1 / 8)).toBe(0.125);
    expect(roundHalfUp4(0.99995)).toBe(1);
  });
});

describe('ConcurrentHashMap order', () => {
  test('reproduces the order of every key in Apache 3.8 mntr', () => {
    const expected = fixture('apache-3.8-mntr-keys.txt')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.substring(3));
    const metrics = new ServerMetrics();
    for (const name of ['avg_latency', 'max_latency', 'min_latency', 'packets_received', 'packets_sent', 'num_alive_connections', 'outstanding_requests', 'uptime', 'znode_count', 'watch_count', 'ephemerals_count', 'approximate_data_size', 'global_sessions', 'local_sessions', 'open_file_descriptor_count', 'max_file_descriptor_count', 'connection_drop_probability', 'last_client_response_size', 'max_client_response_size', 'min_client_response_size', 'outstanding_tls_handshake', 'auth_failed_count', 'non_mtls_remote_conn_count', 'non_mtls_local_conn_count']) {
      metrics.registerGauge(name, () => 0);
    }
    metrics.summarySet('read_per_namespace').add('a', 75);
    metrics.summarySet('write_per_namespace').add('a', 7);
    const keys = ['version', 'server_state'];
    metrics.dump((k) => keys.push(k));
    expect(keys).toEqual(expected);
  });

  test('splits bins on resize as ConcurrentHashMap.transfer does', () => {
    // "Aa" and "BB" share a hash; order within a bin follows insertion until a resize reorders it.
    expect(chmStringOrder(['Aa', 'BB'])).toEqual(['Aa', 'BB']);
    const many = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const order = chmStringOrder(many);
    expect([...order].sort()).toEqual([...many].sort());
  });
});

describe('metric types', () => {
  test('percentiles as codahale UniformSnapshot', () => {
    const c = new AvgMinMaxPercentileCounter('updatelatency');
    for (const v of [2, 4, 4, 10]) c.add(v);
    const out = new Map<string, unknown>();
    c.values((k, v) => out.set(k, v instanceof JDouble ? v.value : v));
    expect(out).toEqual(
      new Map<string, unknown>([
        ['avg_updatelatency', 5],
        ['min_updatelatency', 2],
        ['max_updatelatency', 10],
        ['cnt_updatelatency', 4],
        ['sum_updatelatency', 20],
        ['p50_updatelatency', 4],
        ['p95_updatelatency', 10],
        ['p99_updatelatency', 10],
        ['p999_updatelatency', 10],
      ]),
    );
  });

  test('reset keeps per-namespace keys and zeroes them', () => {
    const m = new ServerMetrics();
    m.summarySet('read_per_namespace').add('a', 75);
    m.counter('connection_request_count').add(3);
    m.resetAll();
    const out = new Map<string, string>();
    m.dump((k, v) => out.set(k, v.toString()));
    expect(out.get('avg_a_read_per_namespace')).toBe('0.0');
    expect(out.get('cnt_a_read_per_namespace')).toBe('0');
    expect(out.get('connection_request_count')).toBe('0');
  });

  test('Prometheus text format 0.0.4', () => {
    const m = new ServerMetrics({ prometheus: true });
    m.registerGauge('znode_count', () => 5);
    m.summary('fsynctime').add(3);
    m.summarySet('write_per_namespace').add('a', 7);
    const text = writeTextFormat(m.prometheusFamilies());
    expect(text).toContain('# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 5.0\n');
    expect(text).toContain('# TYPE fsynctime summary\nfsynctime{quantile="0.5",} 3.0\nfsynctime_count 1.0\nfsynctime_sum 3.0\n');
    expect(text).toContain('write_per_namespace{key="a",quantile="0.5",} 7.0\nwrite_per_namespace_count{key="a",} 1.0\n');
    expect(text).toContain('readlatency{quantile="0.5",} NaN\nreadlatency{quantile="0.9",} NaN\nreadlatency{quantile="0.99",} NaN\nreadlatency_count 0.0\n');
    expect(text).toContain('# TYPE connection_request_count counter\nconnection_request_count 0.0\n');
  });
});

describe('Jackson pretty printing', () => {
  test('objects, arrays, empties, doubles, longs', () => {
    const v = jsonMap([
      ['connections', [jsonMap([['a', 1], ['b', 'x']])]],
      ['secure_connections', []],
      ['current_config', jsonMap()],
      ['avg', new JDouble(0)],
      ['sid', 72057709783220225n],
      ['command', 'connections'],
      ['error', null],
    ]);
    expect(toJackson(v)).toBe(
      '{\n  "connections" : [ {\n    "a" : 1,\n    "b" : "x"\n  } ],\n  "secure_connections" : [ ],\n  "current_config" : { },\n' +
        '  "avg" : 0.0,\n  "sid" : 72057709783220225,\n  "command" : "connections",\n  "error" : null\n}',
    );
  });
});
