/**
 * Compatibility matrix, node-zookeeper-client: CRUD, watches, transactions (multi), ACLs,
 * reconnect with watch re-registration, session expiry of a crashed client and session timeout
 * negotiation — each against a fresh Apache 3.8 and a fresh zkts, rows compared (harness.ts),
 * written to compat-tests/results/node-zookeeper-client.json.
 */
import { RunningServer } from '../lib/servers';
import { Outcome, Row, check, declareRowTests, judge, sleep, withPair, writeResults } from './harness';
import { EventLog, Mode, NZC_VERSION, TxnResult, Zk, long, nzc, outcomeCode, statObs } from './nzc';
import { Scenario, runBoth } from './run';

const SUITE = 'node-zookeeper-client';
const CLIENT = `node-zookeeper-client ${NZC_VERSION}`;

function one(id: string, recipe: string, scenario: string, run: (cs: string) => Promise<unknown>): Scenario {
  return { specs: [{ id, client: CLIENT, recipe, scenario }], run: (s: RunningServer) => run(s.connectString) };
}

/** Connects clients and closes them all at the end. */
export async function session<T>(cs: string, fn: (connect: (timeout?: number) => Promise<Zk>) => Promise<T>): Promise<T> {
  const clients: Zk[] = [];
  try {
    return await fn(async (timeout?: number) => {
      const zk = await Zk.open(cs, timeout);
      clients.push(zk);
      return zk;
    });
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }
}

/** Root of a scenario; returns its czxid, the base for relative zxids. */
async function root(zk: Zk, path: string): Promise<number> {
  await zk.mkdirp(path);
  return long((await zk.exists(path))!.czxid);
}

const txnObs = (results: TxnResult[], base: number): unknown[] =>
  results.map((r) => ({ type: r.type, ...(r.path ? { path: r.path } : {}), ...(r.err !== undefined ? { err: r.err } : {}), ...(r.stat ? { stat: statObs(r.stat, base) } : {}) }));

