/**
 * ACLs: DigestAuthenticationProvider and IPAuthenticationProvider, PrepRequestProcessor.fixupACL and
 * ZooKeeperServer.checkACL. Digest, digest-id and IP vectors come from Apache's own providers
 * (test/java/ServerVectors.java -> fixtures/server-vectors.json).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ACL, Id } from '../../src/jute/records';
import { Code, KeeperException } from '../../src/protocol/errors';
import { Perms } from '../../src/protocol/enums';
import { AuthRegistry, digestProvider, generateDigest, ipProvider } from '../../src/tree/acl';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'server-vectors.json'), 'utf8')) as {
  digest: { idPassword: string; digest: string }[];
  digestIsValid: { id: string; valid: boolean }[];
  ipMatches: { id: string; aclExpr: string; matches: boolean }[];
  ipIsValid: { id: string; valid: boolean }[];
};

const WORLD: Id = { scheme: 'world', id: 'anyone' };
const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });
const USER_DIGEST = 'user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY='; // generateDigest('user:password')

function codeOf(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(KeeperException);
    return (e as KeeperException).code;
  }
}

describe('DigestAuthenticationProvider', () => {
  test.each(fixture.digest.map((v) => [JSON.stringify(v.idPassword), v.idPassword, v.digest] as const))(
    'generateDigest(%s) is the user part, ":", then base64(sha1(the whole string))',
    (_, idPassword, digest) => {
      expect(generateDigest(idPassword)).toBe(digest);
    },
  );

  test('the documented example', () => {
    expect(generateDigest('user:password')).toBe(USER_DIGEST);
  });

  test.each(fixture.digestIsValid.map((v) => [JSON.stringify(v.id), v.id, v.valid] as const))(
    'isValid(%s): exactly two parts around ":" (String.split drops trailing empty parts)',
    (_, id, valid) => {
      expect(digestProvider.isValid(id)).toBe(valid);
    },
  );

  test('digest ids match only themselves; digest is an authenticated scheme', () => {
    expect(digestProvider.matches(USER_DIGEST, USER_DIGEST)).toBe(true);
    expect(digestProvider.matches(USER_DIGEST, 'user:other')).toBe(false);
    expect(digestProvider.isAuthenticated()).toBe(true);
  });
});

describe('IPAuthenticationProvider', () => {
  test.each(fixture.ipMatches.map((v) => [v.id, v.aclExpr, v.matches] as const))(
    'matches(%s, %s) is %s',
    (id, expr, matches) => {
      expect(ipProvider.matches(id, expr)).toBe(matches);
    },
  );

  test.each(fixture.ipIsValid.map((v) => [JSON.stringify(v.id), v.id, v.valid] as const))('isValid(%s)', (_, id, valid) => {
    expect(ipProvider.isValid(id)).toBe(valid);
  });

  test('ip is not an authenticated scheme (the auth scheme does not expand to it)', () => {
    expect(ipProvider.isAuthenticated()).toBe(false);
  });
});

describe('fixupACL, as PrepRequestProcessor.fixupACL', () => {
  const reg = new AuthRegistry();
  const digestUser: Id = { scheme: 'digest', id: USER_DIGEST };
  const digestBob: Id = { scheme: 'digest', id: 'bob:tK1fpNO1hB0F++FhHpSq0Fa4tv0=' };
  const ipId: Id = { scheme: 'ip', id: '127.0.0.1' };

  test('an empty or missing ACL list: INVALIDACL (-114), naming the path', () => {
    expect(codeOf(() => reg.fixupACL('/a', [], []))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [], null))).toBe(Code.INVALIDACL);
    expect(Code.INVALIDACL).toBe(-114);
    try {
      reg.fixupACL('/some/path', [], []);
    } catch (e) {
      expect((e as KeeperException).path).toBe('/some/path');
    }
  });

  test('world:anyone is kept as given', () => {
    expect(reg.fixupACL('/a', [], [acl(Perms.READ, 'world', 'anyone')])).toEqual([acl(Perms.READ, 'world', 'anyone')]);
  });

  test('duplicates are removed; equal means same perms, scheme and id', () => {
    expect(
      reg.fixupACL('/a', [], [acl(31, 'world', 'anyone'), acl(31, 'world', 'anyone'), acl(1, 'world', 'anyone')]),
    ).toEqual([acl(31, 'world', 'anyone'), acl(1, 'world', 'anyone')]);
  });

  test('auth expands to every authenticated id of the caller, with the given perms', () => {
    expect(reg.fixupACL('/a', [digestUser, ipId, digestBob], [acl(Perms.READ | Perms.WRITE, 'auth', '')])).toEqual([
      { perms: Perms.READ | Perms.WRITE, id: digestUser },
      { perms: Perms.READ | Perms.WRITE, id: digestBob },
    ]);
  });

  test('auth without an authenticated id: INVALIDACL', () => {
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'auth', '')]))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [ipId], [acl(31, 'auth', '')]))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [{ scheme: 'super', id: '' }], [acl(31, 'auth', '')]))).toBe(Code.INVALIDACL);
  });

  test('a digest id must be user:hash', () => {
    expect(reg.fixupACL('/a', [], [acl(31, 'digest', USER_DIGEST)])).toEqual([acl(31, 'digest', USER_DIGEST)]);
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'digest', 'user')]))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'digest', 'a:b:c')]))).toBe(Code.INVALIDACL);
  });

  test('an ip id must be an IPv4 address with an optional prefix length up to 32', () => {
    expect(reg.fixupACL('/a', [], [acl(1, 'ip', '10.0.0.0/8')])).toEqual([acl(1, 'ip', '10.0.0.0/8')]);
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(1, 'ip', '10.0.0.0/33')]))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(1, 'ip', 'localhost')]))).toBe(Code.INVALIDACL);
  });

  test('an unknown scheme, or world with an id other than anyone: INVALIDACL', () => {
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'sasl', 'bob')]))).toBe(Code.INVALIDACL);
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'world', 'someone')]))).toBe(Code.INVALIDACL);
  });

  test('one bad entry spoils the list', () => {
    expect(codeOf(() => reg.fixupACL('/a', [], [acl(31, 'world', 'anyone'), acl(1, 'digest', 'nocolon')]))).toBe(
      Code.INVALIDACL,
    );
  });
});

describe('checkACL, as ZooKeeperServer.checkACL', () => {
  const reg = new AuthRegistry();
  const none: Id[] = [];

  test('an empty or missing ACL allows everything', () => {
    expect(codeOf(() => reg.checkACL([], Perms.ADMIN, none, '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(null, Perms.ADMIN, none, '/a'))).toBeNull();
  });

  test('world:anyone grants exactly its perms to everyone', () => {
    const readOnly = [acl(Perms.READ, 'world', 'anyone')];
    expect(codeOf(() => reg.checkACL(readOnly, Perms.READ, none, '/a'))).toBeNull();
    for (const p of [Perms.WRITE, Perms.CREATE, Perms.DELETE, Perms.ADMIN]) {
      expect(codeOf(() => reg.checkACL(readOnly, p, none, '/a'))).toBe(Code.NOAUTH);
    }
    expect(codeOf(() => reg.checkACL([{ perms: Perms.ALL, id: WORLD }], Perms.ADMIN, none, '/a'))).toBeNull();
  });

  test('the perms of an entry are a mask: any entry granting the perm suffices', () => {
    const list = [acl(Perms.READ | Perms.WRITE, 'world', 'anyone'), acl(Perms.DELETE, 'world', 'anyone')];
    expect(codeOf(() => reg.checkACL(list, Perms.WRITE, none, '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(list, Perms.DELETE, none, '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(list, Perms.ADMIN, none, '/a'))).toBe(Code.NOAUTH);
    expect(Code.NOAUTH).toBe(-102);
  });

  test('a digest entry admits the caller holding that digest id', () => {
    const list = [acl(Perms.ALL, 'digest', USER_DIGEST)];
    expect(codeOf(() => reg.checkACL(list, Perms.WRITE, [{ scheme: 'digest', id: USER_DIGEST }], '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(list, Perms.WRITE, [{ scheme: 'digest', id: 'user:x' }], '/a'))).toBe(Code.NOAUTH);
    expect(codeOf(() => reg.checkACL(list, Perms.WRITE, [{ scheme: 'ip', id: USER_DIGEST }], '/a'))).toBe(Code.NOAUTH);
    expect(codeOf(() => reg.checkACL(list, Perms.WRITE, none, '/a'))).toBe(Code.NOAUTH);
  });

  test('an ip entry admits callers whose address is in the network', () => {
    const list = [acl(Perms.READ, 'ip', '10.0.0.0/8')];
    expect(codeOf(() => reg.checkACL(list, Perms.READ, [{ scheme: 'ip', id: '10.20.30.40' }], '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(list, Perms.READ, [{ scheme: 'ip', id: '11.0.0.1' }], '/a'))).toBe(Code.NOAUTH);
  });

  test('the super id passes every check', () => {
    const list = [acl(Perms.READ, 'digest', USER_DIGEST)];
    expect(codeOf(() => reg.checkACL(list, Perms.ADMIN, [{ scheme: 'super', id: '' }], '/a'))).toBeNull();
    expect(codeOf(() => reg.checkACL(list, Perms.ADMIN, [{ scheme: 'ip', id: '1.2.3.4' }, { scheme: 'super', id: '' }], '/a'))).toBeNull();
  });

  test('entries of an unknown scheme are skipped', () => {
    const list = [acl(Perms.ALL, 'sasl', 'bob')];
    expect(codeOf(() => reg.checkACL(list, Perms.READ, [{ scheme: 'sasl', id: 'bob' }], '/a'))).toBe(Code.NOAUTH);
  });

  test('NOAUTH names the path', () => {
    try {
      reg.checkACL([acl(Perms.READ, 'world', 'anyone')], Perms.WRITE, none, '/locked');
      throw new Error('expected NOAUTH');
    } catch (e) {
      expect(e).toMatchObject({ code: Code.NOAUTH, path: '/locked' });
    }
  });
});

describe('authentication (handleAuthentication)', () => {
  test('digest: the caller gets digest:<generateDigest(auth)>', () => {
    const reg = new AuthRegistry();
    expect(reg.authenticate('digest', Buffer.from('user:password'), '127.0.0.1')).toEqual([{ scheme: 'digest', id: USER_DIGEST }]);
  });

  test('digest matching superDigest also makes the caller super (added first)', () => {
    const reg = new AuthRegistry();
    reg.superDigest = generateDigest('super:secret');
    expect(reg.authenticate('digest', Buffer.from('super:secret'), '127.0.0.1')).toEqual([
      { scheme: 'super', id: '' },
      { scheme: 'digest', id: 'super:lK75jTNcA+U9vtVEw5vB51mj/w4=' },
    ]);
    expect(reg.authenticate('digest', Buffer.from('super:wrong'), '127.0.0.1')).toHaveLength(1);
  });

  test('ip: the caller gets its remote address, whatever the auth data', () => {
    expect(new AuthRegistry().authenticate('ip', Buffer.from('ignored'), '10.1.2.3')).toEqual([{ scheme: 'ip', id: '10.1.2.3' }]);
  });

  test('an unknown scheme fails authentication', () => {
    expect(new AuthRegistry().authenticate('kerberos', Buffer.alloc(0), '10.1.2.3')).toBeNull();
  });
});
