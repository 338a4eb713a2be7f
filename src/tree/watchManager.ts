import type { ACL } from '../jute/records';
import { EventType } from '../protocol/enums';
import type { WatchManagerObserver } from './dataTreeObserver';

/** Who receives watch events: a client connection (ServerCnxn is Apache's Watcher). */
export interface Watcher {
  /**
   * Delivers one event; `path` is the znode path the client sees. `acl` is the ACL of the znode the
   * event is about (Apache's ServerWatcher, CVE-2024-23944): a connection that may not READ it drops
   * the event. Without an ACL the event is delivered.
   */
  process(type: number, path: string, acl?: ACL[] | null): void;
  /** The session the watcher belongs to, for 4lw reports. */
  readonly sessionId: bigint;
}

export enum WatcherMode {
  STANDARD = 0,
  PERSISTENT = 1,
  PERSISTENT_RECURSIVE = 2,
}

/**
 * One table of watches (DataTree keeps one for data/exist watches, one for child watches), as Apache's
 * WatchManager: path -> watchers, watcher -> paths, and each (watcher, path) pair's mode. One-shot watches
 * are removed as they fire; persistent ones stay; recursive ones also fire for every descendant.
 */
export class WatchManager {
  private readonly watchTable = new Map<string, Set<Watcher>>();
  private readonly watch2Paths = new Map<Watcher, Map<string, WatcherMode>>();
  private recursiveCount = 0;
  /** The table sizes Apache's HashMaps have grown to (they never shrink): wchp/wchc list in that order. */
  tableCapacity = 16;
  private readonly pathsCapacity = new Map<Watcher, number>();
  /** Who counts watch fan-out for the metrics, or null (DataTree.setObserver sets it). */
  observer: WatchManagerObserver | null = null;

  addWatch(path: string, watcher: Watcher, mode: WatcherMode = WatcherMode.STANDARD): boolean {
    let set = this.watchTable.get(path);
    if (set === undefined) {
      set = new Set();
      this.watchTable.set(path, set);
      if (this.watchTable.size > this.tableCapacity * 0.75) this.tableCapacity *= 2;
    }
    set.add(watcher);
    let paths = this.watch2Paths.get(watcher);
    if (paths === undefined) {
      paths = new Map();
      this.watch2Paths.set(watcher, paths);
    }
    if (!paths.has(path)) {
      const cap = this.pathsCapacity.get(watcher) ?? 16;
      if (paths.size + 1 > cap * 0.75) this.pathsCapacity.set(watcher, cap * 2);
    }
    const prev = paths.get(path);
    if (prev === WatcherMode.PERSISTENT_RECURSIVE) this.recursiveCount--;
    if (mode === WatcherMode.PERSISTENT_RECURSIVE) this.recursiveCount++;
    // Like 3.8, one mode per (watcher, path): the last one set wins.
    paths.set(path, mode);
    return prev === undefined;
  }

  removeWatcher(watcher: Watcher): void {
    const paths = this.watch2Paths.get(watcher);
    if (paths === undefined) return;
    this.watch2Paths.delete(watcher);
    this.pathsCapacity.delete(watcher);
    for (const [p, mode] of paths) {
      if (mode === WatcherMode.PERSISTENT_RECURSIVE) this.recursiveCount--;
      const set = this.watchTable.get(p);
      if (set !== undefined) {
        set.delete(watcher);
        if (set.size === 0) this.watchTable.delete(p);
      }
    }
  }

