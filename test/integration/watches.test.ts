/**
 * Watches: registered through node-zookeeper-client, and checked on the wire with RawClient where the
 * client library would hide what the server sent (it drops duplicate notifications itself).
 */
import { RawClient } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { EventType } from '../../src/protocol/enums';
import { OpCode } from '../../src/protocol/opCodes';
import { TestingServer } from '../../src/testingServer';
import { Zk, ZkEvent, destroyAll, rawConnect, rawCreate, rawExists, rawGetData, rawSetData, sleep, within, zookeeper } from './helpers';

const { Event } = zookeeper;

/** A watcher that records its events and lets a test await the next one. */
function recorder(): { events: ZkEvent[]; watcher: (e: ZkEvent) => void; next: (ms?: number) => Promise<ZkEvent> } {
  const events: ZkEvent[] = [];
  let waiters: ((e: ZkEvent) => void)[] = [];
  return {
    events,
    watcher: (e: ZkEvent) => {
      events.push(e);
      const w = waiters;
      waiters = [];
      for (const f of w) f(e);
    },
    next: (ms = 2000) => within(new Promise<ZkEvent>((resolve) => waiters.push(resolve)), ms, 'a watch event'),
  };
}

describe('watches with node-zookeeper-client', () => {
  let ts: TestingServer;
  let a: Zk;
  let b: Zk;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    ts = await TestingServer.start();
    a = await Zk.connect(ts.connectString);
    b = await Zk.connect(ts.connectString);
  });

  afterEach(() => destroyAll(raws));

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await ts?.stop();
  });

  test('a data watch set by getData fires NODE_DATA_CHANGED when another client sets the data', async () => {
    await a.create('/dw', Buffer.from('0'));
    const r = recorder();
    await a.getData('/dw', r.watcher);
    const ev = r.next();
    await b.setData('/dw', Buffer.from('1'));
    const e = await ev;
    expect(e.getType()).toBe(Event.NODE_DATA_CHANGED);
    expect(e.getPath()).toBe('/dw');
  });

  test('a data watch fires NODE_DELETED when the node is removed', async () => {
    await a.create('/dwd', null);
    const r = recorder();
    await a.getData('/dwd', r.watcher);
    const ev = r.next();
    await b.remove('/dwd');
    expect((await ev).getType()).toBe(Event.NODE_DELETED);
  });

  test('a child watch fires NODE_CHILDREN_CHANGED on a child create and again (re-armed) on a child delete', async () => {
    await a.create('/cw', null);
    const r1 = recorder();
    await a.getChildren('/cw', r1.watcher);
    const ev1 = r1.next();
    await b.create('/cw/kid', null);
    const e1 = await ev1;
    expect(e1.getType()).toBe(Event.NODE_CHILDREN_CHANGED);
    expect(e1.getPath()).toBe('/cw');

    const r2 = recorder();
    const { children } = await a.getChildren('/cw', r2.watcher);
    expect(children).toEqual(['kid']);
    const ev2 = r2.next();
    await b.remove('/cw/kid');
    const e2 = await ev2;
    expect(e2.getType()).toBe(Event.NODE_CHILDREN_CHANGED);
    expect(e2.getPath()).toBe('/cw');
  });

  test('a child watch is not triggered by a data change of the parent or of a child', async () => {
    await a.create('/cwq', null);
    await a.create('/cwq/k', null);
    const r = recorder();
    await a.getChildren('/cwq', r.watcher);
    await b.setData('/cwq', Buffer.from('x'));
    await b.setData('/cwq/k', Buffer.from('y'));
    // A round trip on the watching session: any notification would have arrived before this reply.
    await a.exists('/cwq');
    expect(r.events).toHaveLength(0);
  });

  test('an exists watch on a missing node fires NODE_CREATED when it is created', async () => {
    const r = recorder();
    expect(await a.exists('/ew', r.watcher)).toBeNull();
    const ev = r.next();
    await b.create('/ew', Buffer.from('here'));
    const e = await ev;
    expect(e.getType()).toBe(Event.NODE_CREATED);
    expect(e.getPath()).toBe('/ew');
  });

  test('an exists watch on a present node fires NODE_DATA_CHANGED on setData', async () => {
    await a.create('/ewp', null);
    const r = recorder();
    expect(await a.exists('/ewp', r.watcher)).not.toBeNull();
    const ev = r.next();
    await b.setData('/ewp', Buffer.from('z'));
    expect((await ev).getType()).toBe(Event.NODE_DATA_CHANGED);
  });

  test('a watch is one-shot: a second change without re-registering fires nothing', async () => {
    await a.create('/once', null);
    const r = recorder();
    await a.getData('/once', r.watcher);
    const ev = r.next();
    await b.setData('/once', Buffer.from('1'));
    await ev;
    await b.setData('/once', Buffer.from('2'));
    await b.setData('/once', Buffer.from('3'));
    await a.exists('/once');
    expect(r.events).toHaveLength(1);
  });

  test('the watch event reaches the watcher before the callback of a read issued after the triggering write', async () => {
    await a.create('/order', Buffer.from('old'));
    const seen: string[] = [];
    await a.getData('/order', () => seen.push('watch'));
    await b.setData('/order', Buffer.from('new'));
    // b's write is applied; a's next read must come back after the notification.
    const { data } = await a.getData('/order');
    seen.push('read');
    expect(data).toEqual(Buffer.from('new'));
    expect(seen).toEqual(['watch', 'read']);
  });

  describe('on the wire (RawClient)', () => {
    test('the server sends exactly one notification for a one-shot data watch, however many writes follow', async () => {
      const w = await rawConnect(raws, { port: ts.port });
      const x = await rawConnect(raws, { port: ts.port });
      expect((await rawCreate(x, '/wire1', Buffer.from('0'))).err).toBe(0);
      expect((await rawGetData(w, '/wire1', true)).err).toBe(0);
      for (let i = 1; i <= 3; i++) expect((await rawSetData(x, '/wire1', Buffer.from(String(i)))).err).toBe(0);
      await rawExists(w, '/wire1');
      const events = w.received.filter((f) => f.kind === 'event');
      expect(events).toEqual([{ kind: 'event', type: EventType.NodeDataChanged, state: 3, path: '/wire1', zxid: -1 }]);
    });

    test('the notification frame precedes the reply to a read sent after the write completed', async () => {
      const w = await rawConnect(raws, { port: ts.port });
      const x = await rawConnect(raws, { port: ts.port });
      await rawCreate(x, '/wire2', Buffer.from('0'));
      await rawGetData(w, '/wire2', true);
      await rawSetData(x, '/wire2', Buffer.from('1'));
      const read = await rawGetData(w, '/wire2');
      const iEvent = w.received.findIndex((f) => f.kind === 'event' && f.path === '/wire2');
      const iReply = w.received.findIndex((f) => f.kind === 'reply' && f.xid === read.xid);
      expect(iEvent).toBeGreaterThanOrEqual(0);
      expect(iEvent).toBeLessThan(iReply);
    });

    test('a getData and an exists watch on the same node by one session produce one notification', async () => {
      const w = await rawConnect(raws, { port: ts.port });
      const x = await rawConnect(raws, { port: ts.port });
      await rawCreate(x, '/wire3', null);
      await rawGetData(w, '/wire3', true);
      await rawExists(w, '/wire3', true);
      await rawSetData(x, '/wire3', Buffer.from('1'));
      await rawExists(w, '/wire3');
      expect(w.received.filter((f) => f.kind === 'event')).toHaveLength(1);
    });

    test('deleting a watched node fires NodeDeleted for the data watch and NodeChildrenChanged for the parent watch', async () => {
      const w = await rawConnect(raws, { port: ts.port });
      const x = await rawConnect(raws, { port: ts.port });
      await rawCreate(x, '/wire4', null);
      await rawCreate(x, '/wire4/c', null);
      await rawGetData(w, '/wire4/c', true);
      await w.request(OpCode.getChildren, R.GetDataRequest, { path: '/wire4', watch: true });
      await x.request(OpCode.delete, R.DeleteRequest, { path: '/wire4/c', version: -1 });
      await rawExists(w, '/wire4');
      const events = w.received.filter((f) => f.kind === 'event').map((f) => (f.kind === 'event' ? [f.type, f.path] : null));
      expect(events).toEqual(
        expect.arrayContaining([
          [EventType.NodeDeleted, '/wire4/c'],
          [EventType.NodeChildrenChanged, '/wire4'],
        ]),
      );
      expect(events).toHaveLength(2);
    });

    test('a watch left on a node by a client that goes away does not disturb others', async () => {
      const w = await rawConnect(raws, { port: ts.port });
      await rawCreate(w, '/wire5', null);
      await rawGetData(w, '/wire5', true);
      w.destroy();
      await sleep(20);
      const x = await rawConnect(raws, { port: ts.port });
      expect((await rawSetData(x, '/wire5', Buffer.from('after'))).err).toBe(0);
      expect((await rawGetData(x, '/wire5')).err).toBe(0);
    });
  });
});
