/** ZooDefs.OpCode: request and txn types of the client protocol and the txn log. */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCodeValue = (typeof OpCode)[keyof typeof OpCode];

const names = new Map<number, string>(Object.entries(OpCode).map(([k, v]) => [v, k]));
export function opName(type: number): string {
  return names.get(type) ?? `unknown(${type})`;
}

/** Request.isValid: the types a client may send through the request pipeline. */
export function isValidRequestType(type: number): boolean {
  switch (type) {
    case OpCode.check:
    case OpCode.closeSession:
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
    case OpCode.createSession:
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.exists:
    case OpCode.getACL:
    case OpCode.getChildren:
    case OpCode.getAllChildrenNumber:
    case OpCode.getChildren2:
    case OpCode.getData:
    case OpCode.getEphemerals:
    case OpCode.multi:
    case OpCode.multiRead:
    case OpCode.ping:
    case OpCode.reconfig:
    case OpCode.setACL:
    case OpCode.setData:
    case OpCode.setWatches:
    case OpCode.setWatches2:
    case OpCode.sync:
    case OpCode.checkWatches:
    case OpCode.removeWatches:
    case OpCode.addWatch:
    case OpCode.whoAmI:
      return true;
    default:
      return false;
  }
}

/** Request.isQuorum: types that change state and so go through the txn log (and, in an ensemble, Zab). */
export function isWriteRequestType(type: number): boolean {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
    case OpCode.delete:
    case OpCode.deleteContainer:
    case OpCode.setACL:
    case OpCode.setData:
    case OpCode.check:
    case OpCode.multi:
    case OpCode.reconfig:
    case OpCode.createSession:
    case OpCode.closeSession:
    case OpCode.error:
      return true;
    default:
      return false;
  }
}

/** Reserved xids (ClientCnxn). */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;
