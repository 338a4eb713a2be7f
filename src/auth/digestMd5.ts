import type * as Crypto from 'crypto';

// Required on first use: crypto costs ~4 ms of start-up and only SASL needs it here.
const crypto = (): typeof Crypto => require('crypto') as typeof Crypto;

/** A failed SASL exchange (a wrong password, a replayed nonce, a malformed response). */
export class SaslError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslError';
  }
}

/** The protocol and server name Apache's server uses, hence the digest-uri clients send. */
export const SASL_PROTOCOL = 'zookeeper';
export const SASL_SERVER_NAME = 'zk-sasl-md5';

const md5 = (...parts: (string | Buffer)[]) => {
  const h = crypto().createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 2831 strings: ISO-8859-1 when every character fits, else UTF-8 (as Java's DIGEST-MD5 does). */
function bytesOf(s: string): Buffer {
  return /^[\u0000-\u00ff]*$/.test(s) ? Buffer.from(s, 'latin1') : Buffer.from(s, 'utf8');
}

/** Parses `key=value,key="quoted, value",...` directives. */
export function parseDirectives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,]*)\s*(,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    const key = m[1].toLowerCase();
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2].trim();
    if (out.has(key) && key !== 'realm') throw new SaslError(`DIGEST-MD5: duplicate directive ${key}`);
    out.set(key, value);
  }
  return out;
}

/**
 * The server side of SASL DIGEST-MD5 (RFC 2831, qop=auth) as Apache's server offers it: an empty first
 * token gets the challenge, the client's digest-response is checked against the JAAS user's password,
 * and the reply carries rspauth. Afterwards the connection is authenticated as `authorizationId`.
 */
export class DigestMd5Server {
  private state: 'initial' | 'challenged' | 'complete' = 'initial';
  private nonce = '';
  authorizationId: string | null = null;

  constructor(
    private readonly users: Map<string, string>,
    private readonly protocol = SASL_PROTOCOL,
    private readonly serverName = SASL_SERVER_NAME,
    private readonly makeNonce: () => string = () => crypto().randomBytes(30).toString('base64'),
  ) {}

  get isComplete(): boolean {
    return this.state === 'complete';
  }

  evaluateResponse(token: Buffer): Buffer | null {
    switch (this.state) {
      case 'initial':
        this.nonce = this.makeNonce();
        this.state = 'challenged';
        return Buffer.from(`realm="${this.serverName}",nonce="${this.nonce}",qop="auth",charset=utf-8,algorithm=md5-sess`, 'latin1');
      case 'challenged':
        return this.checkResponse(token);
      default:
        throw new SaslError('DIGEST-MD5: authentication already complete');
    }
  }

  private checkResponse(token: Buffer): Buffer {
    const d = parseDirectives(token.toString('utf8'));
    const username = d.get('username');
    const nonce = d.get('nonce');
    const cnonce = d.get('cnonce');
    const nc = d.get('nc') ?? '';
    const qop = d.get('qop') ?? 'auth';
    const digestUri = d.get('digest-uri') ?? '';
    const response = d.get('response');
    const realm = d.get('realm') ?? '';
    const authzid = d.get('authzid');
    if (username === undefined || cnonce === undefined || response === undefined) throw new SaslError('DIGEST-MD5: incomplete digest-response');
    if (nonce !== this.nonce) throw new SaslError('DIGEST-MD5: nonce mismatch');
    if (parseInt(nc, 16) !== 1) throw new SaslError('DIGEST-MD5: nonce count must be 1');
    if (qop !== 'auth') throw new SaslError(`DIGEST-MD5: unsupported qop ${qop}`);
    const [servType, host] = digestUri.split('/');
    if (servType !== this.protocol || (host ?? '').toLowerCase() !== this.serverName) throw new SaslError(`DIGEST-MD5: unexpected digest-uri ${digestUri}`);
    const password = this.users.get(username);
    if (password === undefined) throw new SaslError(`DIGEST-MD5: user ${username} is unknown`);
    const hashA1 = (a2: string) => {
      const a1 = [md5(bytesOf(username), ':', bytesOf(realm), ':', bytesOf(password)), Buffer.from(`:${nonce}:${cnonce}`, 'latin1')];
      if (authzid !== undefined) a1.push(Buffer.from(`:${authzid}`, 'utf8'));
      const ha1 = md5(...a1).toString('hex');
      const ha2 = md5(a2).toString('hex');
      return md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`).toString('hex');
    };
    if (hashA1(`AUTHENTICATE:${digestUri}`) !== response.toLowerCase()) throw new SaslError(`DIGEST-MD5: wrong password for ${username}`);
    this.state = 'complete';
    this.authorizationId = authzid ?? username;
    return Buffer.from(`rspauth=${hashA1(`:${digestUri}`)}`, 'latin1');
  }
}
