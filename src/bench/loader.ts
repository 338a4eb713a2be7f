import * as R from '../jute/records';
import { OpCode } from '../protocol/opCodes';
import { BenchConnection } from './conn';
import { OPEN_ACL } from './workload';

export interface PipelineResult {
  ok: number;
  errors: number;
  /** Error counts by code. */
  codes: Record<string, number>;
}

/**
 * Sends `count` requests on one connection, keeping `window` in flight; `encode(i)` writes and sends
 * request i (with conn.begin/conn.send). Fails if the connection drops or timeoutMs passes.
 */
export function pipeline(
  conn: BenchConnection,
  count: number,
  encode: (i: number, now: number) => void,
  window = 500,
  timeoutMs = 600_000,
): Promise<PipelineResult> {
  return new Promise<PipelineResult>((resolve, reject) => {
    const res: PipelineResult = { ok: 0, errors: 0, codes: {} };
    if (count <= 0) {
      resolve(res);
      return;
    }
    let next = 0;
    let done = 0;
    const timer = setTimeout(() => fail(new Error(`pipeline: ${done}/${count} replies after ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    function fail(e: Error): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    }
    const fill = (now: number): void => {
      while (next < count && conn.inflight < window) encode(next++, now);
    };
    conn.onReply = (err, _lat, now) => {
      done++;
      if (err === 0) res.ok++;
      else {
        res.errors++;
        res.codes[err] = (res.codes[err] ?? 0) + 1;
      }
      if (done === count) {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          resolve(res);
        }
        return;
      }
      fill(now);
    };
    conn.onClose = (e) => fail(new Error(`pipeline: connection lost after ${done}/${count} replies: ${e.message}`));
    conn.cork();
    fill(performance.now());
    conn.uncork();
  });
}

export function sendCreate(conn: BenchConnection, path: string, value: Buffer | null, now: number): void {
  const xid = conn.begin(OpCode.create);
  R.CreateRequest.write(conn.writer, { path, data: value, acl: OPEN_ACL, flags: 0 });
  conn.send(xid, now);
}

export function sendDelete(conn: BenchConnection, path: string, now: number): void {
  const xid = conn.begin(OpCode.delete);
  R.DeleteRequest.write(conn.writer, { path, version: -1 });
  conn.send(xid, now);
}

export function sendExists(conn: BenchConnection, path: string, now: number): void {
  const xid = conn.begin(OpCode.exists);
  R.GetDataRequest.write(conn.writer, { path, watch: false });
  conn.send(xid, now);
}

export interface BulkOptions {
  host: string;
  port: number;
  /** Connections used side by side. */
  conns?: number;
  /** Requests in flight per connection. */
  window?: number;
  timeoutMs?: number;
}

function merge(into: PipelineResult, r: PipelineResult): void {
  into.ok += r.ok;
  into.errors += r.errors;
  for (const [k, v] of Object.entries(r.codes)) into.codes[k] = (into.codes[k] ?? 0) + v;
}

/**
 * Runs `count` requests, split in contiguous ranges over several sessions, each pipelined.
 * The connections are closed (closeSession) at the end.
 */
export async function bulk(
  opts: BulkOptions,
  count: number,
  send: (conn: BenchConnection, i: number, now: number) => void,
): Promise<PipelineResult> {
  const total: PipelineResult = { ok: 0, errors: 0, codes: {} };
  if (count <= 0) return total;
  const n = Math.max(1, Math.min(opts.conns ?? 4, Math.ceil(count / 1000)));
  const conns = await Promise.all(Array.from({ length: n }, () => BenchConnection.connect({ host: opts.host, port: opts.port })));
  try {
    const per = Math.ceil(count / n);
    const results = await Promise.all(
      conns.map((c, k) => {
        const from = k * per;
        const to = Math.min(count, from + per);
        return pipeline(c, Math.max(0, to - from), (i, now) => send(c, from + i, now), opts.window ?? 500, opts.timeoutMs);
      }),
    );
    for (const r of results) merge(total, r);
  } finally {
    await Promise.all(conns.map((c) => c.close(2000).catch(() => undefined)));
  }
  return total;
}

/** Creates count nodes at paths(i), in order within each range (parents must already exist). */
export function createNodes(opts: BulkOptions, count: number, paths: (i: number) => string, value: Buffer | null): Promise<PipelineResult> {
  return bulk(opts, count, (c, i, now) => sendCreate(c, paths(i), value, now));
}

export function deleteNodes(opts: BulkOptions, count: number, paths: (i: number) => string): Promise<PipelineResult> {
  return bulk(opts, count, (c, i, now) => sendDelete(c, paths(i), now));
}

/** A tree for large-scale tests: <root>/b<j>/n<k>, `fanout` children per bucket node. */
export function loadedPath(root: string, fanout: number, i: number): string {
  return `${root}/b${Math.floor(i / fanout)}/n${i % fanout}`;
}

/**
 * Bulk-loads nodes [from, to) of the loaded tree with `value` (creating the root and bucket nodes
 * needed); returns the create results of the leaves. Throws if any create fails.
 */
export async function loadTree(opts: BulkOptions, root: string, fanout: number, from: number, to: number, value: Buffer): Promise<PipelineResult> {
  const setup: PipelineResult = { ok: 0, errors: 0, codes: {} };
  // The root comes with the first nodes: a load of none (--small 0) leaves it to the next load.
  if (from === 0 && to > 0) merge(setup, await createNodes({ ...opts, conns: 1 }, 1, () => root, null));
  const b0 = Math.ceil(from / fanout);
  const b1 = Math.ceil(to / fanout);
  merge(setup, await createNodes({ ...opts, conns: 1 }, b1 - b0, (j) => `${root}/b${b0 + j}`, null));
  if (setup.errors > 0) throw new Error(`loadTree: creating ${root} and its buckets failed: ${JSON.stringify(setup.codes)}`);
  const r = await createNodes(opts, to - from, (i) => loadedPath(root, fanout, from + i), value);
  if (r.errors > 0) throw new Error(`loadTree: ${r.errors} creates failed: ${JSON.stringify(r.codes)}`);
  return r;
}
