/**
 * The znodes of a DataTree, column by column. A million znodes as JS objects cost ~430 bytes each on the
 * heap (the object, a boxed number per zxid and time, a Buffer object per value, two hash-map entries) and
 * give the garbage collector a million objects to mark. Here a znode is an index into typed arrays (its
 * Stat fields, its place among its siblings) and one record in a large page holding its name and data
 * bytes. Nothing per znode lives on the JS heap.
 *
 * Lookups go through one open-addressing table keyed by (parent, name), so a path is resolved component
 * by component without building substrings; there is no path -> znode map.
 */
import { Stat } from '../jute/records';
import { JuteWriter } from '../jute/writer';
import { copyBytes } from '../util/bytes';
import { javaStringSetOrder } from '../util/javaHash';
import { PageSource } from '../util/prefaultedPages';

export const NONE = -1;
export const ROOT = 0;

/** Record pages: records are appended; a page half dead is compacted into the current one. */
export const PAGE_SIZE = 4 << 20;
/** Emptied pages kept for reuse (a fresh one costs page faults, and V8 counts it as external memory, which starts full GCs). */
const SPARE_PAGES = 4;
/**
 * A znode's record: its id, name length and data length (-1: null) as little-endian int32s, then the
 * name (UTF-8) and the data. A znode's record is rewritten whole when its data changes, unless the new
 * data has the old one's length and no view of it can be in use: then it is written over in place.
 */
const REC_HEADER = 12;
/** Names that take the fast comparisons: every code unit below 0x80, one byte each. */
const ASCII_LIMIT = 0x80;

const ZERO_OWNER = 0n;
/** Paths lookup remembers (each entry: the path string, which the request allocated anyway, and an id). */
const PATH_CACHE_SIZE = 65536;
/** Slots of dirOf's cache of directories (a power of two). */
const DIR_CACHE_SIZE = 1024;

/** FNV-1a over UTF-16 code units of s[i, j). */
function hashRange(s: string, i: number, j: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = i; k < j; k++) h = Math.imul(h ^ s.charCodeAt(k), 0x01000193);
  return h;
}

/** FNV-1a over bytes that are ASCII (equal to the code units hashRange sees). */
function hashBytes(b: Uint8Array, i: number, j: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = i; k < j; k++) h = Math.imul(h ^ b[k], 0x01000193);
  return h;
}

