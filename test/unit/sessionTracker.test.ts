/**
 * SessionTrackerImpl and its ExpiryQueue: session ids carry the server id in their top byte; a session's
 * deadline is now + timeout rounded up to the next tick boundary (ExpiryQueue.roundToNextInterval:
 * (time / tickTime + 1) * tickTime); touching a live session moves it; expired sessions are marked closing.
 */
import { Code, KeeperException } from '../../src/protocol/errors';
import { CONTAINER_EPHEMERAL_OWNER } from '../../src/tree/ephemeralType';
import { SessionTracker } from '../../src/session/sessionTracker';

/** SessionTrackerImpl.initializeNextSessionId, written out: ((ms << 24) >>> 8) | (id << 56). */
function apacheInitialSessionId(serverId: number, ms: number): bigint {
  const shifted = BigInt.asUintN(64, BigInt(ms) << 24n) >> 8n;
  let sid = BigInt.asIntN(64, shifted | (BigInt(serverId) << 56n));
  if (sid === CONTAINER_EPHEMERAL_OWNER) sid++;
  return sid;
}

function codeOf(fn: () => void): number | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(KeeperException);
    return (e as KeeperException).code;
  }
}

describe('initial session id', () => {
  test('server id in the top byte, the low 40 bits of the clock below it, 16 zero bits at the bottom', () => {
    expect(SessionTracker.initialSessionId(1, 0x018c5f3e)).toBe(0x0100018c5f3e0000n);
    expect(SessionTracker.initialSessionId(0, 0x018c5f3e)).toBe(0x0000018c5f3e0000n);
    expect(SessionTracker.initialSessionId(2, 1_700_000_000_123)).toBe(apacheInitialSessionId(2, 1_700_000_000_123));
  });

  test('clock bits above the 40th are dropped', () => {
    expect(SessionTracker.initialSessionId(1, 2 ** 40 + 5)).toBe(0x0100000000050000n);
    expect(SessionTracker.initialSessionId(3, 2 ** 45 + 2 ** 39)).toBe(apacheInitialSessionId(3, 2 ** 45 + 2 ** 39));
  });

  test('server ids of 128 and up give negative session ids (a signed long)', () => {
    const id = SessionTracker.initialSessionId(255, 0x1234);
    expect(id).toBe(apacheInitialSessionId(255, 0x1234));
    expect(id).toBeLessThan(0n);
    expect(BigInt.asUintN(64, id) >> 56n).toBe(0xffn);
    expect(BigInt.asUintN(64, SessionTracker.initialSessionId(128, 1)) >> 56n).toBe(0x80n);
  });

  test('the container marker (0x8000000000000000) is skipped', () => {
    expect(SessionTracker.initialSessionId(128, 0)).toBe(CONTAINER_EPHEMERAL_OWNER + 1n);
  });

  test('sessions are numbered consecutively from the initial id', () => {
    const t = new SessionTracker(1, 2000, 0x018c5f3e);
    expect(t.createSession(30000, 0).id).toBe(0x0100018c5f3e0000n);
    expect(t.createSession(30000, 0).id).toBe(0x0100018c5f3e0001n);
    expect(t.createSession(30000, 0).id).toBe(0x0100018c5f3e0002n);
    expect(t.size).toBe(3);
  });
});

