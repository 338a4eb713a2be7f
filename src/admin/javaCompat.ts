/**
 * What Apache's admin outputs inherit from the JVM: Double.toString, Long.toHexString, Date.toString,
 * and the iteration order of java.util.concurrent.ConcurrentHashMap (mntr prints its metrics straight
 * out of such maps, so their order is the order of the map's bins).
 */
import { javaStringHash } from '../util/javaHash';

/** Double.toString: "0.0", "3.5714", "1.0E7", "1.5E-4". */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  // Computerized scientific notation: one digit, a point, at least one digit, 'E', the exponent.
  const [mant, exp] = v.toExponential().split('e');
  const m = mant.includes('.') ? mant : `${mant}.0`;
  return `${m}E${exp.startsWith('+') ? exp.substring(1) : exp}`;
}

/** Long.toHexString: two's complement for negatives (-1 -> ffffffffffffffff). */
export function longHex(v: number | bigint): string {
  const b = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  return BigInt.asUintN(64, b).toString(16);
}

/** A long as a signed 64-bit decimal (session ids are printed signed by Jackson). */
export function longDec(v: number | bigint): string {
  return (typeof v === 'bigint' ? BigInt.asIntN(64, v) : BigInt(Math.trunc(v))).toString();
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function timeZoneAbbrev(d: Date): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName');
    if (part !== undefined) return part.value === 'GMT' && d.getTimezoneOffset() === 0 ? 'UTC' : part.value;
  } catch {
    // fall through
  }
  const off = -d.getTimezoneOffset();
  if (off === 0) return 'UTC';
  const sign = off > 0 ? '+' : '-';
  const h = String(Math.floor(Math.abs(off) / 60)).padStart(2, '0');
  const m = String(Math.abs(off) % 60).padStart(2, '0');
  return `GMT${sign}${h}:${m}`;
}

/** java.util.Date.toString in the local zone: "Thu Nov 26 04:45:06 UTC 2026". */
export function javaDateString(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p2(d.getDate())} ` +
    `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${timeZoneAbbrev(d)} ${d.getFullYear()}`
  );
}

/** Long.hashCode: the two halves xor'ed. */
export function javaLongHash(v: bigint): number {
  const u = BigInt.asUintN(64, v);
  return Number(BigInt.asIntN(32, (u ^ (u >> 32n)) & 0xffffffffn));
}

/** ConcurrentHashMap.spread. */
function spread(h: number): number {
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

interface ChmNode<K> {
  key: K;
  hash: number;
  next: ChmNode<K> | null;
}

/**
 * The iteration order of a ConcurrentHashMap built with the default constructor (16 bins, resize at
 * 3/4 full) after inserting `keys` in this order (no removals). Bins keep insertion order; a resize
 * splits each bin as ConcurrentHashMap.transfer does (the trailing run is kept, the nodes before it are
 * prepended in reverse). Bins are never treeified here (that needs 8 collisions in a 64-bin table).
 */
export function chmOrder<K>(keys: Iterable<K>, hash: (k: K) => number, initialCapacity = 16): K[] {
  let n = initialCapacity;
  let table: (ChmNode<K> | null)[] = new Array(n).fill(null);
  let count = 0;
  let sizeCtl = n - (n >>> 2);
  for (const key of keys) {
    const h = spread(hash(key));
    const i = h & (n - 1);
    let f = table[i];
    const node: ChmNode<K> = { key, hash: h, next: null };
    if (f === null) {
      table[i] = node;
    } else {
      let dup = false;
      for (;;) {
        if (f.key === key) {
          dup = true;
          break;
        }
        if (f.next === null) break;
        f = f.next;
      }
      if (dup) continue;
      f.next = node;
    }
    count++;
    if (count >= sizeCtl) {
      const next: (ChmNode<K> | null)[] = new Array(2 * n).fill(null);
      for (let b = 0; b < n; b++) {
        const head = table[b];
        if (head === null) continue;
        let runBit = head.hash & n;
        let lastRun = head;
        for (let p = head.next; p !== null; p = p.next) {
          const bit = p.hash & n;
          if (bit !== runBit) {
            runBit = bit;
            lastRun = p;
          }
        }
        let ln: ChmNode<K> | null = runBit === 0 ? lastRun : null;
        let hn: ChmNode<K> | null = runBit === 0 ? null : lastRun;
        for (let p: ChmNode<K> = head; p !== lastRun; p = p.next!) {
          if ((p.hash & n) === 0) ln = { key: p.key, hash: p.hash, next: ln };
          else hn = { key: p.key, hash: p.hash, next: hn };
        }
        next[b] = ln;
        next[b + n] = hn;
      }
      table = next;
      n *= 2;
      sizeCtl = n - (n >>> 2);
    }
  }
  const out: K[] = [];
  for (const head of table) for (let p = head; p !== null; p = p.next) out.push(p.key);
  return out;
}

export function chmStringOrder(keys: Iterable<string>): string[] {
  return chmOrder(keys, javaStringHash);
}
