import { DigestMd5Server, SaslError, parseDirectives } from '../../src/auth/digestMd5';
import { digestUsers, parseJaas } from '../../src/auth/jaas';

describe('DIGEST-MD5 server (RFC 2831)', () => {
  // The worked example of RFC 2831 section 4.
  const rfc = () => new DigestMd5Server(new Map([['chris', 'secret']]), 'imap', 'elwood.innosoft.com', () => 'OA6MG9tEQGm2hh');
  const response = (resp: string) =>
    Buffer.from(
      `charset=utf-8,username="chris",realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",nc=00000001,cnonce="OA6MHXh6VqTrRk",digest-uri="imap/elwood.innosoft.com",response=${resp},qop=auth`,
    );

  test('the challenge names the realm, the nonce, qop auth, utf-8 and md5-sess', () => {
    const challenge = parseDirectives(rfc().evaluateResponse(Buffer.alloc(0))!.toString());
    expect(Object.fromEntries(challenge)).toEqual({ realm: 'elwood.innosoft.com', nonce: 'OA6MG9tEQGm2hh', qop: 'auth', charset: 'utf-8', algorithm: 'md5-sess' });
  });

  test("the RFC's response is accepted and answered with the RFC's rspauth", () => {
    const s = rfc();
    s.evaluateResponse(Buffer.alloc(0));
    expect(s.evaluateResponse(response('d388dad90d4bbd760a152321f2143af7'))!.toString()).toBe('rspauth=ea40f60335c427b5527b84dbabcdfffd');
    expect(s.isComplete).toBe(true);
    expect(s.authorizationId).toBe('chris');
  });

  test('a wrong response, an unknown user or a foreign digest-uri fails', () => {
    const s = rfc();
    s.evaluateResponse(Buffer.alloc(0));
    expect(() => s.evaluateResponse(response('00000000000000000000000000000000'))).toThrow(SaslError);
    const z = new DigestMd5Server(new Map([['bob', 'x']]));
    z.evaluateResponse(Buffer.alloc(0));
    expect(() => z.evaluateResponse(response('d388dad90d4bbd760a152321f2143af7'))).toThrow(SaslError);
  });
});

describe('JAAS configuration', () => {
  test('the Server section yields the DIGEST-MD5 users; comments and other sections are skipped', () => {
    const conf = parseJaas(`
      // the server
      Server {
        org.apache.zookeeper.server.auth.DigestLoginModule required
        user_super="adminsecret"
        user_bob="bob;secret";
      };
      /* the client */
      Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="x"; };
    `);
    expect([...conf.keys()]).toEqual(['Server', 'Client']);
    expect(Object.fromEntries(digestUsers(conf.get('Server')!))).toEqual({ super: 'adminsecret', bob: 'bob;secret' });
  });

  test('an unclosed section is an error that says so', () => {
    expect(() => parseJaas('Server { m required a="b";')).toThrow(/not closed/);
  });
});
