import { Code, KeeperException } from '../protocol/errors';
import { CONTAINER_EPHEMERAL_OWNER } from '../tree/ephemeralType';

export class Session {
  readonly id: bigint;
  timeout: number;
  /** Set once a closeSession is on its way; the session then accepts no more requests. */
  isClosing = false;
  /** The tick bucket this session expires in. */
  expiresAt = 0;
  owner: unknown = null;

  constructor(id: bigint, timeout: number) {
    this.id = id;
    this.timeout = timeout;
  }
}

/**
 * SessionTrackerImpl: sessions and their expiry, bucketed by tick as Apache's ExpiryQueue so that a
 * session's deadline is rounded up to the next tick boundary. Time is passed in, never read, so that
 * the tracker can be driven by a real clock or a simulated one.
 */
export class SessionTracker {
  readonly sessions = new Map<bigint, Session>();
  private readonly buckets = new Map<number, Set<Session>>();
  private nextSessionId: bigint;
  readonly tickTime: number;

  constructor(serverId: number, tickTime: number, wallClockMs: number) {
    this.tickTime = tickTime;
    this.nextSessionId = SessionTracker.initialSessionId(serverId, wallClockMs);
  }

  /** SessionTrackerImpl.initializeNextSessionId: server id in the top byte, a time-based counter below. */
  static initialSessionId(serverId: number, ms: number): bigint {
    let sid = (BigInt(ms) & 0xffffffffffn) << 16n;
    sid |= BigInt(serverId) << 56n;
    sid = BigInt.asIntN(64, sid);
    if (sid === CONTAINER_EPHEMERAL_OWNER) sid++;
    return sid;
  }

  /** After a restore: new ids must not collide with sessions that came back from disk. */
  bumpNextSessionId(existing: Iterable<bigint>): void {
    for (const id of existing) if (id >= this.nextSessionId && id >> 56n === this.nextSessionId >> 56n) this.nextSessionId = BigInt.asIntN(64, id + 1n);
  }

  private roundToNextInterval(time: number): number {
    return (Math.floor(time / this.tickTime) + 1) * this.tickTime;
  }

  createSession(timeout: number, now: number): Session {
    const id = this.nextSessionId;
    this.nextSessionId = BigInt.asIntN(64, this.nextSessionId + 1n);
    return this.addSession(id, timeout, now);
  }

  /** Registers a session (new, or restored from a snapshot/log) and starts its expiry clock. */
  addSession(id: bigint, timeout: number, now: number): Session {
    let s = this.sessions.get(id);
    if (s === undefined) {
      s = new Session(id, timeout);
      this.sessions.set(id, s);
    } else {
      s.timeout = timeout;
    }
    this.schedule(s, now);
    return s;
  }

  private schedule(s: Session, now: number): void {
    const at = this.roundToNextInterval(now + s.timeout);
    if (at === s.expiresAt) return;
    if (s.expiresAt !== 0) {
      // An emptied bucket stays until its time passes, as in Apache's ExpiryQueue (dump shows it).
      this.buckets.get(s.expiresAt)?.delete(s);
    }
    s.expiresAt = at;
    let b = this.buckets.get(at);
    if (b === undefined) {
      b = new Set();
      this.buckets.set(at, b);
    }
    b.add(s);
  }

  /** Pushes a live session's deadline forward; false if it is unknown or already closing. */
  touchSession(id: bigint, now: number): boolean {
    const s = this.sessions.get(id);
    if (s === undefined || s.isClosing) return false;
    this.schedule(s, now);
    return true;
  }

  /** Sets a new timeout (a reconnect may negotiate a different one) and touches the session. */
  touchSessionWithTimeout(id: bigint, timeout: number, now: number): boolean {
    const s = this.sessions.get(id);
    if (s === undefined || s.isClosing) return false;
    s.timeout = timeout;
    this.schedule(s, now);
    return true;
  }

  checkSession(id: bigint, owner: unknown): void {
    const s = this.sessions.get(id);
    if (s === undefined) throw new KeeperException(Code.UNKNOWNSESSION);
    if (s.isClosing) throw new KeeperException(Code.SESSIONEXPIRED);
    if (s.owner === null) s.owner = owner;
    else if (s.owner !== owner) throw new KeeperException(Code.SESSIONMOVED);
  }

  setSessionClosing(id: bigint): void {
    const s = this.sessions.get(id);
    if (s !== undefined) s.isClosing = true;
  }

  removeSession(id: bigint): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    this.buckets.get(s.expiresAt)?.delete(s);
  }

  /** The sessions whose deadline has passed; they are marked closing and dropped from the queue. */
  expire(now: number): Session[] {
    const out: Session[] = [];
    for (const [at, b] of this.buckets) {
      if (at > now) continue;
      this.buckets.delete(at);
      for (const s of b) {
        s.isClosing = true;
        s.expiresAt = 0;
        out.push(s);
      }
    }
    return out;
  }

  /** The expiry buckets, emptied ones included (ExpiryQueue's expiryMap, for dump). */
  expiryBuckets(): IterableIterator<[number, Set<Session>]> {
    return this.buckets.entries();
  }

  /** When the next bucket is due, or null if no session is tracked. */
  nextExpiry(): number | null {
    let min: number | null = null;
    for (const at of this.buckets.keys()) if (min === null || at < min) min = at;
    return min;
  }

  get size(): number {
    return this.sessions.size;
  }
}
