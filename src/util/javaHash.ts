/**
 * Java's hash-table iteration order. Apache returns children, ephemerals and auth ids straight out of
 * HashSets, so their order on the wire is the order of Java's buckets; clients can see it (zkCli's
 * `ls`, the order of a closing session's delete events), and zkts reproduces it.
 */

/** String.hashCode over UTF-16 code units. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The hashCode jute generates for a two-string record (Id: scheme, id). */
export function javaIdHash(scheme: string, id: string): number {
  let r = 17;
  r = (Math.imul(37, r) + javaStringHash(scheme)) | 0;
  r = (Math.imul(37, r) + javaStringHash(id)) | 0;
  return r;
}

/** HashMap's bucket index: the hash with its high half folded in, masked to the table size. */
export function bucketOf(h: number, capacity: number): number {
  return (h ^ (h >>> 16)) & (capacity - 1);
}

/** The table size a HashMap that started at `initial` has after holding `maxSize` entries. */
export function capacityFor(maxSize: number, initial = 16): number {
  let cap = initial;
  while (maxSize > cap * 0.75) cap *= 2;
  return cap;
}

/**
 * Items in the order a Java HashMap/HashSet of the given table size iterates them, given the order
 * they were inserted in (a bucket lists its entries oldest first; resizing keeps that order).
 */
export function javaHashOrder<T>(items: Iterable<T>, hash: (t: T) => number, capacity: number): T[] {
  const arr = Array.from(items);
  if (arr.length < 2) return arr;
  const keyed = arr.map((item, i) => ({ item, i, b: bucketOf(hash(item), capacity) }));
  keyed.sort((x, y) => x.b - y.b || x.i - y.i);
  return keyed.map((k) => k.item);
}

export function javaStringSetOrder(items: Iterable<string>, capacity: number): string[] {
  return javaHashOrder(items, javaStringHash, capacity);
}

/** HashMap.tableSizeFor: the smallest power of two at least `n` (1 for n <= 1). */
export function tableSizeFor(n: number): number {
  let cap = 1;
  while (cap < n) cap *= 2;
  return cap;
}

/**
 * A java.util.HashSet<String> as far as its iteration order goes: the members in the order they were
 * added (a bucket lists its entries oldest first, and resizing keeps that order) and the table size,
 * which doubles when the size passes 3/4 of it and never shrinks while the set lives. Buckets that
 * Java would turn into trees (8+ colliding entries) are not modelled.
 */
export class JavaStringSet implements Iterable<string> {
  private readonly items = new Set<string>();
  /** The table size once allocated; until then the size the first add allocates. */
  private cap: number;

  /** `new HashSet<>()` (16 buckets) or `new HashSet<>(n)`. */
  constructor(initialCapacity = 16) {
    this.cap = tableSizeFor(initialCapacity);
  }

  get size(): number {
    return this.items.size;
  }

  get capacity(): number {
    return this.cap;
  }

  has(s: string): boolean {
    return this.items.has(s);
  }

  add(s: string): boolean {
    if (this.items.has(s)) return false;
    this.items.add(s);
    // HashMap.putVal: `if (++size > threshold) resize()`, threshold = (int) (capacity * 0.75).
    if (this.items.size > Math.floor(this.cap * 0.75)) this.cap *= 2;
    return true;
  }

  delete(s: string): boolean {
    return this.items.delete(s);
  }

  /** The members in Java's iteration order. */
  toArray(): string[] {
    return javaHashOrder(this.items, javaStringHash, this.cap);
  }

  [Symbol.iterator](): Iterator<string> {
    return this.toArray()[Symbol.iterator]();
  }

  /**
   * HashSet.clone() (Java 17): an empty map pre-sized by putMapEntries for the current size
   * (tableSizeFor((int) (size / 0.75f + 1))), then filled in this set's iteration order.
   */
  clone(): JavaStringSet {
    const n = this.items.size;
    const copy = new JavaStringSet(n === 0 ? 16 : Math.floor(Math.fround(Math.fround(n / 0.75) + 1)));
    for (const s of this.toArray()) copy.add(s);
    return copy;
  }

  /** `new HashSet<>(collection)`: HashMap(max((int) (size / .75f) + 1, 16)), filled in the collection's order. */
  static copyOf(items: Iterable<string>): JavaStringSet {
    const arr = Array.from(items);
    const copy = new JavaStringSet(Math.max(Math.floor(Math.fround(arr.length / 0.75)) + 1, 16));
    for (const s of arr) copy.add(s);
    return copy;
  }
}
