/**
 * ServerMetrics: the counters, summaries and gauges Apache ZooKeeper 3.8 exposes through mntr, the
 * AdminServer's `monitor` command and (with the Prometheus provider) /metrics.
 *
 * Two providers, as in Apache:
 * - the default one (DefaultMetricsProvider): summaries are avg/min/max/cnt/sum (plus p50/p95/p99/p999
 *   for "advanced" ones), `srst` resets them, and mntr lists them in ConcurrentHashMap order;
 * - the Prometheus one (PrometheusMetricsProvider): summaries are `name{quantile=...}`, `name_count`,
 *   `name_sum` over a sliding 10-minute window, nothing resets, and mntr lists the Prometheus samples.
 */
import { chmStringOrder, javaDouble } from './javaCompat';
import { MetricKind, SERVER_METRICS } from './metricNames';

/** A value Java holds as a double (printed "1.0", "0.5", "NaN"); plain numbers are Java longs/ints. */
export class JDouble {
  constructor(readonly value: number) {}
  toString(): string {
    return javaDouble(this.value);
  }
}

export type MetricValue = number | bigint | string | JDouble;
export type MetricSink = (key: string, value: MetricValue) => void;

export const PROMETHEUS_PROVIDER = 'org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider';

/** new BigDecimal(x).setScale(4, HALF_UP).doubleValue() for a non-negative x. */
export function roundHalfUp4(x: number): number {
  if (!Number.isFinite(x)) return x;
  const neg = x < 0;
  const s = Math.abs(x).toFixed(25);
  const dot = s.indexOf('.');
  let intPart = s.substring(0, dot);
  let frac = s.substring(dot + 1, dot + 5);
  if (s.charCodeAt(dot + 5) >= 0x35) {
    // Round the 4-digit fraction up, carrying into the integer part.
    const n = Number(frac) + 1;
    if (n >= 10000) {
      frac = '0000';
      intPart = (BigInt(intPart) + 1n).toString();
    } else {
      frac = String(n).padStart(4, '0');
    }
  }
  const v = Number(`${intPart}.${frac}`);
  return neg ? -v : v;
}

// ---- the default provider's metric types (org.apache.zookeeper.server.metric)

/** AvgMinMaxCounter. */
export class AvgMinMaxCounter {
  total = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(readonly name: string) {}

  add(v: number): void {
    this.total += v;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get avg(): number {
    return this.count > 0 ? roundHalfUp4(this.total / this.count) : 0;
  }

  get minValue(): number {
    return this.min === Number.POSITIVE_INFINITY ? 0 : this.min;
  }

  get maxValue(): number {
    return this.max === Number.NEGATIVE_INFINITY ? 0 : this.max;
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
  }

  values(sink: MetricSink): void {
    sink(`avg_${this.name}`, new JDouble(this.avg));
    sink(`min_${this.name}`, this.minValue);
    sink(`max_${this.name}`, this.maxValue);
    sink(`cnt_${this.name}`, this.count);
    sink(`sum_${this.name}`, this.total);
  }
}

const RESERVOIR_SIZE = 4096;

/** AvgMinMaxPercentileCounter: also p50/p95/p99/p999 over a uniform reservoir of 4096 samples. */
export class AvgMinMaxPercentileCounter extends AvgMinMaxCounter {
  private reservoir: number[] = [];
  private seen = 0;

  override add(v: number): void {
    super.add(v);
    this.seen++;
    if (this.reservoir.length < RESERVOIR_SIZE) this.reservoir.push(v);
    else {
      const r = Math.floor(Math.random() * this.seen);
      if (r < RESERVOIR_SIZE) this.reservoir[r] = v;
    }
  }

  override reset(): void {
    super.reset();
    this.reservoir = [];
    this.seen = 0;
  }

  /** Codahale's UniformSnapshot.getValue, rounded as Math.round does. */
  percentile(q: number): number {
    const values = [...this.reservoir].sort((a, b) => a - b);
    if (values.length === 0) return 0;
    const pos = q * (values.length + 1);
    const index = Math.floor(pos);
    let v: number;
    if (index < 1) v = values[0];
    else if (index >= values.length) v = values[values.length - 1];
    else v = values[index - 1] + (pos - Math.floor(pos)) * (values[index] - values[index - 1]);
    return Math.floor(v + 0.5);
  }

