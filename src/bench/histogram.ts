/**
 * A log-linear latency histogram in the manner of HdrHistogram: values (integers, here microseconds)
 * below 2·SUB are counted exactly; above, each power-of-two range is split into SUB equal buckets, so
 * any recorded value is known to within 1/SUB (< 0.8 %). Fixed memory (32 KB), O(1) record, mergeable
 * across worker threads through a plain-object snapshot.
 */

const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128 buckets per power of two
/** Largest value tracked; anything larger is clamped to it (2^32 − 1 µs ≈ 71 minutes). */
export const MAX_TRACKABLE = 0xffffffff;
const BUCKETS = (32 - SUB_BITS + 1) * SUB; // enough for MAX_TRACKABLE

/** Bucket index of a non-negative integer value. */
export function bucketOf(v: number): number {
  if (v < 2 * SUB) return v;
  // v ≥ 256 here and v ≤ 2^32-1: 31 - clz32 = floor(log2 v).
  const shift = 31 - Math.clz32(v) - SUB_BITS;
  return (shift + 1) * SUB + ((v >>> shift) - SUB);
}

/** The lowest value that lands in bucket i. */
export function bucketLow(i: number): number {
  if (i < 2 * SUB) return i;
  const shift = Math.floor(i / SUB) - 1;
  const sub = (i % SUB) + SUB;
  return sub * 2 ** shift;
}

/** The highest value that lands in bucket i. */
export function bucketHigh(i: number): number {
  if (i < 2 * SUB) return i;
  const shift = Math.floor(i / SUB) - 1;
  const sub = (i % SUB) + SUB;
  return (sub + 1) * 2 ** shift - 1;
}

/** A histogram's transferable form (structured-clone safe). */
export interface HistogramSnapshot {
  counts: number[];
  /** Index of counts[0]: snapshots keep only the populated span. */
  first: number;
  total: number;
  min: number;
  max: number;
  sum: number;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  total = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records one value (rounded to an integer, clamped to [0, MAX_TRACKABLE]). */
  record(value: number): void {
    let v = Math.round(value);
    if (!(v > 0)) v = 0; // also catches NaN
    else if (v > MAX_TRACKABLE) v = MAX_TRACKABLE;
    this.counts[bucketOf(v)]++;
    this.total++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  /**
   * The value at percentile p (0..100): the highest value equivalent to the bucket holding the
   * ceil(p% · total)-th smallest recorded value, but never above the largest value recorded nor
   * below the smallest. 0 for an empty histogram.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    if (p <= 0) return this.min;
    // The epsilon keeps 99.9 % of 1000 at rank 999 despite 99.9 / 100 being 0.99900...01 in binary.
    const rank = Math.max(1, Math.ceil((Math.min(p, 100) * this.total) / 100 - 1e-9));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.max(this.min, Math.min(this.max, bucketHigh(i)));
    }
    return this.max;
  }

  merge(other: Histogram | HistogramSnapshot): void {
    if (other instanceof Histogram) {
      for (let i = 0; i < BUCKETS; i++) this.counts[i] += other.counts[i];
    } else {
      for (let i = 0; i < other.counts.length; i++) this.counts[other.first + i] += other.counts[i];
    }
    if (other.total === 0) return;
    this.total += other.total;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.min = Infinity;
    this.max = 0;
    this.sum = 0;
  }

  snapshot(): HistogramSnapshot {
    let first = 0;
    let last = -1;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.counts[i] !== 0) {
        if (last < 0) first = i;
        last = i;
      }
    }
    const counts = last < 0 ? [] : Array.from(this.counts.subarray(first, last + 1));
    return { counts, first: last < 0 ? 0 : first, total: this.total, min: this.min, max: this.max, sum: this.sum };
  }

  static fromSnapshot(s: HistogramSnapshot): Histogram {
    const h = new Histogram();
    h.merge(s);
    return h;
  }
}

/** Percentiles of a plain list of numbers (nearest rank), for small samples such as repetitions. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  if (q <= 0) return s[0];
  if (q >= 1) return s[s.length - 1];
  const rank = Math.ceil(q * s.length - 1e-9);
  return s[Math.max(0, rank - 1)];
}

/** The median; for an even count, the mean of the two middle values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
