/**
 * The load generator end to end against an in-process server: every workload completes operations
 * with no errors and removes what it created. No timing assertions.
 */
import { parseBenchArgs, formatResult, UsageError } from '../../src/bench/cli';
import { BenchConnection } from '../../src/bench/conn';
import { renderMarkdown, renderSvg } from '../../src/bench/report';
import type { CompareResults } from '../../src/bench/compare';
import { quickMatrix, skippedBigPhase } from '../../src/bench/compare';
import { BenchOptions, runBench } from '../../src/bench/runner';
import { runRtt } from '../../src/bench/rtt';
import { loadTree } from '../../src/bench/loader';
import { makeValue } from '../../src/bench/workload';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';

describe('zkts bench against a TestingServer', () => {
  let ts: TestingServer;

  beforeAll(async () => {
    ts = await TestingServer.start();
  });

  afterAll(async () => {
    await ts?.stop();
  });

  const base = (): BenchOptions => ({
    host: '127.0.0.1',
    port: ts.port,
    sessions: 2,
    inflight: 8,
    op: 'get',
    readRatio: 0.9,
    valueSize: 100,
    durationS: 0.6,
    warmupS: 0.1,
    workers: 0,
    keys: 50,
    maxOps: 1_000_000,
  });

  /** Children of / other than /zookeeper: what runs left behind. */
  async function leftovers(): Promise<string[]> {
    return (ts.server.dataTree.getNode('/')?.childNames() ?? []).filter((n) => n !== 'zookeeper');
  }

  test('get for about a second: ops, no errors, latency recorded', async () => {
    const r = await runBench({ ...base(), durationS: 1 });
    expect(r.ops).toBeGreaterThan(0);
    expect(r.errors).toBe(0);
    expect(r.errorCodes).toEqual({});
    expect(r.opsPerSec).toBeGreaterThan(0);
    expect(r.latencyUs.count).toBe(r.ops);
    expect(r.latencyUs.p50).toBeLessThanOrEqual(r.latencyUs.p99);
    expect(r.latencyUs.p99).toBeLessThanOrEqual(r.latencyUs.p999);
    expect(r.latencyUs.p999).toBeLessThanOrEqual(r.latencyUs.max);
    expect(formatResult(r)).toContain('errors: 0');
    expect(await leftovers()).toEqual([]);
  });

  test.each(['exists', 'getChildren', 'set', 'create', 'delete', 'mix', 'ping'] as const)('%s completes with no errors and cleans up', async (op) => {
    // A delete run ends when its pool is gone: measure from the start.
    const r = await runBench({ ...base(), op, ...(op === 'delete' ? { maxOps: 400, warmupS: 0 } : {}) });
    expect(r.ops).toBeGreaterThan(0);
    expect(r.errors).toBe(0);
    if (op === 'mix') {
      expect(r.readLatencyUs!.count + r.writeLatencyUs!.count).toBe(r.ops);
      expect(r.readLatencyUs!.count).toBeGreaterThan(0);
    }
    expect(await leftovers()).toEqual([]);
  });

  test('the count bound ends a run early', async () => {
    const r = await runBench({ ...base(), op: 'set', durationS: 30, warmupS: 0, maxOps: 200 });
    expect(r.errors).toBe(0);
    expect(r.ops).toBeLessThanOrEqual(200);
    expect(r.windowS).toBeLessThan(30);
  });

  test('errors are counted and reported', async () => {
    // Reads of znodes that do not exist: every reply is NONODE.
    const r = await runBench({ ...base(), keySpace: { kind: 'loaded', root: '/nothing-here', keys: 10, fanout: 10 } });
    expect(r.ops).toBeGreaterThan(0);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.errorCodes.NONODE).toBe(r.errors);
    expect(formatResult(r)).toMatch(/ERRORS: \d+ \(NONODE x\d+\)/);
  });

  test('bulk load, then a run over the loaded tree', async () => {
    const opts = { host: '127.0.0.1', port: ts.port, conns: 2, window: 50 };
    await loadTree(opts, '/load', 100, 0, 250, makeValue(100));
    await loadTree(opts, '/load', 100, 250, 500, makeValue(100));
    expect(ts.server.dataTree.getNode('/load/b4/n99')).toBeDefined();
    const r = await runBench({ ...base(), op: 'mix', keySpace: { kind: 'loaded', root: '/load', keys: 500, fanout: 100 } });
    expect(r.ops).toBeGreaterThan(0);
    expect(r.errors).toBe(0);
  });

  test('a load of no znodes (--small 0) leaves the root to the next load', async () => {
    const opts = { host: '127.0.0.1', port: ts.port, conns: 2, window: 50 };
    await loadTree(opts, '/load0', 10, 0, 0, makeValue(100));
    expect(ts.server.dataTree.getNode('/load0')).toBeUndefined();
    await loadTree(opts, '/load0', 10, 0, 20, makeValue(100));
    expect(ts.server.dataTree.getNode('/load0/b1/n9')).toBeDefined();
  });

  test('BenchConnection: a request, its reply, closeSession', async () => {
    const c = await BenchConnection.connect({ host: '127.0.0.1', port: ts.port });
    const replies: number[] = [];
    c.onReply = (err) => replies.push(err);
    const xid = c.begin(OpCode.exists);
    R.GetDataRequest.write(c.writer, { path: '/', watch: false });
    c.send(xid, performance.now());
    await new Promise((r) => setTimeout(r, 100));
    expect(replies).toEqual([0]);
    await c.close();
    expect(c.closed).toBe(true);
  });
});

