/**
 * Sessions: ephemerals tied to a session, expiry of a silent client, reattaching to a live session,
 * refusing an expired one, and timeout negotiation.
 */
import * as net from 'net';
import { RawClient, decodeBody } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { EventType } from '../../src/protocol/enums';
import { OpCode, Xid } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import { Flags, Zk, ZkEvent, connectRequestFrame, destroyAll, fourLetterWord, int32, openSocket, rawConnect, rawCreate, rawExists, rawGetData, sleep, waitFor, within, zookeeper } from './helpers';

function str(v: string): Buffer {
  return Buffer.concat([int32(Buffer.byteLength(v)), Buffer.from(v)]);
}

const { CreateMode, Event } = zookeeper;

/** Sets a data/exists watch on `path` from a node-zookeeper-client session; `event` resolves with the first event. */
async function watchNode(zk: Zk, path: string): Promise<{ event: Promise<ZkEvent> }> {
  let fire!: (e: ZkEvent) => void;
  const event = new Promise<ZkEvent>((resolve) => (fire = resolve));
  const stat = await zk.exists(path, (e) => fire(e));
  expect(stat).not.toBeNull();
  return { event };
}

describe('sessions', () => {
  let ts: TestingServer | null = null;
  const zks: Zk[] = [];
  const raws: RawClient[] = [];
  const sockets: net.Socket[] = [];

  async function start(config: Parameters<typeof TestingServer.start>[0] = { tickTime: 100 }): Promise<TestingServer> {
    ts = await TestingServer.start(config);
    return ts;
  }

  async function zk(sessionTimeout = 2000): Promise<Zk> {
    const c = await Zk.connect(ts!.connectString, sessionTimeout);
    zks.push(c);
    return c;
  }

  afterEach(async () => {
    destroyAll(raws, sockets);
    for (const c of zks.splice(0)) await c.close();
    await ts?.stop();
    ts = null;
  });

  describe('ephemeral nodes', () => {
    test('are removed when their client closes its session, and watchers of them are told', async () => {
      await start();
      const owner = await zk();
      const observer = await zk();
      await owner.create('/e', Buffer.from('x'), CreateMode.EPHEMERAL);
      await owner.create('/es-', null, CreateMode.EPHEMERAL_SEQUENTIAL);
      const deleted = await watchNode(observer, '/e');
      await owner.close();
      zks.splice(zks.indexOf(owner), 1);
      const ev = await within(deleted.event, 2000, 'NODE_DELETED');
      expect(ev.getType()).toBe(Event.NODE_DELETED);
      expect(await observer.exists('/e')).toBeNull();
      const { children } = await observer.getChildren('/');
      expect(children.filter((c) => c.startsWith('es-'))).toEqual([]);
    });

    test('survive while their session lives, even with the connection gone', async () => {
      await start();
      const observer = await zk();
      const c = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      expect((await rawCreate(c, '/keep', null, Flags.EPHEMERAL)).err).toBe(0);
      c.destroy();
      await sleep(300);
      expect(await observer.exists('/keep')).not.toBeNull();
    });
  });

  describe('expiry', () => {
    for (const variant of ['keeps its socket open', 'drops its socket'] as const) {
      test(`a client with a 200 ms session that stops pinging and ${variant} is expired within ~1 s: ephemerals vanish and watchers fire`, async () => {
        await start({ tickTime: 100 });
        const observer = await zk();
        const silent = await rawConnect(raws, { port: ts!.port, timeout: 200 });
        expect(silent.session!.timeOut).toBe(200);
        expect((await rawCreate(silent, '/silent', Buffer.from('s'), Flags.EPHEMERAL)).err).toBe(0);
        expect((await rawCreate(silent, '/silent-seq-', null, Flags.EPHEMERAL_SEQUENTIAL)).err).toBe(0);
        const deleted = await watchNode(observer, '/silent');
        if (variant === 'drops its socket') silent.destroy();

        const ev = await within(deleted.event, 1500, 'the ephemeral of the expired session to be deleted');
        expect(ev.getType()).toBe(Event.NODE_DELETED);
        expect(ev.getPath()).toBe('/silent');
        expect(await observer.exists('/silent')).toBeNull();
        expect((await observer.getChildren('/')).children.filter((c) => c.startsWith('silent-seq-'))).toEqual([]);
        // The server also drops the connection of the expired session.
        await within(silent.waitClosed(), 1000, 'the server to close the expired connection');
      });
    }

    test('reconnecting with the sessionId and password of an expired session gets timeOut 0 and sessionId 0, then the server hangs up', async () => {
      await start({ tickTime: 100 });
      const observer = await zk();
      const first = await rawConnect(raws, { port: ts!.port, timeout: 200 });
      const { sessionId, passwd } = first.session!;
      await rawCreate(first, '/doomed', null, Flags.EPHEMERAL);
      const deleted = await watchNode(observer, '/doomed');
      first.destroy();
      await within(deleted.event, 1500, 'session expiry');

      const again = await rawConnect(raws, { port: ts!.port, timeout: 200, sessionId, passwd });
      expect(again.session!.timeOut).toBe(0);
      expect(again.session!.sessionId).toBe(0n);
      expect(again.session!.passwd).toEqual(Buffer.alloc(16));
      await within(again.waitClosed(), 1500, 'the server to close the refused connection');
    });

    test("requests the server answers nobody (an expired session's close, a gone connection's writes) no longer count as outstanding", async () => {
      await start({ tickTime: 100, config: { fourLetterWords: new Set(['stat']) } });
      const observer = await zk();
      const expiring = await rawConnect(raws, { port: ts!.port, timeout: 200 });
      await rawCreate(expiring, '/expiring', null, Flags.EPHEMERAL);
      const deleted = await watchNode(observer, '/expiring');
      expiring.destroy();
      await within(deleted.event, 1500, 'session expiry');
      // Writes still in the pipeline when their connection goes: sent together, then the socket is dropped.
      const gone = await rawConnect(raws, { port: ts!.port, timeout: 200 });
      for (let i = 0; i < 200; i++) void gone.request(OpCode.create, R.CreateRequest, { path: `/gone-${i}`, data: null, acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 }).catch(() => undefined);
      gone.destroy();
      await sleep(300);
      const stat = await fourLetterWord(ts!.port, 'stat');
      // Leaked, they would count against globalOutstandingLimit for good (and no write would be lone again).
      expect(stat).toMatch(/\nOutstanding: 0\n/);
    });

    test('a client that keeps pinging outlives many session timeouts', async () => {
      await start({ tickTime: 100 });
      const observer = await zk();
      const c = await rawConnect(raws, { port: ts!.port, timeout: 200 });
      await rawCreate(c, '/pinger', null, Flags.EPHEMERAL);
      const deadline = Date.now() + 800;
      while (Date.now() < deadline) {
        expect((await c.ping()).err).toBe(0);
        await sleep(50);
      }
      expect(await observer.exists('/pinger')).not.toBeNull();
      expect(c.closed).toBe(false);
    });
  });

  describe('reconnect', () => {
    test('reattaching to a live session with the right password keeps its ephemerals and its id', async () => {
      await start({ tickTime: 100 });
      const first = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const { sessionId, passwd, timeOut } = first.session!;
      expect(timeOut).toBe(2000);
      expect((await rawCreate(first, '/mine', Buffer.from('m'), Flags.EPHEMERAL)).err).toBe(0);
      first.destroy();
      await sleep(50);

      const second = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd });
      expect(second.session!.sessionId).toBe(sessionId);
      expect(second.session!.timeOut).toBe(2000);
      expect(second.session!.passwd).toEqual(passwd);
      const ex = await rawExists(second, '/mine');
      expect(ex.err).toBe(0);
      expect(decodeBody(R.ExistsResponse, ex.body).stat.ephemeralOwner).toBe(sessionId);

      // The session still owns the node: closing it now removes the ephemeral.
      expect(await second.closeSession()).toBe(0);
      const probe = await rawConnect(raws, { port: ts!.port });
      expect((await rawExists(probe, '/mine')).err).toBe(-101);
    });

    test('reattaching takes the session away from the connection still holding it', async () => {
      await start({ tickTime: 100 });
      const first = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const { sessionId, passwd } = first.session!;
      const second = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd });
      expect(second.session!.sessionId).toBe(sessionId);
      await within(first.waitClosed(), 1000, 'the old connection to be closed');
      expect((await rawCreate(second, '/moved', null, Flags.EPHEMERAL)).err).toBe(0);
    });

    test('a wrong password is refused with timeOut 0 / sessionId 0 and leaves the session alive', async () => {
      await start({ tickTime: 100 });
      const first = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const { sessionId, passwd } = first.session!;
      await rawCreate(first, '/guarded', null, Flags.EPHEMERAL);
      const bad = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd: Buffer.alloc(16, 7) });
      expect(bad.session!.timeOut).toBe(0);
      expect(bad.session!.sessionId).toBe(0n);
      await within(bad.waitClosed(), 1500, 'the refused connection to be closed');
      // As in Apache (processConnectRequest closes the session's connection before checking the
      // password), the holder's connection is dropped too, but the session itself is untouched.
      await within(first.waitClosed(), 1000, 'the holder connection to be closed');
      const good = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd });
      expect(good.session!.sessionId).toBe(sessionId);
      expect((await rawExists(good, '/guarded')).err).toBe(0);
    });

    test('reattaching to a session that never existed is refused', async () => {
      await start({ tickTime: 100 });
      const c = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId: 0x1234567n, passwd: Buffer.alloc(16) });
      expect(c.session!.timeOut).toBe(0);
      expect(c.session!.sessionId).toBe(0n);
      await within(c.waitClosed(), 1500, 'the refused connection to be closed');
    });
  });

  describe('watches across a reconnect', () => {
    // A data watch re-registered on a node that no longer exists reports NodeDeleted (Apache's
    // DataTree.setWatches), which the second test below relies on for '/missed-nonexistent'.
    test('watches belong to the connection: after reattaching, a change fires nothing until setWatches re-registers them', async () => {
      await start({ tickTime: 100 });
      const writer = await zk();
      await writer.create('/rw', Buffer.from('0'));
      const first = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const { sessionId, passwd } = first.session!;
      const g = await rawGetData(first, '/rw', true);
      first.destroy();
      await sleep(20);
      const second = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd });
      await writer.setData('/rw', Buffer.from('1'));
      await rawExists(second, '/rw');
      expect(second.received.filter((f) => f.kind === 'event')).toEqual([]);

      // Re-register, as ClientCnxn does on reconnect, relative to the last zxid this client saw.
      const seen = (await rawExists(second, '/rw')).zxid;
      const sw = await second.request(OpCode.setWatches, R.SetWatches, { relativeZxid: seen, dataWatches: ['/rw'], existWatches: [], childWatches: [] }, Xid.setWatches);
      expect(sw.err).toBe(0);
      expect(second.received.filter((f) => f.kind === 'event')).toEqual([]);
      await writer.setData('/rw', Buffer.from('2'));
      await rawExists(second, '/rw');
      expect(second.received.filter((f) => f.kind === 'event')).toEqual([{ kind: 'event', type: EventType.NodeDataChanged, state: 3, path: '/rw', zxid: -1 }]);
      expect(g.err).toBe(0);
    });

    test('setWatches with a relativeZxid older than changes made while away fires the missed events at once', async () => {
      await start({ tickTime: 100 });
      const writer = await zk();
      await writer.create('/missed-data', Buffer.from('0'));
      await writer.create('/missed-parent', null);
      const c = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const seen = (await rawExists(c, '/missed-data')).zxid;
      // While "disconnected": data changes, a child appears, a watched-for node is created.
      await writer.setData('/missed-data', Buffer.from('1'));
      await writer.create('/missed-parent/kid', null);
      await writer.create('/missed-new', null);
      const sw = await c.request(
        OpCode.setWatches,
        R.SetWatches,
        { relativeZxid: seen, dataWatches: ['/missed-data', '/missed-nonexistent'], existWatches: ['/missed-new'], childWatches: ['/missed-parent'] },
        Xid.setWatches,
      );
      expect(sw.err).toBe(0);
      const events = c.received.flatMap((f) => (f.kind === 'event' ? [[f.type, f.path]] : []));
      expect(events).toEqual(
        expect.arrayContaining([
          [EventType.NodeDataChanged, '/missed-data'],
          [EventType.NodeDeleted, '/missed-nonexistent'],
          [EventType.NodeCreated, '/missed-new'],
          [EventType.NodeChildrenChanged, '/missed-parent'],
        ]),
      );
      expect(events).toHaveLength(4);
      // Each event precedes the setWatches reply.
      const iReply = c.received.findIndex((f) => f.kind === 'reply' && f.xid === Xid.setWatches);
      const iLastEvent = c.received.map((f) => f.kind).lastIndexOf('event');
      expect(iLastEvent).toBeLessThan(iReply);
    });

    test('node-zookeeper-client re-arms its watch after the server drops its connection and hears about a change it missed', async () => {
      await start({ tickTime: 100 });
      const watcher = await zk(2000);
      const writer = await zk();
      await writer.create('/rearm', Buffer.from('0'));
      let fired: ZkEvent | null = null;
      await watcher.getData('/rearm', (e) => (fired = e));
      const reconnected = new Promise<void>((resolve) => watcher.c.once('connected', () => resolve()));
      // Drop the watcher's connection from the server side (the session lives on).
      for (const cn of ts!.server.cnxns) if (cn.sessionId === watcher.sessionId) cn.close('test: drop connection');
      await writer.setData('/rearm', Buffer.from('1'));
      await within(reconnected, 3000, 'node-zookeeper-client to reconnect');
      await waitFor(() => fired !== null, 2000, 'the missed NODE_DATA_CHANGED');
      expect(fired!.getType()).toBe(Event.NODE_DATA_CHANGED);
      expect(fired!.getPath()).toBe('/rearm');
    });
  });

  describe('handshake', () => {
    test('a request written right behind the ConnectRequest, before the response arrived, is answered after it', async () => {
      await start({ tickTime: 100 });
      const s = await openSocket(ts!.port);
      sockets.push(s);
      const path = Buffer.from('/eager');
      const req = Buffer.concat([int32(1), int32(OpCode.create), int32(path.length), path, int32(-1), int32(1), int32(31), str('world'), str('anyone'), int32(0)]);
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      s.write(Buffer.concat([connectRequestFrame(2000), int32(req.length), req]));
      await waitFor(() => Buffer.concat(got).length >= 41 + 4 + 16 + 4 + path.length, 1000, 'both replies');
      const b = Buffer.concat(got);
      expect(b.readInt32BE(0)).toBe(37); // ConnectResponse first
      const reply = b.subarray(41);
      expect(reply.readInt32BE(4)).toBe(1); // xid
      expect(reply.readInt32BE(16)).toBe(0); // err
      expect(reply.subarray(24, 24 + path.length).toString()).toBe('/eager');
    });
  });

  describe('timeout negotiation', () => {
    test('the requested timeout is clamped to [2, 20] ticks by default', async () => {
      await start({ tickTime: 100 });
      const cases: [number, number][] = [
        [1, 200],
        [50, 200],
        [200, 200],
        [1234, 1234],
        [2000, 2000],
        [2001, 2000],
        [100000, 2000],
      ];
      for (const [asked, got] of cases) {
        const c = await rawConnect(raws, { port: ts!.port, timeout: asked });
        expect([asked, c.session!.timeOut]).toEqual([asked, got]);
        c.destroy();
      }
    });

    test('minSessionTimeout and maxSessionTimeout from the config bound the negotiated timeout', async () => {
      await start({ tickTime: 100, config: { minSessionTimeout: 500, maxSessionTimeout: 800 } });
      const lo = await rawConnect(raws, { port: ts!.port, timeout: 100 });
      const mid = await rawConnect(raws, { port: ts!.port, timeout: 700 });
      const hi = await rawConnect(raws, { port: ts!.port, timeout: 60000 });
      expect([lo.session!.timeOut, mid.session!.timeOut, hi.session!.timeOut]).toEqual([500, 700, 800]);
    });

    test('node-zookeeper-client learns the negotiated timeout', async () => {
      await start({ tickTime: 100 });
      const c = await zk(30000);
      expect(c.c.getSessionTimeout()).toBe(2000);
    });

    test('a reconnect may renegotiate the timeout of a live session', async () => {
      await start({ tickTime: 100 });
      const first = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const { sessionId, passwd } = first.session!;
      first.destroy();
      const second = await rawConnect(raws, { port: ts!.port, timeout: 600, sessionId, passwd });
      expect(second.session!.sessionId).toBe(sessionId);
      expect(second.session!.timeOut).toBe(600);
    });
  });

  describe('connection lifecycle', () => {
    test('closeSession is answered, then the server closes the connection', async () => {
      await start({ tickTime: 100 });
      const c = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const r = await c.request(OpCode.closeSession, null, null);
      expect(r.err).toBe(0);
      await within(c.waitClosed(), 1000, 'the server to close after closeSession');
      const { sessionId, passwd } = c.session!;
      const again = await rawConnect(raws, { port: ts!.port, timeout: 2000, sessionId, passwd });
      expect(again.session!.sessionId).toBe(0n);
      expect(again.session!.timeOut).toBe(0);
    });

    test('requests pipelined behind a closeSession are not executed', async () => {
      await start({ tickTime: 100 });
      const c = await rawConnect(raws, { port: ts!.port, timeout: 2000 });
      const close = c.request(OpCode.closeSession, null, null);
      const late = rawCreate(c, '/too-late', null).catch(() => null);
      expect((await close).err).toBe(0);
      const r = await late;
      // Apache either drops it or answers SESSIONEXPIRED, depending on timing; it never creates the node.
      if (r !== null) expect(r.err).toBe(-112);
      await within(c.waitClosed(), 1000, 'the connection to close');
      const probe = await zk();
      expect(await probe.exists('/too-late')).toBeNull();
    });

    test('a client that connects but never sends a ConnectRequest does not stop others from connecting', async () => {
      await start({ tickTime: 100 });
      const idle = await openSocket(ts!.port);
      sockets.push(idle);
      const c = await zk();
      await c.create('/fine', null);
      expect(await c.exists('/fine')).not.toBeNull();
    });

    test('a handshake written one byte at a time is understood', async () => {
      await start({ tickTime: 100 });
      const s = await openSocket(ts!.port);
      sockets.push(s);
      const frame = connectRequestFrame(2000);
      const got: Buffer[] = [];
      s.on('data', (d: Buffer) => got.push(d));
      for (const byte of frame) {
        s.write(Buffer.from([byte]));
        await sleep(1);
      }
      await waitFor(() => Buffer.concat(got).length >= 4 + 36 + 1, 1000, 'the ConnectResponse');
      const b = Buffer.concat(got);
      expect(b.readInt32BE(0)).toBe(37);
      expect(b.readInt32BE(8)).toBe(2000);
    });
  });
});
