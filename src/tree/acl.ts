import type * as Crypto from 'crypto';
import { javaUtf8Decode } from '../jute/javaUtf8';
import { ACL, Id } from '../jute/records';
import { Code, KeeperException } from '../protocol/errors';

/** Java's String.split(regex) for a literal separator: trailing empty strings are dropped. */
function javaSplit(s: string, sep: string, limit = 0): string[] {
  let parts: string[];
  if (limit > 0) {
    parts = [];
    let rest = s;
    while (parts.length < limit - 1) {
      const i = rest.indexOf(sep);
      if (i < 0) break;
      parts.push(rest.substring(0, i));
      rest = rest.substring(i + sep.length);
    }
    parts.push(rest);
    return parts;
  }
  parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** DigestAuthenticationProvider.generateDigest: `user:base64(sha1("user:password"))`. */
export function generateDigest(idPassword: string): string {
  const user = javaSplit(idPassword, ':', 2)[0];
  // Required here: crypto costs ~4 ms of start-up and only digest auth needs it.
  const { createHash } = require('crypto') as typeof Crypto;
  const digest = createHash('sha1').update(Buffer.from(idPassword, 'utf8')).digest('base64');
  return `${user}:${digest}`;
}

function v4addrBytes(addr: string): number[] | null {
  const parts = addr.split('.');
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^[+-]?\d+$/.test(p)) return null;
    const v = parseInt(p, 10);
    if (v < 0 || v > 255) return null;
    out.push(v);
  }
  return out;
}

function mask(b: number[], bits: number): void {
  let start = Math.floor(bits / 8);
  let m = ~((1 << (8 - (bits % 8))) - 1) & 0xff;
  while (start < b.length) {
    b[start] &= m;
    m = 0;
    start++;
  }
}

function parseBits(s: string, max: number): number | null {
  if (!/^[+-]?\d+$/.test(s)) return null;
  const bits = parseInt(s, 10);
  return bits < 0 || bits > max ? null : bits;
}

/** A server-side authentication provider (ServerAuthenticationProvider), by scheme. */
export interface AuthProvider {
  readonly scheme: string;
  /** Whether ids of this scheme identify an authenticated user (for `auth` ACL expansion). */
  isAuthenticated(): boolean;
  isValid(id: string): boolean;
  matches(id: string, aclExpr: string): boolean;
}

export const digestProvider: AuthProvider = {
  scheme: 'digest',
  isAuthenticated: () => true,
  isValid: (id) => javaSplit(id, ':').length === 2,
  matches: (id, expr) => id === expr,
};

export const ipProvider: AuthProvider = {
  scheme: 'ip',
  isAuthenticated: () => false,
  isValid(id) {
    const parts = javaSplit(id, '/', 2);
    const addr = v4addrBytes(parts[0]);
    if (addr === null) return false;
    return parts.length !== 2 || parseBits(parts[1], 32) !== null;
  },
  matches(id, expr) {
    const parts = javaSplit(expr, '/', 2);
    const aclAddr = v4addrBytes(parts[0]);
    if (aclAddr === null) return false;
    let bits = 32;
    if (parts.length === 2) {
      const b = parseBits(parts[1], 32);
      if (b === null) return false;
      bits = b;
    }
    mask(aclAddr, bits);
    const remote = v4addrBytes(id);
    if (remote === null) return false;
    mask(remote, bits);
    return remote.every((v, i) => v === aclAddr[i]);
  },
};

/** SASLAuthenticationProvider: ids are SASL authorization ids (Kerberos-style names). */
export function saslProvider(letAnySaslUserDoX: string | null): AuthProvider {
  return {
    scheme: 'sasl',
    isAuthenticated: () => true,
    // KerberosName accepts a plain name, or service/host@REALM; a stray '@' is invalid.
    isValid: (id) => /^([^/@]*)(\/([^/@]*))?@([^/@]*)$/.test(id) || !id.includes('@'),
    matches: (id, expr) => id === 'super' || id === expr || (letAnySaslUserDoX !== null && expr === letAnySaslUserDoX),
  };
}