function slotHash(parent: number, nameHash: number): number {
  let h = nameHash ^ Math.imul(parent, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

function grownF64(a: Float64Array, cap: number): Float64Array {
  const b = new Float64Array(cap);
  b.set(a);
  return b;
}

function grownU8(a: Uint8Array, cap: number): Uint8Array {
  const b = new Uint8Array(cap);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}

export class NodeStore {
  private cap = 0;
  /** Ids handed out so far; ids below this that are not live sit on the free list. */
  private top = 0;
  private freeIds: number[] = [];
  /** Live znodes. */
  count = 0;

  // Stat (StatPersisted) columns. Zxids and times stay below 2^53, so doubles hold them exactly.
  czxid: Float64Array = new Float64Array(0);
  mzxid: Float64Array = new Float64Array(0);
  pzxid: Float64Array = new Float64Array(0);
  ctime: Float64Array = new Float64Array(0);
  mtime: Float64Array = new Float64Array(0);
  version: Int32Array = new Int32Array(0);
  cversion: Int32Array = new Int32Array(0);
  aversion: Int32Array = new Int32Array(0);
  /** ACL cache id (a long in Apache; the cache refuses ids beyond 32 bits). */
  acl: Int32Array = new Int32Array(0);
  ownerHi: Int32Array = new Int32Array(0);
  ownerLo: Int32Array = new Int32Array(0);

  // Tree shape: children in insertion order (a doubly linked sibling list), counts, the size of the
  // Java HashSet Apache would keep for them (its iteration order shows in getChildren).
  parent: Int32Array = new Int32Array(0);
  firstChild: Int32Array = new Int32Array(0);
  nextSibling: Int32Array = new Int32Array(0);
  /**
   * The sibling before; the first child's is the last child, so appending finds the end without a
   * column of its own (4 MB a million znodes). See lastChildOf and prevSiblingOf.
   */
  private prevSibling: Int32Array = new Int32Array(0);
  numChildren: Int32Array = new Int32Array(0);
  /** log2 of that capacity; 0 before the first child. */
  childCapacityLog2: Uint8Array = new Uint8Array(0);
  /** Bumped whenever an id is freed: a walk that outlives a delete can tell a reused id. */
  generation: Int32Array = new Int32Array(0);
  private nameHash: Int32Array = new Int32Array(0);

  // Where each znode's record is.
  private recPage: Int32Array = new Int32Array(0);
  private recOff: Int32Array = new Int32Array(0);
  private pages: (Buffer | null)[] = [];
  private pageUsed: number[] = [];
  private pageDead: number[] = [];
  private freePages: number[] = [];
  private curPage = NONE;
  /** Emptied pages, written over only when no view of theirs can be in use (`viewsLive`). */
  private sparePages: Buffer[] = [];
  /** Where fresh record pages come from when one is ready (the server's, once it serves); else allocated here. */
  pageSource: PageSource | null = null;
  /** The page setDataFrom still reads the name from: not to be reused under it. */
  private pinned: Buffer | null = null;
  /**
   * Whether a view `data` returned may still be in use (replies that carry znode data uncopied and are
   * not written yet): emptied pages are then not written over. By default always, so nothing is reused
   * unless the owner says when views are done with (the server: replyViewsLive).
   */
  viewsLive: () => boolean = () => true;
  /** A name encoded here before it goes into a record. */
  private scratch = Buffer.allocUnsafe(256);

  private pathCache = new Map<string, { id: number; gen: number }>();
  // dirOf's cache: a directory path, its id and the id's generation, per slot.
  private dirKeys: (string | null)[] = new Array<string | null>(DIR_CACHE_SIZE).fill(null);
  private dirIds = new Int32Array(DIR_CACHE_SIZE);
  private dirGens = new Int32Array(DIR_CACHE_SIZE);

  // (parent, name) -> id, linear probing.
  private slots: Int32Array = new Int32Array(0);
  private slotMask = 0;
  private slotCount = 0;
  /** A snapshot load in progress: new znodes go into the table all at once when it ends (endBulkLoad). */
  private bulk = false;

  /**
   * Rows a new store reserves (see `grow`: address space, not memory). A server that reserves many keeps
   * its columns where they are as the tree grows; growing copies every column and frees the old ones,
   * and the allocator keeps those holes resident (~15-30 MB after a load of a million znodes). The
   * standalone server sets it (`-Dzkts.reserveZnodes`); embedded and test trees keep the small default.
   * The reserve is taken at the first growth past 1,024 rows, not up front: V8 counts the columns as
   * external memory, and ~200 MB of it at once cost a new server ~10 scavenges and a full GC (~5 ms of
   * its start) for a tree that may never grow.
   */
  static defaultReserve = 1024;
  private readonly reserveRows = NodeStore.defaultReserve;

  constructor() {
    this.grow(1024);
    this.resizeSlots(2048);
    const root = this.allocId();
    this.parent[root] = NONE;
    this.writeRecord(root, EMPTY, 0, 0, null, 0, 0);
  }

  /**
   * Room for `cap` rows. New rows are left as the allocator gives them (zero pages the kernel maps only
   * when touched), so reserving generously costs address space, not memory; allocId sets each row up.
   */
  private grow(cap: number): void {
    const c = cap;
    this.czxid = grownF64(this.czxid, c);
    this.mzxid = grownF64(this.mzxid, c);
    this.pzxid = grownF64(this.pzxid, c);
    this.ctime = grownF64(this.ctime, c);
    this.mtime = grownF64(this.mtime, c);
    this.version = grownI32(this.version, c);
    this.cversion = grownI32(this.cversion, c);
    this.aversion = grownI32(this.aversion, c);
    this.acl = grownI32(this.acl, c);
    this.ownerHi = grownI32(this.ownerHi, c);
    this.ownerLo = grownI32(this.ownerLo, c);
    this.parent = grownI32(this.parent, c);
    this.firstChild = grownI32(this.firstChild, c);
    this.nextSibling = grownI32(this.nextSibling, c);
    this.prevSibling = grownI32(this.prevSibling, c);
    this.numChildren = grownI32(this.numChildren, c);
    this.childCapacityLog2 = grownU8(this.childCapacityLog2, c);
    this.generation = grownI32(this.generation, c);
    this.nameHash = grownI32(this.nameHash, c);
    this.recPage = grownI32(this.recPage, c);
    this.recOff = grownI32(this.recOff, c);
    this.cap = c;
  }

  /** A fresh id with its shape columns initialised (Stat columns are the caller's). */
  private allocId(): number {
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      // Grow by half: at a million znodes, doubling would leave up to a million unused rows.
      if (this.top === this.cap) this.grow(Math.max(Math.ceil(this.cap * 1.5), this.reserveRows));
      id = this.top++;
    }
    this.count++;
    this.parent[id] = NONE;
    this.firstChild[id] = NONE;
    this.nextSibling[id] = NONE;
    this.prevSibling[id] = NONE;
    this.numChildren[id] = 0;
    this.childCapacityLog2[id] = 0;
    this.recPage[id] = NONE;
    this.ownerHi[id] = 0;
    this.ownerLo[id] = 0;
    this.acl[id] = 0;
    return id;
  }

  /** Makes room for at least `rows` znodes without further copying (a snapshot load counts them first). */
  reserve(rows: number): void {
    if (rows > this.cap) this.grow(Math.max(rows, this.reserveRows));
    let size = this.slots.length;
    while (rows * 2 > size) size *= 2;
    if (size > this.slots.length) this.resizeSlots(size);
  }

  /** Is `id` a live znode? */
  isLive(id: number): boolean {
    return id >= 0 && id < this.top && (id === ROOT || this.parent[id] !== NONE);
  }

  // ---- names

  /** The name's length in bytes (UTF-8). */
  nameByteLength(id: number): number {
    return this.pages[this.recPage[id]]!.readInt32LE(this.recOff[id] + 4);
  }

  /** The znode's name ("" for the root). */
  nameOf(id: number): string {
    const page = this.pages[this.recPage[id]]!;
    const at = this.recOff[id] + REC_HEADER;
    return page.toString('utf8', at, at + page.readInt32LE(at - 8));
  }

  /** The name's length in UTF-16 code units, without making the string when it is ASCII. */
  nameUnits(id: number): number {
    const page = this.pages[this.recPage[id]]!;
    const at = this.recOff[id] + REC_HEADER;
    const end = at + page.readInt32LE(at - 8);
    for (let k = at; k < end; k++) if (page[k] >= ASCII_LIMIT) return page.toString('utf8', at, end).length;
    return end - at;
  }

  /**
   * Appends the name's bytes to `dst` at `at` and returns the new end, or -1 if they are not plain
   * (4-byte UTF-8 sequences, which Java's encoding writes differently) and the caller must encode the name.
   */
  copyName(id: number, dst: Buffer, at: number): number {
    const page = this.pages[this.recPage[id]]!;
    const start = this.recOff[id] + REC_HEADER;
    const end = start + page.readInt32LE(start - 8);
    for (let k = start; k < end; k++) if (page[k] >= 0xf0) return -1;
    copyBytes(page, start, end, dst, at);
    return at + (end - start);
  }

  // ---- lookups

  /** The child of `parent` named s[i, j), or NONE. */
  childOf(parent: number, s: string, i: number, j: number): number {
    const h = hashRange(s, i, j);
    const len = j - i;
    const slots = this.slots;
    const mask = this.slotMask;
    let encoded: Buffer | null = null;
    for (let k = slotHash(parent, h) & mask; ; k = (k + 1) & mask) {
      const id = slots[k];
      if (id === NONE) return NONE;
      if (this.nameHash[id] !== h || this.parent[id] !== parent) continue;
      const page = this.pages[this.recPage[id]]!;
      const at = this.recOff[id] + REC_HEADER;
      const n = page.readInt32LE(at - 8);
      if (n === len && sameAscii(page, at, s, i, j)) return id;
      if (n > len) {
        // A non-ASCII name takes more bytes than code units: compare encoded bytes.
        encoded ??= Buffer.from(s.substring(i, j), 'utf8');
        if (n === encoded.length && page.compare(encoded, 0, n, at, at + n) === 0) return id;
      }
    }
  }

  /**
   * The znode at `path` ("" and "/" are the root), or NONE. Paths looked up recently are remembered with
   * the id's generation: a hit costs one Map lookup, where V8 hashes the request's path string natively;
   * resolving component by component hashes in JS. The cache starts over when full.
   */
  lookup(path: string): number {
    const e = this.pathCache.get(path);
    if (e !== undefined && this.generation[e.id] === e.gen) return e.id;
    const id = this.lookupRange(path, path.length);
    if (id !== NONE) {
      if (this.pathCache.size >= PATH_CACHE_SIZE) this.pathCache.clear();
      this.pathCache.set(path, { id, gen: this.generation[id] });
    }
    return id;
  }

  /** The znode at path[0, end), or NONE. */
  lookupRange(path: string, end: number): number {
    if (end <= 1) return end === 0 || path.charCodeAt(0) === 0x2f ? ROOT : NONE;
    const slash = path.lastIndexOf('/', end - 1);
    if (slash === -1 || slash === end - 1) return NONE;
    const dir = this.dirOf(path, slash);
    return dir === NONE ? NONE : this.childOf(dir, path, slash + 1, end);
  }

  /**
   * The znode at path[0, end) (the directory of a path whose last '/' is at `end`), through a small
   * direct-mapped cache of recent directories: requests mostly name znodes in a few directories, and
   * hashing a long prefix one character at a time (or having V8 hash a fresh substring for a Map) costs
   * more than the rest of the lookup. A slot is picked from the prefix's length and last characters and
   * confirmed with startsWith; it holds the id's generation, so a directory deleted since (its id perhaps
   * reused) is looked up again.
   */
  dirOf(path: string, end: number): number {
    if (end === 0) return ROOT;
    let h = end;
    for (let k = end > 8 ? end - 8 : 0; k < end; k++) h = Math.imul(h ^ path.charCodeAt(k), 0x01000193);
    const slot = (h ^ (h >>> 15)) & (DIR_CACHE_SIZE - 1);
    const key = this.dirKeys[slot];
    if (key !== null && key.length === end) {
      const cached = this.dirIds[slot];
      if (this.dirGens[slot] === this.generation[cached] && samePrefix(key, path, end)) return cached;
    }
    const id = this.walk(path, end);
    if (id !== NONE) {
      // A copy of its own: charCodeAt on a slice of the request's string takes a slow path.
      this.dirKeys[slot] = Buffer.from(path.substring(0, end), 'utf16le').toString('utf16le');
      this.dirIds[slot] = id;
      this.dirGens[slot] = this.generation[id];
    }
    return id;
  }

  /** path[0, end) resolved from the root, one component at a time. */
  private walk(path: string, end: number): number {
    if (path.charCodeAt(0) !== 0x2f) return NONE;
    let id = ROOT;
    let i = 1;
    for (;;) {
      let j = path.indexOf('/', i);
      if (j === -1 || j > end) j = end;
      if (j === i) return NONE;
      id = this.childOf(id, path, i, j);
      if (id === NONE || j === end) return id;
      i = j + 1;
    }
  }

  // ---- shape

  /**
   * A new znode named `name` under `parent`, last among its siblings, with a copy of `data`; Stat columns
   * are the caller's. Name and data go into one record: a record written and then rewritten with the data
   * would leave its first copy dead in the page (16 bytes of 132 for a create of 100 bytes).
   */
  addChild(parent: number, name: string, data: Uint8Array | null = null): number {
    let n = name.length;
    if (n * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(Math.max(n * 3, this.scratch.length * 2));
    n = this.scratch.write(name, 0, 'utf8');
    const id = this.link(parent, hashRange(name, 0, name.length));
    this.writeRecord(id, this.scratch, 0, n, data, 0, data === null ? 0 : data.length);
    return id;
  }

  /**
   * The child of `parent` named b[nameStart, nameEnd) (ASCII bytes, `hash` their hashRange), with data
   * b[dataStart, dataEnd) (dataStart -1: null): found, or created last among its siblings. Snapshot loads
   * come here, so that a znode costs no string.
   */
  childFromBytes(parent: number, b: Buffer, nameStart: number, nameEnd: number, hash: number, dataStart: number, dataEnd: number): number {
    if (this.bulk) {
      const id = this.link(parent, hash, true);
      this.writeRecord(id, b, nameStart, nameEnd, dataStart < 0 ? null : b, dataStart, dataEnd);
      return id;
    }
    const len = nameEnd - nameStart;
    const slots = this.slots;
    const mask = this.slotMask;
    let k = slotHash(parent, hash) & mask;
    for (; ; k = (k + 1) & mask) {
      const id = slots[k];
      if (id === NONE) break;
      if (this.nameHash[id] !== hash || this.parent[id] !== parent) continue;
      const page = this.pages[this.recPage[id]]!;
      const at = this.recOff[id] + REC_HEADER;
      if (page.readInt32LE(at - 8) === len && sameBytes(page, at, b, nameStart, nameEnd)) {
        this.setDataFrom(id, b, dataStart, dataEnd);
        return id;
      }
    }
    // Not there: take the empty slot the probe ended at, unless the table must grow first.
    const grows = (this.slotCount + 1) * 2 > slots.length;
    const id = this.link(parent, hash, !grows);
    if (!grows) {
      slots[k] = id;
      this.slotCount++;
    }
    this.writeRecord(id, b, nameStart, nameEnd, dataStart < 0 ? null : b, dataStart, dataEnd);
    return id;
  }

  /** Hash of ASCII name bytes, as hashRange computes it for the same name as a string. */
  static hashOfBytes(b: Uint8Array, start: number, end: number): number {
    return hashBytes(b, start, end);
  }

  private link(parent: number, hash: number, slotTaken = false): number {
    const id = this.allocId();
    this.parent[id] = parent;
    this.nameHash[id] = hash;
    const first = this.firstChild[parent];
    this.nextSibling[id] = NONE;
    if (first === NONE) {
      this.firstChild[parent] = id;
      this.prevSibling[id] = id;
    } else {
      const last = this.prevSibling[first];
      this.nextSibling[last] = id;
      this.prevSibling[id] = last;
      this.prevSibling[first] = id;
    }
    const n = ++this.numChildren[parent];
    // Apache's HashSet of children: 8 buckets at the first child, doubling past 3/4 full, never shrinking.
    if (this.childCapacityLog2[parent] === 0) this.childCapacityLog2[parent] = 3;
    if (n > RESIZE_AT[this.childCapacityLog2[parent]]) this.childCapacityLog2[parent]++;
    if (!slotTaken && !this.bulk) this.insertSlot(id);
    return id;
  }

  /**
   * Unlinks a znode from its parent and frees its id and record. Children left under it (only a log
   * replayed over an inconsistent snapshot could leave any) go with it, so no id points at a freed parent.
   */
  remove(id: number): void {
    while (this.firstChild[id] !== NONE) this.remove(this.firstChild[id]);
    const parent = this.parent[id];
    this.removeSlot(id);
    const prev = this.prevSibling[id];
    const next = this.nextSibling[id];
    const first = this.firstChild[parent];
    if (id === first) {
      // prev is the last child (id itself when it is the only one).
      this.firstChild[parent] = next;
      if (next !== NONE) this.prevSibling[next] = prev;
    } else {
      this.nextSibling[prev] = next;
      if (next !== NONE) this.prevSibling[next] = prev;
      else this.prevSibling[first] = prev;
    }
    this.numChildren[parent]--;
    this.releaseRecord(id);
    this.recPage[id] = NONE;
    this.parent[id] = NONE;
    this.generation[id]++;
    this.count--;
    this.freeIds.push(id);
  }

  /** The last of `id`'s children, or NONE. */
  lastChildOf(id: number): number {
    const first = this.firstChild[id];
    return first === NONE ? NONE : this.prevSibling[first];
  }

  /** The sibling before `id`, or NONE for the first child (whose prevSibling is the last). */
  prevSiblingOf(id: number): number {
    const prev = this.prevSibling[id];
    return this.nextSibling[prev] === id ? prev : NONE;
  }

  /** Child names in insertion order. */
  childNames(id: number): string[] {
    const out: string[] = [];
    for (let c = this.firstChild[id]; c !== NONE; c = this.nextSibling[c]) out.push(this.nameOf(c));
    return out;
  }

  /** Child names in the order Apache lists them (its HashSet's iteration order). */
  childList(id: number): string[] {
    if (this.numChildren[id] === 0) return [];
    return javaStringSetOrder(this.childNames(id), 2 ** this.childCapacityLog2[id]);
  }

  /** The path of a live znode ("/" for the root). */
  pathOf(id: number): string {
    if (id === ROOT) return '/';
    const parts: string[] = [];
    for (let c = id; c !== ROOT; c = this.parent[c]) parts.push(this.nameOf(c));
    return '/' + parts.reverse().join('/');
  }

  // ---- fields

  owner(id: number): bigint {
    const hi = this.ownerHi[id];
    const lo = this.ownerLo[id];
    if (hi === 0 && lo === 0) return ZERO_OWNER;
    return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
  }

  hasOwner(id: number): boolean {
    return this.ownerHi[id] !== 0 || this.ownerLo[id] !== 0;
  }

  setOwner(id: number, owner: bigint): void {
    if (owner === ZERO_OWNER) {
      this.ownerHi[id] = 0;
      this.ownerLo[id] = 0;
      return;
    }
    const u = BigInt.asUintN(64, owner);
    this.ownerHi[id] = Number(u >> 32n) | 0;
    this.ownerLo[id] = Number(u & 0xffffffffn) | 0;
  }

  /** Sets the persisted Stat of a new znode: created at `zxid`, `time`, versions 0. */
  initStat(id: number, zxid: number, time: number): void {
    this.czxid[id] = zxid;
    this.mzxid[id] = zxid;
    this.pzxid[id] = zxid;
    this.ctime[id] = time;
    this.mtime[id] = time;
    this.version[id] = 0;
    this.cversion[id] = 0;
    this.aversion[id] = 0;
  }

  /**
   * The Stat a client sees (DataNode.copyStat): the stored cversion counts creates only, so the client
   * value is creates + deletes = 2 * cversion - numChildren; `showOwner` false reports owner 0.
   */
  stat(id: number, showOwner: boolean): Stat {
    return {
      czxid: this.czxid[id],
      mzxid: this.mzxid[id],
      ctime: this.ctime[id],
      mtime: this.mtime[id],
      version: this.version[id],
      cversion: this.statCversion(id),
      aversion: this.aversion[id],
      ephemeralOwner: showOwner ? this.owner(id) : ZERO_OWNER,
      dataLength: this.statDataLength(id),
      numChildren: this.numChildren[id],
      pzxid: this.pzxid[id],
    };
  }

  /** The same Stat written as jute lays it out, straight into a reply: reads need no Stat object. */
  writeStat(w: JuteWriter, id: number, showOwner: boolean): void {
    w.writeLong53(this.czxid[id]);
    w.writeLong53(this.mzxid[id]);
    w.writeLong53(this.ctime[id]);
    w.writeLong53(this.mtime[id]);
    w.writeInt(this.version[id]);
    w.writeInt(this.statCversion(id));
    w.writeInt(this.aversion[id]);
    // A long is its high then its low 32 bits.
    w.writeInt(showOwner ? this.ownerHi[id] : 0);
    w.writeInt(showOwner ? this.ownerLo[id] : 0);
    w.writeInt(this.statDataLength(id));
    w.writeInt(this.numChildren[id]);
    w.writeLong53(this.pzxid[id]);
  }

  /** Stat.cversion from the column, which counts creates only (see stat). */
  private statCversion(id: number): number {
    return this.cversion[id] * 2 - this.numChildren[id];
  }

  private statDataLength(id: number): number {
    const len = this.rawDataLength(id);
    return len < 0 ? 0 : len;
  }

  // ---- data

  /** The data length in the znode's record; -1 for null data. */
  rawDataLength(id: number): number {
    return this.pages[this.recPage[id]]!.readInt32LE(this.recOff[id] + 8);
  }

  dataLength(id: number): number {
    const len = this.rawDataLength(id);
    return len < 0 ? 0 : len;
  }

  /**
   * The znode's data. A record's bytes are not written over while `viewsLive` says views may be in use
   * (an emptied page is reused only when none is), so the returned view keeps what it shows until then,
   * even after the znode changes.
   */
  data(id: number): Buffer | null {
    const len = this.rawDataLength(id);
    if (len < 0) return null;
    if (len === 0) return EMPTY;
    const page = this.pages[this.recPage[id]]!;
    const at = this.dataAt(id, page);
    return page.subarray(at, at + len);
  }

  /** Where in its record's page the znode's data starts: after the record header and the name. */
  private dataAt(id: number, page: Buffer): number {
    return this.recOff[id] + REC_HEADER + page.readInt32LE(this.recOff[id] + 4);
  }

  /** The znode's data written into a reply as a jute buffer, from its record: no view made to copy from. */
  writeData(w: JuteWriter, id: number): void {
    const len = this.rawDataLength(id);
    if (len < 0) {
      w.writeInt(-1);
      return;
    }
    const page = this.pages[this.recPage[id]]!;
    const at = this.dataAt(id, page);
    w.writeBufferRange(page, at, at + len);
  }

  /** Copies the znode's data bytes into `dst` at `at` (nothing for null or empty data). */
  copyData(id: number, dst: Uint8Array, at: number): void {
    const len = this.rawDataLength(id);
    if (len <= 0) return;
    const page = this.pages[this.recPage[id]]!;
    const from = this.dataAt(id, page);
    copyBytes(page, from, from + len, dst, at);
  }

  /** Replaces the znode's data with a copy of `src` (null for none). */
  setData(id: number, src: Uint8Array | null): void {
    this.setDataFrom(id, src ?? EMPTY, src === null ? -1 : 0, src === null ? -1 : src.length);
  }

  /** Replaces the znode's data with a copy of src[start, end), or null when `start` is -1. */
  setDataFrom(id: number, src: Uint8Array, start: number, end: number): void {
    const page = this.pages[this.recPage[id]]!;
    const at = this.recOff[id] + REC_HEADER;
    const nameLen = page.readInt32LE(at - 8);
    // A value of the same length goes over the old one when no view of it can be in use: no record
    // appended, none left dead to compact later (setData of 10 KB: compaction was as costly as the copy).
    const len = start < 0 ? -1 : end - start;
    if (len === page.readInt32LE(at - 4) && !this.viewsLive()) {
      if (len > 0) copyBytes(src, start, end, page, at + nameLen);
      return;
    }
    // Otherwise the record is rewritten with its name. The old one is released first: released after the
    // append, it could already have been dropped by a compaction the append ran. Its page buffer stays
    // readable (pinned: not reused for the new record), so the name is copied from it afterwards.
    this.releaseRecord(id);
    this.pinned = page;
    this.writeRecord(id, page, at, at + nameLen, start < 0 ? null : src, start, end);
    this.pinned = null;
  }

  /** Bytes held in record pages (live and not yet compacted). */
  get dataPageBytes(): number {
    let n = 0;
    for (const p of this.pages) if (p !== null) n += p.length;
    return n;
  }

  /** Bytes of records in pages that are no longer any znode's (not yet compacted away). */
  get deadRecordBytes(): number {
    let n = 0;
    for (let p = 0; p < this.pages.length; p++) if (this.pages[p] !== null) n += this.pageDead[p];
    return n;
  }

  private writeRecord(id: number, name: Uint8Array, nameStart: number, nameEnd: number, data: Uint8Array | null, dataStart: number, dataEnd: number): void {
    const nameLen = nameEnd - nameStart;
    const dataLen = data === null ? -1 : dataEnd - dataStart;
    const size = REC_HEADER + nameLen + (dataLen > 0 ? dataLen : 0);
    const p = this.place(size);
    const page = this.pages[p]!;
    const off = this.pageUsed[p];
    page.writeInt32LE(id, off);
    page.writeInt32LE(nameLen, off + 4);
    page.writeInt32LE(dataLen, off + 8);
    if (nameLen > 0) copyBytes(name, nameStart, nameEnd, page, off + REC_HEADER);
    if (dataLen > 0) copyBytes(data!, dataStart, dataEnd, page, off + REC_HEADER + nameLen);
    this.pageUsed[p] = off + size;
    this.recPage[id] = p;
    this.recOff[id] = off;
  }

  /** The page a record of `size` bytes goes to: the current one, a fresh one, or one of its own. */
  private place(size: number): number {
    if (size > PAGE_SIZE >> 2) return this.newPage(size);
    const cur = this.curPage;
    if (cur !== NONE && this.pageUsed[cur] + size <= this.pages[cur]!.length) return cur;
    const p = this.newPage(PAGE_SIZE);
    this.curPage = p;
    // The page just filled may be mostly dead already: its live records move to the new page.
    if (cur !== NONE && this.pageDead[cur] * 2 > this.pageUsed[cur]) this.compact(cur);
    // Moving them cannot fill a fresh page (they were at most half of one), so `size` still fits.
    return this.curPage;
  }

  private newPage(size: number): number {
    let page: Buffer | null = null;
    const spares = this.sparePages;
    if (size === PAGE_SIZE && spares.length > 0 && spares[spares.length - 1] !== this.pinned && !this.viewsLive()) page = spares.pop()!;
    if (page === null && size === PAGE_SIZE && this.pageSource !== null) page = this.pageSource.take();
    page ??= Buffer.allocUnsafe(size);
    const p = this.freePages.length > 0 ? this.freePages.pop()! : this.pages.length;
    this.pages[p] = page;
    this.pageUsed[p] = 0;
    this.pageDead[p] = 0;
    return p;
  }

  private releaseRecord(id: number): void {
    const p = this.recPage[id];
    if (p === NONE) return;
    const page = this.pages[p];
    if (page === null) throw new Error(`record page ${p} of znode ${id} was dropped`);
    const off = this.recOff[id];
    const len = this.rawDataLength(id);
    this.pageDead[p] += REC_HEADER + page.readInt32LE(off + 4) + (len > 0 ? len : 0);
    this.recPage[id] = NONE;
    if (p !== this.curPage && this.pageDead[p] * 2 > this.pageUsed[p]) this.compact(p);
  }

  /** Moves a page's live records to the current page and drops the page. */
  private compact(p: number): void {
    const page = this.pages[p]!;
    const used = this.pageUsed[p];
    this.pages[p] = null;
    this.pageUsed[p] = 0;
    this.pageDead[p] = 0;
    for (let off = 0; off < used; ) {
      const id = page.readInt32LE(off);
      const nameLen = page.readInt32LE(off + 4);
      const dataLen = page.readInt32LE(off + 8);
      const size = REC_HEADER + nameLen + (dataLen > 0 ? dataLen : 0);
      if (this.recPage[id] === p && this.recOff[id] === off) {
        const to = this.place(size);
        const dst = this.pages[to]!;
        const at = this.pageUsed[to];
        copyBytes(page, off, off + size, dst, at);
        this.pageUsed[to] = at + size;
        this.recPage[id] = to;
        this.recOff[id] = at;
      }
      off += size;
    }
    // Only now: a record moved above must not land in the page being emptied.
    this.freePages.push(p);
    if (page.length === PAGE_SIZE && this.sparePages.length < SPARE_PAGES) this.sparePages.push(page);
  }

  // ---- the (parent, name) table

  /**
   * Starts a snapshot load: znodes added from here on (childFromBytes, addChild) are not looked up or
   * entered in the table one by one, which costs a random memory access each, but all at once by
   * endBulkLoad, in a table sized for them. Nothing may be looked up until then.
   */
  beginBulkLoad(): void {
    this.bulk = true;
  }

  get bulkLoading(): boolean {
    return this.bulk;
  }

  /**
   * Ends a snapshot load: every znode goes into the table. A name given twice under one parent throws
   * DuplicateNameError, and the store is then only fit to be cleared (the load is redone without bulk).
   */
  endBulkLoad(): void {
    if (!this.bulk) return;
    this.bulk = false;
    let size = 2048;
    while ((this.count + 1) * 2 > size) size *= 2;
    const slots = new Int32Array(size).fill(NONE);
    const mask = size - 1;
    const parent = this.parent;
    const nameHash = this.nameHash;
    let n = 0;
    for (let id = 0; id < this.top; id++) {
      const p = parent[id];
      if (p === NONE) continue;
      const h = nameHash[id];
      let k = slotHash(p, h) & mask;
      for (let e = slots[k]; e !== NONE; k = (k + 1) & mask, e = slots[k]) {
        if (nameHash[e] === h && parent[e] === p && this.sameName(e, id)) {
          throw new DuplicateNameError(`the znode ${this.nameOf(id)} appears twice under one parent (znode ${p})`);
        }
      }
      slots[k] = id;
      n++;
    }
    this.slots = slots;
    this.slotMask = mask;
    this.slotCount = n;
  }

  private sameName(a: number, b: number): boolean {
    const pa = this.pages[this.recPage[a]]!;
    const pb = this.pages[this.recPage[b]]!;
    const la = this.recOff[a] + REC_HEADER;
    const lb = this.recOff[b] + REC_HEADER;
    const len = pa.readInt32LE(la - 8);
    return pb.readInt32LE(lb - 8) === len && sameBytes(pa, la, pb, lb, lb + len);
  }

  private resizeSlots(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size).fill(NONE);
    this.slotMask = size - 1;
    this.slotCount = 0;
    for (let k = 0; k < old.length; k++) if (old[k] !== NONE) this.insertSlot(old[k]);
  }

  private insertSlot(id: number): void {
    if ((this.slotCount + 1) * 2 > this.slots.length) this.resizeSlots(this.slots.length * 2);
    const mask = this.slotMask;
    let k = slotHash(this.parent[id], this.nameHash[id]) & mask;
    while (this.slots[k] !== NONE) k = (k + 1) & mask;
    this.slots[k] = id;
    this.slotCount++;
  }

  private removeSlot(id: number): void {
    const slots = this.slots;
    const mask = this.slotMask;
    let i = slotHash(this.parent[id], this.nameHash[id]) & mask;
    while (slots[i] !== id) {
      if (slots[i] === NONE) throw new Error(`znode ${id} is not in the name table`);
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: pull later entries of the probe run into the hole.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = slots[j];
      if (e === NONE) break;
      const home = slotHash(this.parent[e], this.nameHash[e]) & mask;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!between) {
        slots[i] = e;
        i = j;
      }
    }
    slots[i] = NONE;
    this.slotCount--;
  }

  /** Drops every znode but a fresh root. */
  clear(): void {
    const viewsLive = this.viewsLive;
    const fresh = new NodeStore();
    Object.assign(this, fresh);
    this.viewsLive = viewsLive;
  }
}

const EMPTY = Buffer.alloc(0);

/** A bulk load met a (parent, name) twice; see endBulkLoad. */
export class DuplicateNameError extends Error {}

/** 3/4 of 2^k: where a HashSet of capacity 2^k doubles. */
const RESIZE_AT = Float64Array.from({ length: 64 }, (_, k) => 2 ** k * 0.75);

/** page[at, at + (j - i)) holds s[i, j), all of it ASCII? (A non-ASCII s never matches here.) */
function sameAscii(page: Buffer, at: number, s: string, i: number, j: number): boolean {
  for (let k = i; k < j; k++, at++) {
    const c = s.charCodeAt(k);
    if (c >= ASCII_LIMIT || page[at] !== c) return false;
  }
  return true;
}


/** key equals path[0, end) (key.length === end)? From the end, where sibling directories differ. */
function samePrefix(key: string, path: string, end: number): boolean {
  for (let k = end - 1; k >= 0; k--) if (key.charCodeAt(k) !== path.charCodeAt(k)) return false;
  return true;
}

/** a[i, i + (end - start)) equals b[start, end)? */
export function sameBytes(a: Uint8Array, i: number, b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++, i++) if (a[i] !== b[k]) return false;
  return true;
}