describe('expiry', () => {
  test('the deadline is now + timeout rounded up to the next tick boundary', () => {
    const t = new SessionTracker(1, 2000, 0);
    expect(t.createSession(5000, 10_000).expiresAt).toBe(16_000);
    expect(t.createSession(5000, 10_999).expiresAt).toBe(16_000);
    expect(t.createSession(5000, 11_000).expiresAt).toBe(18_000);
  });

  test('a deadline exactly on a boundary still goes to the next one', () => {
    const t = new SessionTracker(1, 2000, 0);
    expect(t.createSession(6000, 10_000).expiresAt).toBe(18_000);
    expect(t.createSession(4000, 0).expiresAt).toBe(6000);
  });

  test('a bucket emptied by a touch or a removal stays listed until its time passes (ExpiryQueue)', () => {
    const t = new SessionTracker(1, 2000, 0);
    const a = t.createSession(5000, 10_000); // due at 16000
    const b = t.createSession(5000, 10_500); // due at 16000
    const buckets = () => [...t.expiryBuckets()].map(([at, set]) => [at, [...set].map((s) => s.id)]);
    t.touchSession(a.id, 12_000); // due at 18000
    t.removeSession(b.id);
    expect(buckets()).toEqual([
      [16_000, []],
      [18_000, [a.id]],
    ]);
    expect(t.nextExpiry()).toBe(16_000);
    expect(t.expire(16_000)).toEqual([]);
    expect(buckets()).toEqual([[18_000, [a.id]]]);
  });

  test('expire(now) returns the sessions due at or before now, marks them closing, and forgets them', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(5000, 10_000); // due at 16000
    expect(t.nextExpiry()).toBe(16_000);
    expect(t.expire(15_999)).toEqual([]);
    expect(s.isClosing).toBe(false);
    expect(t.expire(16_000)).toEqual([s]);
    expect(s.isClosing).toBe(true);
    expect(t.expire(16_000)).toEqual([]);
    expect(t.expire(100_000)).toEqual([]);
    expect(t.nextExpiry()).toBeNull();
    // Expired is not removed: the closeSession that follows removes it.
    expect(t.sessions.get(s.id)).toBe(s);
  });

  test('expire returns every due bucket and leaves later ones', () => {
    const t = new SessionTracker(1, 1000, 0);
    const a = t.createSession(2000, 0); // 3000
    const b = t.createSession(3000, 0); // 4000
    const c = t.createSession(3500, 0); // 4000
    const d = t.createSession(9000, 0); // 10000
    expect(t.expire(4500).map((s) => s.id).sort()).toEqual([a.id, b.id, c.id].sort());
    expect(d.isClosing).toBe(false);
    expect(t.nextExpiry()).toBe(10_000);
  });

  test('touch moves the deadline to now + timeout, rounded up', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 0); // 6000
    expect(t.touchSession(s.id, 3000)).toBe(true); // 7000 -> 8000
    expect(s.expiresAt).toBe(8000);
    expect(t.expire(6000)).toEqual([]);
    expect(t.expire(7999)).toEqual([]);
    expect(t.expire(8000)).toEqual([s]);
  });

  test('touching within the same tick keeps the deadline', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 100); // 4100 -> 6000
    expect(t.touchSession(s.id, 1900)).toBe(true); // 5900 -> 6000
    expect(s.expiresAt).toBe(6000);
    expect(t.expire(6000)).toEqual([s]);
  });

  test('touchSessionWithTimeout also changes the timeout', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 0);
    expect(t.touchSessionWithTimeout(s.id, 20_000, 1000)).toBe(true);
    expect(s.timeout).toBe(20_000);
    expect(s.expiresAt).toBe(22_000);
  });

  test('touching an unknown or closing session fails and moves nothing', () => {
    const t = new SessionTracker(1, 2000, 0);
    expect(t.touchSession(42n, 0)).toBe(false);
    const s = t.createSession(4000, 0);
    t.setSessionClosing(s.id);
    expect(t.touchSession(s.id, 10_000)).toBe(false);
    expect(t.touchSessionWithTimeout(s.id, 9000, 10_000)).toBe(false);
    expect(s.expiresAt).toBe(6000);
  });

  test('a removed session never expires', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 0);
    t.removeSession(s.id);
    expect(t.expire(1_000_000)).toEqual([]);
    expect(t.size).toBe(0);
    t.removeSession(s.id); // twice is harmless
  });

  test('addSession (a session restored from a snapshot or log) keeps its id and starts its clock', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.addSession(0x0500000000000007n, 10_000, 1000);
    expect(s.id).toBe(0x0500000000000007n);
    expect(s.expiresAt).toBe(12_000);
    expect(t.addSession(0x0500000000000007n, 20_000, 1000)).toBe(s);
    expect(s.expiresAt).toBe(22_000);
  });
});

describe('checkSession', () => {
  test('an unknown session: UNKNOWNSESSION (-12)', () => {
    const t = new SessionTracker(1, 2000, 0);
    expect(codeOf(() => t.checkSession(7n, 'cnxn'))).toBe(Code.UNKNOWNSESSION);
    expect(Code.UNKNOWNSESSION).toBe(-12);
  });

  test('a closing or expired session: SESSIONEXPIRED (-112)', () => {
    const t = new SessionTracker(1, 2000, 0);
    const a = t.createSession(4000, 0);
    t.setSessionClosing(a.id);
    expect(codeOf(() => t.checkSession(a.id, 'cnxn'))).toBe(Code.SESSIONEXPIRED);
    const b = t.createSession(4000, 0);
    t.expire(6000);
    expect(codeOf(() => t.checkSession(b.id, 'cnxn'))).toBe(Code.SESSIONEXPIRED);
    expect(Code.SESSIONEXPIRED).toBe(-112);
  });

  test('the first check takes the owner; another owner afterwards: SESSIONMOVED (-118)', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 0);
    const first = {};
    expect(codeOf(() => t.checkSession(s.id, first))).toBeNull();
    expect(codeOf(() => t.checkSession(s.id, first))).toBeNull();
    expect(codeOf(() => t.checkSession(s.id, {}))).toBe(Code.SESSIONMOVED);
  });

  test('a removed session is unknown', () => {
    const t = new SessionTracker(1, 2000, 0);
    const s = t.createSession(4000, 0);
    t.removeSession(s.id);
    expect(codeOf(() => t.checkSession(s.id, 'cnxn'))).toBe(Code.UNKNOWNSESSION);
  });
});