/** ProviderRegistry: the schemes ACLs may name. */
export class AuthRegistry {
  private readonly providers = new Map<string, AuthProvider>();
  /** zookeeper.DigestAuthenticationProvider.superDigest */
  superDigest: string | null = null;

  constructor() {
    this.register(digestProvider);
    this.register(ipProvider);
  }

  register(p: AuthProvider): void {
    this.providers.set(p.scheme, p);
  }

  get(scheme: string): AuthProvider | undefined {
    return this.providers.get(scheme);
  }

  /**
   * ZooKeeperServer.checkACL: passes if any ACL entry grants `perm` to one of the caller's ids;
   * the super user and an empty ACL pass everything.
   */
  checkACL(acl: ACL[] | null, perm: number, ids: Id[], path: string | null): void {
    if (!this.allows(acl, perm, ids)) throw new KeeperException(Code.NOAUTH, path);
  }

  /** checkACL as a predicate. */
  allows(acl: ACL[] | null, perm: number, ids: Id[]): boolean {
    if (acl === null || acl.length === 0) return true;
    for (const authId of ids) if (authId.scheme === 'super') return true;
    for (const a of acl) {
      if ((a.perms & perm) === 0) continue;
      const id = a.id;
      if (id.scheme === 'world' && id.id === 'anyone') return true;
      const ap = this.providers.get(id.scheme!);
      if (ap === undefined) continue;
      for (const authId of ids) {
        if (authId.scheme === id.scheme && ap.matches(authId.id!, id.id!)) return true;
      }
    }
    return false;
  }

  /** PrepRequestProcessor.fixupACL: dedupe, validate, and expand `auth` to the caller's authenticated ids. */
  fixupACL(path: string, ids: Id[], acls: ACL[] | null): ACL[] {
    // Nearly every create carries one world:anyone entry (OPEN_ACL_UNSAFE): nothing to dedupe or expand.
    if (acls !== null && acls.length === 1) {
      const id = acls[0].id;
      if (id !== null && id.scheme === 'world' && id.id === 'anyone') return acls;
    }
    const uniq: ACL[] = [];
    for (const a of acls ?? []) {
      let seen = false;
      for (const u of uniq) {
        if (u.perms === a.perms && u.id.scheme === a.id.scheme && u.id.id === a.id.id) {
          seen = true;
          break;
        }
      }
      if (!seen) uniq.push(a);
    }
    if (uniq.length === 0) throw new KeeperException(Code.INVALIDACL, path);
    const rv: ACL[] = [];
    for (const a of uniq) {
      const id = a.id;
      if (id === null || id.scheme === null) throw new KeeperException(Code.INVALIDACL, path);
      if (id.scheme === 'world' && id.id === 'anyone') {
        rv.push(a);
      } else if (id.scheme === 'auth') {
        let valid = false;
        for (const cid of ids) {
          const ap = this.providers.get(cid.scheme!);
          if (ap !== undefined && ap.isAuthenticated()) {
            valid = true;
            rv.push({ perms: a.perms, id: cid });
          }
        }
        if (!valid) throw new KeeperException(Code.INVALIDACL, path);
      } else {
        const ap = this.providers.get(id.scheme);
        if (ap === undefined || id.id === null || !ap.isValid(id.id)) throw new KeeperException(Code.INVALIDACL, path);
        rv.push(a);
      }
    }
    return rv;
  }

  /** Handles an auth packet: the ids to add to the connection, or null for AuthFailed. */
  authenticate(scheme: string, auth: Buffer, remoteAddress: string): Id[] | null {
    switch (scheme) {
      case 'digest': {
        // new String(authData) in Java: malformed bytes become U+FFFD the way Java groups them.
        const text = auth.toString('utf8');
        const digest = generateDigest(text.indexOf('\ufffd') === -1 ? text : javaUtf8Decode(auth, 0, auth.length));
        const ids: Id[] = [];
        if (this.superDigest !== null && digest === this.superDigest) ids.push({ scheme: 'super', id: '' });
        ids.push({ scheme: 'digest', id: digest });
        return ids;
      }
      case 'ip':
        return [{ scheme: 'ip', id: remoteAddress }];
      default:
        return null;
    }
  }
}
