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
