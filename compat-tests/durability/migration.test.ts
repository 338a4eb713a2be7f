/**
 * Migration both ways between Apache ZooKeeper 3.8 and zkts through the data directory.
 *
 * One server ("source") writes a data dir with znodes of every kind (persistent, sequential, ephemeral
 * and ephemeral-sequential held by live sessions, a container with a child, a TTL node, null/empty/
 * binary/large data, digest/auth/ip/mixed ACLs, setACL, error txns, multis) and, with
 * zookeeper.snapCount=20, several snapshots and log files. It is stopped with SIGTERM or kill -9; the
 * other server ("target") starts on a copy of the dir and must serve:
 *   - srvr Zxid equal to the source's last zxid (asked before anything else touches the target),
 *   - the same tree: children, data, full Stat (czxid/mzxid/pzxid/ctime/mtime/versions/cversion/
 *     ephemeralOwner/dataLength/numChildren) and ACLs,
 *   - the sessions that held ephemerals: one reconnects with its id and password and keeps its
 *     ephemerals; the other is left alone and expires after its timeout, taking its ephemeral along.
 */
import * as path from 'node:path';
import { CreateFlag } from '../../src/protocol/enums';
import { Code } from '../../src/protocol/errors';
import {
  ServerKind,
  ServerProc,
  SUPER_PROPS,
  TempRoot,
  TreeDump,
  Zk,
  copyDir,
  digestId,
  dumpTree,
  hex,
  integrityProblems,
  listFiles,
  sleep,
  sub,
} from './harness';

const PROPS = {
  'zookeeper.snapCount': '20',
  'zookeeper.extendedTypesEnabled': 'true',
  ...SUPER_PROPS,
};
const EXPIRING_TIMEOUT = 6000;

interface Sessions {
  holder: Zk; // keeps /app/eph and /app/ephseq-..., reconnects on the target
  expiring: Zk; // keeps /app/eph2, never reconnects
  stopPings: () => void;
}

async function populate(port: number): Promise<Sessions> {
  const a = await Zk.connect(port);
  expect(await a.addAuth('digest', 'alice:secret')).toBe(0);
  const holder = await Zk.connect(port, { timeout: 30_000 });
  const expiring = await Zk.connect(port, { timeout: EXPIRING_TIMEOUT });
  const stop1 = holder.keepAlive(1000);
  const stop2 = expiring.keepAlive(1000);
  const ok = async (p: Promise<{ err: number }>) => expect((await p).err).toBe(0);

  await ok(a.create('/app', 'root'));
  await ok(a.create('/app/p', 'persistent'));
  await ok(a.create('/app/nulldata', null));
  await ok(a.create('/app/empty', Buffer.alloc(0)));
  await ok(a.create('/app/binary', Buffer.from(Array.from({ length: 256 }, (_, i) => i))));
  await ok(a.create('/app/large', Buffer.alloc(200_000, 'z')));
  await ok(a.create('/app/a', 'a'));
  await ok(a.create('/app/a/b', 'b'));
  await ok(a.create('/app/a/b/c', 'c'));
  await ok(a.create('/app/a/b/c/d', 'd'));
  await ok(a.create('/app/seq', ''));
  for (let i = 0; i < 3; i++) await ok(a.create('/app/seq/item-', `s${i}`, CreateFlag.PERSISTENT_SEQUENTIAL));
  await ok(holder.create('/app/eph', 'ephemeral', CreateFlag.EPHEMERAL));
  await ok(holder.create('/app/ephseq-', 'ephemeral-seq', CreateFlag.EPHEMERAL_SEQUENTIAL));
  await ok(expiring.create('/app/eph2', 'expiring', CreateFlag.EPHEMERAL));
  await ok(a.createContainer('/app/cont', 'container'));
  await ok(a.create('/app/cont/child', 'in container'));
  await ok(a.createTTL('/app/ttl', 'ttl node', CreateFlag.PERSISTENT_WITH_TTL, 3_600_000));
  await ok(a.create('/app/acl-digest', 'digest', 0, [{ perms: 31, id: { scheme: 'digest', id: digestId('alice', 'secret') } }]));
  await ok(a.create('/app/acl-auth', 'auth', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]));
  await ok(a.create('/app/acl-ip', 'ip', 0, [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }]));
  await ok(
    a.create('/app/acl-mixed', 'mixed', 0, [
      { perms: 1, id: { scheme: 'world', id: 'anyone' } },
      { perms: 31, id: { scheme: 'digest', id: digestId('bob', 'pw') } },
    ]),
  );
  await ok(a.create('/app/acl-changed', 'x'));
  await ok(a.setACL('/app/acl-changed', [{ perms: 3, id: { scheme: 'world', id: 'anyone' } }], 0));
  // Error txns consume zxids too.
  expect((await a.create('/app/p', 'again')).err).toBe(Code.NODEEXISTS);
  expect((await a.setData('/app/p', 'x', 42)).err).toBe(Code.BADVERSION);
  // Enough txns for several snapshots and log files at snapCount=20.
  await ok(a.create('/app/counter', '0'));
  for (let i = 1; i <= 60; i++) await ok(a.setData('/app/counter', String(i), i - 1));
  for (let i = 0; i < 15; i++) {
    await ok(a.create(`/app/churn-${i}`, `c${i}`));
    if (i % 3 !== 0) expect(await a.delete(`/app/churn-${i}`, 0)).toBe(0);
  }
  const m = await a.multi([sub.create('/app/m1', Buffer.from('multi')), sub.setData('/app/counter', Buffer.from('m'), 60), sub.delete('/app/churn-0'), sub.check('/app/p', 0)]);
  expect(m.ok).toBe(true);
  const bad = await a.multi([sub.create('/app/m2', Buffer.from('no')), sub.check('/app/p', 7)]);
  expect(bad.ok).toBe(false);
  for (let i = 0; i < 25; i++) await ok(a.setData('/app/a/b/c/d', `d${i}`));
  await a.close();
  return { holder, expiring, stopPings: () => (stop1(), stop2()) };
}

