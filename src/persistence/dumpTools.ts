import * as fs from 'fs';
import * as path from 'path';
import { OpCode, opName } from '../protocol/opCodes';
import { DataTree } from '../tree/dataTree';
import { TxnBody } from '../tree/txn';
import { readSnapshot } from './snapshot';
import { scanLogFile } from './txnLog';

const hex = (n: number | bigint) => `0x${(typeof n === 'bigint' ? BigInt.asUintN(64, n) : n).toString(16)}`;

/** Java's Date.toString in UTC, as Apache's tools print times. */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** Prints a snapshot as Apache's SnapshotFormatter does (text), or as JSON. */
export function dumpSnapshot(file: string, json: boolean, out: (s: string) => void): void {
  const tree = new DataTree({ extendedTypesEnabled: true });
  const snap = readSnapshot(file, tree);
  const paths = tree.allPaths().sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  if (json) {
    const nodes = paths.map((p) => {
      const n = tree.getNode(p)!;
      return {
        path: p === '' ? '/' : p,
        data: n.data === null ? null : n.data.toString('base64'),
        acl: tree.aclOf(n),
        stat: {
          czxid: n.czxid,
          mzxid: n.mzxid,
          ctime: n.ctime,
          mtime: n.mtime,
          version: n.version,
          cversion: n.cversion,
          aversion: n.aversion,
          ephemeralOwner: hex(n.ephemeralOwner),
          pzxid: n.pzxid,
        },
      };
    });
    const sessions = [...snap.sessions].map(([id, timeout]) => ({ id: hex(id), timeout, ephemerals: tree.ephemeralsOf(id).size }));
    out(JSON.stringify({ file: path.basename(file), zxid: hex(snap.zxid), nodeCount: paths.length, sessions, nodes }, null, 2) + '\n');
    return;
  }
  out(`ZNode Details (count=${paths.length}):\n`);
  for (const p of paths) {
    const n = tree.getNode(p)!;
    out(`----\n${p === '' ? '/' : p}\n`);
    out(`  cZxid = ${hex(n.czxid)}\n  ctime = ${javaDate(n.ctime)}\n  mZxid = ${hex(n.mzxid)}\n  mtime = ${javaDate(n.mtime)}\n`);
    out(`  pZxid = ${hex(n.pzxid)}\n  cversion = ${n.cversion}\n  dataVersion = ${n.version}\n  aclVersion = ${n.aversion}\n`);
    out(`  ephemeralOwner = ${hex(n.ephemeralOwner)}\n  dataLength = ${n.data === null ? 0 : n.data.length}\n`);
  }
  out('----\nSession Details (sid, timeout, ephemeralCount):\n');
  for (const [id, timeout] of snap.sessions) out(`${hex(id)}, ${timeout}, ${tree.ephemeralsOf(id).size}\n`);
  out(`----\nLast zxid: ${hex(snap.zxid)}\n`);
}

function describeTxn(type: number, txn: TxnBody): string {
  if (txn === null) return '';
  if (type === OpCode.multi) {
    return (txn as { txns: { type: number; txn: TxnBody }[] }).txns.map((s) => `${opName(s.type)}:${describeTxn(s.type, s.txn)}`).join(';');
  }
  const t = txn as unknown as Record<string, unknown>;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(t)) {
    if (Buffer.isBuffer(v)) parts.push(`#${v.toString('hex')}`);
    else if (Array.isArray(v)) parts.push(`v{${v.map((x) => (typeof x === 'object' && x !== null ? `s{${(x as { perms: number }).perms},s{'${(x as { id: { scheme: string } }).id.scheme},'${(x as { id: { id: string } }).id.id}}}` : `'${x}`)).join(',')}}`);
    else if (typeof v === 'string') parts.push(`'${v}`);
    else parts.push(String(v));
    void k;
  }
  return parts.join(',');
}

/** Prints a txn log as Apache's TxnLogToolkit does (text), or as JSON lines. */
export function dumpTxnLog(file: string, json: boolean, out: (s: string) => void): void {
  const scan = scanLogFile(file);
  if (!json) out(`ZooKeeper Transactional Log File with dbid 0 txnlog format version 2\n`);
  for (const e of scan.entries) {
    const h = e.hdr;
    if (json) {
      out(
        JSON.stringify(
          { zxid: hex(h.zxid), time: h.time, session: hex(h.clientId), cxid: hex(h.cxid >>> 0), type: opName(h.type), txn: e.txn },
          (_k, v) => (typeof v === 'bigint' ? hex(v) : v && v.type === 'Buffer' && Array.isArray(v.data) ? Buffer.from(v.data).toString('base64') : v),
        ) + '\n',
      );
    } else {
      out(`${javaDate(h.time)} session ${hex(h.clientId)} cxid ${hex(h.cxid >>> 0)} zxid ${hex(h.zxid)} ${opName(h.type)} ${describeTxn(h.type, e.txn)}\n`);
    }
  }
  if (scan.partialAt !== null) out(`${json ? '' : 'WARNING: '}partial txn at offset ${scan.partialAt}\n`);
  if (!json) out(`EOF reached after ${scan.entries.length} txns.\n`);
}

export function isSnapshotFile(file: string): boolean {
  return path.basename(file).startsWith('snapshot.') || (fs.existsSync(file) && fs.readFileSync(file).subarray(0, 4).toString('latin1') === 'ZKSN');
}
