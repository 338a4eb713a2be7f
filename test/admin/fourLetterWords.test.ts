/**
 * Four-letter words against an in-process server: the text of each, as Apache 3.8 writes it, and the
 * whitelist.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TestingServer } from '../../src/testingServer';
import { RawClient } from '../../src/client/rawClient';
import { Flags, destroyAll, fourLetterWord, openSocket, rawConnect, rawCreate, rawExists, rawGetData, readUntilClosed } from '../integration/helpers';
import { OpCode } from '../../src/protocol/opCodes';
import * as R from '../../src/jute/records';

const fixtureKeys = fs
  .readFileSync(path.join(__dirname, 'fixtures', 'apache-3.8-mntr-keys.txt'), 'utf8')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('four-letter words (whitelist *)', () => {
  let server: TestingServer;
  const raws: RawClient[] = [];

  beforeAll(async () => {
    server = await TestingServer.start({ tickTime: 2000, config: { fourLetterWords: new Set(['*']) } });
  });

  afterEach(() => destroyAll(raws));

  afterAll(async () => {
    await server.stop();
  });

  const flw = (w: string) => fourLetterWord(server.port, w);

  test('ruok, isro, gtmk, hash', async () => {
    expect(await flw('ruok')).toBe('imok');
    expect(await flw('isro')).toBe('rw');
    expect(await flw('gtmk')).toBe('306');
    expect(await flw('hash')).toBe('');
  });

  test('srvr and stat', async () => {
    const c = await rawConnect(raws, { port: server.port, timeout: 30000 });
    await rawCreate(c, '/stat');
    const srvr = await flw('srvr');
    expect(srvr).toMatch(
      /^Zookeeper version: 3\.8\.0-zkts-[^\n]*, built on [^\n]*\nLatency min\/avg\/max: \d+\/\d+\.\d+\/\d+\nReceived: \d+\nSent: \d+\nConnections: 2\nOutstanding: 0\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n$/,
    );
    const stat = await flw('stat');
    const lines = stat.split('\n');
    expect(lines[1]).toBe('Clients:');
    // The client, then the connection asking (which has received its 4 bytes, one packet).
    expect(lines[2]).toMatch(/^ \/127\.0\.0\.1:\d+\[1\]\(queued=-?\d+,recved=\d+,sent=\d+\)$/);
    expect(lines[3]).toMatch(/^ \/127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$/);
    expect(lines[4]).toBe('');
    expect(lines[5]).toMatch(/^Latency min\/avg\/max: /);
    expect(stat.endsWith('Mode: standalone\nNode count: 6\n')).toBe(true);
  });

  test('Received/Sent count the words themselves', async () => {
    await flw('srst');
    const first = await flw('srvr');
    expect(first).toContain('Received: 1\nSent: 1\n'); // srst's reply was one packet; srvr's own not yet
    const second = await flw('srvr');
    expect(second).toContain('Received: 2\nSent: 2\n');
  });

  test('cons shows full connection details', async () => {
    const c = await rawConnect(raws, { port: server.port, timeout: 30000 });
    await rawGetData(c, '/');
    const cons = await flw('cons');
    const lines = cons.split('\n');
    // queued may read -1: zkts's connection counts the handshake out without counting it in.
    expect(lines[0]).toMatch(
      /^ \/127\.0\.0\.1:\d+\[1\]\(queued=-?\d+,recved=2,sent=\d+,sid=0x[0-9a-f]+,lop=GETD,est=\d+,to=30000,lcxid=0x1,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$/,
    );
    expect(lines[1]).toMatch(/^ \/127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$/);
    expect(cons.endsWith(')\n\n')).toBe(true);
    expect(await flw('crst')).toBe('Connection stats reset.\n');
    const after = (await flw('cons')).split('\n')[0];
    expect(after).toMatch(/recved=0,sent=0,sid=0x[0-9a-f]+,lop=NA,est=\d+,to=30000,lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0\)$/);
  });

  test('srst', async () => {
    expect(await flw('srst')).toBe('Server stats reset.\n');
    expect(await flw('srvr')).toContain('Latency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 1\n');
  });

  test('conf and dirs', async () => {
    const conf = await flw('conf');
    const dataDir = path.join(server.dataDir, 'version-2');
    expect(conf).toMatch(
      new RegExp(
        `^clientPort=${server.port}\\nsecureClientPort=-1\\ndataDir=${dataDir}\\ndataDirSize=\\d+\\ndataLogDir=${dataDir}\\ndataLogSize=\\d+\\n` +
          'tickTime=2000\\nmaxClientCnxns=60\\nminSessionTimeout=4000\\nmaxSessionTimeout=40000\\nclientPortListenBacklog=-1\\nserverId=0\\n$',
      ),
    );
    expect(await flw('dirs')).toMatch(/^datadir_size: \d+\nlogdir_size: \d+\n$/);
  });

  test('envi', async () => {
    const envi = await flw('envi');
    const keys = envi
      .split('\n')
      .slice(1, -1)
      .map((l) => l.substring(0, l.indexOf('=')));
    expect(envi.startsWith('Environment:\nzookeeper.version=3.8.0-zkts-')).toBe(true);
    expect(keys).toEqual([
      'zookeeper.version',
      'host.name',
      'java.version',
      'java.vendor',
      'java.home',
      'java.class.path',
      'java.library.path',
      'java.io.tmpdir',
      'java.compiler',
      'os.name',
      'os.arch',
      'os.version',
      'user.name',
      'user.home',
      'user.dir',
      'os.memory.free',
      'os.memory.max',
      'os.memory.total',
    ]);
    expect(envi).toMatch(/\nos\.memory\.total=\d+MB\n$/);
  });

  test('watches and dump', async () => {
    const c = await rawConnect(raws, { port: server.port, timeout: 30000 });
    await rawCreate(c, '/w');
    await rawCreate(c, '/w/e1', Buffer.from('x'), Flags.EPHEMERAL);
    await rawGetData(c, '/w', true);
    await rawExists(c, '/none', true);
    await c.request(OpCode.getChildren, R.GetDataRequest, { path: '/w', watch: true });
    const sid = c.session!.sessionId.toString(16);
    expect(await flw('wchs')).toBe('1 connections watching 2 paths\nTotal watches:2\n');
    expect(await flw('wchc')).toBe(`0x${sid}\n\t/w\n\t/none\n\n`);
    expect(await flw('wchp')).toBe(`/w\n\t0x${sid}\n/none\n\t0x${sid}\n\n`);
    const dump = await flw('dump');
    // Earlier tests' sessions are still alive: they share the expiry bucket (same tick, same timeout).
    const date = '[A-Z][a-z]{2} [A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d:\\d\\d \\S+ \\d{4}';
    expect(dump).toMatch(
      new RegExp(
        `^SessionTracker dump:\\nSession Sets \\(\\d+\\)/\\(\\d+\\):\\n(\\d+ expire at ${date}:\\n(\\t0x[0-9a-f]+\\n)+)+` +
          `ephemeral nodes dump:\\nSessions with Ephemerals \\(1\\):\\n0x${sid}:\\n\\t/w/e1\\n` +
          `Connections dump:\\nConnections Sets \\(\\d+\\)/\\(2\\):\\n(\\d+ expire at ${date}:\\n(\\tip: /127\\.0\\.0\\.1:\\d+ sessionId: 0x[0-9a-f]+\\n)+)+$`,
      ),
    );
    expect(dump).toContain(`\t0x${sid}\n`);
    expect(dump).toContain(`sessionId: 0x${sid}\n`);
    expect(dump).toMatch(/\tip: \/127\.0\.0\.1:\d+ sessionId: 0x0\n/);
    await c.closeSession();
  });

  test('mntr lists the keys Apache lists, in its order', async () => {
    // A fresh server: the per-namespace keys depend on every path used so far.
    const fresh = await TestingServer.start({ config: { fourLetterWords: new Set(['*']) } });
    const c = await rawConnect(raws, { port: fresh.port, timeout: 30000 });
    await rawCreate(c, '/a', Buffer.from('hello'));
    await rawGetData(c, '/a');
    const mntr = await fourLetterWord(fresh.port, 'mntr');
    await c.closeSession();
    await fresh.stop();
    const lines = mntr.split('\n');
    expect(lines.pop()).toBe('');
    for (const l of lines) expect(l).toMatch(/^zk_[a-z0-9_]+\t\S/);
    const keys = lines.map((l) => l.substring(0, l.indexOf('\t')));
    expect(keys).toEqual(fixtureKeys);
    const v = new Map(lines.map((l) => l.split('\t') as [string, string]));
    expect(v.get('zk_server_state')).toBe('standalone');
    expect(v.get('zk_avg_latency')).toMatch(/^\d+\.\d+$/);
    expect(v.get('zk_connection_drop_probability')).toBe('0.0');
    expect(v.get('zk_sum_a_write_per_namespace')).toBe(String('/a'.length + 5));
    expect(v.get('zk_sum_a_read_per_namespace')).toBe(String('/a'.length + 5 + 68));
    expect(Number(v.get('zk_cnt_snapshottime'))).toBeGreaterThanOrEqual(1);
    expect(Number(v.get('zk_connection_request_count'))).toBeGreaterThanOrEqual(1);
    expect(Number(v.get('zk_cnt_updatelatency'))).toBeGreaterThanOrEqual(2);
  });

  test('read and write bytes are summed per top-level namespace, also for names that extend each other', async () => {
    const fresh = await TestingServer.start({ config: { fourLetterWords: new Set(['*']) } });
    const c = await rawConnect(raws, { port: fresh.port, timeout: 30000 });
    // Each path's namespace differs from, or extends, the one before it.
    await rawCreate(c, '/a', Buffer.from('hello'));
    await rawCreate(c, '/ab', Buffer.from('x'));
    await rawCreate(c, '/a/b', Buffer.from('yz'));
    await rawCreate(c, '/abc', null);
    await rawCreate(c, '/a/abc', Buffer.from('w'));
    await rawGetData(c, '/ab');
    await rawGetData(c, '/a/b');
    const mntr = await fourLetterWord(fresh.port, 'mntr');
    await c.closeSession();
    await fresh.stop();
    const v = new Map(mntr.split('\n').map((l) => l.split('\t') as [string, string]));
    expect(v.get('zk_sum_a_write_per_namespace')).toBe(String(2 + 5 + 4 + 2 + 6 + 1));
    expect(v.get('zk_cnt_a_write_per_namespace')).toBe('3');
    expect(v.get('zk_sum_ab_write_per_namespace')).toBe(String(3 + 1));
    expect(v.get('zk_sum_abc_write_per_namespace')).toBe(String(4));
    expect(v.get('zk_sum_ab_read_per_namespace')).toBe(String(3 + 1 + 68));
    expect(v.get('zk_sum_a_read_per_namespace')).toBe(String(4 + 2 + 68));
  });

  test('stmk without its 8 bytes writes nothing', async () => {
    expect(await flw('stmk')).toBe('');
  });

  test('the telnet close sequence is a known command that writes nothing', async () => {
    const s = await openSocket(server.port);
    const done = readUntilClosed(s);
    s.write(Buffer.from([0xff, 0xf4, 0xff, 0xfd]));
    expect((await done).length).toBe(0);
  });
});

describe('four-letter word whitelist', () => {
  test('by default only srvr runs', async () => {
    const server = await TestingServer.start();
    try {
      expect(await fourLetterWord(server.port, 'ruok')).toBe('ruok is not executed because it is not in the whitelist.\n');
      expect(await fourLetterWord(server.port, 'mntr')).toBe('mntr is not executed because it is not in the whitelist.\n');
      expect(await fourLetterWord(server.port, 'srvr')).toMatch(/^Zookeeper version: /);
      const s = await openSocket(server.port);
      const done = readUntilClosed(s);
      s.write(Buffer.from([0xff, 0xf4, 0xff, 0xfd]));
      expect((await done).toString()).toBe('telnet close is not executed because it is not in the whitelist.\n');
    } finally {
      await server.stop();
    }
  });

  test('listed words run, others do not; readonlymode.enabled adds isro', async () => {
    const server = await TestingServer.start({
      config: { fourLetterWords: new Set(['ruok', 'stat']), sysProps: new Map([['readonlymode.enabled', 'true']]) },
    });
    try {
      expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');
      expect(await fourLetterWord(server.port, 'stat')).toMatch(/^Zookeeper version: .*\nClients:\n/);
      expect(await fourLetterWord(server.port, 'isro')).toBe('rw');
      expect(await fourLetterWord(server.port, 'conf')).toBe('conf is not executed because it is not in the whitelist.\n');
    } finally {
      await server.stop();
    }
  });
});
