/** ZooKeeperServer.superSecret: mixed into every session's password seed. */
const SUPER_SECRET = 0xb3415c00n;
const MULTIPLIER = 0x5deece66dn;
const MASK48 = (1n << 48n) - 1n;

/**
 * The 16-byte session password: java.util.Random seeded with sessionId ^ superSecret, as Apache
 * derives it, so a password is checked by recomputing it and needs no storage.
 */
export function generatePasswd(sessionId: bigint): Buffer {
  let seed = (BigInt.asUintN(64, sessionId ^ SUPER_SECRET) ^ MULTIPLIER) & MASK48;
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 16; ) {
    seed = (seed * MULTIPLIER + 0xbn) & MASK48;
    let rnd = Number(BigInt.asIntN(32, seed >> 16n));
    for (let n = Math.min(16 - i, 4); n-- > 0; rnd >>= 8) out[i++] = rnd & 0xff;
  }
  return out;
}
