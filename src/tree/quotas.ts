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