  override values(sink: MetricSink): void {
    super.values(sink);
    sink(`p50_${this.name}`, this.percentile(0.5));
    sink(`p95_${this.name}`, this.percentile(0.95));
    sink(`p99_${this.name}`, this.percentile(0.99));
    sink(`p999_${this.name}`, this.percentile(0.999));
  }
}

// ---- what the Prometheus provider keeps per summary (io.prometheus.client.Summary)

const PROM_MAX_AGE_MS = 10 * 60 * 1000;
const PROM_AGE_BUCKETS = 5;
const PROM_BUCKET_SAMPLES = 512;

/** A Prometheus summary child: count and sum since start, quantiles over a rotating 10-minute window. */
class PromSummaryChild {
  count = 0;
  sum = 0;
  private readonly buckets: { samples: number[]; seen: number }[] = [];
  private current = 0;
  private rotatedAt: number;

  constructor(now: number) {
    for (let i = 0; i < PROM_AGE_BUCKETS; i++) this.buckets.push({ samples: [], seen: 0 });
    this.rotatedAt = now;
  }

  private rotate(now: number): void {
    const step = PROM_MAX_AGE_MS / PROM_AGE_BUCKETS;
    while (now - this.rotatedAt > step) {
      this.buckets[this.current] = { samples: [], seen: 0 };
      this.current = (this.current + 1) % PROM_AGE_BUCKETS;
      this.rotatedAt += step;
    }
  }

  observe(v: number, now: number): void {
    this.count++;
    this.sum += v;
    this.rotate(now);
    for (const b of this.buckets) {
      b.seen++;
      if (b.samples.length < PROM_BUCKET_SAMPLES) b.samples.push(v);
      else {
        const r = Math.floor(Math.random() * b.seen);
        if (r < PROM_BUCKET_SAMPLES) b.samples[r] = v;
      }
    }
  }

  quantile(q: number, now: number): number {
    this.rotate(now);
    const s = [...this.buckets[this.current].samples].sort((a, b) => a - b);
    if (s.length === 0) return NaN;
    return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  }
}

export interface PromSample {
  name: string;
  labelNames: string[];
  labelValues: string[];
  value: number;
}

export interface PromFamily {
  name: string;
  type: 'gauge' | 'counter' | 'summary' | 'untyped';
  help: string;
  samples: PromSample[];
}

// ---- the metrics a server exposes

type Gauge = () => number | JDouble | null;
type GaugeSet = () => Map<string, number>;

/** One summary (Apache's Summary): feeds the default provider's counter or the Prometheus one. */
export class Summary {
  readonly counter: AvgMinMaxCounter;
  private readonly prom: PromSummaryChild | null;

  constructor(
    readonly name: string,
    readonly advanced: boolean,
    prometheus: boolean,
    now: number,
  ) {
    this.counter = advanced ? new AvgMinMaxPercentileCounter(name) : new AvgMinMaxCounter(name);
    this.prom = prometheus ? new PromSummaryChild(now) : null;
  }

  add(v: number): void {
    this.counter.add(v);
    // The clock is read only for the Prometheus window (Date.now is not free on every platform).
    if (this.prom !== null) this.prom.observe(v, Date.now());
  }

  promChild(): PromSummaryChild | null {
    return this.prom;
  }
}

/** A SummarySet: one summary per key (a top-level namespace). */
export class SummarySet {
  readonly children = new Map<string, Summary>();

  constructor(
    readonly name: string,
    readonly advanced: boolean,
    private readonly prometheus: boolean,
  ) {}

  // The last key's summary: the per-namespace sets hear of every request, mostly of one namespace in a row.
  private lastKey: string | null = null;
  private last: Summary | null = null;

