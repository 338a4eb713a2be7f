/** The bench's latency histogram and sample statistics (src/bench/histogram.ts, report.ts). */
import { bucketHigh, bucketLow, bucketOf, Histogram, MAX_TRACKABLE, median, quantile } from '../../src/bench/histogram';
import { stat } from '../../src/bench/report';

describe('bucket layout', () => {
  test('values below 256 have buckets of their own', () => {
    for (let v = 0; v < 256; v++) {
      expect(bucketOf(v)).toBe(v);
      expect(bucketLow(v)).toBe(v);
      expect(bucketHigh(v)).toBe(v);
    }
  });

  test('buckets are contiguous, ordered and within 1/128 of their values', () => {
    let prevHigh = -1;
    for (let i = 0; bucketLow(i) <= MAX_TRACKABLE; i++) {
      expect(bucketLow(i)).toBe(prevHigh + 1);
      prevHigh = bucketHigh(i);
      expect(bucketOf(bucketLow(i))).toBe(i);
      expect(bucketOf(bucketHigh(i))).toBe(i);
      expect((bucketHigh(i) - bucketLow(i)) / Math.max(1, bucketLow(i))).toBeLessThan(1 / 128);
    }
    expect(prevHigh).toBe(MAX_TRACKABLE);
  });
});

describe('Histogram', () => {
  test('empty histogram', () => {
    const h = new Histogram();
    expect(h.total).toBe(0);
    expect(h.percentile(50)).toBe(0);
    expect(h.mean).toBe(0);
  });

  test('exact percentiles for small values', () => {
    const h = new Histogram();
    for (let v = 1; v <= 100; v++) h.record(v);
    expect(h.total).toBe(100);
    expect(h.min).toBe(1);
    expect(h.max).toBe(100);
    expect(h.mean).toBeCloseTo(50.5);
    expect(h.percentile(0)).toBe(1);
    expect(h.percentile(50)).toBe(50);
    expect(h.percentile(99)).toBe(99);
    expect(h.percentile(99.9)).toBe(100);
    expect(h.percentile(100)).toBe(100);
  });

  test('percentiles of large values within 1 %', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 1; i <= 100_000; i++) {
      const v = i * 37; // up to 3.7 s in µs
      values.push(v);
      h.record(v);
    }
    for (const p of [50, 90, 99, 99.9]) {
      const exact = quantile(values, p / 100);
      const got = h.percentile(p);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect((got - exact) / exact).toBeLessThan(0.01);
    }
    expect(h.percentile(100)).toBe(3_700_000);
  });

  test('a single outlier shows at p999 only when it is more than 0.1 %', () => {
    const h = new Histogram();
    for (let i = 0; i < 999; i++) h.record(100);
    h.record(1_000_000);
    expect(h.percentile(99.9)).toBe(100);
    expect(h.percentile(100)).toBe(1_000_000);
    h.record(1_000_000);
    expect(h.percentile(99.9)).toBeGreaterThanOrEqual(1_000_000);
  });

  test('rounds, clamps negatives and NaN to 0 and huge values to the maximum', () => {
    const h = new Histogram();
    h.record(1.4);
    h.record(-5);
    h.record(Number.NaN);
    h.record(1e15);
    expect(h.min).toBe(0);
    expect(h.max).toBe(MAX_TRACKABLE);
    expect(h.percentile(25)).toBe(0);
    expect(h.percentile(75)).toBe(1);
  });

  test('merging snapshots equals recording everything in one', () => {
    const all = new Histogram();
    const parts = [new Histogram(), new Histogram(), new Histogram()];
    let x = 12345;
    for (let i = 0; i < 30_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      const v = x % 5_000_000;
      all.record(v);
      parts[i % 3].record(v);
    }
    const merged = new Histogram();
    for (const p of parts) merged.merge(JSON.parse(JSON.stringify(p.snapshot())));
    merged.merge(new Histogram().snapshot()); // empty: no effect
    expect(merged.total).toBe(all.total);
    expect(merged.min).toBe(all.min);
    expect(merged.max).toBe(all.max);
    expect(merged.sum).toBe(all.sum);
    for (const p of [1, 50, 90, 99, 99.9, 99.99]) expect(merged.percentile(p)).toBe(all.percentile(p));
    const copy = Histogram.fromSnapshot(all.snapshot());
    expect(copy.percentile(99)).toBe(all.percentile(99));
  });
});

describe('sample statistics', () => {
  test('median and quantile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 1)).toBe(5);
  });

  test('stat: median and spread, ignoring non-finite values', () => {
    const s = stat([90, 100, 110, Number.NaN]);
    expect(s.med).toBe(100);
    expect(s.spreadPct).toBeCloseTo(20);
    expect(s.n).toBe(3);
    expect(stat([5]).spreadPct).toBeNaN();
    expect(stat([]).med).toBeNaN();
  });
});