test('a server that goes away: the run ends and says so', async () => {
  const ts2 = await TestingServer.start();
  const stopping = new Promise((r) => setTimeout(r, 300)).then(() => ts2.stop());
  const r = await runBench({
    host: '127.0.0.1',
    port: ts2.port,
    sessions: 2,
    inflight: 4,
    op: 'set',
    readRatio: 0.9,
    valueSize: 10,
    durationS: 20,
    warmupS: 0,
    workers: 0,
    keys: 10,
    maxOps: 10_000_000,
  });
  await stopping;
  expect(r.connectionsLost).toBe(2);
  expect(r.windowS).toBeLessThan(20);
  expect(r.errors).toBeGreaterThan(0);
  expect(r.cleanupErrors).toBeGreaterThan(0);
  expect(formatResult(r)).toContain('ERRORS');
});

test('--rtt against the in-process echo server', async () => {
  const r = await runRtt({ durationS: 0.5, warmupS: 0.1, workers: 0 });
  expect(r.ops).toBeGreaterThan(0);
  expect(r.errors).toBe(0);
  expect(r.latencyUs.p50).toBeGreaterThan(0);
});

describe('argument parsing', () => {
  test('options', () => {
    const p = parseBenchArgs(['--server', '127.0.0.1:2181', '--sessions', '32', '--inflight=100', '--op', 'mix', '--read-ratio', '0.8', '--value-size', '10240', '--duration', '3', '--warmup', '0', '--workers', '2', '--json']);
    expect(p.opts).toMatchObject({ host: '127.0.0.1', port: 2181, sessions: 32, inflight: 100, op: 'mix', readRatio: 0.8, valueSize: 10240, durationS: 3, warmupS: 0, workers: 2 });
    expect(p.json).toBe(true);
    expect(parseBenchArgs(['--rtt']).rtt).toBe(true);
  });

  test('bad usage', () => {
    expect(() => parseBenchArgs([])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--server', 'localhost'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--server', 'h:1', '--op', 'nope'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--server', 'h:1', '--sessions', '0'])).toThrow(UsageError);
    expect(() => parseBenchArgs(['--server', 'h:1', '--bogus'])).toThrow(UsageError);
  });
});

test('the report renders from results (both servers, one server)', () => {
  const rows = quickMatrix();
  const sample = (x: number) => ({ opsPerSec: 1000 * x, p50Ms: 0.1 * x, p99Ms: x, p999Ms: 2 * x, cpuUsPerOp: 10, errors: 0, errorCodes: {}, clientCpuPct: 20 });
  const snap = { opsPerSec: 100, p99Ms: 1, p999Ms: 2, maxMs: 3, errors: 0, snapshots: 2 };
  const lc = { startupMs: [500], rssEmpty: 5e7, rssSmall: 6e7, rssBig: 1e8, loadSmallPerSec: 1e4, loadBigPerSec: 2e4, restartMs: 900, restartMs2: 950, rssAfterRestart: 9e7, noSnap: snap, snap };
  const res: CompareResults = {
    version: 1,
    date: '2026-01-01T00:00:00Z',
    elapsedS: 60,
    command: 'npm run bench:compare',
    machine: { cpu: 'cpu', cores: 2, memoryBytes: 2 ** 34, kernel: 'k', os: 'os', node: 'v20', java: 'java', apache: '3.8.0', zkts: '0.1.0', loadAvgStart: [0, 0, 0], loadAvgEnd: [0, 0, 0] },
    options: { quick: false, reps: 2, durationS: 5, warmupS: 1, smallNodes: 10, bigNodes: 20, snapDurationS: 5, snapCount: 100, servers: ['apache', 'zkts'], zktsNodeArgs: [], apacheJvmArgs: [], workers: undefined },
    rows,
    samples: {
      apache: Object.fromEntries(rows.map((r) => [r.id, [sample(1), sample(1.2)]])),
      zkts: Object.fromEntries(rows.map((r) => [r.id, [sample(2), sample(0.5)]])),
    },
    lifecycle: { apache: [lc, lc], zkts: [lc, lc] },
    rtt: [{ p50Ms: 0.05, p99Ms: 0.1, p999Ms: 0.2, meanMs: 0.06 }],
    loadAvg: [[1, 1, 1]],
  };
  const md = renderMarkdown(res, 'performance.svg');
  expect(md).toContain('| get 100 B | 1 × 1 |');
  // Load during the run is the bench's own: only the value taken before any server ran says "busy".
  expect(md).not.toContain('already busy');
  const busyDuring = renderMarkdown({ ...res, loadAvg: [[2.4, 1, 1]] }, 'x.svg');
  expect(busyDuring).toContain("idle before the run; the later values count the bench's own client and servers");
  expect(busyDuring).not.toContain('already busy');
  const busyBefore = renderMarkdown({ ...res, machine: { ...res.machine, loadAvgStart: [1.5, 1, 1] } }, 'x.svg');
  expect(busyBefore).toContain('the machine was already busy when the run began');
  expect(md).toContain('**1.14**'); // median 1250 / 1100 ops/s
  expect(md).not.toContain('NaN');
  const svg = renderSvg(res);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).not.toContain('NaN');
  // --big 0: the large-tree rows read "–", start-up is still reported.
  const skipped = { ...skippedBigPhase(), startupMs: [400] };
  const mdSkipped = renderMarkdown({ ...res, options: { ...res.options, smallNodes: 0, bigNodes: 0 }, lifecycle: { apache: [skipped], zkts: [skipped] } }, 'x.svg');
  expect(mdSkipped).not.toContain('NaN');
  expect(mdSkipped).toMatch(/\| restart with 0 znodes on disk[^|]*\| – \| – \|/);
  expect(mdSkipped).toMatch(/\| time from process start to the first served request[^|]*\| 400 \| 400 \|/);
  expect(renderSvg({ ...res, lifecycle: { apache: [skipped], zkts: [skipped] } })).not.toContain('NaN');
  delete (res.samples as Record<string, unknown>).apache;
  delete (res.lifecycle as Record<string, unknown>).apache;
  expect(renderMarkdown(res, 'x.svg')).not.toContain('NaN');
  expect(renderSvg(res)).not.toContain('NaN');
});