  /**
   * Fires the watches an event at `path` triggers and returns the watchers that were notified, so that
   * the caller can suppress a second event to the same watcher (Apache's WatcherOrBitSet). `acl` is the
   * znode's ACL, handed to every watcher to filter on; a watcher that drops the event still counts as
   * notified (and loses its one-shot watch), as in Apache.
   */
  triggerWatch(path: string, type: number, suppress?: Set<Watcher> | null, acl: ACL[] | null = null): Set<Watcher> | null {
    let fired: Set<Watcher> | null = null;
    let localPath = path;
    let atParent = false;
    for (;;) {
      const set = this.watchTable.get(localPath);
      if (set !== undefined) {
        for (const w of set) {
          const mode = this.watch2Paths.get(w)?.get(localPath) ?? WatcherMode.STANDARD;
          if (mode === WatcherMode.PERSISTENT_RECURSIVE) {
            if (type !== EventType.NodeChildrenChanged) (fired ??= new Set()).add(w);
          } else if (!atParent) {
            (fired ??= new Set()).add(w);
            if (mode === WatcherMode.STANDARD) {
              set.delete(w);
              this.watch2Paths.get(w)?.delete(localPath);
            }
          }
        }
        if (set.size === 0) this.watchTable.delete(localPath);
      }
      // Ancestors matter only to recursive watches.
      if (this.recursiveCount === 0 || localPath === '/') break;
      const slash = localPath.lastIndexOf('/');
      localPath = slash === 0 ? '/' : localPath.substring(0, slash);
      atParent = true;
    }
    if (fired === null) return null;
    for (const w of fired) {
      if (suppress != null && suppress.has(w)) continue;
      w.process(type, path, acl);
    }
    if (this.observer !== null) this.observer.watchesTriggered(type, fired.size);
    return fired;
  }

  /**
   * WatchManager.containsWatcher exactly as 3.8 has it: true when any watch is set at the path itself,
   * or when this watcher's mode at the path is recursive. Apache walks the path with a PathParentIterator
   * (the path only, or up to the root while any recursive watch exists), whose quirks show: the empty path
   * yields nothing, so a watch kept under "" (getData("") reads the root) is never found; and stepping up
   * from a path without '/' is substring(0, -1), a StringIndexOutOfBoundsException (MarshallingError).
   */
  containsWatcher(path: string, watcher: Watcher): boolean {
    const recursive = this.watch2Paths.get(watcher)?.get(path) === WatcherMode.PERSISTENT_RECURSIVE;
    const maxLevel = this.recursiveCount === 0 ? 0 : Number.MAX_SAFE_INTEGER;
    let rest = path;
    for (let level = 0; rest.length > 0 && level <= maxLevel; level++) {
      const local = rest;
      if (rest === '/') rest = '';
      else {
        const slash = rest.lastIndexOf('/');
        if (slash === -1) throw new RangeError(`begin 0, end -1, length ${rest.length}`);
        rest = slash === 0 ? '/' : rest.substring(0, slash);
      }
      if (level === 0 && this.watchTable.has(local)) return true;
      if (recursive) return true;
    }
    return false;
  }

  hasWatch(path: string, watcher: Watcher): boolean {
    return this.watch2Paths.get(watcher)?.has(path) ?? false;
  }

  modeOf(path: string, watcher: Watcher): WatcherMode | undefined {
    return this.watch2Paths.get(watcher)?.get(path);
  }

  removeWatch(path: string, watcher: Watcher): boolean {
    const paths = this.watch2Paths.get(watcher);
    if (paths === undefined) return false;
    const mode = paths.get(path);
    if (mode === undefined) return false;
    paths.delete(path);
    if (mode === WatcherMode.PERSISTENT_RECURSIVE) this.recursiveCount--;
    const set = this.watchTable.get(path);
    if (set === undefined || !set.delete(watcher)) return false;
    if (set.size === 0) this.watchTable.delete(path);
    return true;
  }

  /** The table size of a watcher's path set as Apache's HashSet would have grown it. */
  pathsCapacityOf(watcher: Watcher): number {
    return this.pathsCapacity.get(watcher) ?? 16;
  }

  /** Number of (watcher, path) pairs. */
  get size(): number {
    let n = 0;
    for (const paths of this.watch2Paths.values()) n += paths.size;
    return n;
  }

  get pathCount(): number {
    return this.watchTable.size;
  }

  get watcherCount(): number {
    return this.watch2Paths.size;
  }

  byPath(): Map<string, Set<Watcher>> {
    return this.watchTable;
  }

  byWatcher(): Map<Watcher, Map<string, WatcherMode>> {
    return this.watch2Paths;
  }
}
