/**
 * CRUD through node-zookeeper-client, a third-party client that knows nothing of zkts.
 */
import * as crypto from 'crypto';
import { TestingServer } from '../../src/testingServer';
import { Exception, Zk, errorCode, long, zookeeper } from './helpers';

const { CreateMode, ACL, Id, Permission } = zookeeper;

describe('node-zookeeper-client CRUD against zkts', () => {
  let ts: TestingServer;
  let zk: Zk;
  const extra: Zk[] = [];

  beforeAll(async () => {
    ts = await TestingServer.start();
    zk = await Zk.connect(ts.connectString);
  });

  afterEach(async () => {
    for (const c of extra.splice(0)) await c.close();
  });

  afterAll(async () => {
    await zk?.close();
    await ts?.stop();
  });

  describe('create', () => {
    test('a persistent node with data can be read back with its data and a fresh stat', async () => {
      expect(await zk.create('/p1', Buffer.from('hello'))).toBe('/p1');
      const { data, stat } = await zk.getData('/p1');
      expect(data).toEqual(Buffer.from('hello'));
      expect(stat.version).toBe(0);
      expect(stat.cversion).toBe(0);
      expect(stat.aversion).toBe(0);
      expect(stat.dataLength).toBe(5);
      expect(stat.numChildren).toBe(0);
      expect(long(stat.ephemeralOwner)).toBe(0n);
      expect(long(stat.czxid)).toBeGreaterThan(0n);
      expect(long(stat.mzxid)).toBe(long(stat.czxid));
      expect(long(stat.pzxid)).toBe(long(stat.czxid));
      expect(long(stat.ctime)).toBe(long(stat.mtime));
    });

    test('a node created with null data reads back as no data (length -1 on the wire) with dataLength 0', async () => {
      await zk.create('/nulldata', null);
      const { data, stat } = await zk.getData('/nulldata');
      expect(data).toBeUndefined();
      expect(stat.dataLength).toBe(0);
    });

    test('a node created with an empty buffer reads back as an empty buffer', async () => {
      await zk.create('/emptydata', Buffer.alloc(0));
      const { data, stat } = await zk.getData('/emptydata');
      expect(data).toEqual(Buffer.alloc(0));
      expect(stat.dataLength).toBe(0);
    });

    test('an ephemeral node is owned by the creating session', async () => {
      await zk.create('/eph1', Buffer.from('e'), CreateMode.EPHEMERAL);
      const stat = await zk.exists('/eph1');
      expect(stat).not.toBeNull();
      expect(long(stat!.ephemeralOwner)).toBe(zk.sessionId);
    });

    test('sequential nodes get a 10-digit, monotonically increasing suffix from the parent cversion', async () => {
      await zk.create('/seq', null);
      const a = await zk.create('/seq/n-', Buffer.from('a'), CreateMode.PERSISTENT_SEQUENTIAL);
      const b = await zk.create('/seq/n-', Buffer.from('b'), CreateMode.PERSISTENT_SEQUENTIAL);
      expect(a).toBe('/seq/n-0000000000');
      expect(b).toBe('/seq/n-0000000001');
      await zk.create('/seq/plain', null);
      const c = await zk.create('/seq/n-', null, CreateMode.PERSISTENT_SEQUENTIAL);
      expect(c).toBe('/seq/n-0000000003');
      const { data } = await zk.getData(b);
      expect(data).toEqual(Buffer.from('b'));
    });

    test('ephemeral-sequential nodes are both sequential and owned by the session', async () => {
      await zk.create('/eseq', null);
      const p = await zk.create('/eseq/lock-', null, CreateMode.EPHEMERAL_SEQUENTIAL);
      expect(p).toMatch(/^\/eseq\/lock-\d{10}$/);
      const stat = await zk.exists(p);
      expect(long(stat!.ephemeralOwner)).toBe(zk.sessionId);
    });

    test('creating an existing node fails with NODE_EXISTS', async () => {
      await zk.create('/dup', null);
      expect(await errorCode(zk.create('/dup', null))).toBe(Exception.NODE_EXISTS);
    });

    test('creating a node under a missing parent fails with NO_NODE', async () => {
      expect(await errorCode(zk.create('/missing/child', null))).toBe(Exception.NO_NODE);
    });

    test('creating a child of an ephemeral node fails with NO_CHILDREN_FOR_EPHEMERALS', async () => {
      await zk.create('/eph-parent', null, CreateMode.EPHEMERAL);
      expect(await errorCode(zk.create('/eph-parent/child', null))).toBe(Exception.NO_CHILDREN_FOR_EPHEMERALS);
    });
  });

  describe('getData / setData', () => {
    test('setData with the current version succeeds and bumps version and mzxid', async () => {
      await zk.create('/v', Buffer.from('0'));
      const s1 = await zk.setData('/v', Buffer.from('1'), 0);
      expect(s1.version).toBe(1);
      expect(long(s1.mzxid)).toBeGreaterThan(long(s1.czxid));
      const s2 = await zk.setData('/v', Buffer.from('22'), 1);
      expect(s2.version).toBe(2);
      expect(s2.dataLength).toBe(2);
      const { data, stat } = await zk.getData('/v');
      expect(data).toEqual(Buffer.from('22'));
      expect(stat.version).toBe(2);
    });

    test('setData with a stale version fails with BAD_VERSION and leaves the data alone', async () => {
      await zk.create('/bv', Buffer.from('orig'));
      await zk.setData('/bv', Buffer.from('new'), 0);
      expect(await errorCode(zk.setData('/bv', Buffer.from('stale'), 0))).toBe(Exception.BAD_VERSION);
      const { data, stat } = await zk.getData('/bv');
      expect(data).toEqual(Buffer.from('new'));
      expect(stat.version).toBe(1);
    });

    test('setData with version -1 always succeeds', async () => {
      await zk.create('/anyv', null);
      await zk.setData('/anyv', Buffer.from('x'), -1);
      const s = await zk.setData('/anyv', Buffer.from('y'), -1);
      expect(s.version).toBe(2);
    });

    test('getData and setData on a missing node fail with NO_NODE', async () => {
      expect(await errorCode(zk.getData('/nope'))).toBe(Exception.NO_NODE);
      expect(await errorCode(zk.setData('/nope', Buffer.from('x')))).toBe(Exception.NO_NODE);
    });
  });

  describe('exists / getChildren / remove', () => {
    test('exists returns the stat of a present node and null for a missing one', async () => {
      await zk.create('/ex', Buffer.from('abc'));
      const s = await zk.exists('/ex');
      expect(s).not.toBeNull();
      expect(s!.dataLength).toBe(3);
      expect(await zk.exists('/ex-missing')).toBeNull();
    });

    test('getChildren lists exactly the children and the parent stat counts them', async () => {
      await zk.create('/kids', null);
      for (const k of ['a', 'b', 'c']) await zk.create(`/kids/${k}`, null);
      const { children, stat } = await zk.getChildren('/kids');
      expect([...children].sort()).toEqual(['a', 'b', 'c']);
      expect(stat.numChildren).toBe(3);
      expect(stat.cversion).toBe(3);
      expect((await zk.getChildren('/kids/a')).children).toEqual([]);
      expect(await errorCode(zk.getChildren('/kids-missing'))).toBe(Exception.NO_NODE);
    });

    test('the root lists /zookeeper', async () => {
      const { children } = await zk.getChildren('/');
      expect(children).toContain('zookeeper');
    });

    test('remove deletes a leaf; removing it again fails with NO_NODE', async () => {
      await zk.create('/rm', null);
      await zk.remove('/rm');
      expect(await zk.exists('/rm')).toBeNull();
      expect(await errorCode(zk.remove('/rm'))).toBe(Exception.NO_NODE);
    });

    test('remove of a node with children fails with NOT_EMPTY', async () => {
      await zk.create('/full', null);
      await zk.create('/full/x', null);
      expect(await errorCode(zk.remove('/full'))).toBe(Exception.NOT_EMPTY);
      expect(await zk.exists('/full')).not.toBeNull();
    });

    test('remove with a wrong version fails with BAD_VERSION, with the right one succeeds', async () => {
      await zk.create('/rmv', null);
      await zk.setData('/rmv', Buffer.from('1'));
      expect(await errorCode(zk.remove('/rmv', 0))).toBe(Exception.BAD_VERSION);
      await zk.remove('/rmv', 1);
      expect(await zk.exists('/rmv')).toBeNull();
    });

    test('a remove updates the parent: numChildren drops and cversion keeps counting', async () => {
      await zk.create('/par', null);
      await zk.create('/par/c', null);
      await zk.remove('/par/c');
      const s = await zk.exists('/par');
      expect(s!.numChildren).toBe(0);
      expect(s!.cversion).toBe(2);
    });
  });

  describe('transaction (multi)', () => {
    test('a successful transaction applies every op and returns a result per op', async () => {
      await zk.create('/tx', Buffer.from('0'));
      await zk.create('/tx/old', null);
      const t = zk.c
        .transaction()
        .create('/tx/a', Buffer.from('A'))
        .create('/tx/b', Buffer.from('B'), ACL.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT)
        .check('/tx', 0)
        .setData('/tx', Buffer.from('1'), 0)
        .remove('/tx/old', -1);
      const { error, results } = await zk.commit(t);
      expect(error).toBeNull();
      expect(results.map((r) => r.type)).toEqual([1, 1, 13, 5, 2]);
      expect(results[0].path).toBe('/tx/a');
      expect(results[1].path).toBe('/tx/b');
      expect(results[3].stat!.version).toBe(1);
      expect((await zk.getData('/tx/a')).data).toEqual(Buffer.from('A'));
      expect((await zk.getData('/tx')).data).toEqual(Buffer.from('1'));
      expect(await zk.exists('/tx/old')).toBeNull();
    });

    test('all ops of a successful transaction share nothing but a single zxid', async () => {
      await zk.create('/txz', null);
      const { error } = await zk.commit(zk.c.transaction().create('/txz/1', null).create('/txz/2', null));
      expect(error).toBeNull();
      const s1 = await zk.exists('/txz/1');
      const s2 = await zk.exists('/txz/2');
      expect(long(s1!.czxid)).toBe(long(s2!.czxid));
    });

    test('a failing op aborts the whole transaction: nothing is applied, ops before report OK and ops after RUNTIME_INCONSISTENCY', async () => {
      await zk.create('/txf', Buffer.from('keep'));
      await zk.create('/txf/exists', null);
      const t = zk.c
        .transaction()
        .create('/txf/new1', null)
        .setData('/txf', Buffer.from('changed'), -1)
        .create('/txf/exists', null)
        .create('/txf/new2', null);
      const { error, results } = await zk.commit(t);
      expect(error).not.toBeNull();
      expect(error!.code).toBe(Exception.NODE_EXISTS);
      expect(results).toEqual([
        { type: -1, err: Exception.OK },
        { type: -1, err: Exception.OK },
        { type: -1, err: Exception.NODE_EXISTS },
        { type: -1, err: Exception.RUNTIME_INCONSISTENCY },
      ]);
      expect(await zk.exists('/txf/new1')).toBeNull();
      expect(await zk.exists('/txf/new2')).toBeNull();
      const { data, stat } = await zk.getData('/txf');
      expect(data).toEqual(Buffer.from('keep'));
      expect(stat.version).toBe(0);
      expect(stat.numChildren).toBe(1);
    });

    test('a failed version check aborts the transaction with BAD_VERSION', async () => {
      await zk.create('/txc', null);
      const { error } = await zk.commit(zk.c.transaction().create('/txc/x', null).check('/txc', 7));
      expect(error!.code).toBe(Exception.BAD_VERSION);
      expect(await zk.exists('/txc/x')).toBeNull();
    });

    test('a transaction may create a node and then write to it', async () => {
      await zk.create('/txd', null);
      const { error, results } = await zk.commit(
        zk.c.transaction().create('/txd/n', Buffer.from('a')).setData('/txd/n', Buffer.from('b'), 0).create('/txd/n/child', null),
      );
      expect(error).toBeNull();
      expect(results).toHaveLength(3);
      const { data, stat } = await zk.getData('/txd/n');
      expect(data).toEqual(Buffer.from('b'));
      expect(stat.version).toBe(1);
      expect(stat.numChildren).toBe(1);
    });
  });

  describe('ACLs', () => {
    test('a node created with OPEN_ACL_UNSAFE reports world:anyone with all permissions', async () => {
      await zk.create('/acl-open', null);
      const { acls, stat } = await zk.getACL('/acl-open');
      expect(acls).toHaveLength(1);
      expect(acls[0].permission).toBe(Permission.ALL);
      expect(acls[0].id).toMatchObject({ scheme: 'world', id: 'anyone' });
      expect(stat.aversion).toBe(0);
    });

    test('setACL replaces the ACL, bumps aversion, and is version-checked', async () => {
      await zk.create('/acl-set', Buffer.from('d'));
      const readAdmin = [new ACL(Permission.READ | Permission.ADMIN, new Id('world', 'anyone'))];
      expect(await errorCode(zk.setACL('/acl-set', readAdmin, 3))).toBe(Exception.BAD_VERSION);
      const s = await zk.setACL('/acl-set', readAdmin, 0);
      expect(s.aversion).toBe(1);
      expect(s.version).toBe(0);
      const { acls } = await zk.getACL('/acl-set');
      expect(acls.map((a) => [a.permission, a.id.scheme, a.id.id])).toEqual([[Permission.READ | Permission.ADMIN, 'world', 'anyone']]);
      expect(await errorCode(zk.setACL('/acl-set', readAdmin, 0))).toBe(Exception.BAD_VERSION);
      // Without ADMIN permission, setACL is refused before the version is even looked at.
      await zk.setACL('/acl-set', [new ACL(Permission.READ, new Id('world', 'anyone'))], 1);
      expect(await errorCode(zk.setACL('/acl-set', readAdmin, 0))).toBe(Exception.NO_AUTH);
    });

    test('a read-only ACL lets the node be read but not written (NO_AUTH)', async () => {
      await zk.create('/acl-ro', Buffer.from('ro'), CreateMode.PERSISTENT, zookeeper.ACL.READ_ACL_UNSAFE);
      expect((await zk.getData('/acl-ro')).data).toEqual(Buffer.from('ro'));
      expect(await errorCode(zk.setData('/acl-ro', Buffer.from('x')))).toBe(Exception.NO_AUTH);
      expect(await errorCode(zk.create('/acl-ro/child', null))).toBe(Exception.NO_AUTH);
    });

    test('CREATOR_ALL_ACL from a client with no authenticated identity is refused with INVALID_ACL', async () => {
      expect(await errorCode(zk.create('/acl-creator-anon', null, CreateMode.PERSISTENT, ACL.CREATOR_ALL_ACL))).toBe(Exception.INVALID_ACL);
      expect(await zk.exists('/acl-creator-anon')).toBeNull();
    });

    test('a digest-authenticated creator owns a CREATOR_ALL_ACL node: others get NO_AUTH, the same identity gets in', async () => {
      const owner = await Zk.connect(ts.connectString);
      const stranger = await Zk.connect(ts.connectString);
      const friend = await Zk.connect(ts.connectString);
      extra.push(owner, stranger, friend);
      owner.c.addAuthInfo('digest', Buffer.from('alice:secret'));
      friend.c.addAuthInfo('digest', Buffer.from('alice:secret'));
      await owner.create('/acl-creator', Buffer.from('private'), CreateMode.PERSISTENT, ACL.CREATOR_ALL_ACL);
      const { acls } = await owner.getACL('/acl-creator');
      const hash = crypto.createHash('sha1').update('alice:secret').digest('base64');
      expect(acls.map((a) => [a.permission, a.id.scheme, a.id.id])).toEqual([[Permission.ALL, 'digest', `alice:${hash}`]]);
      expect(await errorCode(stranger.getData('/acl-creator'))).toBe(Exception.NO_AUTH);
      expect(await errorCode(stranger.setData('/acl-creator', Buffer.from('x')))).toBe(Exception.NO_AUTH);
      // getACL needs READ or ADMIN; exists needs nothing.
      expect(await errorCode(stranger.getACL('/acl-creator'))).toBe(Exception.NO_AUTH);
      expect(await stranger.exists('/acl-creator')).not.toBeNull();
      expect((await friend.getData('/acl-creator')).data).toEqual(Buffer.from('private'));
    });

    test('getACL by a reader without ADMIN masks the digest of digest ids (user:x)', async () => {
      const owner = await Zk.connect(ts.connectString);
      const reader = await Zk.connect(ts.connectString);
      extra.push(owner, reader);
      owner.c.addAuthInfo('digest', Buffer.from('bob:pw'));
      const hash = crypto.createHash('sha1').update('bob:pw').digest('base64');
      const acl = [new ACL(Permission.ALL, new Id('digest', `bob:${hash}`)), new ACL(Permission.READ, new Id('world', 'anyone'))];
      await owner.create('/acl-masked', Buffer.from('m'), CreateMode.PERSISTENT, acl);
      const seenByOwner = (await owner.getACL('/acl-masked')).acls.map((a) => a.id.id).sort();
      const seenByReader = (await reader.getACL('/acl-masked')).acls.map((a) => a.id.id).sort();
      expect(seenByOwner).toEqual(['anyone', `bob:${hash}`]);
      expect(seenByReader).toEqual(['anyone', 'bob:x']);
    });

    test('getACL/setACL on a missing node fail with NO_NODE', async () => {
      expect(await errorCode(zk.getACL('/acl-missing'))).toBe(Exception.NO_NODE);
      expect(await errorCode(zk.setACL('/acl-missing', ACL.OPEN_ACL_UNSAFE, -1))).toBe(Exception.NO_NODE);
    });
  });

  describe('mkdirp', () => {
    test('mkdirp creates every missing ancestor and tolerates existing ones', async () => {
      await zk.create('/mk', null);
      expect(await zk.mkdirp('/mk/a/b/c', Buffer.from('leaf'))).toBe('/mk/a/b/c');
      expect(await zk.exists('/mk/a')).not.toBeNull();
      expect(await zk.exists('/mk/a/b')).not.toBeNull();
      expect((await zk.getData('/mk/a/b/c')).data).toEqual(Buffer.from('leaf'));
      // Second call: everything exists already, which is not an error.
      expect(await zk.mkdirp('/mk/a/b/c')).toBe('/mk/a/b/c');
    });
  });

  describe('several sessions', () => {
    test("one client's writes are visible to another client", async () => {
      const other = await Zk.connect(ts.connectString);
      extra.push(other);
      await zk.create('/shared', Buffer.from('from-zk'));
      expect((await other.getData('/shared')).data).toEqual(Buffer.from('from-zk'));
      await other.setData('/shared', Buffer.from('from-other'));
      expect((await zk.getData('/shared')).data).toEqual(Buffer.from('from-other'));
      expect(other.sessionId).not.toBe(zk.sessionId);
    });
  });
});
