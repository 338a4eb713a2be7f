/**
 * Differential tests with extended types on (TTL nodes) and a fast container sweep: containers,
 * TTL nodes, and the deletes the server issues on its own.
 */
import * as crypto from 'crypto';
import { RunningServer, startOracle, startZkts } from './lib/servers';
import { Op, Session, World, ops, runScenario } from './lib/wire';
import { JuteWriter } from '../src/jute/writer';
import * as R from '../src/jute/records';
import { FieldType } from '../src/jute/schema';
import { OpCode } from '../src/protocol/opCodes';

let apache: RunningServer;
let zkts: RunningServer;
const props = {
  'zookeeper.extendedTypesEnabled': 'true',
  'znode.container.checkIntervalMs': '100',
  'zookeeper.enforceQuota': 'true',
  // super:adminsecret
  'zookeeper.DigestAuthenticationProvider.superDigest': 'super:GcMT0ijsx21yLyTWAWMqFV/azZE=',
};

beforeAll(async () => {
  [apache, zkts] = await Promise.all([
    startOracle({ jvmFlags: Object.entries(props).map(([k, v]) => `-D${k}=${v}`) }),
    startZkts({ sysProps: props }),
  ]);
}, 120000);

afterAll(async () => {
  await Promise.all([apache?.stop(), zkts?.stop()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last reply's error code for an op on a path, to keep these scenarios from passing vacuously. */
function lastErr(t: unknown, op: string, path: string): number | undefined {
  const steps = (t as { steps: { op: string; args?: { path?: string }; err?: number }[] }).steps;
  return steps.filter((s) => s.op === op && s.args?.path === path).pop()?.err;
}

const expectations: Record<string, [string, string, number][]> = {
  'the super digest user passes every ACL check': [['delete', '/private', 0]],
  'quotas: usage tracked in zookeeper_stats, hard limits refuse writes with QuotaExceeded': [['create', '/qq/w', -125]],
  'containers are deleted once they had children and are empty again': [
    ['exists', '/c1', -101],
    ['exists', '/c2', 0],
    // create/create2 with the container flag make a plain znode in 3.8: only createContainer makes one.
    ['exists', '/c3', 0],
    ['exists', '/c4', 0],
    ['exists', '/c5', -101],
  ],
  'TTL nodes: creation rules, Stat, and expiry when unmodified and childless': [
    ['exists', '/t1', -101],
    ['exists', '/long', 0],
  ],
};

/** Every reply's error code in order (connects and closes left out), for scenarios about error codes. */
function errs(t: unknown): number[] {
  const steps = (t as { steps: { op: string; err?: number }[] }).steps;
  return steps.filter((s) => s.err !== undefined && s.op !== 'closeSession').map((s) => s.err!);
}

/** A request body with strings in standard UTF-8 (as non-Java clients send them), sent as is. */
function rawBody(type: FieldType<any>, value: unknown): Buffer {
  const w = new JuteWriter(64, true);
  type.write(w, value);
  return w.toBuffer();
}

const MARSHALLING = -5;
const NOWATCHER = -121;
const EMOJI_DIGEST = `\u{1F600}:${crypto.createHash('sha1').update('\u{1F600}:pw', 'utf8').digest('base64')}`;

const errExpectations: Record<string, number[]> = {
  // addWatch: modes 2, 5, -1, then 0 and 1; checkWatches.
  'addWatch accepts only modes 0 and 1 (WatcherMode.fromZooDef): anything else is MarshallingError': [MARSHALLING, MARSHALLING, MARSHALLING, 0, 0, 0, 0, 0],
  'a multi of reads, or a multiRead of writes, is MarshallingError as a whole': [MARSHALLING, MARSHALLING, MARSHALLING, MARSHALLING, 0, -101],
  'TTL modes in a multi: CreateRequest with a TTL mode is MarshallingError; createTTL with another mode is a plain create': [
    MARSHALLING, MARSHALLING, -101, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  'checkWatches walks the path as PathParentIterator does: "" finds nothing, a path without "/" throws': [
    0, NOWATCHER, NOWATCHER, 0, NOWATCHER, MARSHALLING, MARSHALLING, -101, 0, NOWATCHER, 0, 0, MARSHALLING, 0, NOWATCHER, 0, 0,
  ],
  'create2 of a zookeeper_stats node answers the Stat of the data sent, not of the recomputed stats': [0, 0, 0, 0, 0, 0, 0, 0, 0],
  'supplementary characters: Apache writes each surrogate as its own 3-byte sequence': [0, 0, 0, 0, 0, 0, -102, 0, 0, 0, 0],
  'enforceQuota: quota nodes StatsTrack cannot parse make the write a MarshallingError': [
    0, 0, 0, 0, MARSHALLING, MARSHALLING, MARSHALLING, 0, 0, MARSHALLING, 0, 0, 0, 0, 0, 0, 0, 0,
  ],
  // /mx/b and /mx/c (made by a multi) refuse G; /mx/d and /mx/e do not.
  'a multi re-reads its sub-txns: a supplementary character in an ACL id becomes U+FFFD': [
    0, 0, 0, 0, 0, 0,
    -102, -102, -102, 0, -102, -102, -102, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, -101, 0, -101, 0, 0, 0, -8, 0, 0,
  ],
};

const scenarios: [string, (w: World) => Promise<void>][] = [
  [
    'addWatch accepts only modes 0 and 1 (WatcherMode.fromZooDef): anything else is MarshallingError',
    async (w) => {
      const A = await w.session('A');
      for (const mode of [2, 5, -1]) await A.run(ops.addWatch('/', mode));
      await A.run(ops.addWatch('/', 0));
      await A.run(ops.addWatch('/zookeeper', 1));
      await A.run(ops.checkWatches('/', 3));
      await A.run(ops.create('/bwm', ''));
      await w.settle();
      await A.run(ops.delete('/bwm'));
    },
  ],
  [
    'a multi of reads, or a multiRead of writes, is MarshallingError as a whole',
    async (w) => {
      const A = await w.session('A');
      // A read has no txn: Apache fails serializing the null txn (the multi still takes a zxid).
      await A.run(ops.multi([ops.getData('/nope'), ops.getChildren('/')]));
      await A.run(ops.multi([ops.getChildren('/')]));
      // multiRead stops at the first write, before looking at its path.
      await A.run(ops.multiRead([ops.setData('/nope', 'x')]));
      await A.run(ops.multiRead([ops.check('/nope', -1)]));
      await A.run(ops.multiRead([]));
      await A.run(ops.exists('/nope'));
    },
  ],
  [
    'TTL modes in a multi: CreateRequest with a TTL mode is MarshallingError; createTTL with another mode is a plain create',
    async (w) => {
      const A = await w.session('A');
      // Op.create(flags) makes a createTTL op from a CreateRequest: the cast to CreateTTLRequest fails.
      await A.run(ops.multi([ops.create('/tm1', 'x', 5)]));
      // The create before it is not applied.
      await A.run(ops.multi([ops.create('/tm0', ''), ops.create2('/tm2', 'x', 6)]));
      await A.run(ops.exists('/tm0'));
      // Op.create(flags, ttl) with a non-TTL mode drops the ttl: ephemeral, container, persistent.
      await A.run(ops.multi([ops.createTTL('/tm3', 'x', 1, 1000)]));
      await A.run(ops.multi([ops.createTTL('/tm4', 'x', 4, 1000)]));
      await A.run(ops.multi([ops.createTTL('/tm5', 'x', 0, -7)]));
      await A.run(ops.multi([ops.createTTL('/tm6', 'x', 5, 3600000)]));
      for (const p of ['/tm3', '/tm4', '/tm5', '/tm6']) await A.run(ops.exists(p));
      await A.run(ops.multi([ops.delete('/tm4'), ops.delete('/tm5'), ops.delete('/tm6')]));
    },
  ],
  [
    'checkWatches walks the path as PathParentIterator does: "" finds nothing, a path without "/" throws',
    async (w) => {
      const A = await w.session('A');
      // getData("") reads the root (DataTree keeps it under "" too) and sets a watch under "".
      await A.run(ops.getData('', true));
      await A.run(ops.checkWatches('', 3));
      await A.run(ops.checkWatches('', 2));
      // removeWatches does not walk the path: the "" watch is found and removed.
      await A.run(ops.removeWatches('', 2));
      await A.run(ops.removeWatches('', 2));
      await A.run(ops.checkWatches('r', 3));
      await A.run(ops.checkWatches('r', 1));
      // exists sets a watch even on a relative path (the node does not exist).
      await A.run(ops.exists('r/x', true));
      await A.run(ops.checkWatches('r/x', 2));
      await A.run(ops.checkWatches('r/y', 2));
      await A.run(ops.getData('', true));
      // With a recursive watch anywhere, the walk goes up to the root: from "r/y" it throws at "r".
      await A.run(ops.addWatch('/', 1));
      await A.run(ops.checkWatches('r/y', 2));
      await A.run(ops.checkWatches('r/x', 2));
      await A.run(ops.checkWatches('/zookeeper/config', 2));
      // The "" watch never fires: a change to the root fires only watches on "/".
      await A.run(ops.setData('/', 'root'));
      await w.settle();
      await A.run(ops.setData('/', null));
      await w.settle();
    },
  ],
  [
    'create2 of a zookeeper_stats node answers the Stat of the data sent, not of the recomputed stats',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/qs', 'abcd'));
      await A.run(ops.create('/zookeeper/quota/qs', ''));
      await A.run(ops.create('/zookeeper/quota/qs/zookeeper_limits', 'count=10,bytes=100'));
      await A.run(ops.create2('/zookeeper/quota/qs/zookeeper_stats', 'x'));
      await A.run(ops.getData('/zookeeper/quota/qs/zookeeper_stats'));
      for (const p of ['/zookeeper/quota/qs/zookeeper_stats', '/zookeeper/quota/qs/zookeeper_limits', '/zookeeper/quota/qs']) await A.run(ops.delete(p));
      await A.run(ops.delete('/qs'));
    },
  ],
  [
    'supplementary characters: Apache writes each surrogate as its own 3-byte sequence',
    async (w) => {
      const A = await w.session('A');
      // Sent as 4-byte UTF-8; echoed (raw bytes compared) as two 3-byte sequences.
      await A.run(ops.raw(OpCode.sync, rawBody(R.PathRequest, { path: '/r/\u{1F600}' }), 'sync'));
      await A.run(ops.auth('digest', '\u{1F600}:pw'));
      await A.run(ops.raw(OpCode.whoAmI, Buffer.alloc(0), 'whoAmI'));
      await A.run(ops.create('/sup', 'x', 0, [{ perms: 31, id: { scheme: 'digest', id: EMOJI_DIGEST } }]));
      // The ACL's raw bytes (the Stat after them, 68 bytes, holds times).
      await A.run({ ...ops.getACL('/sup'), decode: (b: Buffer) => b.subarray(0, b.length - 68).toString('hex') });
      await A.run(ops.getData('/sup'));
      const B = await w.session('B');
      await B.run(ops.getData('/sup'));
      await B.run(ops.auth('digest', '\u{1F600}:pw'));
      await B.run(ops.getData('/sup'));
      await B.run(ops.delete('/sup'));
      await B.run(ops.raw(OpCode.getChildren, rawBody(R.PathWatchRequest, { path: '/', watch: false }), 'getChildren'));
    },
  ],
  [
    'the super digest user passes every ACL check',
    async (w) => {
      const A = await w.session('A');
      const S = await w.session('S');
      await A.run(ops.auth('digest', 'alice:pw'));
      await A.run(ops.create('/private', 'mine', 0, [{ perms: 31, id: { scheme: 'auth', id: '' } }]));
      await S.run(ops.getData('/private'));
      await S.run(ops.auth('digest', 'super:wrong'));
      await S.run(ops.getData('/private'));
      await S.run(ops.auth('digest', 'super:adminsecret'));
      await S.run(ops.whoAmI());
      await S.run(ops.getData('/private'));
      await S.run(ops.getACL('/private'));
      await S.run(ops.setData('/private', 'super was here'));
      await S.run(ops.create('/private/kid', ''));
      await S.run(ops.delete('/private/kid'));
      await S.run(ops.delete('/private'));
    },
  ],
  [
    'quotas: usage tracked in zookeeper_stats, hard limits refuse writes with QuotaExceeded',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/qq', 'ab'));
      await A.run(ops.create('/qq/x', 'abc'));
      await A.run(ops.create('/zookeeper/quota/qq', ''));
      await A.run(ops.create('/zookeeper/quota/qq/zookeeper_limits', 'count=-1,bytes=-1=;byteHardLimit=20;countHardLimit=4'));
      await A.run(ops.create('/zookeeper/quota/qq/zookeeper_stats', 'count=0,bytes=0'));
      await A.run(ops.getData('/zookeeper/quota/qq/zookeeper_stats'));
      await A.run(ops.create('/qq/y', '12345'));
      await A.run(ops.getData('/zookeeper/quota/qq/zookeeper_stats'));
      await A.run(ops.create('/qq/z', ''));
      await A.run(ops.create('/qq/w', ''));
      await A.run(ops.setData('/qq/y', '1234567890123'));
      await A.run(ops.setData('/qq/y', '1'));
      await A.run(ops.delete('/qq/x'));
      await A.run(ops.getData('/zookeeper/quota/qq/zookeeper_stats'));
      await A.run(ops.multi([ops.create('/qq/m1', ''), ops.create('/qq/m2', '')]));
      for (const p of ['/qq/y', '/qq/z', '/qq/m1', '/qq/m2', '/qq/w', '/qq', '/zookeeper/quota/qq/zookeeper_stats', '/zookeeper/quota/qq/zookeeper_limits', '/zookeeper/quota/qq']) {
        await A.run(ops.delete(p));
      }
    },
  ],
  [
    'enforceQuota: quota nodes StatsTrack cannot parse make the write a MarshallingError',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/qb', ''));
      await A.run(ops.create('/zookeeper/quota/qb', ''));
      await A.run(ops.create('/zookeeper/quota/qb/zookeeper_limits', 'count=5,bytes'));
      await A.run(ops.create('/zookeeper/quota/qb/zookeeper_stats', ''));
      // The limits are parsed first, for every write in the quota.
      await A.run(ops.create('/qb/a', 'x'));
      await A.run(ops.setData('/qb', 'y'));
      await A.run(ops.multi([ops.create('/qb/m', ''), ops.create('/qb/n', '')]));
      await A.run(ops.setData('/zookeeper/quota/qb/zookeeper_limits', 'countHardLimit=9'));
      // The stats only when a limit needs checking (a setData in /qb now would pass and then stop the
      // server: see 'unparseable quota stats').
      await A.run(ops.setData('/zookeeper/quota/qb/zookeeper_stats', 'count=1;bytes=0x0'));
      await A.run(ops.create('/qb/b', ''));
      await A.run(ops.setData('/zookeeper/quota/qb/zookeeper_stats', 'count=1,bytes=0'));
      await A.run(ops.create('/qb/b', ''));
      await A.run(ops.getData('/zookeeper/quota/qb/zookeeper_stats'));
      for (const p of ['/qb/b', '/qb', '/zookeeper/quota/qb/zookeeper_stats', '/zookeeper/quota/qb/zookeeper_limits', '/zookeeper/quota/qb']) {
        await A.run(ops.delete(p));
      }
    },
  ],
  [
    'containers are deleted once they had children and are empty again',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.createContainer('/c1'));
      await A.run(ops.createContainer('/c2'));
      await A.run(ops.create2('/c3', '', 4));
      await A.run(ops.create('/c4', '', 4));
      await A.run(ops.getData('/c1'));
      await A.run(ops.create('/c1/kid', 'x'));
      await A.run(ops.create('/c3/kid', 'x'));
      await A.run(ops.createContainer('/c1/kid/deeper'));
      await A.run(ops.multi([ops.createContainer('/c5'), ops.create('/c5/k', '')]));
      await B.run(ops.exists('/c1', true));
      await B.run(ops.getChildren('/', true));
      // Emptied in one txn, so that both servers' sweeps (every 100 ms) see the same candidates.
      await A.run(ops.multi([ops.delete('/c1/kid/deeper'), ops.delete('/c1/kid'), ops.delete('/c3/kid'), ops.delete('/c5/k')]));
      await sleep(2000);
      await w.settle();
      for (const p of ['/c1', '/c2', '/c3', '/c4', '/c5']) await A.run(ops.exists(p));
      await A.run(ops.delete('/c2'));
      await A.run(ops.delete('/c4'));
      await A.run(ops.delete('/c3'));
    },
  ],
  [
    'TTL nodes: creation rules, Stat, and expiry when unmodified and childless',
    async (w) => {
      const A = await w.session('A');
      await A.run(ops.createTTL('/t1', 'x', 5, 1500));
      await A.run(ops.createTTL('/t2', 'x', 6, 1500));
      await A.run(ops.createTTL('/t3', 'x', 5, 0));
      await A.run(ops.createTTL('/t3', 'x', 5, -5));
      await A.run(ops.createTTL('/t3', 'x', 5, 0x10000000000));
      await A.run(ops.createTTL('/t3', 'x', 0, 300));
      await A.run(ops.createTTL('/t3', 'x', 1, 300));
      await A.run(ops.createTTL('/long', 'x', 5, 3600000));
      await A.run(ops.create('/long/kid', ''));
      await A.run(ops.create('/t4', 'x', 5));
      await A.run(ops.getData('/t1'));
      await A.run(ops.getChildren2('/'));
      // Expired after 1.5 s unmodified, and swept every 100 ms: wait well past both.
      await sleep(3000);
      for (const p of ['/t1', '/t20000000001', '/long']) await A.run(ops.exists(p));
      await A.run(ops.delete('/long/kid'));
      await A.run(ops.delete('/long'));
      await A.run(ops.getChildren('/'));
    },
  ],
  [
    // Apache keeps a session's ephemerals in a HashSet that grows and never shrinks; getEphemerals and
    // closeSession iterate a clone of it, which has a table sized for its current size.
    'a session\'s ephemerals in HashSet order: getEphemerals and the deletes when it closes',
    async (w) => {
      const A = await w.session('A');
      const B = await w.session('B');
      await A.run(ops.create('/eo', ''));
      const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november'];
      const names = words.map((x) => `/eo/${x}`);
      // 12 members: a 16-bucket set whose clone has 32 buckets.
      for (const p of names.slice(0, 12)) await A.run(ops.create(p, '', 1));
      await A.run(ops.getEphemerals('/'));
      // 14 members (32 buckets), then 4 left: the set keeps 32 buckets, its clone has 8.
      for (const p of names.slice(12)) await A.run(ops.create(p, '', 1));
      for (const p of names.slice(0, 10)) await A.run(ops.delete(p));
      await A.run(ops.create('/eo/late', '', 1));
      await A.run(ops.getEphemerals('/'));
      await A.run(ops.getEphemerals('/eo/l'));
      for (const p of [...names.slice(10), '/eo/late']) await B.run(ops.exists(p, true));
      await B.run(ops.getChildren('/eo', true));
      await A.close();
      await w.settle();
      await B.run(ops.getChildren('/eo'));
      await B.run(ops.delete('/eo'));
    },
  ],
  [
    // CVE-2024-23944: a watch event about a znode goes only to connections that may READ that znode. A
    // dropped event still uses up a one-shot watch.
    'watch events are delivered only to sessions that may READ the znode',
    async (w) => {
      const noRead = [{ perms: 31 & ~1, id: { scheme: 'world', id: 'anyone' } }];
      const aliceOnly = [{ perms: 31, id: { scheme: 'digest', id: 'alice:V55/p2T0OpjQ+low3NVAH4aLvm0=' } }];
      const A = await w.session('A');
      const B = await w.session('B');
      const C = await w.session('C');
      const S = await w.session('S');
      await C.run(ops.auth('digest', 'alice:pw'));
      await S.run(ops.auth('digest', 'super:adminsecret'));
      await A.run(ops.create('/ur', ''));
      await A.run(ops.create('/ur/p', ''));
      for (const X of [B, C, S]) {
        await X.run(ops.addWatch('/ur', 1));
        await X.run(ops.exists('/ur/x', true));
        await X.run(ops.getChildren('/ur', true));
        await X.run(ops.getChildren('/ur/p', true));
      }
      await A.run(ops.create('/ur/x', 'hidden', 0, noRead));
      await A.run(ops.setData('/ur/x', 'still hidden'));
      await A.run(ops.create('/ur/y', 'alice', 0, aliceOnly));
      await A.run(ops.setData('/ur/y', 'alice 2'));
      await A.run(ops.create('/ur/z', 'ip', 0, [{ perms: 1, id: { scheme: 'ip', id: '127.0.0.1' } }, ...noRead]));
      await A.run(ops.setData('/ur/z', 'ip 2'));
      await A.run(ops.setACL('/ur/p', noRead));
      await A.run(ops.create('/ur/p/kid', ''));
      await A.run(ops.delete('/ur/p/kid'));
      for (const p of ['/ur/x', '/ur/y', '/ur/z', '/ur/p']) await A.run(ops.delete(p));
      // One-shot watches on a node that becomes unreadable: the events are dropped, and the watches gone.
      await A.run(ops.create('/uq', ''));
      for (const X of [B, C]) {
        await X.run(ops.getData('/uq', true));
        await X.run(ops.getChildren('/uq', true));
      }
      await A.run(ops.setACL('/uq', noRead));
      await A.run(ops.setData('/uq', 'now hidden'));
      await A.run(ops.create('/uq/kid', ''));
      await A.run(ops.setACL('/uq', [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]));
      await A.run(ops.setData('/uq', 'readable again'));
      await A.run(ops.delete('/uq/kid'));
      await w.settle();
      await A.run(ops.delete('/uq'));
      await A.run(ops.delete('/ur'));
    },
  ],
  [
    'a multi re-reads its sub-txns: a supplementary character in an ACL id becomes U+FFFD',
    async (w) => {
      const F = await w.session('F');
      const G = await w.session('G');
      const emojiAcl = [{ perms: 31, id: { scheme: 'digest', id: EMOJI_DIGEST } }];
      await F.run(ops.create('/mx', ''));
      // Through a multi the ACL id loses its emoji (and so matches no auth id); a lone create keeps it.
      await F.run(ops.multi([ops.createContainer('/mx/b', 'v', emojiAcl)]));
      await F.run(ops.multi([ops.create('/mx/c', 'v', 0, emojiAcl)]));
      await F.run(ops.create('/mx/d', 'v', 0, emojiAcl));
      await F.run(ops.createContainer('/mx/e', 'v', emojiAcl));
      await G.run(ops.auth('digest', '\u{1F600}:pw'));
      for (const p of ['/mx/b', '/mx/c', '/mx/d', '/mx/e']) {
        await G.run(ops.getAllChildrenNumber(p));
        await G.run(ops.getData(p));
        await G.run(ops.getACL(p));
        await G.run(ops.multiRead([ops.getData(p), ops.getChildren(p)]));
      }
      // A path with one never gets that far: PathUtils.validatePath refuses surrogates (BadArguments).
      await F.run(ops.getData('/mx', true));
      await F.run(ops.getChildren('/mx', true));
      await F.run(ops.exists('/mx/\u{1F600}', true));
      await F.run(ops.multi([ops.create('/mx/\u{1F600}', 'x'), ops.check('/mx', -1)]));
      await F.run(ops.exists('/mx/\u{1F600}', false));
      await F.run(ops.getChildren('/mx', false));
      await F.run(ops.getAllChildrenNumber('/mx'));
      await F.run(ops.multi([ops.setData('/mx/\u{1F600}', 'y', -1)]));
      await F.run(ops.create('/mx/\u{1F600}', 'lone'));
      await F.run(ops.multi([ops.delete('/mx/\u{1F600}', -1)]));
      await F.run(ops.getChildren('/mx', false));
    },
  ],
];

