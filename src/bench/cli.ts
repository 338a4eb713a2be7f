import { BenchOptions, BenchProgress, BenchResult, defaultWorkers, LatencySummary, runBench, workersAvailable } from './runner';
import { runRtt } from './rtt';
import { BenchOp, OPS } from './workload';

export const BENCH_USAGE = `Usage: zkts bench --server HOST:PORT [options]
       zkts bench --rtt [--duration S] [--warmup S] [--json]

A pipelined load generator for any ZooKeeper-compatible server.

  --server HOST:PORT   target (loopback or any reachable server)
  --op OP              get | exists | getChildren | set | create | delete | mix | ping   (get)
  --sessions N         sessions (connections)                                        (1)
  --inflight K         requests in flight per session                                (1)
  --read-ratio R       mix: fraction of reads (getData); the rest are setData        (0.9)
  --value-size B       bytes per znode value (get/set/create/mix)                    (100)
  --keys N             znodes read/written by get/exists/set/mix                     (1000)
  --duration S         measured seconds                                              (10)
  --warmup S           seconds of load before measuring                              (2)
  --workers W          worker threads for the sessions; 0 = main thread   (min(N, cores-1))
  --max-ops N          bound on requests in all, warmup included (delete: the pool) (100000000)
  --no-cleanup         leave the run's znodes in place
  --json               print the result as JSON (progress goes to stderr)
  --quiet              no progress lines
  --rtt                measure loopback TCP round trip against an in-process echo server
                       speaking the same framing: the floor for single-client latency

The run sets up its own tree under /zkts-bench-<pid>-<time> and removes it afterwards.
Exit status: 0 for a clean run, 1 if any request failed or went unanswered, 2 for bad usage.
`;

export interface ParsedBenchArgs {
  rtt: boolean;
  json: boolean;
  quiet: boolean;
  opts: BenchOptions;
}

export class UsageError extends Error {}

function num(name: string, v: string | undefined, min: number, max: number, integer = true): number {
  if (v === undefined) throw new UsageError(`${name} needs a value`);
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`${name}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${v}'`);
  }
  return n;
}

export function parseBenchArgs(argv: string[]): ParsedBenchArgs {
  const o: BenchOptions = {
    host: '127.0.0.1',
    port: 2181,
    sessions: 1,
    inflight: 1,
    op: 'get',
    readRatio: 0.9,
    valueSize: 100,
    durationS: 10,
    warmupS: 2,
    keys: 1000,
    maxOps: 100_000_000,
  };
  let rtt = false;
  let json = false;
  let quiet = false;
  let server: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v: string | undefined;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.substring(eq + 1);
      a = a.substring(0, eq);
    }
    const val = (): string | undefined => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '--server':
        server = val() ?? null;
        break;
      case '--op': {
        const op = val();
        if (!(OPS as readonly string[]).includes(op ?? '')) throw new UsageError(`--op: one of ${OPS.join(', ')}`);
        o.op = op as BenchOp;
        break;
      }
      case '--sessions':
        o.sessions = num(a, val(), 1, 100_000);
        break;
      case '--inflight':
        o.inflight = num(a, val(), 1, 100_000);
        break;
      case '--read-ratio':
        o.readRatio = num(a, val(), 0, 1, false);
        break;
      case '--value-size':
        o.valueSize = num(a, val(), 0, 1 << 20);
        break;
      case '--keys':
        o.keys = num(a, val(), 1, 10_000_000);
        break;
      case '--duration':
        o.durationS = num(a, val(), 0.001, 86_400, false);
        break;
      case '--warmup':
        o.warmupS = num(a, val(), 0, 3600, false);
        break;
      case '--workers':
        o.workers = num(a, val(), 0, 1024);
        break;
      case '--max-ops':
        o.maxOps = num(a, val(), 1, 1e12);
        break;
      case '--no-cleanup':
        o.cleanup = false;
        break;
      case '--json':
        json = true;
        break;
      case '--quiet':
        quiet = true;
        break;
      case '--rtt':
        rtt = true;
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}`);
    }
  }
  if (!rtt) {
    if (server === null) throw new UsageError('--server HOST:PORT is required');
    const m = /^(.+):(\d+)$/.exec(server);
    if (m === null) throw new UsageError(`--server: expected HOST:PORT, got '${server}'`);
    o.host = m[1].replace(/^\[(.*)\]$/, '$1');
    o.port = num('--server port', m[2], 1, 65535);
  }
  return { rtt, json, quiet, opts: o };
}

const ms = (us: number): string => (us / 1000).toFixed(us < 10_000 ? 3 : 1);

export function formatLatency(l: LatencySummary): string {
  return `p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p999 ${ms(l.p999)}  max ${ms(l.max)}  mean ${ms(l.mean)} ms`;
}

export function describe(o: { op: BenchOp; valueSize: number; sessions: number; inflight: number; readRatio: number }): string {
  const what = o.op === 'mix' ? `mix ${Math.round(o.readRatio * 100)}/${Math.round((1 - o.readRatio) * 100)} get/set` : o.op;
  const val = o.op === 'ping' || o.op === 'exists' || o.op === 'delete' || o.op === 'getChildren' ? '' : `, ${o.valueSize} B values`;
  return `${what}${val}, ${o.sessions} session${o.sessions === 1 ? '' : 's'} x ${o.inflight} in flight`;
}

export function formatResult(r: BenchResult): string {
  const lines: string[] = [];
  lines.push(`${r.ops} ops in ${r.windowS.toFixed(2)} s = ${Math.round(r.opsPerSec)} ops/s`);
  lines.push(`latency: ${formatLatency(r.latencyUs)}`);
  if (r.readLatencyUs !== null && r.readLatencyUs.count > 0) lines.push(`  reads: ${formatLatency(r.readLatencyUs)}`);
  if (r.writeLatencyUs !== null && r.writeLatencyUs.count > 0) lines.push(`  writes: ${formatLatency(r.writeLatencyUs)}`);
  lines.push(`client CPU: ${Math.round(r.clientCpuPct)}% of one core (${r.mode}${r.workers > 0 ? `, ${r.workers} workers` : ''})`);
  if (r.errors === 0) lines.push('errors: 0');
  else {
    const codes = Object.entries(r.errorCodes)
      .map(([k, v]) => `${k} x${v}`)
      .join(', ');
    lines.push(`ERRORS: ${r.errors} (${codes}) -- this run is not clean`);
  }
  if (r.cleanupErrors > 0) lines.push(`warning: ${r.cleanupErrors} errors while removing the run's znodes`);
  return lines.join('\n');
}