const SCENARIOS: Scenario[] = [
  one('crud', 'CRUD', 'create/get/set/delete/children/exists with Stat, versions and error codes', (cs) =>
    session(cs, async (connect) => {
      const zk = await connect();
      const base = await root(zk, '/nzc/crud');
      const a = '/nzc/crud/a';
      const o: Record<string, unknown> = {};
      o.create = await zk.create(a, 'one');
      o.createDup = await outcomeCode(zk.create(a));
      const g = await zk.getText(a);
      o.get = [g.data, statObs(g.stat, base)];
      o.set = statObs(await zk.setData(a, 'two', 0), base);
      o.setBadVersion = await outcomeCode(zk.setData(a, 'x', 0));
      o.seq = [
        await zk.create('/nzc/crud/s-', 'x', Mode.PERSISTENT_SEQUENTIAL),
        await zk.create('/nzc/crud/s-', 'x', Mode.PERSISTENT_SEQUENTIAL),
        await zk.create('/nzc/crud/q-', null, Mode.EPHEMERAL_SEQUENTIAL),
      ];
      o.eph = await zk.create('/nzc/crud/e', 'eph', Mode.EPHEMERAL);
      o.ephStat = statObs(await zk.exists('/nzc/crud/e'), base);
      o.ephChild = await outcomeCode(zk.create('/nzc/crud/e/x'));
      const ch = await zk.getChildren('/nzc/crud');
      o.children = ch.children; // server order (Java HashSet order on Apache)
      o.parentStat = statObs(ch.stat, base);
      o.noNode = await outcomeCode(zk.getText('/nzc/crud/missing'));
      o.noParent = await outcomeCode(zk.create('/nzc/crud/missing/x'));
      o.badPath = await outcomeCode(zk.create('/nzc/crud/bad\u0000name')).catch((e) => `threw ${String(e).slice(0, 40)}`);
      o.notEmpty = await outcomeCode(zk.remove('/nzc/crud'));
      o.removeBadVersion = await outcomeCode(zk.remove(a, 5));
      o.remove = await outcomeCode(zk.remove(a, 1));
      o.existsAfter = await zk.exists(a);
      o.empty = await zk.create('/nzc/crud/empty', null);
      o.emptyGet = (await zk.getText('/nzc/crud/empty')).data;
      const big = Buffer.alloc(512 * 1024, 7);
      await zk.create('/nzc/crud/big', big);
      const bg = await zk.getText('/nzc/crud/big');
      o.big = [bg.data?.length, bg.stat.dataLength];
      o.mkdirp = await zk.mkdirp('/nzc/crud/deep/er/path', 'leaf');
      o.root = statObs(await zk.exists('/'), base);
      return o;
    }),
  ),

  one('watches', 'watches', 'data/exists/child watches fire once, in order, for another client\'s writes', (cs) =>
    session(cs, async (connect) => {
      const zk = await connect();
      const w = await connect();
      await root(zk, '/nzc/w');
      await zk.create('/nzc/w/a', 'a');
      const log = new EventLog();
      await zk.getText('/nzc/w/a', log.watcher('data:'));
      await zk.exists('/nzc/w/new', log.watcher('exists:'));
      await zk.childNames('/nzc/w', log.watcher('child:'));
      await w.setData('/nzc/w/a', 'a2');
      check(await log.waitCount(1), 'no data event');
      await w.setData('/nzc/w/a', 'a3'); // one-shot: no second event
      await w.create('/nzc/w/new', 'n');
      check(await log.waitCount(3), `events so far ${log.events}`);
      await sleep(200);
      const afterCreate = [...log.events];
      // deleting a node fires its data watch and its parent's child watch
      await zk.getText('/nzc/w/a', log.watcher('data:'));
      await zk.exists('/nzc/w/new', log.watcher('exists:'));
      await zk.childNames('/nzc/w', log.watcher('child:'));
      await zk.childNames('/nzc/w/a', log.watcher('child-of-a:'));
      await w.remove('/nzc/w/a');
      await w.setData('/nzc/w/new', 'n2');
      check(await log.waitCount(afterCreate.length + 4), `events ${log.events}`);
      await sleep(200);
      return { afterCreate, all: log.events };
    }),
  ),

  one('transaction', 'transaction (multi)', 'create/setData/check/remove committed atomically; a failed check rolls back', (cs) =>
    session(cs, async (connect) => {
      const zk = await connect();
      const base = await root(zk, '/nzc/t');
      const ok = await zk.commitNamed(
        zk.transaction().create('/nzc/t/x', Buffer.from('1')).create('/nzc/t/y').setData('/nzc/t/x', Buffer.from('2'), 0)
          .check('/nzc/t/x', 1).remove('/nzc/t/y'),
      );
      const bad = await zk.commitNamed(
        zk.transaction().create('/nzc/t/z').check('/nzc/t/x', 99).setData('/nzc/t/x', Buffer.from('3')),
      );
      const noNode = await zk.commitNamed(zk.transaction().remove('/nzc/t/none').create('/nzc/t/w'));
      const seq = await zk.commitNamed(
        zk.transaction().create('/nzc/t/s-', null, undefined, Mode.PERSISTENT_SEQUENTIAL).create('/nzc/t/s-', null, undefined, Mode.EPHEMERAL_SEQUENTIAL),
      );
      const x = await zk.getText('/nzc/t/x');
      return {
        ok: [ok.error, txnObs(ok.results, base)],
        badVersion: [bad.error, txnObs(bad.results, base)],
        noNode: [noNode.error, txnObs(noNode.results, base)],
        seq: [seq.error, txnObs(seq.results, base)],
        zExists: (await zk.exists('/nzc/t/z')) !== null,
        wExists: (await zk.exists('/nzc/t/w')) !== null,
        x: [x.data, statObs(x.stat, base)],
      };
    }),
  ),

  one('acl', 'ACLs', 'digest (creator) / world read-only / ip ACLs, auth, getACL/setACL with versions', (cs) =>
    session(cs, async (connect) => {
      const owner = await connect();
      const other = await connect();
      const base = await root(owner, '/nzc/acl');
      const o: Record<string, unknown> = {};
      o.creatorWithoutAuth = await outcomeCode(owner.create('/nzc/acl/d0', 'x', Mode.PERSISTENT, nzc.ACL.CREATOR_ALL_ACL));
      owner.addAuth('digest', 'alice:secret');
      o.creatorAll = await owner.create('/nzc/acl/d', 'secret', Mode.PERSISTENT, nzc.ACL.CREATOR_ALL_ACL);
      const acl = await owner.getACL('/nzc/acl/d');
      o.getACL = [acl.acls.map((a) => [a.permission, a.id.scheme, a.id.id]), statObs(acl.stat, base)];
      o.otherRead = await outcomeCode(other.getText('/nzc/acl/d'));
      o.otherWrite = await outcomeCode(other.setData('/nzc/acl/d', 'x'));
      other.addAuth('digest', 'bob:pw');
      await other.exists('/'); // let the auth packet go first
      o.bobRead = await outcomeCode(other.getText('/nzc/acl/d'));
      other.addAuth('digest', 'alice:secret');
      await other.exists('/');
      o.aliceRead = await outcomeCode(other.getText('/nzc/acl/d'));
      o.readOnly = await owner.create('/nzc/acl/ro', 'r', Mode.PERSISTENT, nzc.ACL.READ_ACL_UNSAFE);
      o.readOnlyGet = await outcomeCode(other.getText('/nzc/acl/ro'));
      o.readOnlySet = await outcomeCode(other.setData('/nzc/acl/ro', 'w'));
      o.readOnlyCreateChild = await outcomeCode(other.create('/nzc/acl/ro/c'));
      o.setACLBadVersion = await outcomeCode(owner.setACL('/nzc/acl/ro', nzc.ACL.OPEN_ACL_UNSAFE, 3));
      o.setACLNoAdmin = await outcomeCode(other.setACL('/nzc/acl/ro', nzc.ACL.OPEN_ACL_UNSAFE, 0));
      o.setACL = statObs(await owner.setACL('/nzc/acl/d', nzc.ACL.OPEN_ACL_UNSAFE, 0).catch(() => null), base);
      const ipOk = [new nzc.ACL(nzc.Permission.ALL, new nzc.Id('ip', '127.0.0.1'))];
      const ipNo = [new nzc.ACL(nzc.Permission.ALL, new nzc.Id('ip', '10.1.2.3'))];
      await owner.create('/nzc/acl/ip-ok', 'i', Mode.PERSISTENT, ipOk);
      await owner.create('/nzc/acl/ip-no', 'i', Mode.PERSISTENT, ipNo);
      o.ipLoopback = await outcomeCode(other.getText('/nzc/acl/ip-ok'));
      o.ipOther = await outcomeCode(other.getText('/nzc/acl/ip-no'));
      o.badScheme = await outcomeCode(owner.create('/nzc/acl/bad', 'b', Mode.PERSISTENT, [new nzc.ACL(nzc.Permission.ALL, new nzc.Id('nosuch', 'x'))]));
      return o;
    }),
  ),

  one('reconnect', 'reconnect', 'connection dropped and restored within the session: same session, ephemeral kept, watches re-set (setWatches) fire for changes made meanwhile', (cs) =>
    session(cs, async (connect) => {
      const zk = await connect();
      const w = await connect();
      await root(zk, '/nzc/rc');
      await zk.create('/nzc/rc/d', 'd');
      await zk.create('/nzc/rc/gone', 'g');
      await zk.create('/nzc/rc/eph', 'e', Mode.EPHEMERAL);
      const log = new EventLog();
      await zk.getText('/nzc/rc/d', log.watcher('data:'));
      await zk.childNames('/nzc/rc', log.watcher('child:'));
      await zk.exists('/nzc/rc/later', log.watcher('exists:'));
      await zk.exists('/nzc/rc/gone', log.watcher('exists:'));
      const sid = zk.sessionId;
      zk.crash();
      await w.setData('/nzc/rc/d', 'd2');
      await w.create('/nzc/rc/later', 'l');
      await w.remove('/nzc/rc/gone');
      await sleep(300);
      const duringOutage = [...log.events];
      const state = await zk.revive();
      check(await log.waitCount(4, 5000), `events after reconnect: ${log.events}`);
      await sleep(200);
      return {
        duringOutage,
        stateAfterReconnect: state,
        sameSession: zk.sessionId === sid,
        ephemeralKept: (await w.exists('/nzc/rc/eph')) !== null,
        events: [...log.events].sort(),
        dataAfter: (await zk.getText('/nzc/rc/d')).data,
      };
    }),
  ),

  one('expiry', 'session expiry', "crashed client (socket destroyed, no reconnect): others see its ephemerals go; it is told EXPIRED when it comes back", (cs) =>
    session(cs, async (connect) => {
      const survivor = await connect();
      const victim = await connect(1000);
      await root(survivor, '/nzc/se');
      await victim.create('/nzc/se/e', 'v', Mode.EPHEMERAL);
      await victim.create('/nzc/se/s-', 'v', Mode.EPHEMERAL_SEQUENTIAL);
      const log = new EventLog();
      await survivor.exists('/nzc/se/e', log.watcher());
      await survivor.childNames('/nzc/se', log.watcher());
      const t0 = Date.now();
      victim.crash();
      check(await log.waitCount(2, 15_000), `survivor saw ${log.events}`);
      const took = Date.now() - t0;
      const revived = await victim.revive();
      return {
        events: [...log.events].sort(),
        childrenAfter: await survivor.childNames('/nzc/se'),
        expiredWithinBound: took < 6000,
        victimToldOnReconnect: revived,
      };
    }),
  ),

  one('timeouts', 'session timeout negotiation', 'requested 100 / 1000 / 4000 / 60000 ms with tickTime 500 → clamped to [2, 20] ticks', (cs) =>
    session(cs, async (connect) => {
      const got: number[] = [];
      for (const t of [100, 1000, 4000, 60000]) got.push((await connect(t)).sessionTimeout);
      return { negotiated: got };
    }),
  ),
];

const results = new Map<string, { row: Row; apache?: Outcome; zkts?: Outcome }>();
const SPECS = SCENARIOS.flatMap((s) => s.specs);

beforeAll(async () => {
  const r = await withPair((apache, zkts) => runBoth(SCENARIOS, apache, zkts));
  for (const [k, v] of r) results.set(k, v);
}, 300_000);

afterAll(() => {
  writeResults(SUITE, SPECS.map((s) => results.get(s.id)?.row ?? judge(s, undefined, undefined)), results);
});

describe(`${CLIENT}: Apache 3.8 vs zkts`, () => {
  declareRowTests(SUITE, SPECS, (id) => results.get(id));
});