describe('extended types: Apache ZooKeeper 3.8 and zkts agree', () => {
  for (const [name, scenario] of scenarios) {
    test(name, async () => {
      const [expected, actual] = await Promise.all([runScenario(apache.port, scenario), runScenario(zkts.port, scenario)]);
      expect(actual).toEqual(expected);
      for (const [op, path, err] of expectations[name] ?? []) expect([op, path, lastErr(expected, op, path)]).toEqual([op, path, err]);
      if (errExpectations[name] !== undefined) expect([name, errs(expected)]).toEqual([name, errExpectations[name]]);
    });
  }
});

describe('a request that stops Apache ZooKeeper 3.8: zkts answers it and keeps serving (a deliberate difference)', () => {
  // A fresh pair per scenario (plain configuration): each one stops Apache. Apache lets a RuntimeException
  // out of DataTree.processTxn and the critical-thread handler stops the server: the txn is logged, never
  // answered, the connections close (and the next start fails replaying it). zkts refuses such a request
  // or applies it harmlessly: a client must not be able to stop the server. Everything before that
  // request must still be identical.
  let a: RunningServer | undefined;
  let z: RunningServer | undefined;
  beforeEach(async () => {
    [a, z] = await Promise.all([startOracle(), startZkts()]);
  }, 120000);
  afterEach(async () => {
    await Promise.all([a?.stop(), z?.stop()]);
  });

  /**
   * Runs the scenario on both servers without the settle and closes at the end (Apache is gone); the steps
   * up to the stopping request must be equal. Returns both servers' steps.
   */
  async function both(scenario: (w: World) => Promise<void>) {
    const run = async (port: number) => {
      const w = new World(port);
      await scenario(w).catch((e) => w.steps.push({ who: '*', op: 'thrown', result: String(e) } as never));
      return (w.transcript() as { steps: { op: string; result?: unknown; err?: unknown }[] }).steps;
    };
    const [apacheSteps, zktsSteps] = await Promise.all([run(a!.port), run(z!.port)]);
    const before = (steps: { op: string }[]) => steps.slice(0, steps.findIndex((x) => x.op === 'stopping request'));
    expect(before(zktsSteps)).toEqual(before(apacheSteps));
    return { apacheSteps, zktsSteps };
  }

  /** The request that stops Apache; on zkts, a read after it proves the server still serves. */
  async function stoppingRequest(w: World, S: Session, op: Op): Promise<void> {
    w.steps.push({ who: S.name, op: 'stopping request' } as never);
    let outcome = 'answered';
    try {
      await S.run(op);
    } catch (e) {
      outcome = 'connection closed without a reply';
    }
    w.steps.push({ who: S.name, op: 'outcome', result: outcome } as never);
    if (outcome === 'answered') {
      await S.run(ops.exists('/zookeeper', false));
      w.steps.push({ who: S.name, op: 'still serving', result: true } as never);
    }
  }

  const expectApacheStopsZktsServes = (r: { apacheSteps: { op: string; result?: unknown }[]; zktsSteps: { op: string; result?: unknown }[] }) => {
    expect(outcome(r.apacheSteps)).toBe('connection closed without a reply');
    expect(outcome(r.zktsSteps)).toBe('answered');
    expect(r.zktsSteps.some((x) => x.op === 'still serving')).toBe(true);
  };

  const outcome = (steps: { op: string; result?: unknown }[]) => steps.find((s) => s.op === 'outcome')?.result;

  // DataTree.updateQuotaStat parses the zookeeper_stats node with StatsTrack while the txn is applied.
  test('unparseable quota stats: the next write in the quota stops Apache; zkts applies it', async () => {
    const r = await both(async (w) => {
      const A = await w.session('A');
      await A.run(ops.create('/qs', ''));
      await A.run(ops.create('/zookeeper/quota/qs', ''));
      await A.run(ops.create('/zookeeper/quota/qs/zookeeper_limits', 'count=10,bytes=-1'));
      await A.run(ops.create('/zookeeper/quota/qs/zookeeper_stats', ''));
      await A.run(ops.getData('/zookeeper/quota/qs/zookeeper_stats'));
      // Lenient enough: "k==v" is -1, a sign, runs of separators and other keys are fine ("bytes=" is not).
      await A.run(ops.setData('/zookeeper/quota/qs/zookeeper_stats', 'count=+1;;bytes==5,x=-0,'));
      await A.run(ops.create('/qs/a', 'abc'));
      await A.run(ops.getData('/zookeeper/quota/qs/zookeeper_stats'));
      // No "=" in a pair: ArrayIndexOutOfBoundsException; reads and writes outside the quota still work.
      await A.run(ops.setData('/zookeeper/quota/qs/zookeeper_stats', 'count=1,bytes'));
      await A.run(ops.create('/other', ''));
      await A.run(ops.getData('/zookeeper/quota/qs/zookeeper_stats'));
      await stoppingRequest(w, A, ops.create('/qs/b', 'x'));
    });
    expectApacheStopsZktsServes(r);
  }, 60000);

  // A zookeeper_limits node right under /zookeeper/quota: PathTrie.addPath("") throws when it is created;
  // one right under /zookeeper: Quotas.trimQuotaPath("/zookeeper") throws when it is deleted.
  for (const [name, setup, last] of [
    ['a zookeeper_limits node under /zookeeper/quota itself stops Apache when created; zkts creates it', [] as Op[], ops.create('/zookeeper/quota/zookeeper_limits', '')],
    ['a zookeeper_limits node under /zookeeper stops Apache when deleted; zkts deletes it', [ops.create('/zookeeper/zookeeper_limits', '')], ops.delete('/zookeeper/zookeeper_limits')],
  ] as [string, Op[], Op][]) {
    test(name, async () => {
      const r = await both(async (w) => {
        const A = await w.session('A');
        // Next to them, what works: stats for the quota root, a quota node whose name only starts with "quota".
        await A.run(ops.create('/zookeeper/quota/zookeeper_stats', ''));
        await A.run(ops.getData('/zookeeper/quota/zookeeper_stats'));
        await A.run(ops.create('/zookeeper/quotaX', ''));
        await A.run(ops.create('/zookeeper/quotaX/zookeeper_limits', 'count=1,bytes=1'));
        await A.run(ops.create('/zookeeper/quotaX/zookeeper_stats', ''));
        await A.run(ops.create('/X', ''));
        await A.run(ops.create('/X/y', 'abc'));
        await A.run(ops.getData('/zookeeper/quotaX/zookeeper_stats'));
        for (const op of setup) await A.run(op);
        await stoppingRequest(w, A, last);
      });
      expectApacheStopsZktsServes(r);
    }, 60000);
  }

  // validateTTL refuses ttl >= 0 for a mode that is not TTL but lets a negative one through; applying the
  // CreateTTLTxn calls EphemeralType.TTL.toEphemeralOwner(ttl), which throws (extended types on or off).
  test('createTTL with a mode that is not TTL and a negative ttl stops Apache; zkts refuses it (BadArguments)', async () => {
    const r = await both(async (w) => {
      const A = await w.session('A');
      await A.run(ops.createTTL('/t0', 'x', 0, 0));
      await A.run(ops.createTTL('/t0', 'x', 5, -5));
      await A.run(ops.createTTL('/nope/t0', 'x', 0, -5));
      await stoppingRequest(w, A, ops.createTTL('/t0', 'x', 0, -5));
    });
    expectApacheStopsZktsServes(r);
    const refused = r.zktsSteps[r.zktsSteps.findIndex((x) => x.op === 'stopping request') + 1] as { err?: number };
    expect(refused.err).toBe(-8);
  }, 60000);
});
