/**
 * Differential tests: each scenario runs against Apache ZooKeeper 3.8 and zkts, and the transcripts
 * (error codes, reply zxids, data, children, normalized Stat, events in arrival order) must be equal.
 */
import { RunningServer, startOracle, startZkts } from './lib/servers';
import { OPEN_ACL, World, dropAndWait, ops, runScenario } from './lib/wire';
import { OpCode } from '../src/protocol/opCodes';

let apache: RunningServer;
let zkts: RunningServer;

beforeAll(async () => {
  [apache, zkts] = await Promise.all([startOracle(), startZkts()]);
}, 120000);

afterAll(async () => {
  await Promise.all([apache?.stop(), zkts?.stop()]);
});

const READ_ONLY_ACL = [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }];

/** Scenarios run in this order on both servers, so zxids line up. Each one closes its sessions. */
const scenarios: [string, (w: World) => Promise<void>][] = [
  [
    'create, read, update and delete with Apache error codes',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/crud', 'hello'));
      await A.run(ops.create('/crud', 'again')); // NodeExists
      await A.run(ops.create('/crud/child/deeper', 'x')); // NoNode (parent)
      await A.run(ops.create2('/crud/c2', null));
      await A.run(ops.getData('/crud'));
      await A.run(ops.getData('/crud/c2'));
      await A.run(ops.getData('/nope'));
      await A.run(ops.exists('/crud'));
      await A.run(ops.exists('/nope'));
      await A.run(ops.setData('/crud', 'v1', 0));
      await A.run(ops.setData('/crud', 'v2', 0)); // BadVersion
      await A.run(ops.setData('/crud', 'v2', -1));
      await A.run(ops.setData('/nope', 'x'));
      await A.run(ops.getChildren('/crud'));
      await A.run(ops.getChildren2('/crud'));
      await A.run(ops.getChildren('/nope'));
      await A.run(ops.delete('/crud')); // NotEmpty
      await A.run(ops.delete('/crud/c2', 5)); // BadVersion
      await A.run(ops.delete('/crud/c2', 0));
      await A.run(ops.delete('/crud/c2')); // NoNode
      await A.run(ops.getChildren2('/crud'));
      await A.run(ops.exists('/crud'));
      await A.run(ops.delete('/crud'));
      await A.run(ops.getData('/'));
      await A.run(ops.getChildren('/'));
    },
  ],
  [
    'invalid paths and flags are BadArguments',
    async (w) => {
      const A = await w.session('A');
      for (const p of ['', 'noslash', '/trailing/', '//double', '/a/./b', '/a/../b', '/ctl\u0001', '/del\u007f', '/nul\u0000x']) {
        await A.run(ops.create(p, 'x'));
      }
      await A.run(ops.create('/flags', 'x', 7));
      await A.run(ops.create('/flags', 'x', -1));
      await A.run(ops.getData('/a/../b'));
      await A.run(ops.exists('/nul\u0000x'));
      await A.run(ops.delete('/zookeeper'));
      await A.run(ops.delete('/'));
      await A.run(ops.create('/'));
      await A.run(ops.setData('/zookeeper/config', 'x'));
      await A.run(ops.create('/zookeeper/mine', 'x'));
      await A.run(ops.delete('/zookeeper/mine'));
      await A.run(ops.create('/.dot', 'x'));
      await A.run(ops.create('/..dots', 'x'));
      await A.run(ops.create('/unicodé-日本', 'x'));
      await A.run(ops.getChildren('/'));
      await A.run(ops.delete('/.dot'));
      await A.run(ops.delete('/..dots'));
      await A.run(ops.delete('/unicodé-日本'));
    },
  ],
  [
    'sequential nodes take their suffix from the parent cversion',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/seq', ''));
      await A.run(ops.create('/seq/n-', 'a', 2));
      await A.run(ops.create('/seq/n-', 'b', 2));
      await A.run(ops.create('/seq/plain', 'c'));
      await A.run(ops.delete('/seq/plain'));
      await A.run(ops.create('/seq/e-', 'd', 3));
      await A.run(ops.create2('/seq/', 'e', 2));
      await A.run(ops.getChildren2('/seq'));
      await A.run(ops.getEphemerals('/'));
      await A.run(ops.getEphemerals('/seq/e'));
      await A.run(ops.getEphemerals('/other'));
      await A.run(ops.getAllChildrenNumber('/seq'));
      await A.run(ops.getAllChildrenNumber('/'));
      await A.run(ops.getAllChildrenNumber('/nope'));
      await A.run(ops.create('/seq/e-0000000003/child', 'x')); // NoChildrenForEphemerals
      for (const c of ['n-0000000000', 'n-0000000001', 'e-0000000003', '0000000004']) await A.run(ops.delete(`/seq/${c}`));
      await A.run(ops.delete('/seq'));
    },
  ],
  [
    'ephemerals vanish with their session and fire watches',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.create('/eph', ''));
      await A.run(ops.create('/eph/a', 'x', 1));
      await A.run(ops.create('/eph/b', 'y', 3));
      await B.run(ops.getData('/eph/a', true));
      await B.run(ops.getChildren('/eph', true));
      await B.run(ops.exists('/eph/a', true));
      await A.close();
      await w.settle();
      await B.run(ops.getChildren2('/eph'));
      await B.run(ops.exists('/eph/a'));
      await B.run(ops.delete('/eph'));
    },
  ],
  [
    'watches are one-shot and arrive before the data that triggered them',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.create('/w', 'v0'));
      await B.run(ops.getData('/w', true));
      await B.run(ops.exists('/w/kid', true));
      await B.run(ops.getChildren('/w', true));
      await A.run(ops.setData('/w', 'v1'));
      await B.run(ops.getData('/w', false));
      await A.run(ops.setData('/w', 'v2'));
      await A.run(ops.create('/w/kid', 'k'));
      await w.settle();
      await B.run(ops.getData('/w/kid', true));
      await B.run(ops.getChildren('/w/kid', true));
      await B.run(ops.getChildren('/w', true));
      await A.run(ops.delete('/w/kid'));
      await w.settle();
      // The same client's own write also triggers its watch, and the event precedes the reply.
      await A.run(ops.exists('/w', true));
      await A.run(ops.setData('/w', 'v3'));
      await A.run(ops.getData('/w', true));
      await A.run(ops.delete('/w'));
    },
  ],
  [
    'multi: all or nothing, per-op results exactly as Apache reports them',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/m', 'root'));
      await A.run(ops.multi([ops.create('/m/a', '1'), ops.create('/m/b', '2'), ops.setData('/m', 'x', 0), ops.check('/m', 1)]));
      await A.run(ops.multi([ops.create('/m/c', '3'), ops.setData('/m/a', 'y', 7), ops.create('/m/d', '4')]));
      await A.run(ops.getChildren2('/m'));
      await A.run(ops.multi([ops.check('/m', 0), ops.create('/m/e', '5')]));
      await A.run(ops.multi([ops.create('/m/s-', '', 2), ops.create('/m/s-', '', 2), ops.delete('/m/zzz')]));
      await A.run(ops.create('/m/s-', '', 2));
      await A.run(ops.multi([ops.delete('/m/a'), ops.delete('/m/b'), ops.create2('/m/f', 'f', 1)]));
      await A.run(ops.multi([]));
      await A.run(ops.multiRead([ops.getData('/m'), ops.getChildren('/m'), ops.getData('/m/none')]));
      await A.run(ops.multi([ops.create('/m/g', ''), ops.getData('/m')]));
      await A.run(ops.getChildren2('/m'));
      await A.run(ops.multi([ops.delete('/m/f'), ops.delete('/m/s-0000000005')]));
      await A.run(ops.delete('/m'));
    },
  ],
  [
    'ACLs: defaults, setACL versions, digest auth and NoAuth',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.getACL('/'));
      await A.run(ops.getACL('/zookeeper/config'));
      await A.run(ops.getACL('/nope'));
      await A.run(ops.create('/acl', 'x', 0, null)); // null ACL
      await A.run(ops.create('/acl', 'x', 0, []));
      await A.run(ops.create('/acl', 'x', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]));
      await A.run(ops.create('/acl', 'x', 0, [{ perms: 31, id: { scheme: 'digest', id: 'bad' } }]));
      await A.run(ops.create('/acl', 'x', 0, [{ perms: 31, id: { scheme: 'nosuch', id: 'x' } }]));
      await A.run(ops.create('/acl', 'x', 0, READ_ONLY_ACL));
      await A.run(ops.setData('/acl', 'y'));
      await A.run(ops.create('/acl/kid', 'y'));
      await A.run(ops.setACL('/acl', OPEN_ACL, 5));
      await A.run(ops.getACL('/acl'));
      await A.run(ops.auth('digest', 'alice:secret'));
      await A.run(ops.whoAmI());
      await A.run(ops.create('/acl2', 'x', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]));
      await A.run(ops.getACL('/acl2'));
      await B.run(ops.getData('/acl2'));
      await B.run(ops.getACL('/acl2'));
      await B.run(ops.setData('/acl2', 'z'));
      await B.run(ops.auth('digest', 'alice:wrong'));
      await B.run(ops.getData('/acl2'));
      await B.run(ops.auth('digest', 'alice:secret'));
      await B.run(ops.getData('/acl2'));
      await B.run(ops.setACL('/acl2', [{ perms: 31, id: { scheme: 'ip', id: '127.0.0.1' } }], 0));
      await B.run(ops.getACL('/acl2'));
      await A.run(ops.setACL('/acl2', [{ perms: 31, id: { scheme: 'ip', id: '10.0.0.0/8' } }], 1));
      await A.run(ops.getData('/acl2'));
      await A.run(ops.delete('/acl2'));
      await A.run(ops.setACL('/acl', OPEN_ACL, 0));
      await A.run(ops.delete('/acl'));
    },
  ],
  [
    'pipelined requests are answered in order with consecutive zxids',
    async (w) => {
      const A = await w.session('A');
      const list = [ops.create('/p', '')];
      for (let i = 0; i < 20; i++) list.push(ops.create(`/p/n${i}`, `${i}`), ops.getData(`/p/n${i}`));
      list.push(ops.getChildren2('/p'));
      for (let i = 0; i < 20; i++) list.push(ops.delete(`/p/n${i}`));
      list.push(ops.delete('/p'), ops.exists('/p'));
      await A.pipeline(list);
    },
  ],
  [
    'other opcodes: check, sync, whoAmI, ping, unknown type',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/o', 'x'));
      await A.run(ops.sync('/o'));
      await A.run(ops.sync('/nope'));
      await A.run(ops.whoAmI());
      await A.run(ops.check('/o', 5));
      await A.run(ops.raw(OpCode.reconfig, Buffer.from('ffffffffffffffffffffffffffffffffffffffffffffffff', 'hex'), 'reconfig'));
      await A.run(ops.raw(OpCode.reconfig, Buffer.from('ff', 'hex'), 'reconfig-garbage'));
      await A.run(ops.getData('/zookeeper/config'));
      await A.run(ops.getData('/zookeeper/quota'));
      await A.run(ops.raw(OpCode.getData, Buffer.from('00000010', 'hex'), 'getData-truncated'));
      await A.run(ops.raw(OpCode.create, Buffer.from('00000002', 'hex'), 'create-truncated'));
      await A.run(ops.exists('/o'));
      await A.run(ops.raw(OpCode.sasl, Buffer.from('00000000', 'hex'), 'sasl'));
      await A.run(ops.exists('/o'));
      await A.run(ops.delete('/o'));
      await A.run(ops.auth('nosuchscheme', 'x'));
    },
  ],
  [
    'sessions: reconnect with the password, a wrong password, an old client',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/s', 'x', 1));
      const { sessionId, passwd } = A.client.session!;
      await dropAndWait(w.port, A.client);
      const A2 = await w.session('A2', { sessionId, passwd });
      await A2.run(ops.exists('/s'));
      const bad = Buffer.from(passwd);
      bad[0] ^= 0xff;
      // Even a wrong password takes the session's connection away before it is refused.
      await w.session('A3', { sessionId, passwd: bad });
      await A2.client.waitClosed();
      await w.session('OLD', { readOnly: null });
      await w.session('SHORT', { timeout: 1 });
      await w.session('LONG', { timeout: 10000000 });
      const A5 = await w.session('A5', { sessionId, passwd });
      await A5.run(ops.exists('/s'));
      await A5.close();
      await w.session('A4', { sessionId, passwd });
    },
  ],
  [
    'persistent and recursive watches (addWatch) fire without being re-armed',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.create('/pw', 'v'));
      await B.run(ops.addWatch('/pw', 0));
      await B.run(ops.addWatch('/pw', 1));
      await B.run(ops.addWatch('/pw/deep', 1));
      await A.run(ops.setData('/pw', 'v1'));
      await A.run(ops.setData('/pw', 'v2'));
      await A.run(ops.create('/pw/a', 'x'));
      await A.run(ops.create('/pw/a/b', 'y'));
      await A.run(ops.setData('/pw/a/b', 'z'));
      await A.run(ops.create('/pw/deep', ''));
      await A.run(ops.create('/pw/deep/er', ''));
      await w.settle();
      await B.run(ops.checkWatches('/pw', 1));
      await B.run(ops.checkWatches('/pw', 2));
      await B.run(ops.checkWatches('/pw/a', 2));
      await B.run(ops.checkWatches('/pw/none', 3));
      await B.run(ops.removeWatches('/pw', 1));
      await B.run(ops.removeWatches('/pw', 1));
      await B.run(ops.removeWatches('/pw/deep', 3));
      await A.run(ops.create('/pw/c', ''));
      await A.run(ops.delete('/pw/a/b'));
      await w.settle();
      await B.run(ops.removeWatches('/pw', 3));
      await B.run(ops.removeWatches('/pw', 3));
      await B.run(ops.removeWatches('/pw', 7));
      await B.run(ops.addWatch('/nowhere', 0));
      await A.run(ops.create('/nowhere', ''));
      await A.run(ops.delete('/nowhere'));
      await w.settle();
      await B.run(ops.getData('/pw', true));
      await B.run(ops.addWatch('/pw', 0));
      await A.run(ops.setData('/pw', 'v3'));
      await A.run(ops.setData('/pw', 'v4'));
      await w.settle();
      for (const p of ['/pw/deep/er', '/pw/deep', '/pw/c', '/pw/a', '/pw']) await A.run(ops.delete(p));
    },
  ],
  [
    'setWatches on reconnect: changes since relativeZxid fire at once, the rest are re-armed',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      const base = (await A.run(ops.create('/sw', 'v'))).zxid!;
      await A.run(ops.create('/sw/kid', 'k'));
      await A.run(ops.create('/sw/gone', 'g'));
      await A.run(ops.delete('/sw/gone'));
      await A.run(ops.create('/sw/new', 'n'));
      await A.run(ops.create('/sw/still', 's'));
      await B.run(ops.setWatches(base, ['/sw', '/sw/gone', '/sw/still'], ['/sw/new', '/sw/absent'], ['/sw', '/sw/kid', '/sw/gone']));
      await w.settle();
      await A.run(ops.setData('/sw/still', 's2'));
      await A.run(ops.create('/sw/absent', 'a'));
      await A.run(ops.create('/sw/kid/x', ''));
      await w.settle();
      const C = await w.session('C');
      await C.run(ops.setWatches2(base + 100, ['/sw'], [], [], ['/sw/kid'], ['/sw/new']));
      await A.run(ops.setData('/sw/kid', 'k2'));
      await A.run(ops.create('/sw/new/deeper', ''));
      await A.run(ops.setData('/sw', 'v2'));
      await w.settle();
      for (const p of ['/sw/new/deeper', '/sw/kid/x', '/sw/kid', '/sw/new', '/sw/still', '/sw/absent', '/sw']) await A.run(ops.delete(p));
    },
  ],
];

describe('Apache ZooKeeper 3.8 and zkts give identical wire results', () => {
  for (const [name, scenario] of scenarios) {
    test(name, async () => {
      const expected = await runScenario(apache.port, scenario);
      const actual = await runScenario(zkts.port, scenario);
      expect(actual).toEqual(expected);
    });
  }
});

test('unknown opcodes get Unimplemented and the connection is closed', async () => {
  const results = [];
  for (const s of [apache, zkts]) {
    const w = new World(s.port);
    const A = await w.session('A');
    const rep = A.client.request(999, null, null, 77);
    const r = await rep.catch((e: Error) => e.message);
    await A.client.waitClosed();
    results.push(r instanceof Object ? { err: (r as { err: number }).err, zxid: (r as { zxid: number }).zxid } : r);
  }
  expect(results[1]).toEqual(results[0]);
  void OpCode;
});
