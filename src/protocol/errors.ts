/** KeeperException.Code: the error codes of the client protocol. */
export const Code = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  NEWCONFIGNOQUORUM: -13,
  RECONFIGINPROGRESS: -14,
  UNKNOWNSESSION: -12,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  SESSIONMOVED: -118,
  NOTREADONLY: -119,
  EPHEMERALONLOCALSESSION: -120,
  NOWATCHER: -121,
  REQUESTTIMEOUT: -122,
  RECONFIGDISABLED: -123,
  SESSIONCLOSEDREQUIRESASLAUTH: -124,
  QUOTAEXCEEDED: -125,
  THROTTLEDOP: -127,
} as const;
export type CodeValue = (typeof Code)[keyof typeof Code];

const codeNames = new Map<number, string>(Object.entries(Code).map(([k, v]) => [v, k]));
export function codeName(code: number): string {
  return codeNames.get(code) ?? `UNKNOWN(${code})`;
}

/** A KeeperException: carries the protocol error code from where it arises to the reply. */
export class KeeperException extends Error {
  readonly code: number;
  readonly path: string | null;

  constructor(code: number, path: string | null = null, message?: string) {
    // These are answers (NoNode, NodeExists, BadVersion ...), thrown on the request path and in log replay:
    // a stack trace would cost more than the rest of the request and tell nothing.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message ?? (path === null ? codeName(code) : `${codeName(code)} for ${path}`));
    Error.stackTraceLimit = limit;
    this.name = 'KeeperException';
    this.code = code;
    this.path = path;
  }
}

export const keeperError = (code: number, path: string | null = null): KeeperException => new KeeperException(code, path);
