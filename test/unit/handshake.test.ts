/**
 * ZooKeeperServer.generatePasswd: a session's 16-byte password is
 * `new java.util.Random(sessionId ^ superSecret).nextBytes(16 bytes)` with superSecret = 0xB3415C00, so a
 * reconnecting client's password is checked by recomputing it. Vectors: test/java/ServerVectors.java.
 */
import * as fs from 'fs';
import * as path from 'path';
import { generatePasswd } from '../../src/protocol/handshake';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'server-vectors.json'), 'utf8')) as {
  superSecret: string;
  passwd: { sessionId: string; passwd: string }[];
};

describe('generatePasswd', () => {
  test("ZooKeeperServer.superSecret is 0xB3415C00", () => {
    expect(BigInt(fixture.superSecret)).toBe(0xb3415c00n);
  });

  test.each(fixture.passwd.map((v) => [v.sessionId, v.passwd] as const))(
    'session %s: the bytes java.util.Random produces',
    (sessionId, passwd) => {
      const p = generatePasswd(BigInt(sessionId));
      expect(p).toHaveLength(16);
      expect(p.toString('hex')).toBe(passwd);
    },
  );

  test('is a pure function of the session id', () => {
    const id = 0x0100018c5f3e0000n;
    expect(generatePasswd(id)).toEqual(generatePasswd(id));
    expect(generatePasswd(id)).not.toEqual(generatePasswd(id + 1n));
  });

  test('java.util.Random uses the low 48 bits of its seed, so ids equal in those bits share a password', () => {
    expect(generatePasswd(0xff00000000000001n - (1n << 64n))).toEqual(generatePasswd(1n));
    expect(generatePasswd(-(1n << 63n))).toEqual(generatePasswd(0n));
  });
});
