/**
 * EphemeralType: what a znode's ephemeralOwner says about it. A session id means ephemeral, the sign bit
 * alone means container, and (with extended types on) a top byte of 0xFF means TTL, the TTL in the low 40 bits.
 */
export const CONTAINER_EPHEMERAL_OWNER = -0x8000000000000000n;
const EXTENDED_MASK = -0x100000000000000n; // 0xff00000000000000 as a signed long
const RESERVED_BITS_MASK = 0x00ffff0000000000n;
export const TTL_MAX = 0x000000ffffffffffn;
export const MAX_EXTENDED_SERVER_ID = 0xfe;

export enum Ephemeral {
  VOID,
  NORMAL,
  CONTAINER,
  TTL,
}

export function ephemeralTypeOf(owner: bigint, extendedTypesEnabled: boolean): Ephemeral {
  if (owner === 0n) return Ephemeral.VOID;
  if (extendedTypesEnabled && (owner & EXTENDED_MASK) === EXTENDED_MASK) {
    if ((owner & RESERVED_BITS_MASK) !== 0n) throw new Error(`Invalid ephemeralOwner. [${owner.toString(16)}]`);
    return Ephemeral.TTL;
  }
  if (owner === CONTAINER_EPHEMERAL_OWNER) return Ephemeral.CONTAINER;
  return Ephemeral.NORMAL;
}

/**
 * EphemeralType.TTL.toEphemeralOwner: a TTL out of (0, TTL_MAX] is an IllegalArgumentException. Prep lets
 * one through when a createTTL has a mode that is not TTL and a negative ttl (validateTTL only refuses
 * ttl >= 0 there); Apache then throws while applying the CreateTTLTxn, which stops the server.
 */
export function ttlEphemeralOwner(ttl: number): bigint {
  if (!isValidTtl(ttl)) throw new IllegalTtlError(`IllegalArgumentException: ttl must be positive and cannot be larger than: ${TTL_MAX} (${ttl})`);
  return BigInt.asIntN(64, EXTENDED_MASK | BigInt(ttl));
}

export class IllegalTtlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IllegalTtlError';
  }
}

export function ttlOf(owner: bigint): number {
  return Number(owner & TTL_MAX);
}

export function isValidTtl(ttl: number): boolean {
  return ttl > 0 && ttl <= Number(TTL_MAX);
}
