import { javaUtf8Decode } from '../jute/javaUtf8';

/** Quotas: limits and usage of a subtree live under /zookeeper/quota<path>/zookeeper_{limits,stats}. */
export const QUOTA_ROOT = '/zookeeper/quota';
export const LIMIT_NODE = 'zookeeper_limits';
export const STAT_NODE = 'zookeeper_stats';

export const statPath = (path: string) => `${QUOTA_ROOT}${path}/${STAT_NODE}`;
export const limitPath = (path: string) => `${QUOTA_ROOT}${path}/${LIMIT_NODE}`;

/**
 * StatsTrack: "count=N,bytes=M" plus optional hard limits, parsed and printed as Apache does (including
 * its odd "=" before the extra keys).
 */
export class StatsTrack {
  readonly stats = new Map<string, number>();

  constructor(text?: string | Buffer | null) {
    const s = text === undefined || text === null ? '' : text.toString();
    if (s.length === 0) return;
    for (const pair of s.split(/[,;]+/)) {
      if (pair === '') continue;
      const kv = pair.split('=').filter((x, i, a) => i < a.length - 1 || x !== '');
      const v = kv[1] === undefined || kv[1] === '' ? -1 : Number(kv[1]);
      this.stats.set(kv[0], Number.isFinite(v) ? v : -1);
    }
  }

  /**
   * new StatsTrack(byte[]) exactly as Apache 3.8 parses it in DataTree.updateQuotaStat, failures included:
   * null data is a NullPointerException, a pair without a value an ArrayIndexOutOfBoundsException, a value
   * that is not a Java long a NumberFormatException. Apache does not catch these while applying a txn (the
   * server stops), so the caller lets the error through. The lenient constructor serves the readers.
   */
  static parseStrict(data: Buffer | null): StatsTrack {
    if (data === null) throw new QuotaStatsError('NullPointerException: quota stats node has no data');
    const st = new StatsTrack();
    let s = data.toString('utf8');
    if (s.indexOf('\ufffd') !== -1) s = javaUtf8Decode(data, 0, data.length);
    if (s.length === 0) return st;
    // Pattern.split / String.split: a leading empty piece stays, trailing empty pieces go.
    for (const pair of javaSplit(s, /[,;]+/)) {
      const kv = javaSplit(pair, /=/);
      if (kv.length < 2) throw new QuotaStatsError(`ArrayIndexOutOfBoundsException: no value in "${pair}"`);
      st.stats.set(kv[0], kv[1] === '' ? -1 : javaParseLong(kv[1]));
    }
    return st;
  }

  get(key: string): number {
    return this.stats.get(key) ?? -1;
  }

  set(key: string, v: number): void {
    this.stats.set(key, v);
  }

  get count(): number {
    return this.get('count');
  }

  get bytes(): number {
    return this.get('bytes');
  }

  toString(): string {
    let out = `count=${this.count},bytes=${this.bytes}`;
    const keys = [...this.stats.keys()].filter((k) => k !== 'count' && k !== 'bytes').sort();
    if (keys.length > 0) {
      out += '=';
      for (const k of keys) out += `;${k}=${this.stats.get(k)}`;
    }
    return out;
  }
}

/** An unchecked Java exception from parsing a quota stats node: fatal to the server, as in Apache. */
export class QuotaStatsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaStatsError';
  }
}

/** Java's String.split(regex) with limit 0: the pieces without the trailing empty ones ("" stays [""]). */
function javaSplit(s: string, re: RegExp): string[] {
  if (s.length === 0) return [''];
  const parts = s.split(re);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/**
 * Long.parseLong(s, 10): an optional sign and at least one digit; Character.digit also takes the other
 * Unicode decimal digits of the BMP (each block runs from its zero), not those outside it (a surrogate is
 * no digit). Out of the long range is an error too.
 */
function javaParseLong(s: string): number {
  let i = 0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    i = 1;
  }
  if (i >= s.length) throw new QuotaStatsError(`NumberFormatException: For input string: "${s}"`);
  let v = 0n;
  for (; i < s.length; i++) {
    const d = javaDigit(s.charCodeAt(i));
    if (d < 0) throw new QuotaStatsError(`NumberFormatException: For input string: "${s}"`);
    v = v * 10n + BigInt(d);
    if (v > LONG_MAX + 1n) throw new QuotaStatsError(`NumberFormatException: For input string: "${s}"`);
  }
  if (neg) v = -v;
  if (v < LONG_MIN || v > LONG_MAX) throw new QuotaStatsError(`NumberFormatException: For input string: "${s}"`);
  return Number(v);
}

const ND = /\p{Nd}/u;

function javaDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c < 0x80 || (c >= 0xd800 && c <= 0xdfff) || !ND.test(String.fromCharCode(c))) return -1;
  let zero = c;
  while (c - zero < 9 && ND.test(String.fromCharCode(zero - 1))) zero--;
  return c - zero;
}