async function superDump(port: number): Promise<TreeDump> {
  const r = await Zk.connect(port);
  expect(await r.addAuth('digest', 'super:super')).toBe(0);
  const problems: string[] = [];
  const d = await dumpTree(r, '/', problems);
  await r.close();
  expect(problems).toEqual([]);
  return d;
}

async function waitGone(zk: Zk, p: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if ((await zk.exists(p)).err === Code.NONODE) return true;
    await sleep(200);
  }
  return false;
}

async function migrate(from: ServerKind, to: ServerKind, stopMode: 'SIGTERM' | 'kill -9'): Promise<void> {
  const root = new TempRoot(`zkts-migrate-${from}-`);
  const procs: ServerProc[] = [];
  const clients: Zk[] = [];
  try {
    const srcData = root.sub('src-data');
    const src = await ServerProc.start({ kind: from, dataDir: srcData, props: PROPS, logFile: path.join(root.dir, `${from}.log`) });
    procs.push(src);
    const sessions = await populate(src.port);
    clients.push(sessions.holder, sessions.expiring);
    const before = await superDump(src.port);
    const lastZxid = await src.zxid();
    expect(integrityProblems(before, lastZxid)).toEqual([]);
    const eph = before['/app/eph'];
    expect(eph.stat.ephemeralOwner).toBe('0x' + sessions.holder.sessionId.toString(16));
    const ephseq = Object.keys(before).filter((p) => p.startsWith('/app/ephseq-'));
    expect(ephseq).toHaveLength(1);

    if (stopMode === 'SIGTERM') await src.stop();
    else await src.kill9();
    sessions.stopPings();
    const logs = listFiles(srcData, 'log');
    const snaps = listFiles(srcData, 'snapshot');
    // The dir really has several of each (the point of snapCount=20).
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(snaps.length).toBeGreaterThanOrEqual(2);

    const dstData = path.join(root.dir, 'dst-data');
    copyDir(srcData, dstData);
    const dst = await ServerProc.start({ kind: to, dataDir: dstData, props: PROPS, logFile: path.join(root.dir, `${to}.log`) });
    procs.push(dst);
    const startedAt = dst.spawnedAt;
    // Before any session is created on the target (createSession is a txn).
    expect({ zxid: hex(await dst.zxid()) }).toEqual({ zxid: hex(lastZxid) });

    // The holder reconnects with its id and password: the session is alive on the target.
    const holder = await Zk.connect(dst.port, { sessionId: sessions.holder.sessionId, passwd: sessions.holder.passwd, timeout: 30_000 });
    clients.push(holder);
    expect({ sessionId: holder.sessionId.toString(16), alive: holder.timeOut > 0 }).toEqual({ sessionId: sessions.holder.sessionId.toString(16), alive: true });
    const stopPing = holder.keepAlive(1000);

    const after = await superDump(dst.port);
    // Same tree, same Stats, same ACLs (the expiring session's ephemeral is still there).
    expect(after).toEqual(before);

    // The session that does not come back expires after its timeout (counted from the target's start;
    // measured from its spawn, since a JVM may load the data well before it answers srvr).
    const watcher = await Zk.connect(dst.port);
    clients.push(watcher);
    expect(await waitGone(watcher, '/app/eph2', EXPIRING_TIMEOUT + 3 * 2000 + 5000)).toBe(true);
    const expiredAfter = Date.now() - startedAt;
    expect(expiredAfter).toBeGreaterThanOrEqual(EXPIRING_TIMEOUT - 500);
    // ...while the reconnected one keeps its ephemerals.
    expect((await watcher.exists('/app/eph')).err).toBe(0);
    expect((await watcher.exists(ephseq[0])).err).toBe(0);
    // An expired session cannot come back.
    const late = await Zk.connect(dst.port, { sessionId: sessions.expiring.sessionId, passwd: sessions.expiring.passwd, timeout: 30_000 }).catch(() => null);
    if (late !== null) {
      clients.push(late);
      expect(late.timeOut).toBe(0);
    }
    stopPing();
    await holder.close();
    expect((await watcher.exists('/app/eph')).err).toBe(Code.NONODE);
    expect((await watcher.exists(ephseq[0])).err).toBe(Code.NONODE);
    await watcher.close();
    // eslint-disable-next-line no-console
    console.log(`${from} -> ${to} (${stopMode}): ${logs.length} logs, ${snaps.length} snapshots, last zxid ${hex(lastZxid)}, ${Object.keys(before).length} nodes; expiring session gone after ${expiredAfter} ms`);
  } finally {
    for (const c of clients) c.drop();
    for (const p of procs) await p.kill9();
    root.remove();
  }
}