  add(key: string, v: number): void {
    if (key === this.lastKey) {
      this.last!.add(v);
      return;
    }
    let s = this.children.get(key);
    if (s === undefined) {
      s = new Summary(`${key}_${this.name}`, this.advanced, this.prometheus, Date.now());
      this.children.set(key, s);
    }
    this.lastKey = key;
    this.last = s;
    s.add(v);
  }
}

export class Counter {
  value = 0;
  constructor(readonly name: string) {}
  add(n = 1): void {
    this.value += n;
  }
}

export class CounterSet {
  readonly children = new Map<string, Counter>();
  constructor(readonly name: string) {}
  add(key: string, n = 1): void {
    let c = this.children.get(key);
    if (c === undefined) {
      c = new Counter(`${key}_${this.name}`);
      this.children.set(key, c);
    }
    c.add(n);
  }
}

const QUANTILES_BASIC = [0.5];
const QUANTILES_ADVANCED = [0.5, 0.9, 0.99];

export class ServerMetrics {
  readonly prometheus: boolean;
  private readonly gauges = new Map<string, Gauge>();
  private readonly gaugeSets = new Map<string, GaugeSet>();
  /** Prometheus gauge-set children outlive their keys (a labelled gauge keeps its last value). */
  private readonly gaugeSetMemory = new Map<string, Map<string, number>>();
  private readonly counters = new Map<string, Counter>();
  private readonly counterSets = new Map<string, CounterSet>();
  private readonly basicSummaries = new Map<string, Summary>();
  private readonly summaries = new Map<string, Summary>();
  private readonly basicSummarySets = new Map<string, SummarySet>();
  private readonly summarySets = new Map<string, SummarySet>();
  /** Extra families (the process_* collectors the Prometheus provider registers). */
  extraFamilies: (() => PromFamily[]) | null = null;

  constructor(opts: { prometheus?: boolean; now?: number } = {}) {
    this.prometheus = opts.prometheus ?? false;
    const now = opts.now ?? Date.now();
    for (const [kind, name] of SERVER_METRICS) this.register(kind, name, now);
  }

  private register(kind: MetricKind, name: string, now: number): void {
    switch (kind) {
      case 'counter':
        this.counters.set(name, new Counter(name));
        break;
      case 'counterSet':
        this.counterSets.set(name, new CounterSet(name));
        break;
      case 'basicSummary':
        this.basicSummaries.set(name, new Summary(name, false, this.prometheus, now));
        break;
      case 'summary':
        this.summaries.set(name, new Summary(name, true, this.prometheus, now));
        break;
      case 'basicSummarySet':
        this.basicSummarySets.set(name, new SummarySet(name, false, this.prometheus));
        break;
      case 'summarySet':
        this.summarySets.set(name, new SummarySet(name, true, this.prometheus));
        break;
    }
  }

  registerGauge(name: string, g: Gauge): void {
    this.gauges.set(name, g);
  }

  registerGaugeSet(name: string, g: GaugeSet): void {
    this.gaugeSets.set(name, g);
  }

  counter(name: string): Counter {
    const c = this.counters.get(name);
    if (c === undefined) throw new Error(`no counter ${name}`);
    return c;
  }

  counterSet(name: string): CounterSet {
    const c = this.counterSets.get(name);
    if (c === undefined) throw new Error(`no counter set ${name}`);
    return c;
  }

  summary(name: string): Summary {
    const s = this.basicSummaries.get(name) ?? this.summaries.get(name);
    if (s === undefined) throw new Error(`no summary ${name}`);
    return s;
  }

  summarySet(name: string): SummarySet {
    const s = this.basicSummarySets.get(name) ?? this.summarySets.get(name);
    if (s === undefined) throw new Error(`no summary set ${name}`);
    return s;
  }

  /** MetricsProvider.resetAllValues: the default provider resets counters and summaries; Prometheus nothing. */
  resetAll(): void {
    if (this.prometheus) return;
    for (const c of this.counters.values()) c.value = 0;
    for (const cs of this.counterSets.values()) for (const c of cs.children.values()) c.value = 0;
    for (const m of [this.basicSummaries, this.summaries]) for (const s of m.values()) s.counter.reset();
    for (const m of [this.basicSummarySets, this.summarySets]) for (const ss of m.values()) for (const s of ss.children.values()) s.counter.reset();
  }

  /** MetricsProvider.dump: what mntr and `monitor` print after version and server_state. */
  dump(sink: MetricSink): void {
    if (this.prometheus) {
      for (const f of this.prometheusFamilies()) {
        for (const s of f.samples) sink(dumpKey(s), new JDouble(s.value));
      }
      return;
    }
    // DefaultMetricsProvider: each kind from its own ConcurrentHashMap, in the map's order.
    for (const name of chmStringOrder(this.gauges.keys())) {
      const v = this.gauges.get(name)!();
      if (v !== null) sink(name, v);
    }
    for (const name of chmStringOrder(this.gaugeSets.keys())) {
      const values = this.gaugeSets.get(name)!();
      for (const key of chmStringOrder(values.keys())) sink(`${key}_${name}`, values.get(key) ?? 0);
    }
    for (const name of chmStringOrder(this.counters.keys())) {
      const c = this.counters.get(name)!;
      sink(c.name, c.value);
    }
    for (const name of chmStringOrder(this.counterSets.keys())) {
      const cs = this.counterSets.get(name)!;
      for (const key of chmStringOrder(cs.children.keys())) {
        const c = cs.children.get(key)!;
        sink(c.name, c.value);
      }
    }
    for (const m of [this.basicSummaries, this.summaries]) {
      for (const name of chmStringOrder(m.keys())) m.get(name)!.counter.values(sink);
    }
    for (const m of [this.basicSummarySets, this.summarySets]) {
      for (const name of chmStringOrder(m.keys())) {
        const ss = m.get(name)!;
        for (const key of chmStringOrder(ss.children.keys())) ss.children.get(key)!.counter.values(sink);
      }
    }
  }

