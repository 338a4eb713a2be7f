/**
 * Hostile or broken input on raw sockets: each bad connection is closed, and only that one — clients
 * connected before and after keep working and the server keeps running. Also the four-letter words.
 */
import * as net from 'net';
import { RawClient, decodeBody } from '../../src/client/rawClient';
import * as R from '../../src/jute/records';
import { OpCode } from '../../src/protocol/opCodes';
import { Code } from '../../src/protocol/errors';
import { TestingServer } from '../../src/testingServer';
import { Zk, connectRequestFrame, destroyAll, fourLetterWord, int32, openSocket, rawConnect, rawCreate, rawExists, readUntilClosed, within } from './helpers';

const MAX = 4096;

describe('bad input on raw sockets', () => {
  let ts: TestingServer;
  let before: Zk;
  const raws: RawClient[] = [];
  const sockets: net.Socket[] = [];
  let counter = 0;

  beforeAll(async () => {
    ts = await TestingServer.start({ tickTime: 100, config: { juteMaxBuffer: MAX } });
    before = await Zk.connect(ts.connectString, 2000);
  });

  afterEach(() => destroyAll(raws, sockets));

  afterAll(async () => {
    await before?.close();
    await ts?.stop();
  });

  /** The client connected before the bad input still works, a new one works, and the server runs. */
  async function expectServerHealthy(): Promise<void> {
    const n = ++counter;
    expect(ts.server.isRunning).toBe(true);
    await before.create(`/healthy-${n}`, Buffer.from(`before-${n}`));
    expect((await before.getData(`/healthy-${n}`)).data).toEqual(Buffer.from(`before-${n}`));
    const after = await Zk.connect(ts.connectString, 2000);
    try {
      await after.create(`/healthy-${n}/after`, Buffer.from('after'));
      expect((await after.getData(`/healthy-${n}/after`)).data).toEqual(Buffer.from('after'));
      expect((await after.getData(`/healthy-${n}`)).data).toEqual(Buffer.from(`before-${n}`));
    } finally {
      await after.close();
    }
  }

  async function socket(): Promise<net.Socket> {
    const s = await openSocket(ts.port);
    sockets.push(s);
    return s;
  }

  /** A raw socket that has completed a valid handshake; resolves once the ConnectResponse arrived. */
  async function handshaken(): Promise<{ s: net.Socket; closed: Promise<Buffer> }> {
    const s = await socket();
    const closed = readUntilClosed(s, 2000);
    const gotResponse = new Promise<void>((resolve) => {
      let n = 0;
      s.on('data', (d: Buffer) => {
        n += d.length;
        if (n >= 4 + 37) resolve();
      });
    });
    s.write(connectRequestFrame(2000));
    await gotResponse;
    return { s, closed };
  }

  describe('before the handshake', () => {
    test('a frame length over jute.maxbuffer closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      s.write(Buffer.concat([int32(10000), Buffer.alloc(64)]));
      expect((await closed).length).toBe(0);
      await expectServerHealthy();
    });

    test('a frame length of exactly jute.maxbuffer + 1 closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      s.write(int32(MAX + 1));
      await closed;
      await expectServerHealthy();
    });

    test('a negative frame length closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      s.write(int32(-1));
      expect((await closed).length).toBe(0);
      await expectServerHealthy();
    });

    test('a very negative frame length closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      s.write(int32(-0x7fffffff));
      await closed;
      await expectServerHealthy();
    });

    test('a truncated ConnectRequest (valid length, too-short record) closes the connection without a reply', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      const body = Buffer.alloc(10); // protocolVersion and half of lastZxidSeen
      s.write(Buffer.concat([int32(body.length), body]));
      expect((await closed).length).toBe(0);
      await expectServerHealthy();
    });

    test('a ConnectRequest whose password length runs past the frame closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      const body = Buffer.alloc(4 + 8 + 4 + 8 + 4);
      body.writeInt32BE(30000, 12);
      body.writeInt32BE(1000, 24); // passwd length 1000, but no bytes follow
      s.write(Buffer.concat([int32(body.length), body]));
      expect((await closed).length).toBe(0);
      await expectServerHealthy();
    });

    test('an empty frame as ConnectRequest closes the connection', async () => {
      const s = await socket();
      const closed = readUntilClosed(s);
      s.write(int32(0));
      await closed;
      await expectServerHealthy();
    });
  });

  describe('after a valid handshake', () => {
    test('a request frame of exactly jute.maxbuffer bytes is accepted', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      const path = `/max-${++counter}`;
      expect((await rawCreate(c, path, null)).err).toBe(0);
      // xid + type + (len + path) + (len + data) + version = MAX
      const n = MAX - (4 + 4 + 4 + path.length + 4 + 4);
      const body = Buffer.concat([int32(90), int32(OpCode.setData), int32(path.length), Buffer.from(path), int32(n), Buffer.alloc(n, 0x61), int32(-1)]);
      expect(body.length).toBe(MAX);
      const reply = await c.sendFrame(90, Buffer.concat([int32(body.length), body]));
      expect(reply.err).toBe(0);
      const got = await c.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
      expect(decodeBody(R.GetDataResponse, got.body).data!.length).toBe(n);
    });

    test('a request frame one byte over jute.maxbuffer closes the connection', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      c.writeRaw(Buffer.concat([int32(MAX + 1), Buffer.alloc(MAX + 1)]));
      await within(c.waitClosed(), 2000, 'the connection to be closed');
      await expectServerHealthy();
    });

    test('a garbage 3-byte request frame closes the connection', async () => {
      const { s, closed } = await handshaken();
      s.write(Buffer.concat([int32(3), Buffer.from([1, 2, 3])]));
      await closed;
      await expectServerHealthy();
    });

    test('a frame length over jute.maxbuffer closes the connection', async () => {
      const { s, closed } = await handshaken();
      s.write(int32(10000));
      await closed;
      await expectServerHealthy();
    });

    test('a negative frame length closes the connection', async () => {
      const { s, closed } = await handshaken();
      s.write(int32(-5));
      await closed;
      await expectServerHealthy();
    });

    test('a getData whose path length runs past the frame is answered with MARSHALLINGERROR (-5) and the connection stays usable, as in Apache', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      const body = Buffer.alloc(8 + 4 + 2);
      body.writeInt32BE(77, 0); // xid
      body.writeInt32BE(4, 4); // getData
      body.writeInt32BE(500, 8); // path length 500, 2 bytes present
      const reply = await c.sendFrame(77, Buffer.concat([int32(body.length), body]));
      expect(reply.err).toBe(Code.MARSHALLINGERROR);
      expect(c.closed).toBe(false);
      expect((await rawCreate(c, `/still-usable-${++counter}`, null)).err).toBe(0);
      await expectServerHealthy();
    });

    test('a create whose body is cut short is answered with MARSHALLINGERROR (-5) and creates nothing', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      const path = Buffer.from('/half-created');
      const body = Buffer.concat([int32(78), int32(1), int32(path.length), path, int32(3)]); // data length 3, no data bytes
      const reply = await c.sendFrame(78, Buffer.concat([int32(body.length), body]));
      expect(reply.err).toBe(Code.MARSHALLINGERROR);
      expect((await rawExists(c, '/half-created')).err).toBe(Code.NONODE);
      await expectServerHealthy();
    });

    test('an unknown opcode is answered with UNIMPLEMENTED (-6) and the connection is closed', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      const reply = await c.request(999, null, null);
      expect(reply.err).toBe(Code.UNIMPLEMENTED);
      expect(reply.xid).toBeGreaterThan(0);
      await c.waitClosed();
      await expectServerHealthy();
    });

    // BUG (Apache incompatibility): zkts puts its current zxid in the UNIMPLEMENTED reply; Apache 3.8
    // replies with Request.zxid, which is still -1 for a request that never went through the pipeline
    // (UnimplementedRequestProcessor). Checked against the Apache 3.8.0 oracle. Remove .failing once fixed.
    test('an unknown opcode is answered with zxid -1 in the reply header, as Apache does (Request.zxid is never set)', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      await rawCreate(c, `/zxid-probe-${++counter}`, null); // make the server's zxid non-trivial
      const reply = await c.request(999, null, null);
      expect(reply.err).toBe(Code.UNIMPLEMENTED);
      expect(reply.zxid).toBe(-1);
    });

    test('an unknown opcode does not close the session: it can be resumed on a new connection', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      const { sessionId, passwd } = c.session!;
      expect((await c.request(12345, null, null)).err).toBe(Code.UNIMPLEMENTED);
      await c.waitClosed();
      const again = await rawConnect(raws, { port: ts.port, timeout: 2000, sessionId, passwd });
      expect(again.session!.sessionId).toBe(sessionId);
    });

    test('the notification opcode (0) sent as a request is unknown too', async () => {
      const c = await rawConnect(raws, { port: ts.port, timeout: 2000 });
      expect((await c.request(0, null, null)).err).toBe(Code.UNIMPLEMENTED);
      await c.waitClosed();
      await expectServerHealthy();
    });
  });

  describe('afterwards', () => {
    test('the server has no leftover connections besides the long-lived client', async () => {
      destroyAll(raws, sockets);
      await new Promise((r) => setTimeout(r, 50));
      expect(ts.server.cnxns.size).toBe(1);
      await expectServerHealthy();
    });
  });
});

