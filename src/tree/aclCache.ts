import { ACL } from '../jute/records';
import { Perms } from '../protocol/enums';

export const OPEN_ACL_UNSAFE: ACL[] = [{ perms: Perms.ALL, id: { scheme: 'world', id: 'anyone' } }];
/** ReferenceCountedACLCache's id for a null ACL list, read back as OPEN_ACL_UNSAFE. */
export const OPEN_UNSAFE_ACL_ID = -1;

interface Entry {
  id: number;
  acl: ACL[];
  refs: number;
}

/** Ids are kept in an Int32 column. */
const MAX_ACL_ID = 0x7fffffff;

function keyOf(acl: ACL[]): string {
  let k = '';
  for (const a of acl) k += `${a.perms}\u0000${a.id.scheme}\u0000${a.id.id}\u0001`;
  return k;
}

function sameAcl(a: ACL[], b: ACL[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.perms !== y.perms || x.id.scheme !== y.id.scheme || x.id.id !== y.id.id) return false;
  }
  return true;
}

/**
 * Interns ACL lists: every znode stores a small integer and equal lists share one entry, as Apache's
 * ReferenceCountedACLCache does; the ids are what snapshots store.
 */
export class AclCache {
  private byId = new Map<number, Entry>();
  private byKey = new Map<string, Entry>();
  private nextId = 0;
  /** The entry found last: creates mostly repeat one ACL, and comparing beats building a key. */
  private last: Entry | null = null;

  convertAcls(acl: ACL[] | null): number {
    if (acl === null) return OPEN_UNSAFE_ACL_ID;
    const last = this.last;
    if (last !== null && last.refs > 0 && sameAcl(last.acl, acl)) {
      last.refs++;
      return last.id;
    }
    const key = keyOf(acl);
    let e = this.byKey.get(key);
    if (e === undefined) {
      // The DataTree keeps ids in 32 bits (Apache's are longs that count up from 1 and never get near).
      if (this.nextId >= MAX_ACL_ID) throw new Error(`ACL cache: more than ${MAX_ACL_ID} distinct ACL lists`);
      e = { id: ++this.nextId, acl, refs: 0 };
      this.byKey.set(key, e);
      this.byId.set(e.id, e);
    }
    e.refs++;
    this.last = e;
    return e.id;
  }

  convertLong(id: number): ACL[] {
    if (id === OPEN_UNSAFE_ACL_ID) return OPEN_ACL_UNSAFE;
    const e = this.byId.get(id);
    if (e === undefined) throw new Error(`ACL id ${id} is not in the cache`);
    return e.acl;
  }

  removeUsage(id: number): void {
    if (id === OPEN_UNSAFE_ACL_ID) return;
    const e = this.byId.get(id);
    if (e === undefined) return;
    if (--e.refs <= 0) {
      this.byId.delete(id);
      this.byKey.delete(keyOf(e.acl));
    }
  }

  /** Restores an entry read from a snapshot. */
  put(id: number, acl: ACL[]): void {
    if (id !== (id | 0)) throw new Error(`ACL id ${id} is out of the range zkts keeps (32 bits)`);
    const e: Entry = { id, acl, refs: 0 };
    this.byId.set(id, e);
    this.byKey.set(keyOf(acl), e);
    if (id > this.nextId) this.nextId = id;
  }

  addUsage(id: number): void {
    const e = this.byId.get(id);
    if (e !== undefined) e.refs++;
  }

  has(id: number): boolean {
    return id === OPEN_UNSAFE_ACL_ID || this.byId.has(id);
  }

  clear(): void {
    this.last = null;
    this.byId.clear();
    this.byKey.clear();
    this.nextId = 0;
  }

  get size(): number {
    return this.byId.size;
  }

  entries(): IterableIterator<[number, ACL[]]> {
    const it = this.byId.values();
    return (function* () {
      for (const e of it) yield [e.id, e.acl] as [number, ACL[]];
    })();
  }
}