describe('data dir migration', () => {
  test('Apache 3.8 -> zkts, Apache stopped with SIGTERM', () => migrate('apache', 'zkts', 'SIGTERM'), 60_000);
  test('Apache 3.8 -> zkts, Apache killed with kill -9', () => migrate('apache', 'zkts', 'kill -9'), 60_000);
  test('zkts -> Apache 3.8, zkts stopped with SIGTERM', () => migrate('zkts', 'apache', 'SIGTERM'), 60_000);
  test('zkts -> Apache 3.8, zkts killed with kill -9', () => migrate('zkts', 'apache', 'kill -9'), 60_000);
});

// README: "Snapshots compressed with snapshot.compression.method (gz, snappy) are not read yet." What
// matters then is that zkts refuses to start rather than serve a tree without the data (it does; the
// message says "No snapshot found ... refusing to start from an empty tree", not that the snapshots
// are compressed).
test('Apache 3.8 with gzip snapshots -> zkts refuses to start (compressed snapshots are not read yet)', async () => {
  const root = new TempRoot('zkts-migrate-gz-');
  const procs: ServerProc[] = [];
  const clients: Zk[] = [];
  try {
    const srcData = root.sub('src-data');
    const src = await ServerProc.start({ kind: 'apache', dataDir: srcData, props: { ...PROPS, 'zookeeper.snapshot.compression.method': 'gz' }, logFile: path.join(root.dir, 'apache.log') });
    procs.push(src);
    const a = await Zk.connect(src.port);
    clients.push(a);
    expect((await a.create('/gz', '0')).err).toBe(0);
    for (let i = 1; i <= 50; i++) expect((await a.setData('/gz', String(i))).err).toBe(0);
    await src.stop();
    const snaps = listFiles(srcData, 'snapshot').map((f) => path.basename(f.file));
    expect(snaps.filter((n) => n.endsWith('.gz')).length).toBeGreaterThanOrEqual(2);
    const dstData = path.join(root.dir, 'dst-data');
    copyDir(srcData, dstData);
    const dst = await ServerProc.spawn({ kind: 'zkts', dataDir: dstData, props: PROPS, logFile: path.join(root.dir, 'zkts.log') });
    procs.push(dst);
    expect(await dst.waitReadyOrExit(20_000)).toBe('exited');
    await dst.waitExit(5000);
    expect(dst.exitCode).not.toBe(0);
    // eslint-disable-next-line no-console
    console.log(`gzip snapshots ${snaps.join(' ')}: zkts exit code ${dst.exitCode}: ${dst.log().split('\n').find((l) => /ERROR/.test(l))}`);
  } finally {
    for (const c of clients) c.drop();
    for (const p of procs) await p.kill9();
    root.remove();
  }
}, 60_000);