  /** The families the Prometheus provider's registry holds (in a stable order; Apache's is a HashSet's). */
  prometheusFamilies(now = Date.now()): PromFamily[] {
    const out: PromFamily[] = [];
    for (const [name, g] of this.gauges) {
      const v = g();
      const n = v === null ? 0 : v instanceof JDouble ? v.value : v;
      out.push({ name, type: 'gauge', help: name, samples: [{ name, labelNames: [], labelValues: [], value: n }] });
    }
    for (const [name, g] of this.gaugeSets) {
      let mem = this.gaugeSetMemory.get(name);
      if (mem === undefined) {
        mem = new Map();
        this.gaugeSetMemory.set(name, mem);
      }
      for (const [k, v] of g()) mem.set(k, v ?? 0);
      const samples = [...mem].map(([k, v]) => ({ name, labelNames: ['key'], labelValues: [k], value: v }));
      out.push({ name, type: 'gauge', help: name, samples });
    }
    for (const [name, c] of this.counters) {
      out.push({ name, type: 'counter', help: name, samples: [{ name, labelNames: [], labelValues: [], value: c.value }] });
    }
    for (const [name, cs] of this.counterSets) {
      const samples = [...cs.children].map(([k, c]) => ({ name, labelNames: ['key'], labelValues: [k], value: c.value }));
      out.push({ name, type: 'counter', help: name, samples });
    }
    for (const m of [this.basicSummaries, this.summaries]) {
      for (const [name, s] of m) {
        out.push({ name, type: 'summary', help: name, samples: summarySamples(name, s, [], [], now) });
      }
    }
    for (const m of [this.basicSummarySets, this.summarySets]) {
      for (const [name, ss] of m) {
        const samples: PromSample[] = [];
        for (const [k, s] of ss.children) samples.push(...summarySamples(name, s, ['key'], [k], now));
        out.push({ name, type: 'summary', help: name, samples });
      }
    }
    if (this.extraFamilies !== null) out.push(...this.extraFamilies());
    return out;
  }
}

function summarySamples(name: string, s: Summary, labelNames: string[], labelValues: string[], now: number): PromSample[] {
  const child = s.promChild();
  const count = child?.count ?? s.counter.count;
  const sum = child?.sum ?? s.counter.total;
  const samples: PromSample[] = [];
  for (const q of s.advanced ? QUANTILES_ADVANCED : QUANTILES_BASIC) {
    samples.push({
      name,
      labelNames: [...labelNames, 'quantile'],
      labelValues: [...labelValues, javaDouble(q)],
      value: child === null ? NaN : child.quantile(q, now),
    });
  }
  samples.push({ name: `${name}_count`, labelNames, labelValues, value: count });
  samples.push({ name: `${name}_sum`, labelNames, labelValues, value: sum });
  return samples;
}

/** PrometheusMetricsProvider.buildKeyForDump: name{label="value",...}. */
function dumpKey(s: PromSample): string {
  if (s.labelNames.length === 0) return s.name;
  return `${s.name}{${s.labelNames.map((l, i) => `${l}="${s.labelValues[i]}"`).join(',')}}`;
}

/** Collector.doubleToGoString. */
export function goDouble(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return javaDouble(v);
}

function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** TextFormat.write004 (simpleclient 0.9.0): the Prometheus text exposition format 0.0.4. */
export function writeTextFormat(families: PromFamily[]): string {
  let out = '';
  for (const f of families) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    for (const s of f.samples) {
      out += s.name;
      if (s.labelNames.length > 0) {
        out += '{';
        for (let i = 0; i < s.labelNames.length; i++) out += `${s.labelNames[i]}="${escapeLabel(s.labelValues[i])}",`;
        out += '}';
      }
      out += ` ${goDouble(s.value)}\n`;
    }
  }
  return out;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