describe('four-letter words', () => {
  let ts: TestingServer | null = null;

  afterEach(async () => {
    await ts?.stop();
    ts = null;
  });

  test('ruok is refused with the whitelist message when not whitelisted (default whitelist)', async () => {
    ts = await TestingServer.start();
    expect(await fourLetterWord(ts.port, 'ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
  });

  test('ruok answers imok when whitelisted by name', async () => {
    ts = await TestingServer.start({ config: { fourLetterWords: new Set(['ruok']) } });
    expect(await fourLetterWord(ts.port, 'ruok')).toBe('imok');
  });

  test("ruok answers imok when the whitelist is '*'", async () => {
    ts = await TestingServer.start({ config: { fourLetterWords: new Set(['*']) } });
    expect(await fourLetterWord(ts.port, 'ruok')).toBe('imok');
  });

  test('srvr answers even with an empty whitelist and reports standalone mode and the node count', async () => {
    ts = await TestingServer.start({ config: { fourLetterWords: new Set() } });
    const out = await fourLetterWord(ts.port, 'srvr');
    expect(out).toMatch(/^Zookeeper version: /);
    expect(out).toContain('Mode: standalone\n');
    expect(out).toMatch(/Node count: \d+\n/);
    expect(out).toMatch(/Zxid: 0x[0-9a-f]+\n/);
  });

  test('srvr node count follows the tree, starting at 5 as Apache counts a fresh tree', async () => {
    ts = await TestingServer.start();
    const count = (s: string) => Number(/Node count: (\d+)/.exec(s)![1]);
    const n0 = count(await fourLetterWord(ts.port, 'srvr'));
    expect(n0).toBe(5);
    const zk = await Zk.connect(ts.connectString);
    try {
      await zk.create('/4lw-a', null);
      await zk.create('/4lw-a/b', null);
    } finally {
      await zk.close();
    }
    expect(count(await fourLetterWord(ts.port, 'srvr'))).toBe(n0 + 2);
  });

  test('a non-whitelisted word other than ruok gets the same refusal, naming itself', async () => {
    ts = await TestingServer.start();
    expect(await fourLetterWord(ts.port, 'stat')).toBe('stat is not executed because it is not in the whitelist.\n');
  });

  test('four unknown letters are read as a (too large) frame length: the connection is closed with no output', async () => {
    ts = await TestingServer.start({ config: { fourLetterWords: new Set(['*']) } });
    expect(await fourLetterWord(ts.port, 'xyzw')).toBe('');
    expect(await fourLetterWord(ts.port, 'ruok')).toBe('imok');
  });

  test('a four-letter word does not disturb a connected session', async () => {
    ts = await TestingServer.start({ config: { fourLetterWords: new Set(['*']) } });
    const zk = await Zk.connect(ts.connectString);
    try {
      await zk.create('/before-4lw', null);
      expect(await fourLetterWord(ts.port, 'ruok')).toBe('imok');
      expect(await zk.exists('/before-4lw')).not.toBeNull();
    } finally {
      await zk.close();
    }
  });
});