function progressPrinter(): (p: BenchProgress) => void {
  return (p) => {
    process.stderr.write(
      `[${p.elapsedS.toFixed(0).padStart(4)} s] ${p.phase.padEnd(7)} ${Math.round(p.opsPerSec).toString().padStart(9)} ops/s  errors ${p.errors}\n`,
    );
  };
}

/** `zkts bench ...`: returns the exit status. */
export async function benchMain(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(BENCH_USAGE);
    return 0;
  }
  let parsed: ParsedBenchArgs;
  try {
    parsed = parseBenchArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`zkts bench: ${e.message}\n\n${BENCH_USAGE}`);
      return 2;
    }
    throw e;
  }
  const { opts, json, quiet, rtt } = parsed;
  const ac = new AbortController();
  const onSig = (): void => {
    process.stderr.write('interrupted: stopping the load and draining\n');
    ac.abort();
  };
  process.once('SIGINT', onSig);
  const out = json ? process.stderr : process.stdout;
  const progress = quiet ? undefined : progressPrinter();
  let r: BenchResult;
  try {
    if (rtt) {
      out.write(`zkts bench --rtt: loopback round trip to an in-process echo server, 1 session x 1 in flight, ${opts.durationS} s (+${opts.warmupS} s warmup)\n`);
      r = await runRtt({ durationS: opts.durationS, warmupS: opts.warmupS, workers: opts.workers, progress, maxOps: opts.maxOps });
    } else {
      const workers = workersAvailable() ? (opts.workers ?? defaultWorkers(opts.sessions)) : 0;
      out.write(
        `zkts bench: ${describe(opts)} -> ${opts.host}:${opts.port}, ${workers === 0 ? 'in-process' : `${Math.min(workers, opts.sessions)} worker threads`}, ${opts.durationS} s (+${opts.warmupS} s warmup)\n`,
      );
      r = await runBench({ ...opts, progress, signal: ac.signal });
    }
  } catch (e) {
    process.stderr.write(`zkts bench: ${(e as Error).message}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSig);
  }
  if (json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else process.stdout.write(`${formatResult(r)}\n`);
  return r.errors === 0 ? 0 : 1;
}
